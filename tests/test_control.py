"""A distilled set trained beside its permuted-label control: the library function, and what train and run print."""

import json

import numpy as np
import pytest

from graph_mirage import AutoPrototypes, Mirage, MirageError, ParameterError
from graph_mirage.training import TrainConfig, permuted_labels, train_and_evaluate, train_with_control

from . import forked


@pytest.fixture(scope="module")
def distilled(synthetic):
    return Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_


def test_each_seed_trains_the_set_and_its_own_permutation_with_the_same_recipe(synthetic, distilled):
    cfg = TrainConfig(epochs=3)
    r = train_with_control(synthetic, distilled, model="gcn", seeds=[0, 1], config=cfg)
    alone = train_and_evaluate(synthetic, distilled, model="gcn", seeds=[0, 1], config=cfg)
    assert [x["test"] for x in r["runs"]] == [x["test"] for x in alone["runs"]]  # the set's runs as without control
    control = r["control"]["runs"]
    assert [x["seed"] for x in control] == [0, 1]
    for seed, run in zip((0, 1), control):  # seed s: the set permuted by s, trained with seed s
        own = train_and_evaluate(synthetic, permuted_labels(distilled, seed), model="gcn", seeds=[seed], config=cfg)
        assert run["test"] == own["runs"][0]["test"] and run["best_epoch"] == own["runs"][0]["best_epoch"]
        assert own["source"] == "mirage (labels permuted)"
    diff = [a["test"] - b["test"] for a, b in zip(r["runs"], control)]
    assert r["margin"]["mean"] == pytest.approx(np.mean(diff)) and r["margin"]["n"] == 2
    last = [a["test_last"] - b["test_last"] for a, b in zip(r["runs"], control)]
    assert r["margin_last"]["mean"] == pytest.approx(np.mean(last))
    assert r["control"]["test_mean"] == pytest.approx(np.mean([x["test"] for x in control]))
    assert r["control"]["train_seconds"] > 0


def test_a_set_that_teaches_is_above_its_control_and_one_seed_has_no_interval(synthetic):
    auto = AutoPrototypes().fit(synthetic[synthetic.split["train"]], validation=synthetic[synthetic.split["valid"]])
    r = train_with_control(synthetic, auto.distilled_, model="gin", seeds=range(3), config=TrainConfig(epochs=60))
    assert r["margin"]["beats"], r["margin"]  # three motif classes: its labels are what it teaches
    one = train_with_control(synthetic, auto.distilled_, model="gin", seeds=[0], config=TrainConfig(epochs=2))
    assert one["margin"]["n"] == 1 and not one["margin"]["beats"] and np.isnan(one["margin"]["low"])


def test_the_full_split_has_no_control_and_graphs_without_a_split_are_refused_in_one_line(synthetic, distilled):
    with pytest.raises(ParameterError, match="permuted-label control needs a distilled set"):
        train_with_control(synthetic, None, seeds=[0])
    with pytest.raises(MirageError, match="need a dataset with its split"):
        train_with_control(list(synthetic), distilled, seeds=[0])


def test_train_and_run_report_the_control_unless_told_not_to(tmp_path):
    out = tmp_path / "s.npz"
    assert forked.run(["distill", "synthetic-motifs", "--budget", "3", "--out", str(out)], text=True).returncode == 0
    train = ["train", "synthetic-motifs", "--distilled", str(out), "--seeds", "2", "--epochs", "2"]
    r = forked.run(train + ["--json"], text=True)
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    assert "runs" not in res and "runs" not in res["control"] and res["control"]["test_mean"] >= 0
    assert {"mean", "low", "high", "beats", "n"} <= set(res["margin"]) and res["margin"]["n"] == 2
    r = forked.run(train, text=True)
    assert r.returncode == 0 and "permuted-label control: test accuracy" in r.stdout
    assert "paired over 2 seeds" in r.stdout
    r = forked.run(train + ["--no-control", "--json"], text=True)
    assert r.returncode == 0 and "control" not in json.loads(r.stdout)
    r = forked.run(["train", "synthetic-motifs", "--full", "--seeds", "1", "--epochs", "1", "--json"], text=True)
    assert r.returncode == 0 and "control" not in json.loads(r.stdout)  # full data: nothing to permute
    run = ["run", "--seeds", "2", "--epochs", "2", "--no-full"]
    r = forked.run(run, text=True)
    assert r.returncode == 0, r.stderr
    rows = [line.split()[0] for line in r.stdout.splitlines() if line[:1].isalpha() or line.startswith("  ")]
    assert rows[rows.index("Mirage") + 1] == "permuted" and "the set's margin over it" in r.stdout
    r = forked.run(run + ["--no-control"], text=True)
    assert r.returncode == 0 and "permuted" not in r.stdout
    r = forked.run(run + ["--json"], text=True)
    assert r.returncode == 0 and "margin" in json.loads(r.stdout)["distilled"]


