"""Computation trees: canonical ids against a slow explicit oracle, sizes, unfolding, and GNN exactness."""

import networkx as nx
import numpy as np
import pytest
import torch

from graph_mirage.trees import TreeUnfolder, row_ids, tree_sizes, wl_colours


def random_labelled_graph(rng, n, p, node_labels=3, edge_labels=2):
    g = nx.gnp_random_graph(n, p, seed=int(rng.integers(1 << 30)))
    for v in g.nodes:
        g.nodes[v]["label"] = int(rng.integers(node_labels))
    for u, v in g.edges:
        g.edges[u, v]["label"] = int(rng.integers(edge_labels))
    return g


def to_arrays(graphs):
    """Disjoint union of networkx graphs -> node labels, edge_index (both directions), edge labels, offsets."""
    labels, src, dst, elab, offsets = [], [], [], [], [0]
    for g in graphs:
        off = offsets[-1]
        labels += [g.nodes[v]["label"] for v in sorted(g.nodes)]
        for u, v, d in g.edges(data=True):
            src += [u + off, v + off]
            dst += [v + off, u + off]
            elab += [d["label"], d["label"]]
        offsets.append(off + g.number_of_nodes())
    return (np.array(labels), np.array([src, dst], dtype=np.int64).reshape(2, -1), np.array(elab, dtype=np.int64),
            offsets)


def ahu(g, v, depth):
    """Canonical string of v's unfolded depth-`depth` computation tree (AHU: children's strings sorted)."""
    if depth == 0:
        return f"({g.nodes[v]['label']})"
    children = sorted(f"[{g.edges[v, u]['label']}{ahu(g, u, depth - 1)}]" for u in g.neighbors(v))
    return f"({g.nodes[v]['label']}{''.join(children)})"


@pytest.mark.parametrize("hops", [0, 1, 2, 3])
@pytest.mark.parametrize("seed", range(4))
def test_wl_ids_equal_iff_trees_isomorphic(hops, seed):
    rng = np.random.default_rng(seed)
    graphs = [random_labelled_graph(rng, int(rng.integers(3, 12)), 0.3) for _ in range(6)]
    labels, ei, elab, offsets = to_arrays(graphs)
    ids = wl_colours(labels, ei, elab, hops)[-1]
    strings = [ahu(g, v, hops) for g in graphs for v in sorted(g.nodes)]
    by_string = {}
    for s, i in zip(strings, ids):
        by_string.setdefault(s, set()).add(int(i))
    assert all(len(v) == 1 for v in by_string.values())  # isomorphic -> same id
    assert len({next(iter(v)) for v in by_string.values()}) == len(by_string)  # different -> different ids


def test_ids_are_canonical_under_node_permutation():
    rng = np.random.default_rng(0)
    g = random_labelled_graph(rng, 15, 0.25)
    labels, ei, elab, _ = to_arrays([g])
    perm = rng.permutation(len(labels))
    inv = np.argsort(perm)
    ids = wl_colours(labels, ei, elab, 2)[-1]
    ids_perm = wl_colours(labels[perm], inv[ei], elab, 2)[-1]
    assert np.array_equal(ids_perm, ids[perm])


def test_edge_labels_matter():
    ei = np.array([[0, 1], [1, 0]])
    a = wl_colours(np.array([0, 0, 0, 0]), np.array([[0, 1, 2, 3], [1, 0, 3, 2]]), np.array([0, 0, 1, 1]), 1)[-1]
    assert a[0] == a[1] and a[2] == a[3] and a[0] != a[2]
    b = wl_colours(np.array([0, 0]), ei, None, 1)[-1]
    assert b[0] == b[1]


def test_high_degree_is_not_exponential():
    """A star with 2000 leaves at 3 hops: degree^L would be 8e9 tree nodes, the refinement stays linear."""
    n = 2001
    src = np.concatenate([np.zeros(n - 1, dtype=np.int64), np.arange(1, n)])
    dst = np.concatenate([np.arange(1, n), np.zeros(n - 1, dtype=np.int64)])
    ids = wl_colours(np.zeros(n, dtype=np.int64), np.stack([src, dst]), None, 3)[-1]
    assert len(np.unique(ids[1:])) == 1 and ids[0] != ids[1]
    sizes = tree_sizes(np.stack([src, dst]), n, 3)
    # hub: 1 + 2000 * size2(leaf), size2(leaf) = 1 + size1(hub) = 1 + 2001; leaf: 1 + size2(hub) = 1 + 4001
    assert sizes[0] == 1 + 2000 * 2002 and sizes[1] == 4002


