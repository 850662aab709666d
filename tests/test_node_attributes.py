"""Continuous node attributes (TU ``NAME_node_attributes.txt``): loaded only when asked for, carried by every
training-free distiller (a prototype's nodes get its cluster's mean attributes), saved in the file, read by every GNN;
refused where a format or a method has no place for them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

NAME = "ATTRS"


def _write_tu(root: Path, n_graphs: int = 160, seed: int = 0) -> Path:
    """Rings and paths whose node labels say nothing of the class: the class is the sign of the mean of each
    graph's first continuous attribute (a second attribute is noise)."""
    rng = np.random.default_rng(seed)
    raw = root / "TUDataset" / NAME / "raw"
    raw.mkdir(parents=True)
    edges, indicator, labels, node_labels, attrs = [], [], [], [], []
    first = 1
    for g in range(n_graphs):
        n = int(rng.integers(5, 9))
        y = g % 2
        nodes = list(range(first, first + n))
        pairs = [(nodes[i], nodes[i + 1]) for i in range(n - 1)] + ([(nodes[-1], nodes[0])] if g % 3 == 0 else [])
        for a, b in pairs:
            edges += [(a, b), (b, a)]
        indicator += [g + 1] * n
        node_labels += [int(v) for v in rng.integers(0, 2, n)]
        mean = 1.0 if y else -1.0
        attrs += [(float(v), float(w)) for v, w in zip(rng.normal(mean, 0.7, n), rng.normal(0, 1, n))]
        labels.append(y)
        first += n
    (raw / f"{NAME}_A.txt").write_text("".join(f"{a}, {b}\n" for a, b in edges))
    (raw / f"{NAME}_graph_indicator.txt").write_text("".join(f"{g}\n" for g in indicator))
    (raw / f"{NAME}_graph_labels.txt").write_text("".join(f"{y}\n" for y in labels))
    (raw / f"{NAME}_node_labels.txt").write_text("".join(f"{v}\n" for v in node_labels))
    (raw / f"{NAME}_node_attributes.txt").write_text("".join(f"{a:.4f}, {b:.4f}\n" for a, b in attrs))
    return root


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return _write_tu(tmp_path_factory.mktemp("tu"))


def _load(root, attributes: bool):
    from graph_mirage import load_dataset

    return load_dataset(NAME, root, node_attributes=attributes, stratify=True)


def test_attributes_load_only_when_asked_for(root):
    with_attrs, without = _load(root, True), _load(root, False)
    assert with_attrs.meta["node_attributes"] == 2 and "node_attributes" not in without.meta
    assert with_attrs[0].x_cont.shape == (with_attrs[0].num_nodes, 2) and with_attrs[0].x_cont.dtype.is_floating_point
    assert getattr(without[0], "x_cont", None) is None
    assert np.array_equal(with_attrs.flat().x, without.flat().x)  # the labels are the same either way
    # models standardise with the training split's robust centre and scale (median, 1.4826 x MAD)
    xc = with_attrs[with_attrs.split["train"]].flat().x_cont
    centre = np.median(xc, axis=0)
    assert np.allclose(with_attrs.meta["node_attributes_centre"], centre)
    assert np.allclose(with_attrs.meta["node_attributes_scale"], 1.4826 * np.median(np.abs(xc - centre), axis=0))
    from graph_mirage import load_dataset
    from graph_mirage.errors import DatasetError

    with pytest.raises(DatasetError, match="no continuous node attributes"):
        load_dataset("synthetic-motifs", node_attributes=True)


def test_attributes_ignored_on_unlabelled_nodes_are_warned_of(root, tmp_path):
    """Where the attributes are all a node carries (no node labels), dropping them by default is said, once per load;
    beside node labels (PROTEINS' case: measured to add nothing) it is not."""
    import shutil
    import warnings

    from graph_mirage import load_dataset

    unlabelled = tmp_path / "TUDataset" / NAME / "raw"
    shutil.copytree(root / "TUDataset" / NAME / "raw", unlabelled)
    (unlabelled / f"{NAME}_node_labels.txt").unlink()
    with pytest.warns(UserWarning, match=r"ATTRS: its nodes have no labels, only 2 continuous attribute\(s\)"):
        load_dataset(NAME, tmp_path, cache_dir=tmp_path / "cache")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_dataset(NAME, tmp_path, cache_dir=tmp_path / "cache", node_attributes=True).meta[
            "node_attributes"] == 2
        load_dataset(NAME, root, cache_dir=tmp_path / "cache2")


