"""Model zoo, root-only readout, training on distilled and real graphs, metrics and the train CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch, Data
from torch_geometric.loader import DataLoader

from graph_mirage import Mirage, MirageError
from graph_mirage.models import MODELS, make_model
from graph_mirage.training import Metric, RunResult, TrainConfig, resolve_device, summarise, train_and_evaluate

from . import forked
from .conftest import needs_data


@pytest.fixture(scope="module")
def distilled(synthetic):
    return Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_


def test_root_only_readout():
    torch.manual_seed(0)
    net = make_model("gin", 2, [5], [2], num_layers=2, hidden=8).eval()
    # two trees (roots 0 and 1) plus an extra non-root node 4 that feeds nothing to the roots
    g = Data(x=torch.tensor([[1], [2], [3], [3], [4]]), edge_index=torch.tensor([[2, 3], [0, 1]]),
             edge_attr=torch.zeros(2, 1, dtype=torch.long), root_mask=torch.tensor([1, 1, 0, 0, 0]).bool())
    batch = Batch.from_data_list([g])
    with torch.no_grad():
        h = net.embed_nodes(batch.x, batch.edge_index, batch.edge_attr)
        expected = net.head(h[:2].mean(0, keepdim=True))
        assert torch.allclose(net(batch), expected)
        changed = g.clone()
        changed.x[4] = 0  # a non-root node outside the roots' trees: no effect
        assert torch.allclose(net(Batch.from_data_list([changed])), expected)
        no_mask = Batch.from_data_list([Data(x=g.x, edge_index=g.edge_index, edge_attr=g.edge_attr)])
        assert torch.allclose(net(no_mask), net.head(h.mean(0, keepdim=True)))  # real graph: all nodes


@pytest.mark.parametrize("name", MODELS)
def test_every_model_trains_one_epoch_on_distilled_and_real(name, synthetic, distilled):
    torch.manual_seed(0)
    meta = synthetic.meta
    net = make_model(name, 3, meta["node_vocab"], meta["edge_vocab"], num_layers=2, hidden=16)
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for data in (distilled, synthetic[synthetic.split["train"]][:32]):
        batch = next(iter(DataLoader(data, batch_size=32)))
        before = [p.detach().clone() for p in net.parameters()]
        out = net(batch)
        assert out.shape == (batch.num_graphs, 3)
        loss = torch.nn.functional.cross_entropy(out, batch.y.view(-1))
        assert torch.isfinite(loss)
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))


def test_unknown_model_lists_known():
    with pytest.raises(ValueError, match="known models: gcn, gat, gin, gine, sage"):
        make_model("transformer", 2, [3], [1])


@needs_data
def test_gin_on_distilled_mutag_beats_chance(mutag):
    d = Mirage(hops=2, budget=10).fit(mutag[mutag.split["train"]]).distilled_
    assert d.nbytes() < d.meta["full_bytes"] / 5
    r = train_and_evaluate(mutag, d, model="gin", seeds=[0, 1, 2, 3, 4], config=TrainConfig(epochs=100))
    assert r["metric"] == "rocauc" and r["source"] == "mirage"
    # chance is 0.5; MUTAG's test split has 19 graphs, so each seed is noisy, the mean over 5 is not
    assert r["test_mean"] > 0.6, r
    assert min(run["test"] for run in r["runs"]) > 0.55
    assert len(r["runs"]) == 5 and r["seeds"] == [0, 1, 2, 3, 4]


def test_training_is_reproducible(synthetic, distilled):
    cfg = TrainConfig(epochs=3)
    a = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0], config=cfg)
    b = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0], config=cfg)
    assert a["test_mean"] == b["test_mean"] and a["val_mean"] == b["val_mean"]


def test_a_gnn_deeper_than_the_sets_trees_is_warned_of_before_it_trains(synthetic, distilled):
    import warnings

    said = {}
    for layers in (3, 2, 1):  # the set's trees are 2 hops deep
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0],
                                   config=TrainConfig(epochs=1, num_layers=layers))
        assert r["layers"] == layers
        said[layers] = [str(w.message) for w in caught if "hop(s) deep" in str(w.message)]
    assert not said[2] and not said[1] and len(said[3]) == 1
    assert "trees are 2 hop(s) deep but the GNN has 3 layers" in said[3][0] and "--hops 3" in said[3][0]
    with warnings.catch_warnings(record=True) as caught:  # full data has no depth of its own
        warnings.simplefilter("always")
        train_and_evaluate(synthetic, None, model="gin", seeds=[0], config=TrainConfig(epochs=1, num_layers=3))
    assert not [w for w in caught if "hop(s) deep" in str(w.message)]


def _reweighted(distilled):
    """The set with one graph per class carrying nearly all of its class's support."""
    from graph_mirage.distilled import DistilledDataset

    graphs, seen = [], set()
    for i in range(len(distilled)):
        g = distilled[i]
        c = int(g.y)
        g.weight = torch.tensor([1000.0 if c not in seen else 1.0])
        seen.add(c)
        graphs.append(g)
    return DistilledDataset(graphs, distilled.meta)


