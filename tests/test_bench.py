"""The benchmark on the built-in synthetic dataset: every method and control in one table, the same numbers from one
process or from spawned workers, cells that cannot be made reported, choices made on validation only, cached runs
that a second table reads, intervals and paired comparisons computed from the runs."""

import json
import re

import numpy as np
import pytest

from graph_mirage import MirageError, bench
from graph_mirage.bench import default_name, outputs
from graph_mirage.bench.runs import FULL_RECIPES
from graph_mirage.bench.schedule import Options
from graph_mirage.bench.tables import markdown, merge
from graph_mirage.config import presets
from graph_mirage.config.presets import DistillPreset
from graph_mirage.stats import interval, paired
from graph_mirage.training import permuted_labels

METHODS = ("full", "mirage", "herding", "random", "size-only", "wl-kernel", "permuted")


def opts(methods, seeds=(0, 1), **kw):
    base = dict(models=["gin"], seeds=list(seeds), budgets=[3], methods=tuple(methods), quick=True,
                log=lambda *a: None, epochs=5)
    base.update(kw)
    return Options(**base)


@pytest.fixture(scope="module")
def rows_inline():
    return bench.run(["synthetic-motifs"], opts(METHODS), jobs=1)


def test_every_method_and_control_gets_a_row(rows_inline):
    methods = [r["method"] for r in rows_inline]
    assert set(methods) == {"full", "mirage", "herding", "random", "mirage~permuted", "herding~permuted",
                            "random~permuted", "size-only", "wl-kernel"}
    by = {r["method"]: r for r in rows_inline}
    assert by["full"]["size_fraction"] == 1.0 and by["full"]["recipes"][0] in FULL_RECIPES
    for r in rows_inline:
        assert r["seeds"] == [0, 1] and r["runs_total"] == 2 and r["metric"] == "accuracy"  # three classes
        assert 0.0 <= r["test_mean"] <= 1.0 and np.isfinite(r["test_last_mean"])
    # Random and Herding pick as many graphs per class as Mirage made: 3 per class, 3 classes
    assert by["mirage"]["graphs"] == by["herding"]["graphs"] == by["random"]["graphs"] == 9
    assert all(by[m]["bytes"] < by["full"]["bytes"] for m in ("mirage", "herding", "random"))
    # the classic controls are deterministic: the same value for every seed
    assert by["wl-kernel"]["test_std"] == 0 and by["size-only"]["probe_params"][0]["C"] > 0
    assert by["mirage"]["speedup_per_epoch_vs_full"] > 0


def test_intervals_and_paired_margins_come_from_the_runs(rows_inline):
    by = {r["method"]: r for r in rows_inline}
    r, ctrl = by["mirage"], by["mirage~permuted"]
    tests = [x["test"] for x in r["runs"]]
    assert r["test_ci"] == pytest.approx([interval(tests)["low"], interval(tests)["high"]], nan_ok=True)
    want = paired({x["seed"]: x["test"] for x in r["runs"]}, {x["seed"]: x["test"] for x in ctrl["runs"]})
    assert r["paired"]["permuted"]["mean"] == pytest.approx(want["mean"])
    assert r["paired"]["permuted"]["verdict"] in ("beats", "loses", "tie")
    assert set(r["paired"]) >= {"permuted", "full", "wl-kernel", "size-only"}
    assert "paired" not in by["mirage~permuted"] and "paired" not in by["full"]
    md = markdown(rows_inline, {"machine": "m", "command": "c", "seconds": 1.0})
    assert "margin over control" in md and "| synthetic-motifs | GIN | mirage |" in md


def test_permuted_labels_change_and_keep_the_class_counts(synthetic):
    from graph_mirage import Mirage

    d = Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_
    for seed in range(4):
        p = permuted_labels(d, seed)
        assert sorted(p.y.tolist()) == sorted(d.y.tolist()) and p.y.tolist() != d.y.tolist()
        assert p.meta["labels"] == "permuted" and len(p) == len(d)
    two = d[[0, len(d) - 1]]  # a 2-graph set of two classes is swapped
    from graph_mirage.distilled import DistilledDataset

    pair = DistilledDataset([two[0], two[1]], d.meta)
    assert permuted_labels(pair, 0).y.tolist() == pair.y.tolist()[::-1]