def test_row_ids():
    a = np.array([[1, 2], [0, 5], [1, 2], [0, 5], [3, 3]])
    ids = row_ids(a)
    assert ids[0] == ids[2] and ids[1] == ids[3] and len(set(ids.tolist())) == 3
    assert ids.tolist() == [1, 0, 1, 0, 2]  # ranks in sorted order: canonical


def test_unfolded_tree_matches_oracle_and_size():
    rng = np.random.default_rng(1)
    g = random_labelled_graph(rng, 9, 0.35)
    labels, ei, elab, _ = to_arrays([g])
    unf = TreeUnfolder(labels[:, None], ei, elab[:, None])
    for hops in (1, 2, 3):
        sizes = tree_sizes(ei, len(labels), hops)
        for v in range(len(labels)):
            t = unf.unfold(np.array([v]), hops)
            assert t.num_nodes == sizes[v]
            assert t.edge_index.size(1) == t.num_nodes - 1
            assert int(t.root_mask.sum()) == 1 and bool(t.root_mask[0])
            # the unfolded tree, read as a graph rooted at 0 with edges child -> parent, has v's AHU string
            tree = nx.Graph()
            for i in range(t.num_nodes):
                tree.add_node(i, label=int(t.x[i, 0]))
            for (c, p), lab in zip(t.edge_index.t().tolist(), t.edge_attr.view(-1).tolist()):
                tree.add_edge(c, p, label=lab)
            assert _tree_ahu(tree, 0, None) == ahu(g, v, hops)


def _tree_ahu(tree, v, parent):
    children = sorted(f"[{tree.edges[v, u]['label']}{_tree_ahu(tree, u, v)}]" for u in tree.neighbors(v)
                      if u != parent)
    return f"({tree.nodes[v]['label']}{''.join(children)})"


@pytest.mark.parametrize("conv", ["gin", "gine"])
@pytest.mark.parametrize("hops", [1, 2, 3])
def test_sum_aggregation_gnn_root_embedding_equals_witness(conv, hops):
    """The property that makes Mirage model-agnostic, on the trees the estimator actually emits."""
    from graph_mirage import Mirage, load_dataset
    from graph_mirage.models import make_model

    ds = load_dataset("synthetic-motifs")
    train = ds[ds.split["train"]]
    m = Mirage(hops=hops, budget=3, overlap=None).fit(train)
    flat = train.flat()
    torch.manual_seed(0)
    net = make_model(conv, 3, ds.meta["node_vocab"], ds.meta["edge_vocab"], num_layers=hops, hidden=16).eval()
    with torch.no_grad():
        h_real = net.embed_nodes(torch.from_numpy(flat.x), torch.from_numpy(flat.edge_index),
                                 torch.from_numpy(flat.edge_attr))
        checked = 0
        for g, (_, items, _) in zip(m.distilled_, m.distilled_.meta["itemsets"]):
            h_tree = net.embed_nodes(g.x, g.edge_index, g.edge_attr)[g.root_mask]
            witnesses = m.witness_[items]
            assert torch.allclose(h_tree, h_real[witnesses], atol=1e-5, rtol=1e-4)
            assert np.all(m.tree_ids_[witnesses] == np.array(items))
            checked += len(items)
    assert checked >= 9


def test_isolated_node_unfolds_to_a_single_root():
    unf = TreeUnfolder(np.array([[3], [1], [1]]), np.array([[1, 2], [2, 1]]), np.array([[0], [0]]))
    t = unf.unfold(np.array([0]), 3)
    assert t.num_nodes == 1 and t.edge_index.shape == (2, 0) and t.edge_attr.shape == (0, 1)
    assert int(t.x[0, 0]) == 3 and bool(t.root_mask[0])


def test_no_nodes_refine_to_no_colours():
    """An empty part of a partitioned dataset (the Spark engine refines each part) has no trees at any depth."""
    colours = wl_colours(np.zeros(0, dtype=np.int64), np.zeros((2, 0), dtype=np.int64), None, 2)
    assert [c.shape for c in colours] == [(0,), (0,), (0,)]
