"""The automatic default (AutoPrototypes): the documented rule picks from the grid by a closed-form validation score,
records every candidate, honours fixed dimensions and the byte cap, reads prototypes as the WL counts a real graph
has, and is what `mirage distill` does with no settings."""

import json
import math

import numpy as np
import pytest

from graph_mirage import AutoPrototypes, DistilledDataset, ParameterError
from graph_mirage.auto import _subset, choose, holdout, recorded
from graph_mirage.stats import score_error
from graph_mirage.trees import row_ids, wl_colours, wl_counts
from graph_mirage.wlprobe import WLProbe

from . import forked


@pytest.fixture(scope="module")
def fitted(synthetic):
    return AutoPrototypes().fit(synthetic[synthetic.split["train"]], validation=synthetic[synthetic.split["valid"]])


def test_choice_follows_the_documented_rule(fitted):
    rows = fitted.cv_results_
    scored = [r for r in rows if r["scored"] and np.isfinite(r["val"])]
    best = max(scored, key=lambda r: r["val"])
    ties = [r for r in scored if r["val"] >= best["val"] - best["val_se"]]
    want = min(ties, key=lambda r: (-r["per_class"], -r["val"], r["hops"], r["bytes"]))
    assert fitted.best_params_ == {"hops": want["hops"], "per_class": want["per_class"]}
    assert [r["chosen"] for r in rows].count(True) == 1 and want["chosen"]
    d = fitted.distilled_
    assert d.meta["method"] == "mirage-auto" and d.meta["hops"] == want["hops"] and d.meta["readout"] == "sum"
    assert d.meta["auto"]["settings"]["per_class"] == want["per_class"]
    assert d.meta["auto"]["candidates"] == recorded(rows)
    y = d.y.numpy()
    assert all(int((y == c).sum()) == want["per_class"] for c in np.unique(y))


def test_the_file_records_scores_rounded_so_a_solvers_last_digits_do_not_move_its_bytes():
    rows = [{"hops": 1, "val": 0.7420240053168193, "val_se": 0.03188415177976259, "scored": True},
            {"hops": 2, "val": float("nan"), "val_se": float("nan"), "scored": False}]
    out = recorded(rows)
    assert out[0] == {"hops": 1, "val": 0.742024, "val_se": 0.031884, "scored": True}
    assert math.isnan(out[1]["val"]) and out[1]["hops"] == 2
    assert rows[0]["val"] == 0.7420240053168193  # the estimator's own cv_results_ keep every digit
    assert recorded([{"val": 0.7420240053168193}]) == recorded([{"val": 0.7420240053168187}])


def test_choose_breaks_ties_toward_more_prototypes_then_the_better_score_then_fewer_hops():
    rows = [{"hops": 1, "per_class": 1, "bytes": 10, "val": 0.80, "val_se": 0.05},
            {"hops": 2, "per_class": 5, "bytes": 50, "val": 0.77, "val_se": 0.05},
            {"hops": 1, "per_class": 5, "bytes": 40, "val": 0.76, "val_se": 0.05},
            {"hops": 3, "per_class": 20, "bytes": 90, "val": 0.70, "val_se": 0.05}]  # outside the tolerance
    assert (choose(rows)["hops"], choose(rows)["per_class"]) == (2, 5)  # more prototypes, then the better score
    rows[1]["val"] = rows[2]["val"]  # equal scores: fewer hops, then fewer bytes
    assert (choose(rows)["hops"], choose(rows)["per_class"]) == (1, 5)
    with pytest.raises(Exception, match="no candidate could be scored"):
        choose([{"hops": 1, "per_class": 1, "bytes": 1, "val": float("nan"), "val_se": 0.1}])


def test_candidates_above_the_cap_are_not_scored(synthetic, fitted):
    train = synthetic[synthetic.split["train"]]
    total = fitted.distilled_.meta["full_bytes"]
    cap = max(0.01 * (3 - 1) * total, 5 * 3 * total / len(train))  # 1 % per decision boundary, or 5 graphs a class
    rows = fitted.cv_results_
    assert any(r["scored"] for r in rows) and any(not r["scored"] for r in rows)
    assert all(r["scored"] == (r["bytes"] <= cap) for r in rows)
    assert {r["hops"] for r in rows} == {1, 2, 3}
    for h in (1, 2, 3):  # per depth, the counts are made smallest first, up to the first one above the cap
        made = [r for r in rows if r["hops"] == h]
        counts = list(fitted.grid()[1])  # the default's tree bank: 1 ... 200 per class
        assert counts == [1, 2, 5, 10, 20, 50, 100, 200]
        assert [r["per_class"] for r in made] == counts[:len(made)]
        assert all(r["scored"] for r in made[:-1])
        assert len(made) == len(counts) or not made[-1]["scored"]