def test_a_sets_cache_key_ignores_the_record_of_its_choice_only(synthetic):
    from graph_mirage import AutoPrototypes
    from graph_mirage.bench.runs import set_key
    from graph_mirage.distilled import DistilledDataset

    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    d = AutoPrototypes().fit(train, validation=valid).distilled_
    graphs = [d[i] for i in range(len(d))]
    reworded = DistilledDataset(graphs, dict(d.meta, auto=dict(d.meta["auto"], rule="another wording")))
    assert set_key(reworded) == set_key(d)  # how the settings were chosen does not change what training sees
    assert set_key(DistilledDataset(graphs, dict(d.meta, readout="mean"))) != set_key(d)
    assert set_key(permuted_labels(d, 0)) != set_key(d)


def test_workers_give_the_same_numbers(rows_inline):
    rows = bench.run(["synthetic-motifs"], opts(METHODS), jobs=2)
    key = lambda r: (r["method"], r["budget"])  # noqa: E731
    a, b = sorted(rows_inline, key=key), sorted(rows, key=key)
    assert [key(r) for r in a] == [key(r) for r in b]
    for x, y in zip(a, b):
        assert (x.get("graphs"), x.get("bytes")) == (y.get("graphs"), y.get("bytes"))
        # same seeds, same data; only where each run happens differs, which may move the last bits
        assert x["test_mean"] == pytest.approx(y["test_mean"], abs=0.05)


def test_a_budget_that_cannot_be_met_is_a_reported_cell():
    rows = bench.run(["synthetic-motifs"], opts(("mirage",), seeds=(0,), models=["gin", "gcn"], budgets=[100000]))
    failed = [r for r in rows if r["method"] == "mirage"]
    assert [r["model"] for r in failed] == ["gin", "gcn"]
    assert all("cannot be met" in r["error"] and r["test_mean"] is None for r in failed)
    assert markdown(rows, {"machine": "m", "command": "c", "seconds": 1.0}).count("not made: budget of 100000") == 2


def test_unknown_method_is_refused():
    with pytest.raises(Exception, match="unknown method"):
        bench.run(["synthetic-motifs"], opts(("full", "gcond")))


def test_paper_preset_step_is_chosen_on_validation(monkeypatch):
    # a preset for the synthetic dataset with three threshold steps, as the release has for NCI1
    monkeypatch.setitem(presets.PAPER_DISTILL, "synthetic-motifs",
                        DistillPreset("synthetic-motifs", 2, {0: 30, 1: 30, 2: 30}, step_size=-5, steps=3))
    rows = bench.run(["synthetic-motifs"], opts(("mirage-paper", "permuted")))
    row = next(r for r in rows if r["method"] == "mirage-paper")
    scores = row["step_scores"]  # "split:step" -> mean validation metric over the seeds
    assert set(scores) == {"0:0", "0:1", "0:2"}
    best = max(range(3), key=lambda s: (scores[f"0:{s}"], -s))
    assert row["steps"] == [best]
    # the reported runs are the chosen step's, and their validation mean is that step's score
    assert {x["step"] for x in row["runs"]} == {best}
    assert row["val_mean"] == pytest.approx(scores[f"0:{best}"])
    # the control is the chosen step's set with permuted labels
    ctrl = next(r for r in rows if r["method"] == "mirage-paper~permuted")
    assert {x["step"] for x in ctrl["runs"]} == {best} and ctrl["runs_total"] == 2