def test_a_dataset_without_attributes_is_refused_before_it_is_processed(root, tmp_path):
    import shutil

    from graph_mirage import load_dataset
    from graph_mirage.errors import DatasetError

    plain = tmp_path / "root" / "TUDataset" / "PLAIN" / "raw"
    plain.mkdir(parents=True)
    for f in (root / "TUDataset" / NAME / "raw").glob(f"{NAME}_*.txt"):
        if "node_attributes" not in f.name:
            shutil.copy(f, plain / f.name.replace(NAME, "PLAIN"))
    with pytest.raises(DatasetError, match="PLAIN has no continuous node attributes"):
        load_dataset("PLAIN", tmp_path / "root", cache_dir=tmp_path / "cache", node_attributes=True)
    assert not (tmp_path / "cache").exists() or not any((tmp_path / "cache").rglob("meta.json"))
    assert load_dataset("PLAIN", tmp_path / "root", cache_dir=tmp_path / "cache").meta["name"] == "PLAIN"


def test_prototypes_carry_their_clusters_mean_attributes_and_the_file_keeps_them(root, tmp_path):
    from graph_mirage import DistilledDataset, TreePrototypes

    ds = _load(root, True)
    train = ds[ds.split["train"]]
    est = TreePrototypes(hops=2, per_class=3).fit(train)
    d = est.distilled_
    assert d.meta["node_attributes"] == 2
    flat = train.flat()
    for (c, _, w), g in zip(est.prototypes_, d):
        # the roots of a class-c prototype average nodes of class-c graphs: weighted, the first attribute's sign
        roots = g.x_cont[g.root_mask].numpy()
        assert roots.shape[1] == 2 and (np.average(roots[:, 0], weights=w) > 0) == bool(c)
    # one cluster per class: a root's attributes are exactly the mean over the class's nodes with that tree
    from graph_mirage.trees import row_ids, wl_colours

    one = TreePrototypes(hops=2, per_class=1).fit(train)
    tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 2)[-1]
    node_class = flat.y[flat.graph_of_node]
    for (c, kept, _), g in zip(one.prototypes_, one.distilled_):
        expect = np.stack([flat.x_cont[(tree == t) & (node_class == c)].mean(0) for t in kept])
        assert np.allclose(g.x_cont[g.root_mask].numpy(), expect, atol=1e-5)
    back = DistilledDataset.load(d.save(tmp_path / "a.npz"))
    assert all(np.array_equal(a.x_cont.numpy(), b.x_cont.numpy()) for a, b in zip(d, back))
    assert back.nbytes() == d.nbytes() > TreePrototypes(hops=2, per_class=3).fit(
        _load(root, False)[ds.split["train"]]).distilled_.nbytes()


def test_itemsets_herding_and_gnns_use_the_attributes(root):
    from graph_mirage import Mirage, TreePrototypes
    from graph_mirage.baselines import HerdingSelection
    from graph_mirage.training import TrainConfig, train_and_evaluate

    ds = _load(root, True)
    train = ds[ds.split["train"]]
    itemsets = Mirage(hops=1, budget=2).fit(train).distilled_
    herding = HerdingSelection(k=3).fit(train).distilled_
    flat = train.flat()
    for d in (itemsets, herding):
        assert d.meta["node_attributes"] == 2 and all(g.x_cont.shape == (g.num_nodes, 2) for g in d)
    # herding keeps real graphs: their attributes are the dataset's own
    first = herding.meta["selected"]["0"][0]
    lo, hi = flat.node_ptr[first], flat.node_ptr[first + 1]
    assert np.allclose(herding[0].x_cont.numpy(), flat.x_cont[lo:hi])
    cfg = TrainConfig(epochs=30)
    seen = train_and_evaluate(ds, None, model="gin", seeds=[0], config=cfg)
    blind_ds = _load(root, False)
    blind = train_and_evaluate(blind_ds, None, model="gin", seeds=[0], config=cfg)
    # the class lives in the attributes only: a GIN that reads them separates it, one that does not cannot
    assert seen["test_mean"] > 0.85 and blind["test_mean"] < 0.75
    # and so does a GIN trained on six prototypes, through their clusters' mean attributes
    protos = TreePrototypes(hops=2, per_class=3).fit(train).distilled_
    assert train_and_evaluate(ds, protos, model="gin", seeds=[0], config=cfg)["test_mean"] > 0.85


