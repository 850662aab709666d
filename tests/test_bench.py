"""The benchmark harness on the built-in synthetic dataset: every method in one table, the same numbers from one
process or from spawned workers, cells that cannot be made reported instead of crashing the run, the paper preset's
step chosen on validation only, cross-validation folds, and cached full-data reference runs."""

import json

import numpy as np
import pytest

from graph_mirage import bench, presets
from graph_mirage.presets import DistillPreset

QUIET = dict(log=lambda *a: None)
METHODS = ("full", "mirage", "mirage-s2", "herding", "random")


@pytest.fixture(scope="module")
def rows_inline():
    return bench.run(["synthetic-motifs"], ["gin"], [0, 1], [3], quick=True, jobs=1, methods=METHODS, **QUIET)


def test_every_method_gets_a_row(rows_inline):
    assert [r["method"] for r in rows_inline] == list(METHODS)
    by = {r["method"]: r for r in rows_inline}
    full = by["full"]
    assert full["size_fraction"] == 1.0 and full["budget"] is None
    for r in rows_inline:
        assert r["seeds"] == [0, 1] and len(r["runs"]) == 2 and r["runs_total"] == 2
        assert 0.0 <= r["test_mean"] <= 1.0 and r["metric"] == "accuracy"  # three classes
        assert r["train_seconds"] > 0 and r["eval_seconds"] > 0  # measured separately
    # Random and Herding pick as many graphs per class as Mirage made: 3 per class, 3 classes
    assert by["mirage"]["graphs"] == by["herding"]["graphs"] == by["random"]["graphs"] == 9
    assert by["mirage-s2"]["graphs"] == 9
    assert all(by[m]["bytes"] < full["bytes"] for m in ("mirage", "mirage-s2", "herding", "random"))
    assert by["mirage-s2"]["nodes"] <= by["mirage"]["nodes"]
    # distilled training is compared per epoch with full-data training
    assert by["mirage"]["speedup_per_epoch_vs_full"] > 1


def test_workers_give_the_same_numbers(rows_inline):
    rows = bench.run(["synthetic-motifs"], ["gin"], [0, 1], [3], quick=True, jobs=2, methods=METHODS, **QUIET)
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
    assert md.count("not made: budget of 100000") == 2


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="unknown method"):
        bench.run(["synthetic-motifs"], ["gin"], [0], [3], methods=("full", "gcond"), **QUIET)


def test_paper_preset_step_is_chosen_on_validation(monkeypatch):
    # a preset for the synthetic dataset with three threshold steps, as the release has for NCI1
    monkeypatch.setitem(presets.PAPER_DISTILL, "synthetic-motifs",
                        DistillPreset("synthetic-motifs", 2, {0: 30, 1: 30, 2: 30}, step_size=-5, steps=3))
    monkeypatch.setitem(bench.PAPER_DISTILL, "synthetic-motifs", presets.PAPER_DISTILL["synthetic-motifs"])
    rows = bench.run(["synthetic-motifs"], ["gin"], [0, 1], [3], quick=True, methods=("mirage-paper",), **QUIET)
    (row,) = rows
    scores = row["step_scores"]  # "split:step" -> mean validation metric over the seeds
    assert set(scores) == {"0:0", "0:1", "0:2"}
    best = max(range(3), key=lambda s: (scores[f"0:{s}"], -s))
    assert row["steps"] == [best]
    assert row["thresholds"] == [{0: 30 - 5 * best, 1: 30 - 5 * best, 2: 30 - 5 * best}]
    # the reported runs are the chosen step's, and their validation mean is that step's score
    assert np.mean([r["test_metrics"]["accuracy"] for r in row["runs"]]) == pytest.approx(row["test_mean"])
    assert row["val_mean"] == pytest.approx(scores[f"0:{best}"])


def test_folds_and_cached_full_reference(tmp_path):
    kw = dict(quick=True, methods=("full", "mirage"), folds=3, reference_dir=tmp_path / "ref", **QUIET)
    rows = bench.run(["synthetic-motifs"], ["gin"], [0], [3], **kw)
    full, mirage = rows
    assert full["splits"] == mirage["splits"] == 3 and full["runs_total"] == mirage["runs_total"] == 3
    assert full["cached_runs"] == 0
    files = sorted((tmp_path / "ref" / "synthetic-motifs").glob("*.json"))
    assert [f.name.split("-")[1] for f in files] == ["fold0of3", "fold1of3", "fold2of3"]
    blob = json.loads(files[0].read_text())
    assert blob["model"] == "gin" and blob["config"]["patience"] == 5 and blob["run"]["epochs_run"] >= 1
    # a second table reads the cache: same numbers, nothing trained again
    again = bench.run(["synthetic-motifs"], ["gin"], [0], [3], **kw)
    assert again[0]["cached_runs"] == 3
    assert again[0]["test_mean"] == full["test_mean"] and again[0]["runs"] == full["runs"]