def test_distilled_recipes_are_chosen_on_validation_with_the_step(monkeypatch, tmp_path):
    monkeypatch.setitem(presets.PAPER_DISTILL, "synthetic-motifs",
                        DistillPreset("synthetic-motifs", 2, {0: 30, 1: 30, 2: 30}, step_size=-5, steps=3))
    methods = ("mirage-paper", "mirage", "permuted")
    one = {r: {x["method"]: x for x in bench.run(["synthetic-motifs"], opts(methods, recipes=(r,),
                                                                            cache_dir=str(tmp_path)))}
           for r in FULL_RECIPES}
    both = {x["method"]: x for x in bench.run(["synthetic-motifs"], opts(methods, recipes=tuple(FULL_RECIPES),
                                                                         cache_dir=str(tmp_path)))}
    # the one default recipe keeps the rows of before: no recipe in the runs' keys, no recipes field
    assert {x["recipe"] for x in one["plain"]["mirage"]["runs"]} == {None} and "recipes" not in one["plain"]["mirage"]
    for m in ("mirage", "mirage~permuted"):  # the set and its control each take the recipe of the best validation
        chosen = both[m]["recipes"][0]
        vals = {r: one[r][m]["val_mean"] for r in FULL_RECIPES}
        assert vals[chosen] == max(vals.values()) and both[m]["test_mean"] == pytest.approx(one[chosen][m]["test_mean"])
        assert {x["recipe"] for x in both[m]["runs"]} == {chosen} and both[m]["runs_total"] == 2
        assert both[m]["cached_runs"] == 2  # both recipes' runs were trained above and are read, not retrained
    # a preset's step and the recipe are chosen together: the best (step, recipe) pair by mean validation
    pairs = {(int(k.split(":")[1]), r): v for r in FULL_RECIPES
             for k, v in one[r]["mirage-paper"]["step_scores"].items()}
    order = sorted(pairs, key=lambda k: (k[0], list(FULL_RECIPES).index(k[1])))
    best = max(order, key=lambda k: (pairs[k], -order.index(k)))
    row = both["mirage-paper"]
    assert (row["steps"][0], row["recipes"][0]) == best
    assert {x["step"] for x in both["mirage-paper~permuted"]["runs"]} == {best[0]}


def test_a_recipe_for_distilled_sets_only_leaves_full_data_choosing_between_its_own(tmp_path):
    from graph_mirage.config.defaults import TRAIN_RECIPES

    assert "high-lr" in TRAIN_RECIPES and "high-lr" not in FULL_RECIPES
    o = opts(("full", "mirage", "permuted"), seeds=(0,), recipes=("plain", "high-lr"), cache_dir=str(tmp_path))
    rows = bench.run(["synthetic-motifs"], o)
    by = {r["method"]: r for r in rows}
    assert by["full"]["recipes"][0] in FULL_RECIPES
    assert {by[m]["recipes"][0] for m in ("mirage", "mirage~permuted")} <= {"plain", "high-lr"}
    lrs = {}
    for f in (tmp_path / "synthetic-motifs").glob("*.json"):
        blob = json.loads(f.read_text())
        lrs.setdefault(blob["method"], set()).add(blob["config"]["lr"])
    assert lrs["full"] == {1e-3} and lrs["mirage"] == {1e-3, 1e-2}  # the set and its control under both


def test_the_margin_rule_gives_the_set_and_its_control_the_rate_of_the_sets_largest_validation_margin(tmp_path,
                                                                                                     capsys):
    methods, recipes = ("mirage", "herding", "permuted"), ("plain", "high-lr")
    one = {r: {x["method"]: x for x in bench.run(["synthetic-motifs"], opts(methods, recipes=(r,),
                                                                            cache_dir=str(tmp_path)))} for r in recipes}
    rows = bench.run(["synthetic-motifs"], opts(methods, recipes=recipes, recipe_rule="margin",
                                                cache_dir=str(tmp_path)))
    by = {x["method"]: x for x in rows}
    for m in ("mirage", "herding"):
        margins = {r: one[r][m]["val_mean"] - one[r][m + "~permuted"]["val_mean"] for r in recipes}
        chosen = max(recipes, key=lambda r: margins[r])
        assert by[m]["recipes"] == by[m + "~permuted"]["recipes"] == [chosen]  # the control read at the set's rate
        for x in (m, m + "~permuted"):
            assert by[x]["test_mean"] == pytest.approx(one[chosen][x]["test_mean"]) and by[x]["cached_runs"] == 2
    from graph_mirage.cli import main

    capsys.readouterr()
    for extra, message in ((["--recipes", "plain", "high-lr", "--methods", "mirage"], "add 'permuted' to --methods"),
                           (["--recipes", "plain"], "give two or more")):  # before any data is read
        assert main(["bench", "--datasets", "synthetic-motifs", "--recipe-rule", "margin", *extra]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0], err


def test_full_layers_trains_only_full_data_at_that_depth(tmp_path):
    o = opts(("full", "mirage"), seeds=(0,), full_layers=1, cache_dir=str(tmp_path))
    bench.run(["synthetic-motifs"], o)
    layers = {}
    for f in (tmp_path / "synthetic-motifs").glob("*.json"):
        blob = json.loads(f.read_text())
        layers.setdefault(blob["method"], set()).add(blob["config"]["num_layers"])
    assert layers["full"] == {1}  # the tables' full data has two layers; the set keeps its own depth (None: its hops)
    assert layers["mirage"] == {None}
    bench.run(["synthetic-motifs"], opts(("full",), seeds=(0,), cache_dir=str(tmp_path)))
    again = [json.loads(f.read_text())["config"]["num_layers"] for f in (tmp_path / "synthetic-motifs").glob("full*")]
    assert sorted(set(again)) == [1, 2]  # two layers by default: other runs in the cache, not the ones above


