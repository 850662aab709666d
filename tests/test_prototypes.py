"""Tree-multiset prototypes: the computation DAG is exact, root weights reproduce a graph's sum readout, the artifact
keeps them, and the estimator validates its parameters."""

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from graph_mirage import DistilledDataset, ParameterError
from graph_mirage.clusters import cluster_means, distinct_rows, normalised_counts
from graph_mirage.models import make_model
from graph_mirage.prototypes import ComputationDAG, TreePrototypes, tree_counts
from graph_mirage.trees import TreeUnfolder, row_ids, wl_colours


@pytest.fixture(scope="module")
def train(synthetic):
    return synthetic[synthetic.split["train"]]


def _embed(model, g):
    with torch.no_grad():
        return model.embed_nodes(torch.as_tensor(g.x), torch.as_tensor(g.edge_index), torch.as_tensor(g.edge_attr))


@pytest.mark.parametrize("hops", [1, 2, 3])
@pytest.mark.parametrize("conv", ["gin", "gine", "gat", "sage"])
def test_dag_roots_embed_exactly_like_their_real_nodes(mutag, hops, conv):
    flat = mutag[mutag.split["train"]].flat()
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)
    dag = ComputationDAG(flat, colours)
    trees = np.unique(colours[-1])[::7][:30]
    g = dag.build(trees, hops)
    torch.manual_seed(hops)
    model = make_model(conv, 2, mutag.meta["node_vocab"], mutag.meta["edge_vocab"], num_layers=hops, hidden=16).eval()
    real = _embed(model, flat)[torch.as_tensor(dag.witness[hops][trees])]
    assert torch.allclose(_embed(model, g)[: len(trees)], real, atol=1e-5)
    assert g.root_mask[: len(trees)].all() and not g.root_mask[len(trees):].any()


def _dag_error(mutag, hops, conv, degrees):
    """Largest difference between the DAG roots' and their witnesses' node embeddings."""
    flat = mutag[mutag.split["train"]].flat()
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)
    dag = ComputationDAG(flat, colours)
    trees = np.unique(colours[-1])[::7][:30]
    g = dag.build(trees, hops, degrees=degrees)
    torch.manual_seed(hops)
    model = make_model(conv, 2, mutag.meta["node_vocab"], mutag.meta["edge_vocab"], num_layers=hops, hidden=16).eval()
    real = _embed(model, flat)[torch.as_tensor(dag.witness[hops][trees])]
    assert g.root_mask[: len(trees)].all() and not g.root_mask[len(trees):].any()
    return float((_embed(model, g)[: len(trees)] - real).abs().max())


@pytest.mark.parametrize("conv", ["gin", "gine", "gat", "sage"])
def test_leaf_degrees_leave_the_other_convolutions_exact(mutag, conv):
    """The in-edges a leaf gets with ``degrees`` change only states no root of the DAG's depth reads."""
    assert _dag_error(mutag, 2, conv, degrees=True) < 1e-5


def test_leaf_degrees_make_gcn_exact_at_depth_one_and_closer_beyond(mutag):
    """GCN divides a message by the root of its sender's degree, which a leaf without in-edges gets wrong."""
    assert _dag_error(mutag, 1, "gcn", degrees=False) > 1e-2
    assert _dag_error(mutag, 1, "gcn", degrees=True) < 1e-5
    for hops in (2, 3):  # a depth-L tree does not fix its deepest nodes' degrees: only the witnesses' are kept
        assert _dag_error(mutag, hops, "gcn", degrees=True) < _dag_error(mutag, hops, "gcn", degrees=False) / 3


def test_leaf_degrees_are_recorded_and_only_change_the_dags(synthetic):
    train = synthetic[synthetic.split["train"]]
    plain = TreePrototypes(hops=2, per_class=2).fit(train).distilled_
    exact = TreePrototypes(hops=2, per_class=2, degrees=True).fit(train).distilled_
    assert "degrees" not in plain.meta["params"] and exact.meta["params"]["degrees"] is True
    assert exact.meta["prototypes"] == plain.meta["prototypes"] and exact.nbytes() > plain.nbytes()
    for a, b in zip(plain, exact):  # the same roots and weights; one more (non-root) node, in-edges at the leaves
        assert torch.equal(a.root_weight[a.root_mask], b.root_weight[b.root_mask])
        assert b.num_nodes > a.num_nodes and int(b.root_mask.sum()) == int(a.root_mask.sum())
    with pytest.raises(ParameterError, match="degrees"):
        TreePrototypes(degrees="yes").fit(train)