def test_support_weighting_changes_what_is_trained(synthetic, distilled):
    from graph_mirage.training import support_class_means
    from graph_mirage.training.loop import _loader

    heavy = _reweighted(distilled)
    means = support_class_means(heavy)
    # "sample": graphs are drawn in proportion to their weight within the class
    drawn = torch.cat([b.weight for b in _loader(heavy, TrainConfig(support="sample", batch_size=4), 0, means)])
    assert (drawn == 1000.0).float().mean() > 0.9
    uniform = torch.cat([b.weight for b in _loader(heavy, TrainConfig(batch_size=4), 0, means)])
    assert (uniform == 1000.0).float().mean() < 0.5
    # "loss" weights each graph's loss: one epoch from the same initial weights ends elsewhere than "none"
    params = {}
    for mode in ("none", "loss"):
        torch.manual_seed(0)
        net = make_model("gin", 3, [8], [2], num_layers=2, hidden=8)
        opt = torch.optim.Adam(net.parameters(), lr=0.05)
        from graph_mirage.training.loop import _epoch

        cfg = TrainConfig(support=mode, batch_size=len(heavy))
        _epoch(net, _loader(heavy, cfg, 0, means), opt, torch.device("cpu"), cfg, means)
        params[mode] = torch.cat([p.detach().flatten() for p in net.parameters()])
    assert not torch.allclose(params["none"], params["loss"])


@pytest.mark.parametrize("support", ["none", "loss", "sample"])
def test_support_weighting_modes_train_end_to_end(synthetic, distilled, support):
    r = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0], config=TrainConfig(epochs=2, support=support))
    assert r["support"] == support and 0 <= r["test_mean"] <= 1


def test_full_training_separates_synthetic(synthetic):
    r = train_and_evaluate(synthetic, None, model="gin", seeds=[0], config=TrainConfig(epochs=30))
    assert r["source"] == "full" and r["metric"] == "accuracy"
    assert r["test_mean"] > 0.8


def test_metrics():
    m = Metric("toy", 2, "tu")
    logits = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 2.0], [3.0, 0.0]])
    out = m(np.array([1, 0, 1, 0]), logits)
    assert out["rocauc"] == 1.0 and out["accuracy"] == 1.0
    assert np.isnan(m(np.array([1, 1, 1, 1]), logits)["rocauc"])  # undefined, not a crash
    m3 = Metric("toy", 3)
    assert m3.name == "accuracy"
    out3 = m3(np.array([0, 1, 2]), np.eye(3))
    assert out3["accuracy"] == 1.0 and out3["rocauc_macro"] == 1.0
    ogb = Metric("ogbg-molbace", 2, "ogb")
    assert ogb.evaluator is not None and ogb(np.array([1, 0, 1, 0]), logits)["rocauc"] == 1.0


def test_macro_rocauc_is_sklearns_and_leaves_out_a_class_a_small_split_lacks():
    import warnings

    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(0)
    y, logits = rng.integers(0, 4, 60), rng.normal(size=(60, 4))
    m4 = Metric("toy", 4)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    assert np.isclose(m4(y, logits)["rocauc_macro"], roc_auc_score(y, probs, multi_class="ovr", average="macro"))
    y[y == 3] = 0  # class 3 absent, as in a 24-graph test split of a dataset with a rare class
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning per evaluation
        got = m4(y, logits)["rocauc_macro"]
    assert np.isclose(got, np.mean([roc_auc_score(y == c, probs[:, c]) for c in range(3)]))