def test_the_default_cap_is_a_share_per_decision_boundary(synthetic, tmp_path, monkeypatch):
    """max_fraction="auto": three classes have two decision boundaries, so the share doubles (more prototypes per
    class are scored and chosen); two classes have one, so their cap and file are those of the share itself; seven
    classes stop at four boundaries. A share given as a number is of all the bytes."""
    import copy
    import warnings

    import graph_mirage.auto as auto

    monkeypatch.setattr(auto, "AUTO_MAX_FRACTION", 0.05)  # the synthetic set is small: 1 % is below one prototype
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]

    def fit(tr, va, share):
        m = AutoPrototypes(hops=1, max_fraction=share, min_graphs=0).fit(tr, validation=va)
        return m, m.distilled_.meta["full_bytes"]

    (whole, total), (per, _) = fit(train, valid, 0.05), fit(train, valid, "auto")
    assert per.share(3) == 0.10 and whole.share(3) == 0.05
    assert all(r["scored"] == (r["bytes"] <= 0.05 * total) for r in whole.cv_results_)
    assert all(r["scored"] == (r["bytes"] <= 0.10 * total) for r in per.cv_results_)
    assert per.best_params_["per_class"] > whole.best_params_["per_class"]
    assert f"above {int(0.10 * total):,} bytes not scored" in per.distilled_.meta["auto"]["rule"]

    def two(part):
        return part[[i for i in range(len(part)) if int(part[i].y) < 2]]

    (a, _), (b, _) = fit(two(train), two(valid), 0.05), fit(two(train), two(valid), "auto")
    assert [r["scored"] for r in a.cv_results_] == [r["scored"] for r in b.cv_results_]
    assert any(not r["scored"] for r in a.cv_results_)
    assert a.distilled_.save(tmp_path / "a.npz").read_bytes() == b.distilled_.save(tmp_path / "b.npz").read_bytes()

    monkeypatch.setattr(auto, "AUTO_MAX_FRACTION", 0.02)
    seven_train, seven_valid = copy.copy(train.flat()), copy.copy(valid.flat())
    seven_train.y = np.arange(seven_train.num_graphs) % 7
    seven_valid.y = np.arange(seven_valid.num_graphs) % 7
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # labels unrelated to the graphs: the choice is at chance, and said so
        m = AutoPrototypes(hops=1, min_graphs=0).fit(seven_train, validation=seven_valid)
    total7 = m.distilled_.meta["full_bytes"]
    assert all(r["scored"] == (r["bytes"] <= 0.08 * total7) for r in m.cv_results_)
    assert any(0.08 * total7 < r["bytes"] <= 0.12 * total7 for r in m.cv_results_)  # what six boundaries would admit
    # mirage distill --max-bytes 2% gives a number: of all the bytes; without it the default's "auto"
    from graph_mirage.workflows import DataSettings, DistillSettings
    from graph_mirage.workflows.distill import make_estimator

    assert make_estimator(DistillSettings(DataSettings("synthetic-motifs"), max_fraction=0.02)).max_fraction == 0.02
    assert make_estimator(DistillSettings(DataSettings("synthetic-motifs"))).max_fraction == "auto"


def test_the_log_says_which_candidates_the_cap_left_unscored(synthetic):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    lines: list[str] = []
    m = AutoPrototypes(max_fraction=0.02).fit(train, validation=valid, log=lines.append)
    assert len(lines) == len(m.cv_results_)
    for line, r in zip(lines, m.cv_results_):
        assert line.startswith(f"hops {r['hops']}, {r['per_class']} per class: {r['graphs']} graphs")
        assert ("validation score" in line) == r["scored"] and ("above the byte cap" in line) == (not r["scored"])
    assert any(not r["scored"] for r in m.cv_results_)