def test_hops_restricts_the_depths_the_defaults_rule_chooses_among():
    rows = bench.run(["synthetic-motifs"], opts(("mirage-auto",), seeds=(0,), hops=(3,)))
    assert [s["hops"] for s in rows[0]["settings"]] == [3]


def test_folds_and_a_second_table_reads_the_cache(tmp_path):
    o = opts(("full", "mirage"), seeds=(0,), folds=3, cache_dir=str(tmp_path / "runs"))
    rows = bench.run(["synthetic-motifs"], o)
    full, mirage = (next(r for r in rows if r["method"] == m) for m in ("full", "mirage"))
    assert full["splits"] == mirage["splits"] == 3 and full["runs_total"] == mirage["runs_total"] == 3
    assert full["units"] == 3  # folds are the units of the interval
    assert full["cached_runs"] == mirage["cached_runs"] == 0
    files = sorted((tmp_path / "runs" / "synthetic-motifs").glob("*.json"))
    assert len(files) == 3 * len(FULL_RECIPES) + 3  # both recipes per fold (one seed chooses), and mirage's runs
    blob = json.loads(files[0].read_text())
    assert blob["model"] == "gin" and blob["protocol"].startswith("runs-") and blob["run"]["epochs_run"] >= 1
    again = bench.run(["synthetic-motifs"], o)  # nothing trained again, the same numbers
    by = {r["method"]: r for r in again}
    assert by["full"]["cached_runs"] == by["mirage"]["cached_runs"] == 3
    assert by["full"]["test_mean"] == full["test_mean"] and by["mirage"]["test_mean"] == mirage["test_mean"]


def test_cli_writes_complete_json_and_markdown(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "graph_mirage", "bench", "--datasets", "synthetic-motifs", "--models",
                        "gin", "--seeds", "1", "--budgets", "3", "--methods", "full", "mirage", "--jobs", "1",
                        "--quick", "--quiet", "--out", str(tmp_path), "--name", "t"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "t.json").read_text())
    assert data["header"]["complete"] is True and data["header"]["methods"] == ["full", "mirage"]
    assert sorted(r["method"] for r in data["rows"]) == ["full", "mirage"]
    md = (tmp_path / "t.md").read_text()
    assert md.startswith("## Test metric ×100") and "| synthetic-motifs | GIN | 1 |" in md
    assert not list(tmp_path.glob(".*tmp"))


def test_outputs_are_a_directory_or_the_json_file_itself(tmp_path):
    assert outputs(str(tmp_path / "res"), None, "quick") == (tmp_path / "res" / "quick.json",
                                                              tmp_path / "res" / "quick.md")
    assert outputs(str(tmp_path / "res"), "t", "quick") == (tmp_path / "res" / "t.json", tmp_path / "res" / "t.md")
    assert outputs(str(tmp_path / "table.json"), None, "quick") == (tmp_path / "table.json", tmp_path / "table.md")
    assert not (tmp_path / "res").exists()  # checked, not made
    with pytest.raises(MirageError, match="give --name only with an output directory"):
        outputs(str(tmp_path / "table.json"), "t", "quick")
    with pytest.raises(MirageError, match="directory .* does not exist"):
        outputs(str(tmp_path / "absent" / "table.json"), None, "quick")


def test_a_bench_without_a_name_writes_no_committed_table():
    # benchmarks/results is --out's default: a user's run there must not overwrite a table a page is written from
    import argparse
    import subprocess
    from pathlib import Path

    from graph_mirage.cli.bench_args import add_bench_args

    root = Path(__file__).resolve().parents[1]
    p = argparse.ArgumentParser()
    add_bench_args(p)
    out = p.parse_args([]).out
    committed = set(subprocess.run(["git", "ls-files", out], cwd=root, capture_output=True, text=True).stdout.split())
    assert committed, "the default output directory holds the committed tables"
    for quick in (False, True):
        json_path, md_path = outputs(str(root / out), None, default_name(quick))
        assert str(json_path.relative_to(root)) not in committed and str(md_path.relative_to(root)) not in committed