def test_binary_rocauc_is_sklearns_float_to_the_last_bit():
    from sklearn.metrics import roc_auc_score

    from graph_mirage.training.metrics import binary_rocauc

    rng = np.random.default_rng(0)
    for i in range(400):
        n = int(rng.integers(2, 300))
        y = rng.integers(0, 2, n)
        y[:2] = [0, 1]
        s = [rng.normal(size=n), rng.integers(0, 4, n).astype(float),  # many ties
             rng.normal(size=n).astype(np.float32).astype(float), np.round(rng.normal(size=n) + y, 1)][i % 4]
        assert binary_rocauc(y, s) == roc_auc_score(y, s)
        assert binary_rocauc(y.astype(float), s) == roc_auc_score(y.astype(float), s)  # labels as floats (tasks)
        assert binary_rocauc(y == 1, s) == roc_auc_score(y == 1, s)  # one class against the rest
    assert np.isnan(binary_rocauc(np.ones(5), rng.normal(size=5)))
    assert np.isnan(binary_rocauc(np.array([0, 1, 0]), np.array([0.1, np.nan, 0.3])))  # a diverged model


def test_the_epochs_selection_score_is_every_metrics_own_to_the_last_bit():
    """``Metric.score`` (what the epoch loop calls) is ``Metric.__call__``'s selection metric: OGB's evaluator for
    OGB datasets (one task and several, labels missing, a task with one class), scikit-learn's ROC-AUC otherwise,
    accuracy after the prior shift for several classes; NaN where the metric is undefined."""
    rng = np.random.default_rng(1)
    metrics = {"ogb": Metric("ogbg-molhiv", 2, "ogb"), "tu": Metric("toy", 2),
               "classes": Metric("toy", 3, shift=np.array([0.3, -0.2, 0.0])),
               "ogb-tasks": Metric("ogbg-moltox21", 2, "ogb", num_tasks=12),
               "csv-tasks": Metric("csv", 2, num_tasks=12)}
    for _ in range(30):
        y2, z2 = rng.integers(0, 2, 200), rng.normal(size=(200, 2)).astype(np.float32)
        y3, z3 = rng.integers(0, 3, 200), rng.normal(size=(200, 3))
        yt = rng.integers(0, 2, (200, 12)).astype(float)
        yt[rng.random((200, 12)) < 0.3] = np.nan
        yt[:, 2] = np.where(np.isnan(yt[:, 2]), np.nan, 0.0)  # a task without positives is left out
        zt = rng.normal(size=(200, 12)).astype(np.float32)
        for key, (y, z) in {"ogb": (y2, z2), "tu": (y2, z2), "classes": (y3, z3), "ogb-tasks": (yt, zt),
                            "csv-tasks": (yt, zt)}.items():
            m = metrics[key]
            assert m.score(y, z) == m(y, z)[m.name], key
    assert np.isnan(metrics["ogb"].score(np.ones(4, dtype=int), rng.normal(size=(4, 2))))
    no_positives = np.zeros((4, 12))
    assert np.isnan(metrics["ogb-tasks"].score(no_positives, rng.normal(size=(4, 12))))
    assert np.isnan(metrics["ogb-tasks"](no_positives, rng.normal(size=(4, 12)))["rocauc"])


def test_a_split_whose_valid_or_test_graphs_have_one_class_is_refused_before_training():
    import torch

    from graph_mirage import load_dataset
    from graph_mirage.errors import MirageError
    from graph_mirage.training import check_evaluable

    ds = load_dataset("synthetic-motifs")
    check_evaluable(ds)
    y = ds.y.view(-1).numpy()
    ds.split = dict(ds.split, valid=torch.from_numpy(np.flatnonzero(y == 2)[:5]))
    with pytest.raises(MirageError, match="5 graphs of the valid split are all of class 2"):
        train_and_evaluate(ds, None, model="gin", seeds=[0], config=TrainConfig(epochs=1))
    ds.split = dict(ds.split, valid=torch.from_numpy(np.flatnonzero(y != 2)[:6]))  # two of three classes: scored
    check_evaluable(ds)