def test_main_writes_complete_json_and_markdown(tmp_path):
    rc = bench.main(["--datasets", "synthetic-motifs", "--models", "gin", "--seeds", "1", "--budgets", "3",
                     "--methods", "full", "mirage", "--jobs", "1", "--quick", "--quiet", "--out", str(tmp_path),
                     "--name", "t"])
    assert rc == 0
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["header"]["complete"] is True and data["header"]["methods"] == ["full", "mirage"]
    assert [r["method"] for r in data["rows"]] == ["full", "mirage"]
    md = (tmp_path / "t.md").read_text()
    assert "| synthetic-motifs | GIN | mirage (k=3) | 1 |" in md and "1 training process " in md
    # the summary comes first: one line per dataset x GNN, a column per method, sizes in % of the full bytes
    assert md.startswith("| dataset | GNN | runs | full | mirage | authors' Mirage (top 5 of 10) |")
    summary_line = next(line for line in md.splitlines() if line.startswith("| synthetic-motifs | GIN | "))
    assert summary_line.count("±") == 2 and "%)" in summary_line
    assert not list(tmp_path.glob(".*tmp"))


def test_terminated_bench_leaves_no_workers(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-m", "graph_mirage", "bench", "--datasets", "synthetic-motifs", "--models",
                          "gin", "--seeds", "3", "--epochs", "400", "--jobs", "2", "--out", str(tmp_path), "--quiet",
                          "--reference-dir", str(tmp_path / "ref")],
                         stderr=subprocess.PIPE)
    children, deadline = [], time.time() + 90
    while not children and time.time() < deadline:  # wait until the training workers run (distilling comes first)
        time.sleep(1)
        children = subprocess.run(["pgrep", "-P", str(p.pid), "-f", "spawn_main"], capture_output=True,
                                  text=True).stdout.split()
    time.sleep(2)
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=60)[1].decode()
    assert p.returncode == 143 and "mirage: error: terminated" in err and "Traceback" not in err, err
    time.sleep(1)
    alive = [c for c in children if subprocess.run(["kill", "-0", c], capture_output=True).returncode == 0]
    assert children and not alive


def test_automatic_default_and_byte_matched_baselines():
    methods = ("mirage-auto", "mirage-proto", "herding-bytes", "random-bytes")
    rows = bench.run(["synthetic-motifs"], ["gin", "gcn"], [0], [3], quick=True, jobs=1, methods=methods, epochs=3,
                     **QUIET)
    assert [(r["model"], r["method"]) for r in rows] == [(m, x) for m in ("gin", "gcn") for x in methods]
    by = {r["method"]: r for r in rows if r["model"] == "gin"}
    auto = by["mirage-auto"]
    st = auto["settings"][0]
    assert st["hops"] in (1, 2, 3) and st["readout"] in ("sum", "mean") and auto["distill_seconds"] > 0
    # one set for every GNN: the GCN row trains on the very set the GIN-scored rule chose
    gcn = next(r for r in rows if r["model"] == "gcn" and r["method"] == "mirage-auto")
    assert gcn["settings"] == auto["settings"] and gcn["bytes"] == auto["bytes"]
    assert by["mirage-proto"]["graphs"] == 3 * bench.PROTO_PER_CLASS
    k = by["herding-bytes"]["k"][0]
    assert by["herding-bytes"]["graphs"] == 3 * k and by["random-bytes"]["graphs"] == 3 * by["random-bytes"]["k"][0]
    assert k == 1 or by["herding-bytes"]["bytes"] <= auto["bytes"]  # Herding's set fits in the automatic set's bytes
    md = bench.markdown(rows, {"machine": "m", "seeds": [0], "command": "c", "seconds": 1.0})
    assert "chosen: " in md and "k per class" in md


def test_merge_joins_runs_and_fills_the_speedup_from_full_data(rows_inline, tmp_path):
    import copy

    header = {"machine": "m", "seeds": [0, 1], "command": "c", "seconds": 1.0, "complete": True}
    full = [r for r in rows_inline if r["method"] == "full"]
    rest = copy.deepcopy([r for r in rows_inline if r["method"] != "full"])
    for r in rest:
        r.pop("speedup_per_epoch_vs_full", None)
    (tmp_path / "a.json").write_text(json.dumps({"header": header, "rows": full}))
    (tmp_path / "b.json").write_text(json.dumps({"header": header, "rows": rest}))
    rows = bench.merge([tmp_path / "a.json", tmp_path / "b.json"], tmp_path, "merged")
    assert [r["method"] for r in rows] == [r["method"] for r in full + rest]
    want = {r["method"]: r["speedup_per_epoch_vs_full"] for r in rows_inline if r["method"] != "full"}
    got = {r["method"]: r["speedup_per_epoch_vs_full"] for r in rows if r["method"] != "full"}
    assert got == pytest.approx(want)
    blob = json.loads((tmp_path / "merged.json").read_text())
    assert blob["header"]["complete"] and len(blob["rows"]) == len(rows)
    assert (tmp_path / "merged.md").read_text().count("| synthetic-motifs |") >= len(rows)