def test_dag_is_smaller_than_the_unfolded_trees_with_the_same_roots(mutag):
    flat = mutag[mutag.split["train"]].flat()
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 3)
    dag = ComputationDAG(flat, colours)
    trees = np.unique(colours[-1])[:40]
    g = dag.build(trees, 3)
    t = TreeUnfolder(flat.x, flat.edge_index, flat.edge_attr).unfold(dag.witness[3][trees], 3)
    assert g.num_nodes < t.num_nodes / 3 and g.edge_index.size(1) < t.edge_index.size(1)
    # same in-degree multiset at the roots: every root keeps all its children (parallel edges for repeats)
    assert torch.equal(torch.bincount(g.edge_index[1], minlength=g.num_nodes)[: len(trees)],
                       torch.bincount(t.edge_index[1], minlength=t.num_nodes)[: len(trees)])


def test_root_weights_reproduce_a_graphs_sum_readout(mutag):
    """One graph as a DAG of its distinct trees, each weighted by its count: the weighted root readout is the real
    graph's readout (GIN, sum)."""
    real = mutag[int(mutag.split["train"][0])]
    colours = wl_colours(row_ids(real.x.numpy()), real.edge_index.numpy(), row_ids(real.edge_attr.numpy()), 2)
    trees, counts = np.unique(colours[-1], return_counts=True)
    from graph_mirage.data import as_flat

    g = ComputationDAG(as_flat([real]), colours).build(trees, 2)
    g.root_weight = torch.zeros(g.num_nodes)
    g.root_weight[: len(trees)] = torch.as_tensor(counts, dtype=torch.float32)
    g.y = real.y
    torch.manual_seed(0)
    model = make_model("gin", 2, mutag.meta["node_vocab"], mutag.meta["edge_vocab"], num_layers=2, hidden=16,
                       readout="sum").eval()
    with torch.no_grad():
        assert torch.allclose(model(Batch.from_data_list([g])), model(Batch.from_data_list([real])), atol=1e-4)


def test_one_cluster_prototype_weights_are_the_class_mean_counts(mutag):
    train = mutag[mutag.split["train"]]
    p = TreePrototypes(hops=1, per_class=1, mass=1.0, max_roots=10_000).fit(train)
    flat = train.flat()
    tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 1)[-1]
    for c, (_, size, kept) in zip((0, 1), [(q[0], q[1], q[2]) for q in p.distilled_.meta["prototypes"]]):
        members = flat.y[flat.graph_of_node] == c
        mean = np.bincount(tree[members], minlength=tree.max() + 1) / (flat.y == c).sum()
        g = p.distilled_[c]
        assert size == (flat.y == c).sum() and set(kept) == set(np.flatnonzero(mean).tolist())
        assert np.allclose(g.root_weight[g.root_mask].numpy(), mean[kept], atol=1e-5)


def test_weighted_mean_readout(mutag):
    p = TreePrototypes(hops=1, per_class=2).fit(mutag[mutag.split["train"]])
    g = p.distilled_[0]
    torch.manual_seed(0)
    kw = dict(num_layers=1, hidden=8)
    m = make_model("gin", 2, mutag.meta["node_vocab"], mutag.meta["edge_vocab"], readout="mean", **kw).eval()
    b = Batch.from_data_list([g])
    with torch.no_grad():
        h = m.embed_nodes(b.x, b.edge_index, b.edge_attr)[b.root_mask]
        w = b.root_weight[b.root_mask].view(-1, 1)
        assert torch.allclose(m(b), m.head((h * w).sum(0, keepdim=True) / w.sum()), atol=1e-5)


def test_prototypes_per_class_weights_and_bytes(train):
    p = TreePrototypes(hops=2, per_class=3, max_roots=8).fit(train)
    d = p.distilled_
    y = d.storage().y.view(-1).numpy()
    assert [int((y == c).sum()) for c in range(3)] == [3, 3, 3]
    assert sum(p.clusters_[0]) == int((train.flat().y == 0).sum())  # every graph of a class is in one cluster
    assert all(int(g.root_mask.sum()) <= 8 and (g.root_weight[g.root_mask] > 0).all() for g in d)
    assert d.meta["method"] == "mirage-proto" and d.meta["readout"] == "sum"
    roots = int(d.storage().root_mask.sum())
    plain = sum(t.numel() * t.element_size() for t in (d.storage().x, d.storage().edge_index, d.storage().edge_attr,
                                                       d.storage().root_mask, d.storage().y, d.storage().weight))
    assert d.nbytes() == plain + 4 * roots
    # the members: a partition of the fitted graphs, each prototype's within its class and as many as its weight
    labels = train.flat().y
    members = np.concatenate(p.members_)
    assert len(p.members_) == len(d) and sorted(members.tolist()) == list(range(len(labels)))
    for g, m in zip(d, p.members_):
        assert (labels[m] == int(g.y)).all() and len(m) == int(g.weight)