def test_a_set_trains_only_on_the_split_it_was_distilled_from():
    """A set made from one split's training graphs, tested on another split, would be tested on its own training
    graphs: every other random seed, stratification or fold is refused in one line naming the set's options; the
    set's own split trains; and the recorded split does not move the run cache's key of a set."""
    from graph_mirage import TreePrototypes, load_dataset
    from graph_mirage.errors import ArtifactError
    from graph_mirage.training.runcache import set_key

    def made_on(**split):
        ds = load_dataset("synthetic-motifs", **split)
        return TreePrototypes(hops=1, per_class=2).fit(ds[ds.split["train"]]).distilled_

    one_epoch = TrainConfig(epochs=1)
    cases = [({"seed": 3}, {}, "--split-seed 3"), ({"stratify": True}, {}, "--split-seed 0 --stratify"),
             ({"folds": 10, "fold": 2}, {"folds": 10, "fold": 5}, "--folds 10 --fold 2 --split-seed 0"),
             ({"folds": 10, "fold": 2}, {}, "--folds 10 --fold 2")]
    for distilled_on, trained_on, options in cases:
        with pytest.raises(ArtifactError, match=f"split .*{options}.*would include the set's own"):
            train_and_evaluate(load_dataset("synthetic-motifs", **trained_on), made_on(**distilled_on), model="gin",
                               seeds=[0], config=one_epoch)
    folded = made_on(folds=10, fold=2)
    assert (folded.meta["split_folds"], folded.meta["split_fold"]) == (10, 2)
    train_and_evaluate(load_dataset("synthetic-motifs", folds=10, fold=2), folded, model="gin", seeds=[0],
                       config=one_epoch)
    plain = made_on()
    assert not {"split_stratified", "split_folds", "split_fold"} & set(plain.meta)  # the default split: as before
    folded.meta = {k: v for k, v in folded.meta.items() if k not in ("split_folds", "split_fold")}
    assert set_key(folded) == set_key(made_on(folds=10, fold=2))


def test_graphs_without_a_split_are_refused_in_one_line_by_training_and_search(synthetic):
    from graph_mirage.search import ModelSearch

    graphs = [synthetic[i] for i in range(20)]
    for run in (lambda: train_and_evaluate(graphs, None, model="gin", seeds=[0]),
                lambda: ModelSearch().fit(graphs)):
        with pytest.raises(MirageError, match="need a dataset with its split and meta .* not a list"):
            run()


