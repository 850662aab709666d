"""DosCond and KiDD: their objectives decrease, their models are computed correctly, their sets load and train, and
they are deterministic for a seed."""

import math

import numpy as np
import pytest
import torch

from graph_mirage import DistilledDataset
from graph_mirage.baselines import DosCond, KiDD, LiteGNTK
from graph_mirage.baselines.dense import OneHotGraphs, kcenter
from graph_mirage.baselines.doscond import DenseGCN, discrete, matching_distance
from graph_mirage.errors import ParameterError
from graph_mirage.models import encode_soft, make_model
from graph_mirage.training import TrainConfig, train_and_evaluate

from .conftest import needs_data


def _train(ds):
    return ds[ds.split["train"]]


def test_one_hot_blocks_match_the_labels(synthetic):
    og = OneHotGraphs(_train(synthetic))
    x = og.features(0)
    assert x.shape == (og.sizes[0], sum(og.node_vocab))
    assert torch.equal(x.sum(1), torch.full((len(x),), float(len(og.node_vocab))))  # one 1 per block
    xs, adj, kept = og.dense_batch([0, 1], max_nodes=3)
    assert xs.shape == (2, 3, og.dim) and adj.shape == (2, 3, 3) and kept.tolist() == [3, 3]


def test_soft_encoding_of_one_hot_blocks_equals_the_categorical_encoding(synthetic):
    tr = _train(synthetic)
    og = OneHotGraphs(tr)
    model = make_model("gin", 2, og.node_vocab, tr.meta["edge_vocab"], num_layers=2, hidden=8)
    g = tr[0]
    assert torch.allclose(encode_soft(model.node_encoder, og.features(0)), model.node_encoder(g.x), atol=1e-6)
    with pytest.raises(ParameterError, match="columns"):
        encode_soft(model.node_encoder, og.features(0)[:, :-1])


def test_doscond_gcn_gives_the_same_logits_on_sparse_and_dense_graphs(synthetic):
    og = OneHotGraphs(_train(synthetic))
    torch.manual_seed(0)
    net = DenseGCN(og.dim, 16, 2, 3, "mean")
    idx = [0, 3, 7]
    x, e, b = og.sparse_batch(idx)
    sparse = net.sparse(x, e, b, len(idx))
    dense = torch.cat([net.dense(*og.dense_batch([i])[:2]) for i in idx])
    assert torch.allclose(sparse, dense, atol=1e-5)


def test_matching_distance_is_zero_for_equal_gradients_and_normalised():
    g = [torch.ones(3, 2), torch.full((4,), 2.0)]
    assert float(matching_distance(g, g)) == 0.0
    assert math.isclose(float(matching_distance([t * 0 for t in g], g)), 1.0, rel_tol=1e-6)


def test_litegntk_bilinear_form_equals_the_literal_layer_by_layer_kernel(synthetic):
    og = OneHotGraphs(_train(synthetic))
    k = LiteGNTK(layers=4)

    def literal(x1, a1, x2, a2):  # the kernel as its authors compute it, layer by layer (one graph pair)
        a1, a2 = a1 + 1e-4 * torch.eye(len(a1)), a2 + 1e-4 * torch.eye(len(a2))

        def diag(x, a):
            return torch.sqrt((a @ (x @ x.T + 1e-4) @ a.T).diag())

        sig = a1 @ (x1 @ x2.T + 1e-4) @ a2.T
        tmp = torch.outer(diag(x1, a1), diag(x2, a2)) + 1e-6
        s = (sig / tmp).clamp(-0.9999, 0.9999)
        ntk = sig * (math.pi - torch.acos(s)) / math.pi + (s * (math.pi - torch.acos(s)) + torch.sqrt(1 - s * s)) \
            / math.pi * tmp
        for _ in range(3):
            ntk = a1 @ ntk @ a2.T
        return ntk.mean()

    pairs = [(0, 2), (1, 5), (4, 4)]
    for i, j in pairs:
        xi, ai, _ = og.dense_batch([i])
        xj, aj, _ = og.dense_batch([j])
        p = k.prepare(xi.double(), ai.double(), torch.ones(1, og.sizes[i], dtype=torch.float64))
        q = k.prepare(xj.double(), aj.double(), torch.ones(1, og.sizes[j], dtype=torch.float64))
        assert math.isclose(float(k(p, q)), float(literal(xi[0].double(), ai[0].double(), xj[0].double(),
                                                          aj[0].double())), rel_tol=1e-9)
    # padding a graph with isolated, featureless nodes does not change its kernel values (masks)
    x, a, _ = og.dense_batch([0, 1])  # graph 0 padded to graph 1's size if smaller
    mask = torch.zeros(2, x.size(1))
    mask[0, :og.sizes[0]], mask[1, :og.sizes[1]] = 1, 1
    padded = k(k.prepare(x, a, mask), k.prepare(x, a, mask))
    single = k(k.prepare(*og.dense_batch([0])[:2], torch.ones(1, og.sizes[0])),
               k.prepare(*og.dense_batch([0])[:2], torch.ones(1, og.sizes[0])))
    assert torch.allclose(padded[0, 0], single[0, 0], rtol=1e-4)