def test_a_set_and_a_dataset_must_agree_on_attributes(root, tmp_path):
    from graph_mirage import TreePrototypes
    from graph_mirage.errors import ArtifactError, DatasetError, ParameterError
    from graph_mirage.training import train_and_evaluate

    ds = _load(root, True)
    d = TreePrototypes(hops=1, per_class=2).fit(ds[ds.split["train"]]).distilled_
    with pytest.raises(ArtifactError, match="--node-attributes"):
        train_and_evaluate(_load(root, False), d, model="gcn", seeds=[0])
    from graph_mirage.baselines import DosCond

    with pytest.raises(ParameterError, match="categorical node features only"):
        DosCond(steps=1).fit(ds[ds.split["train"]])
    with pytest.raises(DatasetError, match="no continuous node attributes"):  # a Parquet directory without them
        from graph_mirage import load_dataset
        from graph_mirage.data.parquet import export_parquet

        load_dataset(str(export_parquet(_load(root, False), tmp_path / "plain")), node_attributes=True)


def test_the_parquet_layout_keeps_the_attributes_and_distils_to_the_same_file(root, tmp_path):
    """A dataset loaded with its attributes exports them as float columns c0..c{D-1} beside the labels; read back
    (with node_attributes, as a TU dataset is) it has the same arrays, split and scale, and distils to a byte-identical
    file; read without, the attributes are left out as a TU dataset's are. The Spark engine, which reads the labels
    only, refuses them before any work."""
    from graph_mirage import TreePrototypes, load_dataset
    from graph_mirage.data.parquet import export_parquet
    from graph_mirage.errors import MirageError
    from graph_mirage.workflows.settings import DataSettings, DistillSettings

    ds = _load(root, True)
    path = export_parquet(ds, tmp_path / "p")
    back = load_dataset(str(path), node_attributes=True)
    a, b = ds.flat(), back.flat()
    assert np.array_equal(a.x_cont, b.x_cont) and b.x_cont.dtype == np.float32 and np.array_equal(a.x, b.x)
    assert {k: v.tolist() for k, v in ds.split.items()} == {k: v.tolist() for k, v in back.split.items()}
    assert back.meta["node_attributes_scale"] == ds.meta["node_attributes_scale"]
    sets = []
    for source in (ds, back):
        out = tmp_path / f"set{len(sets)}.npz"
        TreePrototypes(hops=2, per_class=3).fit(source[source.split["train"]]).distilled_.save(out)
        sets.append(out.read_bytes())
    assert sets[0] == sets[1]
    blind = load_dataset(str(path))
    assert blind.flat().x_cont is None and blind.unused_node_attributes == 2
    with pytest.raises(MirageError, match="Spark engine reads categorical node features only"):
        DistillSettings(data=DataSettings(NAME, root=str(root), node_attributes=True), engine="spark",
                        budget=5).check()


def test_bench_reads_datasets_with_their_attributes(root):
    from graph_mirage import bench
    from graph_mirage.bench.schedule import Options

    def rows(attributes: bool):
        # the same rule with and without the attributes: the default would take a tree bank without them only
        o = Options(models=["gin"], seeds=[0], budgets=[2], methods=("mirage-plain",), root=str(root), quick=True,
                    log=lambda *a: None, epochs=20, node_attributes=attributes)
        return {r["method"]: r for r in bench.run([NAME], o)}

    seen, blind = rows(True), rows(False)
    assert seen["mirage-plain"]["test_mean"] > 0.85 and blind["mirage-plain"]["test_mean"] < 0.75


def test_the_default_keeps_each_prototype_its_own_dag_where_graphs_have_attributes(root):
    """A tree bank stores one attribute vector per tree, its mean over all training graphs, which here (the class is
    the sign of the attributes' mean) would erase the class: the default uses a bank only without attributes."""
    from graph_mirage import AutoPrototypes, load_dataset

    for attributes in (True, False):
        ds = load_dataset(NAME, root, node_attributes=attributes, stratify=True)
        auto = AutoPrototypes(hops=1).fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
        assert auto.bank_ is not attributes and (auto.distilled_.bank is None) is attributes
        assert max(auto.grid(attributes)[1]) == (20 if attributes else 200)


