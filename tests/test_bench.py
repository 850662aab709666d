"""The benchmark harness on the built-in synthetic dataset: every method in one table, the same numbers from one
process or from spawned workers, and cells that cannot be made reported instead of crashing the run."""

import json

import pytest

from graph_mirage import bench

QUIET = dict(log=lambda *a: None)


@pytest.fixture(scope="module")
def rows_inline():
    return bench.run(["synthetic-motifs"], ["gin"], [0, 1], [3], quick=True, jobs=1, **QUIET)


def test_every_default_method_gets_a_row(rows_inline):
    assert [r["method"] for r in rows_inline] == list(bench.DEFAULT_METHODS)
    by = {r["method"]: r for r in rows_inline}
    full = by["full"]
    assert full["size_fraction"] == 1.0 and full["budget"] is None
    for r in rows_inline:
        assert r["seeds"] == [0, 1] and len(r["runs"]) == 2
        assert 0.0 <= r["test_mean"] <= 1.0 and r["metric"] == "accuracy"  # three classes
    # Random and Herding pick as many graphs per class as Mirage made: 3 per class, 3 classes
    assert by["mirage"]["graphs"] == by["herding"]["graphs"] == by["random"]["graphs"] == 9
    assert by["mirage-s2"]["graphs"] == 9
    assert all(by[m]["bytes"] < full["bytes"] for m in ("mirage", "mirage-s2", "herding", "random"))
    # the option caps the itemsets at two trees, so its graphs have at most two roots
    assert by["mirage-s2"]["nodes"] <= by["mirage"]["nodes"]


def test_workers_give_the_same_numbers(rows_inline):
    rows = bench.run(["synthetic-motifs"], ["gin"], [0, 1], [3], quick=True, jobs=2, **QUIET)
    assert [r["method"] for r in rows] == [r["method"] for r in rows_inline]
    for a, b in zip(rows_inline, rows):
        assert (a["graphs"], a["nodes"], a["bytes"]) == (b["graphs"], b["nodes"], b["bytes"])
        # same seeds, same data; only the torch thread count differs, which may move the last bits
        assert a["test_mean"] == pytest.approx(b["test_mean"], abs=0.05)


def test_a_budget_that_cannot_be_met_is_a_reported_cell():
    rows = bench.run(["synthetic-motifs"], ["gin", "gcn"], [0], [100000], quick=True, methods=("mirage",), **QUIET)
    assert [(r["model"], r["method"]) for r in rows] == [("gin", "mirage"), ("gcn", "mirage")]
    assert all("cannot be met" in r["error"] and r["test_mean"] is None for r in rows)
    md = bench.markdown(rows, {"machine": "m", "seeds": [0], "command": "c", "seconds": 1.0})
    assert md.count("not made: budget cannot be met") == 2


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method"):
        bench.run(["synthetic-motifs"], ["gin"], [0], [3], methods=("full", "kidd"), **QUIET)


def test_main_writes_complete_json_and_markdown(tmp_path):
    rc = bench.main(["--datasets", "synthetic-motifs", "--models", "gin", "--seeds", "1", "--budgets", "3",
                     "--methods", "full", "mirage", "--jobs", "1", "--quick", "--quiet", "--out", str(tmp_path),
                     "--name", "t"])
    assert rc == 0
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["header"]["complete"] is True and data["header"]["methods"] == ["full", "mirage"]
    assert [r["method"] for r in data["rows"]] == ["full", "mirage"]
    md = (tmp_path / "t.md").read_text()
    assert "| synthetic-motifs | GIN | mirage (k=3) |" in md and "1 training process " in md
    # the summary comes first: one line per dataset x GNN, a column per method, sizes in % of the full bytes
    assert md.startswith("| dataset | GNN | full | mirage | authors' Mirage (top 5 of 10) |")
    summary_line = next(line for line in md.splitlines() if line.startswith("| synthetic-motifs | GIN | "))
    assert summary_line.count("±") == 2 and "%)" in summary_line
