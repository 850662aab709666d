"""The tree stage's summary of a training split: everything mining, selection and emission read.

Both engines produce one :class:`TreeTable`: the in-memory engine from :class:`~graph_mirage.data.FlatGraphs`
(:meth:`TreeTable.from_flat`), the Spark engine from a Parquet directory (:mod:`graph_mirage.spark_engine`), where
the graphs never reach the driver. :meth:`graph_mirage.Mirage.fit_table` distils from either, so both write the same
artifact.

The witness of a tree id (the node whose computation tree is unfolded into a distilled graph) is its first node by
*dataset* graph id, then node: the choice does not depend on the order in which the training graphs are given (OGB
split indices are not sorted), so both engines pick the same one.

Example:
    >>> ds = load_dataset("MUTAG")                                 # doctest: +SKIP
    >>> table = TreeTable.from_flat(ds[ds.split["train"]].flat(), ds.meta, hops=2)   # doctest: +SKIP
    >>> Mirage(hops=2, budget=5).fit_table(table).distilled_        # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import scipy.sparse as sp

from .data import FlatGraphs, classes_of
from .data.graphs import _ranges
from .distilled import source_meta
from .mining import transaction_matrix
from .trees import TreeUnfolder, row_ids, tree_sizes, wl_colours

#: ``trees -> (unfolder, witness node of each tree in the unfolder's graph)``
Witnesses = Callable[[np.ndarray], tuple[TreeUnfolder, np.ndarray]]


@dataclass
class TreeTable:
    """What distillation needs to know about the training graphs after the tree stage.

    Attributes:
        hops: depth of the computation trees.
        n_trees: number of distinct tree ids (ids are ``0 .. n_trees-1``, exact WL ranks).
        num_classes: classes of the dataset (a class may have no training graph).
        rows: class -> ``[rows, n_trees]`` binary CSR: each row a transaction (the set of a graph's tree ids).
            Rows may be cut to the trees that can be frequent and merged (see ``weights``).
        weights: class -> ``[rows]`` int64, how many training graphs each row stands for (None: one each).
        tree_size: ``[n_trees]`` int64 nodes of each tree unfolded; -1 where the engine did not compute it (the
            Spark engine computes it for trees that can be mined or used as context only).
        tree_freq: per class ``0 .. num_classes-1``: node counts of the class's trees, sorted descending.
        max_degree: largest in-degree of a training node.
        source: the distilled set's source description (:func:`graph_mirage.distilled.source_meta`).
        node_columns, edge_columns: categorical feature columns of nodes and edges.
        witnesses: see :data:`Witnesses`.
        counts: ``[num_classes, n_trees]`` node counts (in-memory engine only; None from Spark).
        top: class -> trees by node count (descending, then id), as many as the engine was asked for (Spark).
        tree_ids: ``[num_nodes]`` tree id of each training node (in-memory engine only).
        max_support: class -> the largest support (graphs) of one tree in the class.
        floors: class -> the rows hold every tree with support >= floors[c] in some class c: exact for mining class
            c at any support >= floors[c], and for the support of those sets in every class. None: complete rows.
        fetch: ``floors -> (rows, weights)`` at lower floors (the Spark engine asks its cluster); None: complete.
        release: frees what the engine holds for ``fetch``.
    """

    hops: int
    n_trees: int
    num_classes: int
    rows: dict[int, sp.csr_matrix]
    weights: dict[int, np.ndarray | None]
    tree_size: np.ndarray
    tree_freq: list[np.ndarray]
    max_degree: int
    source: dict
    node_columns: int
    edge_columns: int
    witnesses: Witnesses
    counts: np.ndarray | None = None
    top: dict[int, np.ndarray] = field(default_factory=dict)
    tree_ids: np.ndarray | None = None
    max_support: dict[int, int] = field(default_factory=dict)
    floors: dict[int, int] | None = None
    fetch: Callable[[dict[int, int]], tuple[dict, dict]] | None = None
    release: Callable[[], None] = lambda: None
    fetches: int = 1

    def lower(self, floors: dict[int, int]) -> None:
        """Replace the rows by ones exact down to ``floors`` (lower than the current ones) through ``fetch``."""
        if self.fetch is None or self.floors is None:
            return
        self.floors = {c: min(int(floors.get(c, f)), f) for c, f in self.floors.items()}
        self.rows, self.weights = self.fetch(self.floors)
        self.fetches += 1

    @property
    def classes(self) -> list[int]:
        """Classes with at least one training graph, ascending."""
        return sorted(self.rows)

    def class_size(self, c: int) -> int:
        """Training graphs of class ``c``."""
        w = self.weights.get(c)
        return int(self.rows[c].shape[0] if w is None else w.sum())

    def top_trees(self, c: int, k: int) -> list[int]:
        """The ``k`` trees with the most nodes in class ``c`` (ties: smaller id first)."""
        if k <= 0:
            return []
        if self.counts is not None:
            order = np.argsort(-self.counts[c], kind="stable")[:k]
            return [int(t) for t in order if self.counts[c, t] > 0]
        return [int(t) for t in self.top.get(c, [])[:k]]

    # ------------------------------------------------------------------------------------------------------------------
    @classmethod
    def from_flat(cls, flat: FlatGraphs, meta: dict, hops: int) -> "TreeTable":
        """The in-memory engine: exact WL on ``flat`` (:func:`graph_mirage.trees.wl_colours`)."""
        classes_of(flat)
        tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops, keep_all=False)[-1]
        n_trees = int(tree.max()) + 1 if len(tree) else 0
        graph_of_node = flat.graph_of_node
        num_classes = int(meta.get("num_classes", int(flat.y.max()) + 1))
        counts = np.zeros((num_classes, n_trees), dtype=np.int64)
        node_class = flat.y[graph_of_node]
        for c in np.unique(flat.y):  # bincount: np.add.at is 10x slower on millions of nodes
            counts[c] = np.bincount(tree[node_class == c], minlength=n_trees)
        del node_class
        matrix = transaction_matrix(graph_of_node, tree, flat.num_graphs, n_trees)
        rows = {int(c): _sorted(matrix[np.flatnonzero(flat.y == c)]) for c in np.unique(flat.y)}
        del matrix  # the per-class slices are copies
        sizes = tree_sizes(flat.edge_index, len(flat.x), hops)
        witness = _first_nodes(flat, tree)
        degree = np.bincount(flat.edge_index[1], minlength=len(flat.x))
        unfolder = TreeUnfolder(flat.x, flat.edge_index, flat.edge_attr, flat.x_cont)
        max_support = {c: int(np.bincount(m.indices, minlength=1).max()) if m.nnz else 0 for c, m in rows.items()}
        return cls(hops=hops, n_trees=n_trees, num_classes=num_classes, rows=rows, weights={c: None for c in rows},
                   tree_size=sizes[witness], tree_freq=[np.sort(r[r > 0])[::-1].copy() for r in counts],
                   max_degree=int(degree.max()) if len(degree) else 0, source=source_meta(meta, flat),
                   node_columns=flat.x.shape[1], edge_columns=flat.edge_attr.shape[1],
                   witnesses=lambda trees: (unfolder, witness[np.asarray(trees, dtype=np.int64)]), counts=counts,
                   tree_ids=tree, max_support=max_support)


def _sorted(m: sp.csr_matrix) -> sp.csr_matrix:
    m = m.tocsr()
    m.sort_indices()
    return m


def _first_nodes(flat: FlatGraphs, tree: np.ndarray) -> np.ndarray:
    """``[n_trees]`` the first node of each tree id by dataset graph id, then node (see the module docstring)."""
    ids = getattr(flat, "graph_ids", None)
    if ids is None or np.all(np.diff(ids) > 0):
        return np.unique(tree, return_index=True)[1]
    n_of = np.diff(flat.node_ptr)
    order = np.argsort(ids, kind="stable")
    nodes, _ = _ranges(flat.node_ptr[:-1][order], n_of[order])  # the nodes, graphs taken by dataset id
    return nodes[np.unique(tree[nodes], return_index=True)[1]]
