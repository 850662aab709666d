"""Automatic settings: the documented rule picks from the grid by validation score, records every candidate, honours
fixed dimensions and the byte cap, and is what `mirage distill` does with no settings."""

import json
import subprocess
import sys

import numpy as np
import pytest

from graph_mirage import DistilledDataset, Mirage, ParameterError
from graph_mirage.auto import auto_distill, holdout


@pytest.fixture(scope="module")
def fitted(synthetic):
    return Mirage(hops="auto", budget="auto").fit(synthetic[synthetic.split["train"]],
                                                  validation=synthetic[synthetic.split["valid"]])


def test_choice_follows_the_documented_rule(fitted):
    rec = fitted.auto_
    cands = rec["candidates"]
    assert cands and rec["scored_on"] == "validation split"
    scores = [(c["val"][r], c, r) for c in cands for r in c["val"]]
    best = max(v for v, _, _ in scores)
    ties = [(c["bytes"], c["hops"], c["per_class"], ("sum", "mean").index(r)) for v, c, r in scores
            if v >= best - 0.005]
    b, h, k, r = min(ties)
    s = fitted.settings_
    assert (s["hops"], s["per_class"], s["readout"]) == (h, k, ("sum", "mean")[r])
    d = fitted.distilled_
    assert d.meta["method"] == "mirage-auto" and d.meta["hops"] == h and d.meta["readout"] == s["readout"]
    assert d.meta["auto"]["settings"] == s
    y = d._data.y.view(-1).numpy()
    assert all(int((y == c).sum()) == min(k, 10 ** 6) for c in np.unique(y))


def test_candidates_respect_the_cap(synthetic, fitted):
    train = synthetic[synthetic.split["train"]]
    flat = train.flat()
    total = fitted.distilled_.meta["full_bytes"]
    cap = max(0.01 * total, 5 * 3 * total / flat.num_graphs)
    cands = fitted.auto_["candidates"]
    assert all(c["bytes"] <= cap for c in cands) or len(cands) == 1
    assert {c["hops"] for c in cands} <= {1, 2, 3}


def test_fixed_hops_and_a_byte_cap(synthetic):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    m = Mirage(hops=2, budget="auto", max_bytes=10 ** 9, readout="sum").fit(train, validation=valid)
    assert {c["hops"] for c in m.auto_["candidates"]} == {2}
    assert all(list(c["val"]) == ["sum"] for c in m.auto_["candidates"])
    assert len(m.auto_["candidates"]) == 5  # every per-class count fits under a huge cap
    tiny = Mirage(hops=1, budget="auto", max_bytes=1).fit(train, validation=valid)
    assert len(tiny.auto_["candidates"]) == 1 and tiny.settings_["per_class"] == 1  # only the smallest is tried


def test_without_validation_a_holdout_of_the_training_graphs_scores(synthetic):
    train = synthetic[synthetic.split["train"]]
    est, rec = auto_distill(train, hops=(1,), per_class=(1, 2), readouts=("sum",), seeds=(0,), model=("gin", "gcn"))
    assert rec["scored_on"].startswith("holdout") and "GIN and GCN" in rec["rule"]
    for c in rec["candidates"]:  # one run per scoring GNN and seed; the score is their mean
        assert len(c["runs"]["sum"]) == 2 and c["val"]["sum"] == pytest.approx(np.mean(c["runs"]["sum"]))
    assert est.distilled_.meta["train_graphs"] == len(train)  # the final set is distilled from all of them
    fit, score = holdout(train)
    assert len(np.intersect1d(fit, score)) == 0 and len(fit) + len(score) == len(train)
    y = train.flat().y
    assert set(np.unique(y[score])) == set(np.unique(y))


def test_bad_combinations_are_refused(synthetic):
    train = synthetic[synthetic.split["train"]]
    with pytest.raises(ParameterError, match="min_support cannot be combined"):
        Mirage(hops="auto", min_support=0.1).fit(train)
    with pytest.raises(ParameterError, match="readout must be"):
        Mirage(budget="auto", readout="max").fit(train)
    with pytest.raises(ParameterError, match="hops must be 'auto' or an integer"):
        Mirage(hops="two", budget="auto").fit(train)
    with pytest.raises(ParameterError, match="per_class must be"):
        auto_distill(train, per_class=[0])


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "graph_mirage", *args], capture_output=True, text=True, timeout=600)


def test_cli_distill_without_settings_is_automatic_and_train_follows_its_readout(tmp_path):
    out = tmp_path / "auto.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--out", str(out), "--json", "--readout", "mean")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["method"] == "mirage-auto" and s["readout"] == "mean" and s["settings"]["readout"] == "mean"
    assert s["candidates"] and "rule" in s
    d = DistilledDataset.load(out)
    assert d.meta["auto"]["settings"] == s["settings"] and d.meta["hops"] == s["hops"]
    r = run_cli("train", "synthetic-motifs", "--distilled", str(out), "--seeds", "1", "--epochs", "2", "--json")
    assert r.returncode == 0, r.stderr
    t = json.loads(r.stdout)
    assert t["readout"] == "mean" and t["layers"] == s["hops"]
    # an itemset option selects the paper's itemset form
    r = run_cli("distill", "synthetic-motifs", "--itemsets", "all", "--budget", "2", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["method"] == "mirage"
    r = run_cli("distill", "synthetic-motifs", "--budget", "auto", "--support", "0.1", "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr


def test_the_same_inputs_give_a_byte_identical_file(synthetic, tmp_path):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    paths = []
    for i in range(2):
        m = Mirage(hops=1, budget="auto").fit(train, validation=valid)
        paths.append(m.distilled_.save(tmp_path / f"{i}.npz"))
    assert paths[0].read_bytes() == paths[1].read_bytes()