def test_a_choice_among_scores_at_chance_is_warned_of(synthetic):
    """Labels unrelated to the graphs: no candidate beats chance beyond its standard error, and the user is told; the
    real labels are not warned of."""
    import copy
    import warnings

    train, valid = synthetic[synthetic.split["train"]].flat(), synthetic[synthetic.split["valid"]].flat()
    rng = np.random.default_rng(0)
    noise_train, noise_valid = copy.copy(train), copy.copy(valid)
    noise_train.y, noise_valid.y = rng.permutation(train.y), rng.permutation(valid.y)
    with pytest.warns(UserWarning, match=r"no candidate scores above chance on the validation split \(best ") as w:
        AutoPrototypes(hops=1).fit(noise_train, validation=noise_valid)
    # three classes: chance is a macro ROC-AUC of 0.5, whatever the split's class balance
    assert any("chance 0.500" in str(x.message) for x in w)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AutoPrototypes(hops=1).fit(train, validation=valid)


def test_fixed_hops_and_a_byte_cap(synthetic):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    m = AutoPrototypes(hops=2, max_bytes=10 ** 9).fit(train, validation=valid)
    assert {r["hops"] for r in m.cv_results_} == {2} and len(m.cv_results_) == len(m.grid()[1])
    assert all(r["scored"] for r in m.cv_results_)  # every per-class count fits under a huge cap
    lines: list[str] = []
    tiny = AutoPrototypes(hops=1, max_bytes=1).fit(train, validation=valid, log=lines.append)
    # the candidate made is reported above the cap; then the fallback is said, and the smallest is scored
    assert "above the byte cap" in lines[0]
    assert lines[1].startswith("no candidate fits the byte cap") and "the smallest one is used" in lines[1]
    assert "fewer hops" not in lines[1] and lines[1].endswith("give a larger max_bytes / --max-bytes")  # 1 hop
    assert lines[2].startswith("hops 1, 1 per class") and "validation score" in lines[2]
    assert [r["per_class"] for r in tiny.cv_results_ if r["scored"]] == [1]  # only the smallest is scored
    assert tiny.best_params_ == {"hops": 1, "per_class": 1}
    lines.clear()
    AutoPrototypes(hops=2, max_bytes=1).fit(train, validation=valid, log=lines.append)
    assert "used; give fewer hops, or a larger max_bytes" in lines[1]  # two hops: one hop is smaller


def test_each_candidate_is_reported_as_soon_as_it_is_made(synthetic, monkeypatch):
    """The choice's progress: a candidate's line comes right after its k-means, not after every candidate's (on
    ogbg-molhiv making them all takes half a minute)."""
    from graph_mirage.prototypes import TreePrototypes

    made: list[int] = []
    fit_trees = TreePrototypes.fit_trees
    monkeypatch.setattr(TreePrototypes, "fit_trees", lambda self, *a: (made.append(1), fit_trees(self, *a))[1])
    seen: list[int] = []  # how many candidates were made when each line came
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    auto = AutoPrototypes(hops=[1, 2], per_class=[1, 2, 5]).fit(train, validation=valid,
                                                                 log=lambda line: seen.append(len(made)))
    assert len(auto.cv_results_) == len(made) == 6
    assert seen == [1, 2, 3, 4, 5, 6]


def test_a_prototype_is_read_as_the_wl_counts_of_the_graph_it_stands_for(synthetic):
    """A prototype made of one graph's whole tree multiset (its round-h colours, weighted by their counts) is read
    by the probe as exactly that graph's own WL subtree counts, through witness nodes and the shared dictionary."""
    flat = synthetic[synthetic.split["train"]].flat()
    small = _subset(flat, np.arange(12))
    hops = 2
    tree = wl_colours(row_ids(small.x), small.edge_index, row_ids(small.edge_attr), hops)[hops]
    witness = np.unique(tree, return_index=True)[1]
    protos = []
    for g in range(small.num_graphs):
        kept, counts = np.unique(tree[small.node_ptr[g]:small.node_ptr[g + 1]], return_counts=True)
        protos.append((int(small.y[g]), kept, counts.astype(float)))
    probe = WLProbe(small, small, hops, 3)
    rows = np.concatenate([np.full(len(k), i) for i, (_, k, _) in enumerate(protos)])
    nodes = witness[np.concatenate([k for _, k, _ in protos])]
    weights = np.concatenate([w for _, _, w in protos])
    read = probe._features(hops, nodes, rows, weights, len(protos)).toarray()
    real = probe.valid_features(hops).toarray()  # the same graphs, counted node by node
    assert np.allclose(read, real)
    # and the features are the WL subtree counts of rounds 0..h, log-scaled
    joint = wl_colours(row_ids(small.x), small.edge_index, row_ids(small.edge_attr), hops)
    direct = wl_counts(joint, small.graph_of_node, small.num_graphs).toarray()
    assert np.allclose(np.sort(np.expm1(real).sum(1)), np.sort(direct.sum(1)))
    assert np.allclose(np.expm1(real).sum(1), (hops + 1) * np.diff(small.node_ptr))