def test_graphs_of_your_own_become_a_dataset_that_distils_trains_and_guards_its_split():
    """GraphDataset.from_graphs: classes mapped to 0..C-1, a random or a given split (checked in one line), and a
    digest of graphs and split that ties a set to them: another split, or other graphs of the same name, are refused."""
    from graph_mirage import GraphDataset, TreePrototypes
    from graph_mirage.errors import ArtifactError, DatasetError

    rng = np.random.default_rng(0)
    graphs = []
    for i in range(90):
        n, y = int(rng.integers(4, 12)), i % 3
        ei = torch.tensor([[j, j + 1] for j in range(n - 1)] + [[j + 1, j] for j in range(n - 1)]).t()
        x = torch.as_tensor(rng.integers(0, 2 + y, size=n))
        graphs.append(Data(x=x, edge_index=ei, y=torch.tensor([2 * y + 3])))
    ds = GraphDataset.from_graphs(graphs, name="mine", stratify=True)
    assert ds.num_classes == 3 and sorted(ds.y.view(-1).unique().tolist()) == [0, 1, 2]
    assert sum(len(v) for v in ds.split.values()) == 90 and ds.meta["split_stratified"] is True
    made = TreePrototypes(hops=1, per_class=2).fit(ds[ds.split["train"]]).distilled_
    one_epoch = TrainConfig(epochs=1)
    assert 0 <= train_and_evaluate(ds, made, model="gin", seeds=[0], config=one_epoch)["test_mean"] <= 1
    idx = np.arange(90)
    given = GraphDataset.from_graphs(graphs, name="mine", split={"train": idx[:70], "valid": idx[70:80],
                                                                  "test": idx[80:]})
    assert given.meta["split_kind"] == "given" and given.split["test"].tolist() == list(range(80, 90))
    for other in (GraphDataset.from_graphs(graphs, name="mine", seed=1, stratify=True), given):
        with pytest.raises(ArtifactError, match="split"):
            train_and_evaluate(other, made, model="gin", seeds=[0], config=one_epoch)
    edited = GraphDataset.from_graphs(graphs[:-1] + [graphs[0]], name="mine", stratify=True)
    with pytest.raises(ArtifactError, match="another version of mine"):
        train_and_evaluate(edited, made, model="gin", seeds=[0], config=one_epoch)
    for g in graphs:  # continuous node attributes: kept, and scaled by the training split as a TU load does
        g.x_cont = torch.randn(g.num_nodes, 2)
    attrs = GraphDataset.from_graphs(graphs, name="mine")
    assert attrs.meta["node_attributes"] == 2 and len(attrs.meta["node_attributes_scale"]) == 2
    assert attrs[0].x_cont.shape == (graphs[0].num_nodes, 2)
    for split, why in (({"train": idx[:70], "valid": idx[60:80], "test": idx[80:]}, "overlap"),
                       ({"train": idx[:70], "valid": idx[70:80], "test": [95]}, r"lie in 0\.\.89"),
                       ({"train": idx[:70], "test": idx[80:]}, "train, valid and test")):
        with pytest.raises(DatasetError, match=why):
            GraphDataset.from_graphs(graphs, split=split)
    graphs[0].x = graphs[0].x - 1
    with pytest.raises(DatasetError, match="node labels x must be integers >= 0"):
        GraphDataset.from_graphs(graphs)


def test_summary_and_paper_protocol():
    runs = [RunResult(seed=i, best_epoch=1, val=v, test=t) for i, (v, t) in
            enumerate(zip([0.9, 0.1, 0.8, 0.2, 0.7, 0.3, 0.6, 0.4, 0.5, 0.0], range(10)))]
    s = summarise(runs, paper_protocol=True)
    assert s["test_mean"] == pytest.approx(4.5)
    assert s["paper_top5_test_mean"] == pytest.approx(np.mean([0, 2, 4, 6, 8]))  # the 5 best by validation
    assert "paper_top5_test_mean" not in summarise(runs)


def test_cuda_absent_is_a_clear_error():
    if torch.cuda.is_available():
        assert resolve_device("cuda").type == "cuda"
    else:
        with pytest.raises(MirageError, match="device cuda was asked for but torch sees no CUDA device"):
            resolve_device("cuda")


def test_config_validation():
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ValueError, match="support"):
        TrainConfig(support="maybe")


def run_cli(*args):
    """``mirage ARGS`` in a process of its own, forked after the imports (tests/forked.py)."""
    return forked.run(args, text=True)


def test_cli_train_json(tmp_path):
    out = tmp_path / "s.npz"
    assert run_cli("distill", "synthetic-motifs", "--budget", "3", "--out", str(out)).returncode == 0
    r = run_cli("train", "synthetic-motifs", "--distilled", str(out), "--model", "gcn", "--seeds", "2",
                "--epochs", "2", "--json")
    assert r.returncode == 0, r.stderr
    res = json.loads(r.stdout)
    for key in ("dataset", "model", "source", "metric", "test_mean", "test_std", "val_mean", "seeds",
                "train_seconds", "epochs"):
        assert key in res
    assert res["seeds"] == [0, 1] and res["model"] == "gcn" and res["source"] == "mirage"