def test_doscond_reduces_its_gradient_matching_loss_and_its_set_trains(synthetic, tmp_path):
    tr = _train(synthetic)
    m = DosCond(graphs_per_class=2, steps=60, real_batch=32, hidden=32).fit(tr)
    h = np.array(m.history_)
    assert len(h) == 60 and np.isfinite(h).all()
    assert h[-10:].mean() < 0.7 * h[:10].mean()  # one-step matching loss, averaged over fresh networks
    d = m.distilled_
    assert len(d) == 2 * synthetic.num_classes and d.meta["method"] == "doscond"
    assert d.meta["distilled_with"] == "GCN" and d.meta["hops"] == 3 and d.meta["readout"] == "mean"
    assert d.storage().x_soft.shape == (d.summary()["nodes"], sum(tr.meta["node_vocab"]))
    loaded = DistilledDataset.load(d.save(tmp_path / "dc.npz"))
    assert torch.equal(loaded.storage().x_soft, d.storage().x_soft) and loaded.nbytes() == d.nbytes()
    # the GNN reads x_soft: bytes count the float features, not the labels
    assert d.nbytes() >= d.storage().x_soft.numel() * 4
    r = train_and_evaluate(synthetic, loaded, model="gcn", seeds=[0], config=TrainConfig(epochs=5))
    assert 0.0 <= r["test_mean"] <= 1.0


def test_kidd_reduces_its_krr_loss_and_its_set_trains(synthetic, tmp_path):
    tr = _train(synthetic)
    m = KiDD(graphs_per_class=3, updates=40, authors={"lr_feat": 0.05, "lr_adj": 0.05, "real_batch": 64, "syn_batch": 6,
                                                      "anm": 1}).fit(tr)
    h = np.array(m.history_)
    assert len(h) == 40 and np.isfinite(h).all()
    assert h[-10:].mean() < h[:10].mean()  # cross-entropy of the kernel-ridge predictions on real batches
    d = m.distilled_
    assert d.meta["method"] == "kidd" and d.meta["hops"] == 5 and d.meta["readout"] == "sum"
    loaded = DistilledDataset.load(d.save(tmp_path / "kidd.npz"))
    r = train_and_evaluate(synthetic, loaded, model="gin", seeds=[0], config=TrainConfig(epochs=5))
    assert 0.0 <= r["test_mean"] <= 1.0


def test_learned_baselines_are_deterministic_for_a_seed(synthetic, tmp_path):
    tr = _train(synthetic)
    for cls, kw in ((DosCond, {"steps": 8, "real_batch": 16, "hidden": 16}),
                    (KiDD, {"graphs_per_class": 2, "updates": 5,
                            "authors": {"lr_feat": 0.01, "real_batch": 16, "anm": 1}})):
        a = cls(seed=3, **kw).fit(tr).distilled_.save(tmp_path / "a.npz").read_bytes()
        b = cls(seed=3, **kw).fit(tr).distilled_.save(tmp_path / "b.npz").read_bytes()
        c = cls(seed=4, **kw).fit(tr).distilled_.save(tmp_path / "c.npz").read_bytes()
        assert a == b and a != c, cls.__name__