def test_the_learning_rate_is_chosen_by_the_sets_margin_over_its_control_on_validation(synthetic, distilled):
    from graph_mirage.training import choose_by_margin

    configs = {"slow": TrainConfig(epochs=4, lr=1e-5), "fast": TrainConfig(epochs=4, lr=3e-2)}
    r = choose_by_margin(synthetic, distilled, configs, model="gin", seeds=[0, 1])
    cands = {c["name"]: c for c in r["choice"]["candidates"]}
    assert list(cands) == ["slow", "fast"]
    for name, c in cands.items():  # each candidate is the set and its control trained under that recipe
        alone = train_with_control(synthetic, distilled, model="gin", seeds=[0, 1], config=configs[name])
        assert c["val_mean"] == alone["val_mean"] and c["control_val_mean"] == alone["control"]["val_mean"]
        assert c["val_margin"] == pytest.approx(alone["val_mean"] - alone["control"]["val_mean"])
        assert c["test_mean"] == alone["test_mean"]
    best = max(cands.values(), key=lambda c: c["val_margin"])["name"]
    assert r["choice"]["chosen"] == best and r["test_mean"] == cands[best]["test_mean"]  # the chosen recipe's result
    same = choose_by_margin(synthetic, distilled, {"a": configs["slow"], "b": configs["slow"]}, seeds=[0])
    assert same["choice"]["chosen"] == "a"  # equal margins: the first
    with pytest.raises(ParameterError, match="at least one training configuration"):
        choose_by_margin(synthetic, distilled, {}, seeds=[0])


def test_train_chooses_the_learning_rate_and_refuses_what_it_cannot_choose_with_in_one_line(tmp_path):
    out = tmp_path / "s.npz"
    assert forked.run(["distill", "synthetic-motifs", "--budget", "3", "--out", str(out)], text=True).returncode == 0
    train = ["train", "synthetic-motifs", "--distilled", str(out), "--seeds", "2", "--epochs", "3"]
    r = forked.run(train + ["--choose-lr", "0.001", "0.01"], text=True)
    assert r.returncode == 0, r.stderr
    assert "choosing by the set's margin over its permuted control on validation:" in r.stdout
    assert r.stdout.count("<- chosen") == 1 and "lr 0.001" in r.stdout and "lr 0.01" in r.stdout
    res = json.loads(forked.run(train + ["--choose-lr", "0.001", "0.01", "--json"], text=True).stdout)
    assert [c["name"] for c in res["choice"]["candidates"]] == ["lr 0.001", "lr 0.01"] and "margin" in res
    for extra, message in ((["--choose-lr", "0.01"], "two learning rates or more"),
                           (["--choose-lr", "0.001", "0.01", "--lr", "0.01"], "give it or --lr, not both"),
                           (["--choose-lr", "0.001", "0.01", "--no-control"], "drop --no-control"),
                           (["--choose-lr", "0.001", "-1"], "must be")):
        r = forked.run(train + extra, text=True)
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and message in r.stderr, r.stderr
    r = forked.run(["train", "synthetic-motifs", "--full", "--choose-lr", "0.001", "0.01"], text=True)
    assert r.returncode == 2 and "give --distilled" in r.stderr and "Traceback" not in r.stderr
    r = forked.run(["run", "--seeds", "2", "--epochs", "3", "--no-full", "--choose-lr", "0.001", "0.01"], text=True)
    assert r.returncode == 0 and r.stdout.count("<- chosen") == 1 and "the set's margin over it" in r.stdout