def test_score_error():
    y = np.array([0] * 10 + [1] * 10)
    q1, q2 = 0.5 / 1.5, 2 * 0.25 / 1.5
    want = math.sqrt((0.25 + 9 * (q1 - 0.25) + 9 * (q2 - 0.25)) / 100)
    assert score_error(0.5, y, 2) == pytest.approx(want)
    assert score_error(0.8, y, 3) == pytest.approx(math.sqrt(0.8 * 0.2 / 20))
    assert score_error(float("nan"), y, 2) == math.inf


def test_score_error_is_the_spread_of_a_roc_auc_and_of_a_mean_over_tasks():
    """Hanley and McNeil's error is the spread of a ROC-AUC over fresh samples of the validation graphs (binormal
    scores, ROC-AUC about 0.76); over T tasks of the same labels the mean's error is one task's over sqrt(T), and a
    task without both classes does not count."""
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y = np.array([0] * 60 + [1] * 40)
    aucs = [roc_auc_score(y, rng.normal(size=len(y)) + y) for _ in range(2000)]
    assert score_error(float(np.mean(aucs)), y, 2) == pytest.approx(np.std(aucs), rel=0.1)
    tasks = np.stack([y] * 4 + [np.zeros(len(y))], axis=1).astype(float)
    tasks[::7, 4] = np.nan
    assert score_error(0.76, tasks, 2) == pytest.approx(score_error(0.76, y, 2) / 2)


def test_without_validation_a_holdout_of_the_training_graphs_scores(synthetic):
    train = synthetic[synthetic.split["train"]]
    est = AutoPrototypes(hops=1, per_class=(1, 2)).fit(train)
    assert est.distilled_.meta["auto"]["scored_on"].startswith("holdout")
    assert est.distilled_.meta["train_graphs"] == len(train)  # the final set is distilled from all of them
    fit, score = holdout(train)
    assert len(np.intersect1d(fit, score)) == 0 and len(fit) + len(score) == len(train)
    y = train.flat().y
    assert set(np.unique(y[score])) == set(np.unique(y))


def test_validation_graphs_of_one_class_are_refused_before_any_candidate_is_made(synthetic, monkeypatch):
    from graph_mirage import DatasetError
    from graph_mirage.prototypes import TreePrototypes

    valid = synthetic[synthetic.split["valid"]]
    one = valid[[i for i, g in enumerate(valid) if int(g.y) == 1]]
    made = []
    monkeypatch.setattr(TreePrototypes, "fit_trees", lambda self, *a, **k: made.append(self))
    with pytest.raises(DatasetError, match=f"whose {len(one)} graphs are all of class 1"):
        AutoPrototypes(hops=1, per_class=(1, 2)).fit(synthetic[synthetic.split["train"]], validation=one)
    assert made == []


@pytest.mark.parametrize("kwargs, match", [({"per_class": [0]}, "per_class must be"),
                                           ({"hops": "two"}, "hops must be"),
                                           ({"max_fraction": 2.0}, "max_fraction must be"),
                                           ({"max_fraction": "half"}, "max_fraction must be"),
                                           ({"readout": "max"}, "readout must be"),
                                           ({"max_bytes": 0}, "max_bytes must be"),
                                           ({"degrees": 1}, "degrees must be"),
                                           ({"max_roots": 0}, "max_roots must be"),
                                           ({"max_roots": True}, "max_roots must be"),
                                           ({"n_jobs": 0}, "n_jobs must be"),
                                           ({"n_jobs": 1.5}, "n_jobs must be")])
def test_bad_parameters_are_refused_in_fit(synthetic, kwargs, match):
    est = AutoPrototypes(**kwargs)  # scikit-learn's contract: __init__ only stores
    with pytest.raises(ParameterError, match=match):
        est.fit(synthetic[synthetic.split["train"]])


def run_cli(*args):
    """``mirage ARGS`` in a process of its own, forked after the imports (tests/forked.py)."""
    return forked.run(args, text=True)