def test_the_defaults_closed_form_score_reads_the_prototypes_attributes(root):
    """The candidates are scored by a linear model on what the prototypes' roots carry: here the class lives in the
    attributes only, so with them the scores are far above chance (and the rule warns of nothing); without them they
    are not."""
    import warnings

    from graph_mirage import AutoPrototypes, load_dataset
    from graph_mirage.wlprobe import WLProbe

    def fit(attributes: bool):
        ds = load_dataset(NAME, root, node_attributes=attributes, stratify=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            auto = AutoPrototypes(hops=1).fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
        return ds, auto, [str(w.message) for w in caught if "above chance" in str(w.message)]

    ds, seen, warned = fit(True)
    assert min(r["val"] for r in seen.cv_results_ if r["scored"]) > 0.85 and not warned
    # in a tree bank each tree carries its mean over every training graph, which erases this class: the score reads
    # the attributes the set's roots have, so it sees that too
    banked = AutoPrototypes(hops=1, bank=True).fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
    assert max(r["val"] for r in banked.cv_results_ if r["scored"]) < 0.75
    _, blind, _ = fit(False)
    assert max(r["val"] for r in blind.cv_results_ if r["scored"]) < 0.75
    train, valid = ds[ds.split["train"]].flat(), ds[ds.split["valid"]].flat()
    probe = WLProbe(train, valid, 1, 2)
    attrs = probe.root_attributes(seen.best_estimator_)
    # a prototype's attributes are its roots' (its cluster's mean per tree), weighted as its roots: class 1's positive
    labels = np.array([c for c, _, _ in seen.best_estimator_.prototypes_])
    assert attrs.shape == (len(labels), 2) and (attrs[labels == 1, 0] > attrs[labels == 0, 0].max()).all()


def test_the_wl_kernel_control_reads_the_attributes_where_they_are_loaded(root):
    """The WL colours are made of the categorical labels only: with the attributes loaded, the kernel's features add
    each graph's mean attributes, so the control is not blind to where this dataset's class lives."""
    from sklearn.metrics import roc_auc_score

    from graph_mirage.baselines import WLKernel

    def test_auc(attributes: bool) -> float:
        ds = _load(root, attributes)
        wl = WLKernel(hops=1).fit(ds)
        test = np.asarray(ds.split["test"])
        return roc_auc_score(ds.flat().y[test], wl.logits(test)[:, 1])

    assert test_auc(True) > 0.9 and test_auc(False) < 0.75


def test_mirage_datasets_says_a_dataset_has_attributes_and_whether_they_are_loaded(root, tmp_path, capsys,
                                                                                      monkeypatch):
    """Attributes are off by default, so `mirage datasets NAME` tells a user they exist and how to load them; a
    dataset without the file says nothing of them."""
    import json
    import shutil

    from graph_mirage.cli import main

    monkeypatch.setenv("MIRAGE_CACHE", str(tmp_path / "cache"))
    assert main(["datasets", NAME, "--root", str(root), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["node_attributes"] == 2 and row["node_attributes_loaded"] is False
    assert main(["datasets", NAME, "--root", str(root), "--node-attributes", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["node_attributes_loaded"] is True
    assert main(["datasets", NAME, "--root", str(root)]) == 0
    assert "2 continuous per node, not loaded (--node-attributes loads them)" in capsys.readouterr().out
    plain = tmp_path / "plain"
    shutil.copytree(root / "TUDataset", plain / "TUDataset")
    (plain / "TUDataset" / NAME / "raw" / f"{NAME}_node_attributes.txt").unlink()
    assert main(["datasets", NAME, "--root", str(plain), "--json"]) == 0
    assert "node_attributes" not in json.loads(capsys.readouterr().out)


def test_mirage_distill_says_which_attributes_it_leaves_out(root, tmp_path, capsys, monkeypatch):
    """Beside node labels the attributes are dropped without a warning, so the dataset records how many were left out
    (also on its splits) and `mirage distill` says so in one line; with them loaded, or without the file, it says
    nothing of them."""
    from graph_mirage.cli import main

    assert _load(root, False).unused_node_attributes == 2
    assert _load(root, False)[np.arange(4)].unused_node_attributes == 2
    assert _load(root, True).unused_node_attributes == 0
    monkeypatch.setenv("MIRAGE_CACHE", str(tmp_path / "cache"))
    line = "ATTRS: its nodes also carry 2 continuous attribute(s), not used (--node-attributes uses them)"
    for extra, said in (([], True), (["--node-attributes"], False)):
        out = tmp_path / f"set{len(extra)}.npz"
        assert main(["distill", NAME, "--root", str(root), "--out", str(out), *extra]) == 0
        captured = capsys.readouterr()
        assert (line in captured.out + captured.err) is said and out.is_file()
