"""The Mirage estimator: budgets, thresholds, the discriminative rule, emission, and the artifact."""

import json

import numpy as np
import pytest
import torch

from graph_mirage import ArtifactError, BudgetError, DistilledDataset, MiningLimits, Mirage
from graph_mirage.distilled import BANK_FORMAT_VERSION, check_compatible
from graph_mirage.mining import support_counts, transaction_matrix

from . import forked
from .conftest import without_start_up


@pytest.fixture(scope="module")
def train(synthetic):
    return synthetic[synthetic.split["train"]]


def class_matrices(m, train):
    flat = train.flat()
    mat = transaction_matrix(flat.graph_of_node, m.tree_ids_, flat.num_graphs, m.n_trees_)
    return {c: mat[np.flatnonzero(flat.y == c)] for c in np.unique(flat.y)}


@pytest.mark.parametrize("budget", [1, 4, 9])
def test_budget_gives_that_many_graphs_per_class(train, budget):
    m = Mirage(hops=2, budget=budget).fit(train)
    d = m.distilled_
    assert len(d) == 3 * budget
    assert torch.bincount(d.storage().y.view(-1)).tolist() == [budget] * 3
    assert all(len(v) == budget for v in m.itemsets_.values())


def test_supports_thresholds_and_discriminative_rule(train):
    m = Mirage(hops=2, budget=5, overlap=1.0).fit(train)
    mats = class_matrices(m, train)
    for c, sets in m.itemsets_.items():
        items = [i for i, _ in sets]
        own = support_counts(mats[c], items)
        assert own.tolist() == [s for _, s in sets]  # reported supports are true supports
        assert all(s >= m.thresholds_[c] for _, s in sets)
        theta = m.thresholds_[c] / mats[c].shape[0]
        for c2, mat2 in mats.items():
            if c2 != c:  # never frequent in another class at this class's threshold
                assert np.all(support_counts(mat2, items) / mat2.shape[0] < theta)
    # the threshold is the largest that leaves the budget: one more and the class falls short
    for c, s in m.thresholds_.items():
        probe = Mirage(hops=2, min_support={k: (s + 1 if k == c else 1) for k in m.thresholds_}).fit
        try:
            fewer = probe(train).itemsets_[c]
            assert len(fewer) < 5
        except BudgetError:
            pass


def test_overlap_none_keeps_shared_sets(train):
    strict = Mirage(hops=2, min_support=0.1).fit(train)
    loose = Mirage(hops=2, min_support=0.1, overlap=None).fit(train)
    assert sum(map(len, loose.itemsets_.values())) > sum(map(len, strict.itemsets_.values()))


def test_explicit_thresholds(train):
    sizes = torch.bincount(torch.tensor([int(g.y) for g in train])).tolist()
    a = Mirage(hops=2, min_support=8).fit(train)
    assert set(a.thresholds_.values()) == {8}
    b = Mirage(hops=2, min_support=0.15).fit(train)
    assert b.thresholds_ == {c: int(np.ceil(0.15 * n)) for c, n in enumerate(sizes)}
    c = Mirage(hops=2, min_support={0: 6, 1: 0.1, 2: 7}).fit(train)
    assert c.thresholds_ == {0: 6, 1: int(np.ceil(0.1 * sizes[1])), 2: 7}
    total = sum(len(v) for v in a.itemsets_.values())
    assert len(a.distilled_) == total
    assert all(s >= 8 for v in a.itemsets_.values() for _, s in v)


@pytest.mark.parametrize("target", ["all", "closed", "maximal"])
def test_itemset_targets(train, target):
    m = Mirage(hops=1, budget=3, itemsets=target).fit(train)
    assert len(m.distilled_) == 9


def test_impossible_budget_is_a_clear_error(train):
    with pytest.raises(BudgetError, match="budget of 10000 graphs per class cannot be met"):
        Mirage(hops=2, budget=10000).fit(train)
    with pytest.raises(BudgetError, match="lower the threshold for this class"):
        Mirage(hops=2, min_support=1.0).fit(train)


def test_byte_budget(train):
    m = Mirage(hops=2, max_bytes=20_000).fit(train)
    assert m.distilled_.nbytes() <= 20_000
    bigger = Mirage(hops=2, budget=m.budget_ + 1).fit(train)
    assert bigger.distilled_.nbytes() > 20_000 or m.budget_ >= 1
    with pytest.raises(BudgetError, match="max_bytes=100 cannot be met"):
        Mirage(hops=2, max_bytes=100).fit(train)