@needs_data
def test_cli_train_refuses_other_dataset(tmp_path, data_root):
    out = tmp_path / "s.npz"
    assert run_cli("distill", "synthetic-motifs", "--budget", "2", "--out", str(out)).returncode == 0
    r = run_cli("train", "MUTAG", "--root", str(data_root), "--distilled", str(out), "--seeds", "1")
    assert r.returncode == 2 and "distilled from 'synthetic-motifs', not 'MUTAG'" in r.stderr
    r = run_cli("train", "synthetic-motifs", "--full", "--model", "nope")
    assert r.returncode == 2 and "gcn" in r.stderr and "gin" in r.stderr


def test_another_datasets_set_is_refused_before_the_dataset_is_loaded(tmp_path):
    """train and search read the set's source before the data: a known dataset whose files are not even there is
    refused for the set at once, not after a load (or a download) of the data."""
    out = tmp_path / "s.npz"
    assert run_cli("distill", "synthetic-motifs", "--budget", "2", "--out", str(out)).returncode == 0
    for command in ("train", "search"):
        r = run_cli(command, "ogbg-molbace", "--root", str(tmp_path / "empty"), "--distilled", str(out))
        assert r.returncode == 2 and "distilled from 'synthetic-motifs', not 'ogbg-molbace'" in r.stderr, r.stderr


def test_cli_cuda_absent(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present: the error path cannot be reached")
    r = run_cli("train", "synthetic-motifs", "--full", "--device", "cuda", "--seeds", "1", "--epochs", "1")
    assert r.returncode == 2 and "no CUDA device" in r.stderr and "Traceback" not in r.stderr


def test_early_stopping_stops_after_patience(synthetic, distilled):
    r = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0],
                           config=TrainConfig(epochs=500, patience=3, lr=1e-2))
    run = r["runs"][0]
    assert run["epochs_run"] < 500
    assert run["epochs_run"] - run["best_epoch"] == 3  # three evaluations without a better validation metric
    assert r["train_seconds"] > 0 and r["eval_seconds"] > 0


def test_a_warmup_keeps_the_first_epochs_from_being_chosen_and_patience_counts_after_it(synthetic, distilled):
    """``select_after``: the epoch is chosen among epochs >= it; the same training otherwise (the validation scores
    of the later epochs are those of a run without it); patience counts from it; the default is every epoch."""
    plain = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0, 1], config=TrainConfig(epochs=12))
    late = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0, 1],
                              config=TrainConfig(epochs=12, select_after=6))
    assert all(r["best_epoch"] >= 6 for r in late["runs"])
    assert [r["val_last"] for r in late["runs"]] == [r["val_last"] for r in plain["runs"]]  # same training
    for p, w in zip(plain["runs"], late["runs"]):
        if p["best_epoch"] >= 6:  # the warm-up changes nothing when the run chose a later epoch anyway
            assert (w["best_epoch"], w["test"]) == (p["best_epoch"], p["test"])
    stopped = train_and_evaluate(synthetic, distilled, model="gin", seeds=[0],
                                 config=TrainConfig(epochs=500, patience=2, lr=1e-2, select_after=30))["runs"][0]
    assert stopped["best_epoch"] >= 30 and stopped["epochs_run"] - stopped["best_epoch"] == 2
    with pytest.raises(MirageError, match="select_after"):
        TrainConfig(epochs=5, select_after=6)
    with pytest.raises(MirageError, match="select_after"):
        TrainConfig(select_after=0)


def test_runs_cached_before_the_warmup_and_root_dropout_options_keep_their_keys():
    from dataclasses import fields, make_dataclass

    from graph_mirage.training.runcache import run_key

    meta = {"name": "MUTAG", "split_kind": "random", "split_seed": 0}
    before = make_dataclass("TrainConfig", [(f.name, f.type, f.default) for f in fields(TrainConfig)
                                            if f.name not in ("select_after", "root_dropout")])
    assert run_key(meta, "gin", TrainConfig(), 0, "set") == run_key(meta, "gin", before(), 0, "set")
    assert run_key(meta, "gin", TrainConfig(select_after=5), 0, "set") != run_key(meta, "gin", TrainConfig(), 0, "set")
    assert run_key(meta, "gin", TrainConfig(root_dropout=0.3), 0, "set") != run_key(meta, "gin", TrainConfig(), 0,
                                                                                     "set")