def test_cli_distill_without_settings_is_automatic_and_train_follows_its_readout(tmp_path):
    out = tmp_path / "auto.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--out", str(out), "--json", "--readout", "mean")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["method"] == "mirage-auto" and s["readout"] == "mean" and s["settings"]["readout"] == "mean"
    assert s["candidates"] and "rule" in s and {c["hops"] for c in s["candidates"]} == {1}
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


def test_cli_distill_roots_sampled_reaches_every_candidate_and_the_file(tmp_path):
    """--roots sampled: every candidate the rule scores and the chosen set are made with sampled roots (recorded in
    the file's params)."""
    from graph_mirage import AutoPrototypes, load_dataset

    ds = load_dataset("synthetic-motifs")
    auto = AutoPrototypes(hops=[1, 2], per_class=[1, 3], roots="sampled").fit(ds[ds.split["train"]],
                                                                                validation=ds[ds.split["valid"]])
    assert {est.roots for est in auto.candidates_.values()} == {"sampled"}
    assert auto.distilled_.meta["params"]["roots"] == "sampled"
    out = tmp_path / "sampled.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--roots", "sampled", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert DistilledDataset.load(out).meta["params"]["roots"] == "sampled"
    # the default's files record nothing of it: tests/test_prototypes.py and the golden artifacts
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--no-bank", "--out", str(tmp_path / "plain.npz"))
    assert r.returncode == 0, r.stderr  # --no-bank: each prototype its own DAG, as before the bank was the default
    assert DistilledDataset.load(tmp_path / "plain.npz").bank is None


def test_max_roots_caps_every_candidates_prototypes_and_reaches_the_file(tmp_path):
    """max_roots reaches every candidate the rule scores and the chosen set: no prototype has more roots, and the
    default's 32 would have given some prototype more than the 2 asked for here."""
    from graph_mirage import AutoPrototypes, load_dataset

    ds = load_dataset("synthetic-motifs")
    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    default = AutoPrototypes(hops=[1, 2], per_class=[1, 3]).fit(train, validation=valid)
    assert max(len(k) for est in default.candidates_.values() for _, k, _ in est.prototypes_) > 2
    auto = AutoPrototypes(hops=[1, 2], per_class=[1, 3], max_roots=2).fit(train, validation=valid)
    assert {est.max_roots for est in auto.candidates_.values()} == {2}
    assert max(len(k) for est in auto.candidates_.values() for _, k, _ in est.prototypes_) == 2
    assert auto.distilled_.meta["params"]["max_roots"] == 2
    out = tmp_path / "roots.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--max-roots", "2", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert DistilledDataset.load(out).meta["params"]["max_roots"] == 2


def test_cli_distill_degrees_gives_the_leaves_their_degrees_and_only_to_the_default(tmp_path):
    out = tmp_path / "deg.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "1", "--degrees", "--out", str(out))
    assert r.returncode == 0, r.stderr
    deg = DistilledDataset.load(out)
    assert deg.meta["params"]["degrees"] is True and deg.bank is None  # the default's bank gives way to the degrees
    for flag, degrees in ((), True), (("--no-degrees",), None):  # the default: a bank whose leaves carry them
        r = run_cli("distill", "synthetic-motifs", "--hops", "1", *flag, "--out", str(tmp_path / "bank.npz"))
        assert r.returncode == 0, r.stderr
        assert ("one tree bank whose leaves carry their degrees" in r.stdout + r.stderr) is bool(degrees)
        banked = DistilledDataset.load(tmp_path / "bank.npz")
        assert banked.bank is not None and banked.meta["params"].get("degrees") is degrees
    for extra in (["--preset", "paper"], ["--budget", "2"]):
        r = run_cli("distill", "MUTAG", "--degrees", *extra, "--out", str(tmp_path / "no.npz"))
        assert r.returncode == 2 and r.stderr.count("\n") == 1 and "degrees applies" in r.stderr, r.stderr
        assert not (tmp_path / "no.npz").exists()


def test_the_same_inputs_give_a_byte_identical_file(synthetic, tmp_path):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    paths = []
    for i in range(2):
        m = AutoPrototypes(hops=1).fit(train, validation=valid)
        paths.append(m.distilled_.save(tmp_path / f"{i}.npz"))
    assert paths[0].read_bytes() == paths[1].read_bytes()