def test_learned_baselines_take_the_authors_settings_per_dataset():
    dc = DosCond().settings("DD")
    assert dc["lr_adj"] == 2.0 and dc["lr_feat"] == 0.01 and dc["steps"] == 1000 and dc["pooling"] == "mean"
    assert DosCond().settings("ogbg-molhiv")["pooling"] == "sum"
    assert DosCond(lr_adj=0.5).settings("DD")["lr_adj"] == 0.5  # an explicit value wins
    kd = KiDD(graphs_per_class=10).settings("DD")
    assert (kd["real_batch"], kd["syn_batch"], kd["anm"], kd["lr_adj"], kd["lr_feat"]) == (8, 8, 2, 0.0, 1e-4)
    assert KiDD(graphs_per_class=50).settings("ogbg-molhiv")["init"] == "kcenter"
    assert not KiDD(graphs_per_class=7).settings("NCI1")["authors_dataset"]


@pytest.mark.parametrize("cls, kwargs, match", [
    (DosCond, {"steps": 0}, "steps"), (DosCond, {"lr_adj": -1.0}, "lr_adj"), (DosCond, {"pooling": "max"}, "pooling"),
    (DosCond, {"graphs_per_class": 1.5}, "graphs_per_class"), (KiDD, {"authors": {"init": "best"}}, "init"),
    (KiDD, {"tau": 0}, "tau"), (KiDD, {"readout": "max"}, "readout"), (KiDD, {"authors": {"anm": 0}}, "anm"),
    (KiDD, {"authors": {"speed": 1}}, "unknown setting"),
])
def test_learned_baselines_reject_bad_hyper_parameters_in_fit(cls, kwargs, match, synthetic):
    est = cls(**kwargs)  # scikit-learn's contract: __init__ stores, fit checks (before any optimisation)
    with pytest.raises(ParameterError, match=match):
        est.fit(_train(synthetic))


def test_final_structure_and_kcenter():
    logits = torch.tensor([[[5.0, 3.0], [-4.0, 5.0]]])
    assert discrete(logits).tolist() == [[[0.0, 0.0], [0.0, 0.0]]]  # symmetric mean -0.5 < 0; no self-loops
    pts = np.array([[0.0, 0.0], [0.1, 0.0], [10.0, 0.0], [0.0, 10.0]])
    assert sorted(kcenter(pts, 3).tolist()) in ([0, 2, 3], [1, 2, 3])


@needs_data
def test_doscond_and_kidd_on_mutag_through_the_bench(tmp_path, data_root):
    from graph_mirage.bench import run
    from graph_mirage.bench.schedule import Options

    opts = Options(models=["gin"], seeds=[0], budgets=[], methods=("doscond", "kidd"), root=data_root, quick=True,
                   log=lambda *a: 0, epochs=5)
    rows = run(["MUTAG"], opts)
    by = {r["method"]: r for r in rows}
    assert set(by) == {"doscond", "kidd"}
    assert by["doscond"]["distilled_with"] == "GCN" and by["kidd"]["distilled_with"].startswith("LiteGNTK")
    assert all(r["bytes"] > 0 and r["distill_seconds"] > 0 and r["test_mean"] is not None for r in rows)


def test_condense_command_writes_a_set_that_mirage_train_reads(tmp_path, capsys, synthetic):
    import json

    from graph_mirage.cli import main

    out = tmp_path / "kidd.npz"
    assert main(["condense", "synthetic-motifs", "--method", "kidd", "--steps", "3", "--graphs-per-class", "2",
                 "--out", str(out), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["method"] == "kidd" and summary["graphs"] == 2 * synthetic.num_classes
    assert summary["settings"]["updates"] == 3
    assert DistilledDataset.load(out).meta["distilled_with"].startswith("LiteGNTK")
    assert main(["train", "synthetic-motifs", "--distilled", str(out), "--epochs", "2", "--seeds", "1",
                 "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["source"]


@pytest.mark.parametrize("progress", [True, False])
def test_the_bench_reports_a_learned_baselines_steps_while_it_distils(progress, capsys):
    """DosCond on DD distils for half an hour inside ``mirage bench``: its steps are reported as ``mirage condense``
    reports them (before, the log kept saying "loading libraries and data"), and nothing with ``--quiet``."""
    from graph_mirage.bench import run
    from graph_mirage.bench.schedule import Options

    opts = Options(models=["gin"], seeds=[0], budgets=[], methods=("doscond",), quick=True, progress=progress,
                   log=lambda *a: 0, epochs=2)
    rows = run(["synthetic-motifs"], opts)
    err = capsys.readouterr().err
    assert [r["method"] for r in rows] == ["doscond"]
    assert ("DosCond: 5/5 steps" in err) == progress, err