def test_the_warmup_reaches_train_and_bench_and_is_refused_before_any_work_when_too_long(tmp_path):
    from graph_mirage.bench import _check_select_after
    from graph_mirage.workflows.settings import TrainSettings

    assert TrainSettings(select_after=7).config("MUTAG").select_after == 7
    assert TrainSettings().config("MUTAG").select_after == 1
    with pytest.raises(MirageError, match="select_after"):
        TrainSettings(select_after=101).check()
    with pytest.raises(MirageError, match="select_after"):
        TrainSettings(epochs=20, select_after=21).check()
    with pytest.raises(MirageError, match="no epoch to choose"):
        _check_select_after(11, 50, quick=True)  # full data trains at most 10 epochs in a quick bench
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "train", "synthetic-motifs", "--full",
                        "--select-after", "150"], capture_output=True, text=True)
    assert r.returncode != 0 and "select_after (150)" in r.stderr and "Traceback" not in r.stderr


def test_collated_evaluation_equals_a_plain_loader(synthetic):
    from graph_mirage.training import EvalSet, predict

    torch.manual_seed(0)
    meta = synthetic.meta
    net = make_model("gcn", 3, meta["node_vocab"], meta["edge_vocab"], num_layers=2, hidden=16, readout="sum")
    part = synthetic[synthetic.split["test"]]
    small = EvalSet(part, max_nodes=50)  # many batches
    assert len(small.batches) > 3 and len(small) == len(part)
    a, ya = predict(net, small, torch.device("cpu"))
    b, yb = predict(net, DataLoader(part, batch_size=7), torch.device("cpu"))
    assert np.array_equal(ya, yb) and np.allclose(a, b, atol=1e-5)


def test_readout_comes_from_the_artifact_unless_given(synthetic):
    train = synthetic[synthetic.split["train"]]
    d = Mirage(hops=2, budget=3, readout="mean").fit(train).distilled_
    assert d.meta["readout"] == "mean"
    assert train_and_evaluate(synthetic, d, seeds=[0], config=TrainConfig(epochs=1))["readout"] == "mean"
    assert train_and_evaluate(synthetic, d, seeds=[0], config=TrainConfig(epochs=1, readout="sum"))["readout"] == "sum"
    assert train_and_evaluate(synthetic, None, seeds=[0], config=TrainConfig(epochs=1))["readout"] == "sum"


@needs_data
def test_python_api_refuses_a_set_from_another_dataset(synthetic, distilled, mutag):
    from graph_mirage import ArtifactError

    with pytest.raises(ArtifactError, match="distilled from 'synthetic-motifs', not 'MUTAG'"):
        train_and_evaluate(mutag, distilled, seeds=[0], config=TrainConfig(epochs=1))
    with pytest.raises(MirageError, match="no seeds"):
        train_and_evaluate(mutag, None, seeds=[], config=TrainConfig(epochs=1))


def test_bad_training_values_are_parameter_errors():
    from graph_mirage.errors import ParameterError

    for kw in (dict(num_layers=0), dict(patience=0), dict(lr=float("nan")), dict(dropout=1.0),
               dict(weight_decay=-1.0), dict(device="tpu"), dict(device="cuda:x"), dict(readout="median")):
        with pytest.raises(ParameterError):
            TrainConfig(**kw)


def test_progress_lines_when_not_a_terminal(tmp_path):
    out = tmp_path / "s.npz"
    assert run_cli("distill", "synthetic-motifs", "--budget", "3", "--out", str(out)).returncode == 0
    r = run_cli("train", "synthetic-motifs", "--distilled", str(out), "--seeds", "2", "--epochs", "4")
    assert r.returncode == 0, r.stderr
    lines = [line for line in r.stderr.splitlines() if "4/4 epochs" in line]
    assert len(lines) == 4 and "seed 0" in lines[0] and "seed 1" in lines[1] and "val " in lines[0], r.stderr
    assert all("on mirage (labels permuted), seed" in line for line in lines[2:]), r.stderr  # its control's runs
    quiet = run_cli("train", "synthetic-motifs", "--distilled", str(out), "--seeds", "1", "--epochs", "2", "--quiet")
    assert quiet.stderr == "" and quiet.stdout == ""