def test_node_cap_names_max_degree(train):
    with pytest.raises(BudgetError, match="max degree"):
        Mirage(hops=3, budget=2, max_nodes=5).fit(train)


@pytest.mark.parametrize("kwargs,message", [
    ({"hops": 0}, "hops must be an integer >= 1"),
    ({"budget": 0}, "budget must be an integer >= 1"),
    ({"budget": 2, "min_support": 0.1}, "not budget and min_support"),
    ({"itemsets": "frequent"}, "itemsets must be one of"),
    ({"overlap": -1}, "overlap must be"),
    ({"min_support": 1.5}, r"relative support threshold must be in \(0, 1\]"),
    ({"min_support": 0}, "absolute support threshold must be >= 1"),
    ({"mining": MiningLimits(backend="pyfpgrowth")}, "backend must be one of"),
    ({"mining": {"backend": "pyfim"}}, "mining must be a MiningLimits"),
    ({"readout": "median"}, "readout must be"),
])
def test_parameters_are_validated(train, kwargs, message):
    with pytest.raises(ValueError, match=message):
        Mirage(**kwargs).fit(train)


def test_distilled_graph_structure(train):
    m = Mirage(hops=2, budget=3).fit(train)
    for g, (c, items, support) in zip(m.distilled_, m.distilled_.meta["itemsets"]):
        assert int(g.y) == c and float(g.weight) == support
        assert int(g.root_mask.sum()) == len(items)
        assert g.edge_index.size(1) == g.num_nodes - len(items)  # a forest of len(items) trees
        assert not bool(g.root_mask[g.edge_index[0]].any())  # roots are never children: edges point to parents
        assert g.x.dtype == torch.long and g.edge_attr.shape == (g.edge_index.size(1), 1)


def test_works_on_a_plain_list_of_data(train):
    a = Mirage(hops=2, budget=2).fit(train)
    b = Mirage(hops=2, budget=2).fit(list(train))
    assert a.distilled_.meta["itemsets"] == b.distilled_.meta["itemsets"]


def test_two_classes_and_metadata(mutag):
    m = Mirage(hops=2, budget=3).fit(mutag[mutag.split["train"]])
    meta = m.distilled_.meta
    assert meta["dataset"] == "MUTAG" and meta["num_classes"] == 2 and meta["hops"] == 2
    assert meta["trees_unique"] == m.n_trees_ and meta["full_bytes"] > 10 * m.distilled_.nbytes()
    assert [len(f) for f in m.distilled_.tree_freq] == [int((row > 0).sum()) for row in m.tree_counts_]


# ----------------------------------------------------------------------------------------------------------------------
# artifact
# ----------------------------------------------------------------------------------------------------------------------
def test_artifact_round_trip_and_byte_identical(train, tmp_path):
    d = Mirage(hops=2, budget=3).fit(train).distilled_
    p1, p2 = d.save(tmp_path / "a.npz"), Mirage(hops=2, budget=3).fit(train).distilled_.save(tmp_path / "b.npz")
    assert p1.read_bytes() == p2.read_bytes()
    loaded = DistilledDataset.load(p1)
    assert len(loaded) == len(d)
    for a, b in zip(d, loaded):
        for key in ("x", "edge_index", "edge_attr", "root_mask", "y", "weight"):
            assert torch.equal(a[key], b[key])
    assert loaded.meta["itemsets"] == d.meta["itemsets"]
    assert [f.tolist() for f in loaded.tree_freq] == [f.tolist() for f in d.tree_freq]
    with np.load(p1, allow_pickle=False) as z:  # a plain .npz, no pickle
        assert json.loads(bytes(z["meta"]))["format"] == "graph-mirage-distilled"
    assert list(tmp_path.glob(".*tmp")) == []