def test_an_unwritable_output_is_refused_before_any_run(tmp_path):
    import subprocess
    import sys

    (tmp_path / "afile").write_text("x")
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "bench", "--datasets", "synthetic-motifs", "--models",
                        "gin", "--seeds", "1", "--methods", "full", "--jobs", "1", "--cache-dir",
                        str(tmp_path / "runs"), "--out", str(tmp_path / "afile")], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 2 and r.stderr.strip().splitlines() == [
        f"mirage: error: output directory {tmp_path / 'afile'} exists and is not a directory"]
    assert not (tmp_path / "runs").exists()  # not one run trained, nothing cached


def test_terminated_bench_leaves_no_workers(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    p = subprocess.Popen([sys.executable, "-m", "graph_mirage", "bench", "--datasets", "synthetic-motifs", "--models",
                          "gin", "--seeds", "3", "--epochs", "400", "--jobs", "2", "--out", str(tmp_path), "--quiet",
                          "--methods", "mirage", "--cache-dir", ""], stderr=subprocess.PIPE)
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
    rows = bench.run(["synthetic-motifs"], opts(methods, seeds=(0,), models=["gin", "gcn"]))
    assert sorted((r["model"], r["method"]) for r in rows) == sorted((m, x) for m in ("gin", "gcn") for x in methods)
    by = {r["method"]: r for r in rows if r["model"] == "gin"}
    auto = by["mirage-auto"]
    assert auto["settings"][0]["hops"] in (1, 2, 3) and auto["distill_seconds"] > 0
    # one set for every GNN: the GCN row trains on the very set chosen once
    gcn = next(r for r in rows if r["model"] == "gcn" and r["method"] == "mirage-auto")
    assert gcn["settings"] == auto["settings"] and gcn["bytes"] == auto["bytes"]
    assert by["mirage-proto"]["graphs"] == 3 * 5
    k = by["herding-bytes"]["k"][0]
    assert by["herding-bytes"]["graphs"] == 3 * k and by["random-bytes"]["graphs"] == 3 * by["random-bytes"]["k"][0]
    assert k == 1 or by["herding-bytes"]["bytes"] <= auto["bytes"]  # Herding's set fits in the automatic set's bytes


def test_bytes_sweep_makes_each_method_at_each_fraction_and_pairs_within_it():
    methods = ("mirage-auto", "mirage-bank", "herding-bytes", "random-bytes")
    fractions = [0.02, 0.3]
    rows = bench.run(["synthetic-motifs"], opts(methods, seeds=(0, 1), fractions=fractions))
    assert sorted((r["method"], r["budget"]) for r in rows) == sorted((m, f) for m in methods for f in fractions)
    by = {(r["method"], r["budget"]): r for r in rows}
    for f in fractions:
        auto = by[("mirage-auto", f)]
        # the default's rule under the cap alone (no floor of graphs per class): the chosen set fits
        assert auto["size_fraction"] <= f
        bank = by[("mirage-bank", f)]  # the bank's rule too, its bytes counted as the file stores them
        assert bank["size_fraction"] <= f and bank["paired"]["mirage-auto"]["units"] == 2
        k = by[("herding-bytes", f)]["k"][0]
        assert k == 1 or by[("herding-bytes", f)]["size_fraction"] <= f
        # compared with the opponents at the same fraction, not another point of the curve
        assert by[("mirage-auto", f)]["paired"]["herding-bytes"]["units"] == 2
        diff = np.mean([a["test"] - b["test"] for a, b in zip(auto["runs"], by[("herding-bytes", f)]["runs"])])
        assert by[("mirage-auto", f)]["paired"]["herding-bytes"]["mean"] == pytest.approx(diff)
    # more bytes: more real graphs per class, and a default set at least as large
    assert by[("random-bytes", 0.3)]["k"][0] > by[("random-bytes", 0.02)]["k"][0]
    assert by[("mirage-auto", 0.3)]["bytes"] >= by[("mirage-auto", 0.02)]["bytes"]


def test_proto_setting_is_the_one_given_and_compared_with_the_default():
    rows = bench.run(["synthetic-motifs"], opts(("mirage-auto", "mirage-proto"), seeds=(0, 1),
                                                proto={"hops": 1, "per_class": 2}))
    proto = next(r for r in rows if r["method"] == "mirage-proto")
    assert proto["graphs"] == 3 * 2 and proto["settings"] == [{"hops": 1, "per_class": 2}]
    assert "mirage-auto" in proto["paired"]  # the earlier choice against the default, over the same seeds


def test_degrees_makes_the_defaults_prototypes_with_their_leaves_degrees(synthetic, tmp_path):
    from graph_mirage.bench.methods import SplitContext, make_auto, make_proto
    from graph_mirage.distilled import DistilledDataset

    def made(degrees):
        ctx = SplitContext("synthetic-motifs", 0, synthetic, tmp_path, True, [3], lambda *a: None, degrees=degrees)
        return [DistilledDataset.load(s.path) for s in make_auto(ctx) + make_proto(ctx)]

    (auto, proto), (auto_d, proto_d), (auto_n, proto_n) = made(False), made(True), made(None)
    for plain, exact in ((auto, auto_d), (proto, proto_d)):
        assert "degrees" not in plain.meta["params"] and exact.meta["params"]["degrees"] is True
    # None (no flag): as the default — mirage-auto's bank with its leaves' degrees, mirage-proto's own DAGs without
    assert auto_n.bank is not None and auto_n.meta["params"]["degrees"] is True and auto_d.bank is None
    assert proto_n.nbytes() == proto.nbytes() and "degrees" not in proto_n.meta["params"]
    # mirage-proto's one setting: the same prototypes, each with one more node and its leaves' in-edges
    assert proto_d.meta["prototypes"] == proto.meta["prototypes"] and proto_d.nbytes() > proto.nbytes()


def test_roots_makes_the_prototypes_of_every_mirage_method_with_sampled_roots(synthetic, tmp_path):
    from graph_mirage.bench.methods import SplitContext, make_auto, make_bank, make_plain, make_proto
    from graph_mirage.distilled import DistilledDataset

    ctx = SplitContext("synthetic-motifs", 0, synthetic, tmp_path, True, [3], lambda *a: None, roots="sampled")
    for d in (DistilledDataset.load(s.path) for s in make_auto(ctx) + make_bank(ctx) + make_plain(ctx)
              + make_proto(ctx)):
        assert d.meta["params"]["roots"] == "sampled", d.meta["method"]


def test_max_roots_caps_the_prototypes_of_every_mirage_method(synthetic, tmp_path):
    from graph_mirage.bench.methods import SplitContext, make_auto, make_bank, make_plain, make_proto
    from graph_mirage.distilled import DistilledDataset

    ctx = SplitContext("synthetic-motifs", 0, synthetic, tmp_path, True, [3], lambda *a: None, max_roots=2)
    for d in (DistilledDataset.load(s.path) for s in make_auto(ctx) + make_bank(ctx) + make_plain(ctx)
              + make_proto(ctx)):
        assert d.meta["params"]["max_roots"] == 2, d.meta["method"]
        assert max(len(roots) for _, _, roots in d.meta["prototypes"]) <= 2, d.meta["method"]


def test_the_defaults_runs_are_read_from_the_cache_under_the_bank_methods_name(tmp_path):
    """On one task the default is the tree bank's rule: mirage-auto makes mirage-bank's very set, so its runs are found
    by their key whatever method's name they were cached under; mirage-plain (each prototype its own DAG) is another
    set, trained."""
    runs = str(tmp_path / "runs")
    row = {m: next(r for r in bench.run(["synthetic-motifs"], opts((m,), seeds=(0,), cache_dir=runs))
                   if r["method"] == m) for m in ("mirage-bank", "mirage-auto", "mirage-plain")}
    bank, auto, plain = row["mirage-bank"], row["mirage-auto"], row["mirage-plain"]
    assert bank["cached_runs"] == 0 and auto["cached_runs"] == auto["runs_total"] == bank["runs_total"] == 1
    assert auto["test_mean"] == bank["test_mean"] and auto["bytes"] == bank["bytes"]
    assert plain["cached_runs"] == 0 and plain["bytes"] != bank["bytes"]
    names = {f.name.split("-gin-")[0] for f in (tmp_path / "runs" / "synthetic-motifs").glob("*.json")}
    assert names == {"mirage-bank", "mirage-plain"}  # nothing written twice


def test_merge_joins_runs_and_compares_across_files(rows_inline, tmp_path):
    import copy

    header = {"machine": "m", "seeds": [0, 1], "command": "c", "seconds": 1.0, "complete": True}
    full = [r for r in rows_inline if r["method"] == "full"]
    rest = copy.deepcopy([r for r in rows_inline if r["method"] != "full"])
    for r in rest:
        r.pop("speedup_per_epoch_vs_full", None)
        r.get("paired", {}).pop("full", None)
    (tmp_path / "a.json").write_text(json.dumps({"header": header, "rows": full}))
    (tmp_path / "b.json").write_text(json.dumps({"header": header, "rows": rest}))
    rows = merge([tmp_path / "a.json", tmp_path / "b.json"], tmp_path / "merged.json", tmp_path / "merged.md")
    mirage = next(r for r in rows if r["method"] == "mirage")
    want = next(r for r in rows_inline if r["method"] == "mirage")
    assert mirage["paired"]["full"]["mean"] == pytest.approx(want["paired"]["full"]["mean"])
    assert mirage["speedup_per_epoch_vs_full"] == pytest.approx(want["speedup_per_epoch_vs_full"])
    blob = json.loads((tmp_path / "merged.json").read_text())
    assert blob["header"]["complete"] and len(blob["rows"]) == len(rows)


def test_class_agnostic_soft_label_prototypes_carry_their_clusters_class_counts(synthetic):
    """benchmarks/levers.py: a class-agnostic cluster is one prototype per class among its members, supported
    by that class's count, so the support-weighted loss is cross-entropy against the cluster's class distribution."""
    from .conftest import benchmark_module

    s = benchmark_module("levers").class_agnostic(synthetic, clusters=6, hops=1)
    y, w = s.y.view(-1).numpy(), s.storage().weight.view(-1).numpy()
    train_y = synthetic[synthetic.split["train"]].flat().y
    assert [int(w[y == c].sum()) for c in range(3)] == np.bincount(train_y, minlength=3).tolist()
    roots = [tuple(g.x[g.root_mask].view(-1).tolist()) + tuple(g.root_weight[g.root_mask].tolist()) for g in s]
    assert len(set(roots)) <= 6 < len(s)  # copies of at most 6 prototypes, several carrying more than one class
    assert s.meta["hops"] == 1 and s.meta["params"] == {"clusters": 6, "hops": 1}


def test_sets_of_several_splits_made_on_the_workers_are_the_sets_made_in_order(tmp_path):
    """With several splits the workers make the sets (they are independent): byte for byte the sets, probes, errors
    and messages of making them one split after the other in this process."""
    from graph_mirage.bench.runs import Runner
    from graph_mirage.bench.schedule import Collected, collect_sets, splits_of

    made = {}
    for jobs in (1, 2):
        lines = []
        o = opts(("mirage-auto", "herding-bytes", "mirage", "size-only"), folds=3, log=lines.append)
        splits, col, runner = splits_of("synthetic-motifs", None, 3), Collected(), Runner(jobs)
        (tmp_path / str(jobs)).mkdir()
        try:
            collect_sets("synthetic-motifs", runner, tmp_path / str(jobs), o, splits, col)
        finally:
            runner.close()
        files = [open(s.path, "rb").read() if s.path else None for s in col.sets]
        made[jobs] = ([(s.method, s.split, s.budget, s.size, s.k) for s in col.sets], files, col.full_sizes,
                      {k: v[0]["test"] for k, v in col.probes.items()}, col.errors,
                      [re.sub(r"\(\d+\.\d+ s\)", "", line) for line in lines])  # a time is not the set
    assert len(made[1][0]) >= 3 * 3 and {s[1] for s in made[1][0]} == {0, 1, 2}
    assert made[1] == made[2]


def test_tox21_probe_counts_a_prototype_as_the_trees_its_roots_stand_for(synthetic):
    """benchmarks/tox21_probe.py: a prototype's row is its roots' one-hop trees weighted by their root weights, in the
    same columns the real graphs count: a prototype of a cluster of one graph counts exactly that graph's trees."""
    from graph_mirage.data import as_flat
    from graph_mirage.prototypes import TreePrototypes

    from .conftest import benchmark_module

    probe = benchmark_module("tox21_probe")
    train = synthetic[synthetic.split["train"]][:12]
    est = TreePrototypes(hops=1, per_class=12, max_roots=1000).fit(train)  # every graph its own cluster
    protos, real = list(est.distilled_), list(train)
    rows, test_rows = probe.tree_count_rows(protos + real, as_flat(synthetic[synthetic.split["test"]]))
    singles = [i for i, m in enumerate(est.members_) if len(m) == 1]
    assert len(singles) >= 6
    for i in singles:  # the prototype keeps some of its graph's trees, their counts scaled to the graph's mass
        p, g = rows[i].toarray().ravel(), rows[len(protos) + int(est.members_[i][0])].toarray().ravel()
        kept = np.flatnonzero(p)
        assert g[kept].all() and len(kept) >= len(np.flatnonzero(g)) // 2, i
        assert np.allclose(p[kept] / g[kept], p[kept][0] / g[kept][0], rtol=1e-5), i
        assert p.sum() == pytest.approx(g.sum(), rel=1e-5), i
    assert rows.shape[0] == len(protos) + len(real) and test_rows.shape[0] == len(synthetic.split["test"])


def test_a_benchmark_scripts_header_names_the_command_that_wrote_it():
    import time

    from graph_mirage.bench.scripts import script_header

    t0 = time.perf_counter()
    h = script_header("benchmarks/levers.py", ["--seeds", "5", "--tox21"], jobs=2, t0=t0, seeds=5, reading="r")
    assert h["command"] == "python benchmarks/levers.py --seeds 5 --tox21"
    assert "2 processes (1 torch thread each)" in h["machine"] and h["seconds"] >= 0
    assert list(h) == ["command", "machine", "seconds", "seeds", "reading"] and h["seeds"] == 5
    assert script_header("benchmarks/x.py", [], jobs=1, t0=t0)["command"] == "python benchmarks/x.py"


def test_a_csv_datasets_own_split_column_is_the_benchmarks_split(tmp_path, monkeypatch):
    """``--split-col`` (``Options(split_column=...)``): every method of a user's CSV trains and is tested on the
    file's own parts, not on its scaffold split; a dataset that is not a CSV keeps its split."""
    from graph_mirage.bench.schedule import splits_of
    from graph_mirage.data import load_dataset

    from .test_csv import molecules

    monkeypatch.setenv("MIRAGE_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(0)
    rows = [(s, int(t in ("O", "N")), rng.choice(["train", "train", "train", "valid", "test"]))
            for s, _, t in molecules()]
    csv = tmp_path / "parts.csv"
    csv.write_text("smiles,polar,part\n" + "".join(f"{s},{y},{p}\n" for s, y, p in rows))
    assert splits_of(str(csv), None, None, split_column="part") == [{"split_column": "part"}]
    assert splits_of("synthetic-motifs", None, None, split_column="part") == [None]
    ds = load_dataset(csv, split_column="part")
    assert ds.split["test"].tolist() == [i for i, r in enumerate(rows) if r[2] == "test"]
    got = bench.run([str(csv)], opts(("size-only",), seeds=(0,), split_column="part"))
    plain = tmp_path / "plain.csv"  # the same molecules without the column: a scaffold split
    plain.write_text("smiles,polar\n" + "".join(f"{s},{y}\n" for s, y, _ in rows))
    scaffold = bench.run([str(plain)], opts(("size-only",), seeds=(0,)))
    assert got[0]["units"] == 1 and got[0]["test_mean"] != scaffold[0]["test_mean"]


@pytest.mark.parametrize("classes", [3, 5])
def test_potency_classes_are_equal_quantiles_of_pic50_split_by_class(tmp_path, classes):
    from .conftest import benchmark_module

    mod = benchmark_module("potency_classes")
    rng = np.random.default_rng(1)
    pic50 = rng.normal(6.0, 1.5, size=500)
    src = tmp_path / "bace.csv"
    src.write_text("mol,pIC50\n" + "".join(f"{'C' * (1 + i % 7)}O,{v}\n" for i, v in enumerate(pic50)))
    counts = mod.potency_csv(src, classes, tmp_path / "out.csv")
    import pandas as pd

    df = pd.read_csv(tmp_path / "out.csv")
    assert sorted(df.columns) == ["potency", "smiles", "split"]
    sizes = np.bincount(df["potency"], minlength=classes)
    assert sizes.max() - sizes.min() <= 1  # equal-frequency classes
    order = np.argsort(pic50)  # a more potent molecule never has a lower class
    assert np.all(np.diff(df["potency"].to_numpy()[order]) >= 0)
    for part, share in (("train", 0.8), ("valid", 0.1), ("test", 0.1)):  # every class in every part, by its share
        got = np.array(counts[part])
        assert np.all(np.abs(got - share * sizes) <= 2), (part, got)