def test_as_many_prototypes_as_distinct_graphs_are_one_per_distinct_tree_count(mutag):
    """With at least as many clusters as distinct points k-means' optimum is exact: one cluster per distinct
    (normalised) tree-count vector, found without k-means and the same partition k-means finds."""
    from sklearn.cluster import KMeans

    flat = mutag.flat()
    rows = tree_counts(flat, 1).counts[np.flatnonzero(flat.y == 0)]
    n_distinct, groups = distinct_rows(normalised_counts(rows))
    assert 1 < n_distinct < rows.shape[0]  # MUTAG's class 0 has graphs with the same one-hop trees
    labels = KMeans(n_clusters=n_distinct, n_init=1, random_state=0).fit(normalised_counts(rows)).labels_
    assert len(set(zip(groups.tolist(), labels.tolist()))) == n_distinct  # the same partition
    p = TreePrototypes(hops=1, per_class=rows.shape[0] + 5).fit(mutag)
    assert sorted(p.clusters_[0], reverse=True)[:n_distinct] == sorted(np.bincount(groups).tolist(), reverse=True)
    assert sum(size > 0 for size in p.clusters_[0]) == n_distinct
    assert int((p.distilled_.storage().y.view(-1) == 0).sum()) == n_distinct


def test_cluster_means_are_bit_for_bit_scipys_mean_of_each_cluster():
    """One sparse product gives each cluster's mean exactly as indexing the cluster and taking scipy's mean does
    (the prototypes, and so the files, stay byte-identical); an empty cluster's mean is zero."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    for n, d, k in ((300, 40, 7), (1000, 500, 50), (50, 5, 60)):
        rows = sp.csr_matrix(rng.poisson(0.3, size=(n, d)) * rng.integers(1, 40, size=(n, 1)), dtype=np.float64)
        labels = rng.integers(0, k, size=n)
        means = cluster_means(rows, labels, k)
        assert means.shape == (k, d)
        for j in range(k):
            want = np.asarray(rows[labels == j].mean(0)).ravel() if (labels == j).any() else np.zeros(d)
            assert np.array_equal(means[j].toarray().ravel(), want), (n, d, k, j)


@pytest.mark.parametrize("bank", [False, True])
def test_bytes_are_known_before_a_banks_graphs_are_extracted(train, bank):
    """``nbytes_`` is what the set's ``nbytes()`` counts, with or without a bank, and fits that share one tree stage
    give the sets separate fits give."""
    p = TreePrototypes(hops=2, per_class=4, bank=bank).fit(train)
    assert p.nbytes_ == p.distilled_.nbytes() and len(p.distilled_) == len(p.prototypes_)
    flat = train.flat()
    trees = tree_counts(flat, 2)
    for k in (2, 4):  # the second fit reads the class rows the first one cached on the shared tree stage
        shared = TreePrototypes(hops=2, per_class=k, bank=bank).fit_trees(flat, trees, dict(train.meta))
        alone = TreePrototypes(hops=2, per_class=k, bank=bank).fit(train)
        assert shared.nbytes_ == alone.nbytes_ and shared.clusters_ == alone.clusters_
        assert torch.equal(shared.distilled_.storage().x, alone.distilled_.storage().x)
    assert not hasattr(TreePrototypes(), "distilled_")  # unfitted: no set, as scikit-learn's attributes


def test_artifact_keeps_root_weights_and_is_deterministic(train, tmp_path):
    a = TreePrototypes(hops=2, per_class=2).fit(train).distilled_.save(tmp_path / "a.npz")
    b = TreePrototypes(hops=2, per_class=2).fit(train).distilled_.save(tmp_path / "b.npz")
    assert a.read_bytes() == b.read_bytes()
    d = DistilledDataset.load(a)
    orig = TreePrototypes(hops=2, per_class=2).fit(train).distilled_
    assert torch.equal(d.storage().root_weight, orig.storage().root_weight)
    assert d.nbytes() == orig.nbytes()


def _root_label_shares(g, flat):
    """The weighted shares of the prototype ``g``'s root labels, and the real shares of node labels in its class."""
    labels = g.x[g.root_mask].view(-1).numpy() if g.x.dim() == 1 else g.x[g.root_mask][:, 0].numpy()
    w = g.root_weight[g.root_mask].numpy()
    real = flat.x[flat.y[flat.graph_of_node] == int(g.y)]
    real = real if real.ndim == 1 else real[:, 0]
    k = int(max(real.max(), labels.max())) + 1
    return np.bincount(labels, weights=w, minlength=k) / w.sum(), np.bincount(real, minlength=k) / len(real), w