def test_artifact_refuses_bad_files(train, tmp_path):
    good = Mirage(hops=2, budget=2).fit(train).distilled_.save(tmp_path / "good.npz")
    data = good.read_bytes()
    (tmp_path / "trunc.npz").write_bytes(data[: len(data) // 2])
    with pytest.raises(ArtifactError, match="truncated"):
        DistilledDataset.load(tmp_path / "trunc.npz")
    # tamper: rewrite one array with a changed value, keep the metadata
    with np.load(good) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["y"] = arrays["y"].copy()
    arrays["y"][0] = 1 - arrays["y"][0]
    np.savez(tmp_path / "tampered.npz", **arrays)
    with pytest.raises(ArtifactError, match="checksum"):
        DistilledDataset.load(tmp_path / "tampered.npz")
    np.savez(tmp_path / "foreign.npz", a=np.arange(3))
    with pytest.raises(ArtifactError, match="not a graph-mirage distilled set"):
        DistilledDataset.load(tmp_path / "foreign.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(ArtifactError, match="not an .npz archive"):
        DistilledDataset.load(tmp_path / "text.npz")
    meta = json.loads(bytes(arrays["meta"]))
    meta["format_version"] = BANK_FORMAT_VERSION + 1
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(tmp_path / "future.npz", **arrays)
    with pytest.raises(ArtifactError, match=f"format version {BANK_FORMAT_VERSION + 1}"):
        DistilledDataset.load(tmp_path / "future.npz")
    with pytest.raises(ArtifactError, match="no such file"):
        DistilledDataset.load(tmp_path / "missing.npz")


def test_compatibility_check(train, mutag):
    d = Mirage(hops=2, budget=2).fit(train).distilled_
    check_compatible(d.meta, train.meta)
    with pytest.raises(ArtifactError, match="distilled from 'synthetic-motifs', not 'MUTAG'"):
        check_compatible(d.meta, mutag.meta)
    other = dict(train.meta, node_vocab=[99])
    with pytest.raises(ArtifactError, match="vocabularies differ"):
        check_compatible(d.meta, other)


# ----------------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------------
def run_cli(*args):
    """``mirage ARGS`` in a process of its own, forked after the imports (tests/forked.py)."""
    return forked.run(args, text=True)


def test_cli_distill_json_and_file(tmp_path):
    out = tmp_path / "s.npz"
    r = run_cli("distill", "synthetic-motifs", "--hops", "2", "--budget", "4", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    s = json.loads(r.stdout)
    for key in ("dataset", "hops", "classes", "graphs", "nodes", "edges", "bytes", "full_bytes", "compression",
                "seconds", "trees_unique", "itemsets"):
        assert key in s
    assert s["graphs"] == 12 and s["classes"] == 3 and s["hops"] == 2
    d = DistilledDataset.load(out)
    assert d.nbytes() == s["bytes"] and s["compression"] == pytest.approx(s["full_bytes"] / s["bytes"], rel=1e-3)
    r = run_cli("distill", "synthetic-motifs", "--support", "0:0.1", "1:7", "2:6", "--out", str(out), "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["thresholds"] == {"0": 9, "1": 7, "2": 6}  # 0.1 x 83 graphs of class 0 -> 9


def test_cli_impossible_budget_leaves_no_file(tmp_path):
    out = tmp_path / "s.npz"
    r = run_cli("distill", "synthetic-motifs", "--budget", "100000", "--out", str(out))
    assert r.returncode == 2 and "cannot be met" in r.stderr and "Traceback" not in r.stderr
    assert without_start_up(r.stderr).strip().count("\n") == 0
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_refuses_tampered_file(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04garbage")
    r = run_cli("train", "synthetic-motifs", "--distilled", str(bad), "--seeds", "1", "--epochs", "1")
    assert r.returncode == 2 and "not an .npz archive" in r.stderr
    assert "Traceback" not in r.stderr


def test_context_trees_join_every_graph_of_their_class(train):
    m = Mirage(hops=2, budget=3, context=4).fit(train)
    for g, (c, items, _) in zip(m.distilled_, m.distilled_.meta["itemsets"]):
        context = m.context_[c]
        assert len(context) == 4
        assert context == [int(t) for t in np.argsort(-m.tree_counts_[c], kind="stable")[:4]]
        assert int(g.root_mask.sum()) == len(set(items) | set(context))
    with pytest.raises(ValueError, match="context must be an integer >= 0"):
        Mirage(context=-1).fit(train)


def test_artifact_does_not_depend_on_the_order_of_the_training_graphs(synthetic, tmp_path):
    # witnesses are picked by dataset graph id, so a shuffled split (OGB's are not sorted) distils to the same file
    train = np.sort(synthetic.split["train"].numpy())
    shuffled = np.random.default_rng(0).permutation(train)
    a = Mirage(hops=2, budget=3, context=2).fit(synthetic[train]).distilled_.save(tmp_path / "a.npz")
    b = Mirage(hops=2, budget=3, context=2).fit(synthetic[shuffled]).distilled_.save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()