def test_help_states_the_real_defaults():
    def option_help(cmd: str, flag: str) -> str:
        return run_cli(cmd, "--help").stdout.split(f"\n  {flag}", 1)[1].split("\n  --", 1)[0]

    assert "(default 3)" in option_help("run", "--seeds")
    assert "(default 5)" in option_help("train", "--seeds")
    assert "--threads" in run_cli("train", "--help").stdout


def test_threads_option_reaches_training_and_training_uses_it(monkeypatch):
    import graph_mirage.training as training
    from graph_mirage import cli
    from graph_mirage.training import torch_threads

    seen = []

    def fake(*a, **k):
        seen.append(k["threads"])
        return {"dataset": "d", "model": "gin", "source": "full", "train_graphs": 1, "readout": "sum", "metric": "m",
                "test_mean": 0.0, "test_std": 0.0, "seeds": [0], "val_mean": 0.0, "train_seconds": 0.0,
                "test_last_mean": 0.0, "eval_seconds": 0.0, "runs": []}

    monkeypatch.setattr(training, "train_and_evaluate", fake)
    assert cli.main(["train", "synthetic-motifs", "--full", "--quiet"]) == 0
    assert cli.main(["train", "synthetic-motifs", "--full", "--threads", "2", "--quiet"]) == 0
    assert seen == [1, 2]  # one thread unless told otherwise
    before = torch.get_num_threads()
    with torch_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before  # the caller's setting is restored
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_the_library_trains_with_one_thread_by_default(synthetic, distilled, monkeypatch):
    observed = []
    real = torch.optim.Adam.step

    def step(self, *a, **k):
        observed.append(torch.get_num_threads())
        return real(self, *a, **k)

    monkeypatch.setattr(torch.optim.Adam, "step", step)
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        train_and_evaluate(synthetic, distilled, model="gin", seeds=[0], config=TrainConfig(epochs=1))
        assert observed and set(observed) == {1}
        assert torch.get_num_threads() == 2  # and the caller's setting is back
    finally:
        torch.set_num_threads(before)


def test_building_models_leaves_no_file_in_the_temporary_directory(tmp_path):
    """PyG renders each layer's propagate (and GATConv's edge updater) from a template into a temporary file that it
    never removes (per process and kind of layer: thousands here after two days of runs); graph-mirage removes them
    once a model is built, and the models still compute."""
    code = ("import sys, torch; from graph_mirage.models import make_model\n"
            "make_model('gin', 2, [7], [4], num_layers=2, hidden=32)\n"
            "m = make_model('gat', 2, [7], [4], num_layers=2, hidden=32)\n"
            "mods = [n for n, v in sys.modules.items() if (getattr(v, '__file__', '') or '').startswith(sys.argv[1])]\n"
            "from torch_geometric.data import Batch, Data\n"
            "g = Data(x=torch.zeros(3, 1, dtype=torch.long), edge_index=torch.tensor([[0, 1], [1, 2]]),\n"
            "         edge_attr=torch.zeros(2, 1, dtype=torch.long))\n"
            "print(len(mods), tuple(m(Batch.from_data_list([g, g])).shape))")
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path)], env=env, capture_output=True, text=True,
                         check=True).stdout.split()
    assert int(out[0]) >= 3  # PyG did render modules there: GIN's propagate, GAT's propagate and edge updater
    assert out[1:] == ["(2,", "2)"] and not list(tmp_path.iterdir())


def test_a_result_chosen_at_the_first_epochs_warns_that_it_says_little():
    import warnings

    from graph_mirage.training import warn_if_early

    def result(epochs, source="mirage-auto", total=100):
        return {"dataset": "DD", "source": source, "epochs": total, "runs": [{"best_epoch": e} for e in epochs]}

    for r, warns in ((result([1, 2, 40]), True), (result([3, 50]), True), (result([1, 40, 60]), False),
                     (result([1, 2, 3], source="full"), False), (result([1, 2], total=5), False)):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_if_early(r)
        assert bool(caught) == warns, r
        if warns:
            assert "runs on the distilled set scored best on validation at epoch 3 or earlier" in str(caught[0].message)