def test_sampled_roots_keep_each_kind_of_node_in_its_share(mutag):
    """roots="sampled": at most max_roots roots whose weights are whole multiples of nodes / max_roots and sum to the
    cluster's mean node count, and the roots' labels in the shares the class's nodes have — where the most frequent
    trees ("top", rescaled) leave the rarer labels out (MUTAG at two hops, four roots: total variation 0.42-0.44)."""
    train = mutag[mutag.split["train"]]
    flat = train.flat()
    top = TreePrototypes(hops=2, per_class=1, max_roots=4).fit(train).distilled_
    sampled = TreePrototypes(hops=2, per_class=1, max_roots=4, roots="sampled").fit(train)
    for g_top, g in zip(top, sampled.distilled_):
        shares, real, w = _root_label_shares(g, flat)
        nodes = (flat.y[flat.graph_of_node] == int(g.y)).sum() / (flat.y == int(g.y)).sum()
        assert len(w) <= 4 and np.isclose(w.sum(), nodes, rtol=1e-5)
        assert np.allclose(w / (nodes / 4), np.round(w / (nodes / 4)), atol=1e-4)
        tv_sampled = 0.5 * np.abs(shares - real).sum()
        tv_top = 0.5 * np.abs(_root_label_shares(g_top, flat)[0] - real).sum()
        assert tv_sampled < tv_top - 0.1, (tv_sampled, tv_top)
    assert sampled.distilled_.meta["params"]["roots"] == "sampled"
    assert "roots" not in top.meta["params"]  # the default's files are unchanged (tests/test_golden.py)


def test_even_ties_reaches_the_prototypes_and_the_file_of_every_distiller(mutag, tmp_path):
    """roots="even-ties" through TreePrototypes and the automatic default: the same clusters and weights as "top"
    (equally frequent trees weigh the same), roots that differ only within a tie at the cut, and the option in the
    artifact's params."""
    from graph_mirage import AutoPrototypes

    train = mutag[mutag.split["train"]]
    top = TreePrototypes(hops=1, per_class=3, max_roots=3).fit(train)
    even = TreePrototypes(hops=1, per_class=3, max_roots=3, roots="even-ties").fit(train)
    assert any(not np.array_equal(a[1], b[1]) for a, b in zip(top.prototypes_, even.prototypes_))
    for (c, kept, w), (c2, kept2, w2) in zip(top.prototypes_, even.prototypes_):
        assert c == c2 and len(kept) == len(kept2) and np.allclose(w, w2)
    valid = mutag[mutag.split["valid"]]
    auto = AutoPrototypes(hops=1, per_class=[1, 2], roots="even-ties").fit(train, validation=valid)
    path = tmp_path / "even.pt"
    auto.distilled_.save(path)
    assert DistilledDataset.load(path).meta["params"]["roots"] == "even-ties"


def test_sampled_roots_are_the_exact_mean_when_the_trees_fit(mutag):
    """A cluster with at most max_roots distinct trees keeps them all with their mean counts (mass is not used)."""
    train = mutag[mutag.split["train"]]
    exact = TreePrototypes(hops=1, per_class=2, mass=1.0, max_roots=10_000).fit(train)
    sampled = TreePrototypes(hops=1, per_class=2, max_roots=10_000, roots="sampled").fit(train)
    for (c, kept, w), (c2, kept2, w2) in zip(exact.prototypes_, sampled.prototypes_):
        assert c == c2 and np.array_equal(kept, kept2) and np.allclose(w, w2)


@pytest.mark.parametrize("kwargs, message", [
    (dict(per_class=0), "per_class must be an integer >= 1"),
    (dict(hops=0), "hops must be an integer >= 1"),
    (dict(mass=1.5), "mass must be a number in"),
    (dict(max_roots=True), "max_roots must be an integer"),
    (dict(readout="max"), "readout must be"),
    (dict(roots="all"), "roots must be one of 'top', 'sampled'"),
])
def test_parameters_are_validated(train, kwargs, message):
    with pytest.raises(ParameterError, match=message):
        TreePrototypes(**kwargs).fit(train)


def test_even_ties_spreads_the_roots_kept_from_a_tie_over_it_and_changes_nothing_else():
    """Where the cut falls inside a run of equally frequent trees, ``"top"`` keeps the run's lowest ids and
    ``"even-ties"`` the same number spread evenly over the run, with the same weights; without such a tie both keep the
    same roots."""
    from graph_mirage.roots import prototype_roots

    mean = np.zeros(40)
    mean[[3, 7]] = [5.0, 4.0]
    mean[10:30] = 1.0  # twenty equally frequent trees, ids 10..29
    top, w_top = prototype_roots(mean, 1.0, 6, "top")
    even, w_even = prototype_roots(mean, 1.0, 6, "even-ties")
    assert top.tolist() == [3, 7, 10, 11, 12, 13]
    assert even[:2].tolist() == [3, 7] and even[2:].tolist() == [12, 17, 22, 27]
    assert np.allclose(w_top, w_even) and np.isclose(w_even.sum(), mean.sum())
    plain = np.array([0.0, 3.0, 2.0, 1.0, 0.5])
    for mass, cap in ((0.9, 10), (1.0, 2), (0.5, 10)):
        a, wa = prototype_roots(plain, mass, cap, "top")
        b, wb = prototype_roots(plain, mass, cap, "even-ties")
        assert a.tolist() == b.tolist() and np.allclose(wa, wb)


def test_roots_by_label_give_each_prototype_its_clusters_label_counts_exactly():
    """``"by-label"``: every root label of the cluster served (up to ``max_roots``), its roots carrying the label's
    mean count; where a few labels' most frequent trees would take every root (``"top"``), the others are missed."""
    from graph_mirage.roots import prototype_roots

    rng = np.random.default_rng(0)
    mean = rng.gamma(0.3, 1.0, 400) * (rng.random(400) < 0.6)
    label = rng.integers(0, 12, 400)
    label_mass = np.bincount(label, weights=mean, minlength=12)
    for cap in (12, 32, 100):
        kept, w = prototype_roots(mean, 0.9, cap, "by-label", tree_label=label)
        assert len(kept) <= cap and len(set(kept.tolist())) == len(kept) and np.isclose(w.sum(), mean.sum())
        assert np.allclose(np.bincount(label[kept], weights=w, minlength=12), label_mass)
        assert np.all(np.diff(mean[kept] > 0) <= 0) and np.all(mean[kept] > 0)
    top, w_top = prototype_roots(mean, 0.9, 12, "top")
    assert not np.allclose(np.bincount(label[top], weights=w_top, minlength=12), label_mass)
    # more labels than roots: the most frequent labels served, the others' mass spread over them in proportion
    kept, w = prototype_roots(mean, 0.9, 5, "by-label", tree_label=label)
    served = np.argsort(-label_mass, kind="stable")[:5]
    assert set(label[kept].tolist()) == set(served.tolist()) and np.isclose(w.sum(), mean.sum())
    with pytest.raises(ParameterError, match="tree_label"):
        prototype_roots(mean, 0.9, 5, "by-label")


def test_by_label_prototypes_carry_their_clusters_mean_label_counts(train):
    from graph_mirage.data import as_flat
    from graph_mirage.roots import tree_labels

    flat = as_flat(train)
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 2)
    label_of_tree = tree_labels(colours)
    labels = colours[0]
    per_graph = np.zeros((flat.num_graphs, int(labels.max()) + 1))
    np.add.at(per_graph, (flat.graph_of_node, labels), 1)
    est = TreePrototypes(hops=2, per_class=3, max_roots=32, roots="by-label").fit(train)
    top = TreePrototypes(hops=2, per_class=3, max_roots=4).fit(train)
    for (_, kept, w), members in zip(est.prototypes_, est.members_):
        got = np.bincount(label_of_tree[kept], weights=w, minlength=per_graph.shape[1])
        assert np.allclose(got, per_graph[members].mean(0))
    misses = [not np.allclose(np.bincount(label_of_tree[k], weights=w, minlength=per_graph.shape[1]),
                              per_graph[m].mean(0)) for (_, k, w), m in zip(top.prototypes_, top.members_)]
    assert any(misses)  # four most frequent trees do not keep every label's count
