"""graph-mirage's improved distiller: tree-multiset prototypes, emitted as shared computation DAGs.

Mirage (the paper) keeps *which* trees co-occur often in a class (frequent itemsets) and drops *how often* each tree
occurs in a graph. A GNN with a sum readout sees a real graph as the sum of its nodes' tree embeddings, i.e. as its
tree-count vector pushed through the network. :class:`TreePrototypes` keeps that vector:

1. every training node gets its exact L-hop computation-tree id (:func:`graph_mirage.trees.wl_colours`, as Mirage);
2. per class, the graphs' tree-count vectors are clustered (k-means on L2-normalised counts, ``per_class``
   clusters); a cluster's **prototype** is its mean count vector, cut to the trees that carry ``mass`` of it (at most
   ``max_roots``) and rescaled so that the prototype has the cluster's mean number of nodes — or, with
   ``roots="sampled"``, ``max_roots`` trees drawn by systematic sampling over the whole mean count vector, each
   weighted by the share of nodes it stands for (every kind of node keeps its share where nearly every tree is
   distinct, as in DD);
3. each prototype becomes one graph whose roots are its trees and whose ``root_weight`` is each tree's mean count, so
   the weighted sum readout over the roots is exactly the cluster's mean readout restricted to the kept trees, for
   any message-passing GNN of depth <= L (no model is trained; nothing depends on the architecture);
4. the trees are emitted as one **computation DAG** per graph instead of a disjoint union of unfolded trees:
   isomorphic subtrees at the same depth are one node, and a repeated child is a parallel edge. Message passing of
   depth L over it computes the same root embeddings as over the unfolded trees (sum, mean and attention aggregation
   all see the same multiset of incoming messages), at a fraction of the bytes. GCN also divides each message by the
   square root of its *sender's* degree, and a leaf of a tree has no in-edges: ``degrees=True`` gives the leaves
   their real degrees (exact at depth 1; at depth L only the witnesses' degrees, since a depth-L tree does not fix
   the degrees of its deepest nodes, which GCN's L-th layer reads).

Example:
    >>> from graph_mirage import load_dataset
    >>> from graph_mirage.prototypes import TreePrototypes
    >>> ds = load_dataset("synthetic-motifs")
    >>> p = TreePrototypes(hops=2, per_class=3).fit(ds[ds.split["train"]])
    >>> len(p.distilled_)                 # 3 classes x 3 prototypes
    9
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from numbers import Integral, Real
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator
from torch_geometric.data import Data

from .bank import TreeBank, bank_graphs, check_bank
from .clusters import cluster_means, distinct_rows, kmeans_labels, normalised_counts
from .config.defaults import DEFAULT_HOPS, KMEANS_SAMPLE
from .data import FlatGraphs, Graphs, as_flat, classes_of
from .distilled import DistilledDataset, source_meta
from .errors import BudgetError, ParameterError
from .roots import check_roots, prototype_roots, tree_labels
from .trees import TreeUnfolder, row_ids, wl_colours

if TYPE_CHECKING:
    from typing import Callable


@dataclass
class TreeCounts:
    """The tree stage of :class:`TreePrototypes`: WL colours of rounds 0..L and the ``[graphs, trees]`` count
    matrix of the round-L colours (how many nodes of each graph have each tree), with the seconds it took."""

    colours: list[np.ndarray]
    counts: sp.csr_matrix
    seconds: float
    dag: "ComputationDAG | None" = None  # built by the first fit that needs it, shared by the others
    _classes: dict = field(default_factory=dict, repr=False)

    def of_class(self, y: np.ndarray, c: int) -> tuple[np.ndarray, sp.csr_matrix, sp.csr_matrix, tuple]:
        """Class ``c``'s graphs (``y``: the labels of the graphs counted): their indices, count rows, normalised
        rows and :func:`distinct_rows`, computed once and shared by every fit that clusters this class."""
        if c not in self._classes:
            idx = np.flatnonzero(y == c)
            rows = self.counts[idx]
            feats = normalised_counts(rows)
            self._classes[c] = (idx, rows, feats, distinct_rows(feats))
        return self._classes[c]


def tree_counts(flat: FlatGraphs, hops: int, colours: list[np.ndarray] | None = None) -> TreeCounts:
    """Exact ``hops``-hop tree ids of every node of ``flat`` and each graph's tree counts (``colours``: the
    :func:`~graph_mirage.trees.wl_colours` of ``flat`` for rounds 0..hops or more, when already computed)."""
    t0 = time.perf_counter()
    if colours is None:
        colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)
    colours = colours[: hops + 1]
    tree = colours[-1]
    counts = sp.csr_matrix((np.ones(len(tree)), (flat.graph_of_node, tree)),
                           shape=(flat.num_graphs, int(tree.max()) + 1 if len(tree) else 0))
    counts.sum_duplicates()
    return TreeCounts(colours, counts, time.perf_counter() - t0)


class ComputationDAG:
    """Builds merged computation DAGs from the WL colours of a set of graphs.

    Args:
        flat: the graphs, flattened.
        colours: ``wl_colours(...)`` of ``flat`` for rounds 0..L.

    A DAG node is a pair (depth left k, round-k colour); its children are the round-(k-1) colours of the in-neighbours
    of any node of that colour (the colour determines their multiset and edge labels, so any witness gives the same
    children).
    """

    def __init__(self, flat: FlatGraphs, colours: list[np.ndarray]) -> None:
        # the in-edge index (edges sorted by destination) and features of the graphs, as the tree unfolding has them
        index = TreeUnfolder(flat.x, flat.edge_index, flat.edge_attr)
        self.x, self.edge_attr = index.x, index.edge_attr
        self.in_edges, self.in_src, self.ptr = index.in_edges, index.in_src, index.ptr
        self.colours = colours
        # a witness node of every colour of every round (the first node that has it: deterministic)
        self.witness = [np.unique(c, return_index=True)[1] for c in colours]

    def build(self, root_trees: np.ndarray, hops: int, attributes=None, degrees: bool = False) -> Data:
        """One DAG whose roots are the round-``hops`` colours ``root_trees`` (distinct), roots first in that order.

        ``attributes(k, colours)``, when given, returns the continuous attributes ``[len(colours), D]`` of the DAG
        nodes of round-``k`` colours ``colours`` (a colour does not fix them: a prototype gives each its mean).

        ``degrees``: the leaves (round 0) also carry their real in-degree, so that a normalisation by the *sender's*
        degree (GCN's ``1/sqrt(d_i d_j)``) is exact too: a leaf is one node per (colour, degree) instead of per colour,
        and gets as many in-edges as its witness has, all from one extra non-root node appended last. The messages a
        leaf receives change only its own states after round 0, which no root of depth <= ``hops`` reads.

        Returns:
            ``Data`` with ``x [n, F]``, ``edge_index [2, m]`` (child -> parent, parallel edges for repeated children),
            ``edge_attr [m, Fe]``, ``root_mask [n]`` and, with ``attributes``, ``x_cont [n, D]``.
        """
        index: dict[tuple[int, int], int] = {}
        origin: list[int] = []
        rounds: list[int] = []  # each DAG node's round (its colour is then colours[round][origin])
        level = []
        for t in root_trees:
            index[(hops, int(t))] = len(origin)
            origin.append(int(self.witness[hops][t]))
            rounds.append(hops)
            level.append(int(t))
        children, parents, edges = [], [], []
        for k in range(hops, 0, -1):
            nxt = []
            below = self.colours[k - 1]
            for t in level:
                w = int(self.witness[k][t])
                parent = index[(k, t)]
                for slot in range(self.ptr[w], self.ptr[w + 1]):
                    u = int(self.in_src[slot])
                    key = (k - 1, int(below[u]))
                    if degrees and k == 1:
                        key = (0, key[1], int(self.ptr[u + 1] - self.ptr[u]))
                    child = index.get(key)
                    if child is None:
                        child = index[key] = len(origin)
                        origin.append(u)
                        rounds.append(k - 1)
                        nxt.append(key[1])
                    children.append(child)
                    parents.append(parent)
                    edges.append(int(self.in_edges[slot]))
            level = nxt
        x, edge_attr = self.x[np.asarray(origin, dtype=np.int64)], self.edge_attr[np.asarray(edges, dtype=np.int64)]
        if degrees:
            x, edge_attr = self._pad_leaves(index, x, edge_attr, children, parents)
        origin_a = np.asarray(origin, dtype=np.int64)
        root_mask = np.zeros(len(x), dtype=bool)
        root_mask[: len(root_trees)] = True
        ei = np.asarray([children, parents], dtype=np.int64).reshape(2, -1)
        extra = {}
        if attributes is not None:
            rounds_a = np.asarray(rounds)
            parts = {int(k): np.asarray(attributes(int(k), self.colours[k][origin_a[rounds_a == k]]), np.float32)
                     for k in np.unique(rounds_a)}
            cont = np.zeros((len(x), next(iter(parts.values())).shape[1]), dtype=np.float32)
            for k, vals in parts.items():
                cont[: len(origin_a)][rounds_a == k] = vals
            extra["x_cont"] = torch.from_numpy(cont)
        return Data(x=torch.from_numpy(np.ascontiguousarray(x)), edge_index=torch.from_numpy(ei),
                    edge_attr=torch.from_numpy(np.ascontiguousarray(edge_attr)),
                    root_mask=torch.from_numpy(root_mask), **extra)

    @staticmethod
    def _pad_leaves(index: dict, x: np.ndarray, edge_attr: np.ndarray, children: list, parents: list):
        """Give every (colour, degree) leaf of ``index`` that many in-edges from one appended node (category 0 in
        every feature column, like its edges); appends to ``children``/``parents``, returns the grown ``x``,
        ``edge_attr``."""
        pad = len(x)
        added = 0
        for key, node in index.items():
            if len(key) == 3:  # (0, colour, degree)
                children.extend([pad] * key[2])
                parents.extend([node] * key[2])
                added += key[2]
        x = np.concatenate([x, np.zeros((1, x.shape[1]), dtype=x.dtype)])
        edge_attr = np.concatenate([edge_attr, np.zeros((added, edge_attr.shape[1]), dtype=edge_attr.dtype)])
        return x, edge_attr


def cluster_attributes(flat: FlatGraphs, colours: list[np.ndarray],
                       members: np.ndarray) -> Callable[[int, np.ndarray], np.ndarray]:
    """``attributes(k, colours)`` for :meth:`ComputationDAG.build`: the mean continuous attributes of the nodes of
    graphs ``members`` that have each round-``k`` colour (a prototype's nodes stand for its cluster's)."""
    nodes = np.flatnonzero(np.isin(flat.graph_of_node, members))
    xc = flat.x_cont[nodes].astype(np.float64)
    means = {}

    def attributes(k: int, wanted: np.ndarray) -> np.ndarray:
        if k not in means:
            uniq, inv = np.unique(colours[k][nodes], return_inverse=True)
            sums = np.zeros((len(uniq), xc.shape[1]))
            np.add.at(sums, inv, xc)
            means[k] = (uniq, sums / np.bincount(inv, minlength=len(uniq))[:, None])
        uniq, mean = means[k]
        pos = np.searchsorted(uniq, wanted)
        # a kept tree occurs in the cluster, so do all its subtrees (a colour fixes its children's colours)
        assert np.all(uniq[np.minimum(pos, len(uniq) - 1)] == wanted), "a DAG colour outside its cluster"
        return mean[pos]

    return attributes


class TreePrototypes(BaseEstimator):
    """Distil a dataset into per-class tree-multiset prototypes (see the module docstring).

    Args:
        hops: computation-tree depth L (use the number of GNN layers; default 2).
        per_class: prototypes (distilled graphs) per class (default 5); a class with fewer graphs gets one per graph.
        mass: share of a prototype's tree-count mass its kept trees must cover (default 0.9).
        max_roots: most trees (roots) per prototype (default 32).
        roots: how a prototype's roots are chosen (:func:`graph_mirage.roots.prototype_roots`): ``"top"`` (default)
            the most frequent trees covering ``mass`` of the nodes, rescaled to the cluster's mean node count;
            ``"even-ties"`` the same with a tie at the cut spread over; ``"sampled"`` ``max_roots`` trees at evenly
            spaced quantiles of the cluster's nodes (``mass`` is then not used); ``"by-label"`` stratified by root
            label, so that the prototype's node labels have the cluster's mean counts exactly.
        seed: seed of the k-means initialisation and sample.
        sample: k-means is fitted on at most this many graphs of a class (a seeded random sample) and every graph of
            the class is then assigned to its nearest centre (None: all graphs); keeps large classes to seconds.
        readout: the readout recorded in the artifact (``"sum"``, the default, is the one the weights are made for).
        degrees: the DAGs' leaves carry their real degree (see :meth:`ComputationDAG.build`), so that GCN's
            normalisation by the sender's degree sees real degrees at every level: exact at ``hops`` 1, and at larger
            depths for the witness of each subtree (a depth-L tree does not fix the degrees of its deepest nodes,
            which GCN's L-th layer reads). Costs one node per graph and an edge per leaf and degree.
        bank: store every tree once, in one :class:`~graph_mirage.bank.TreeBank`, and each prototype as its roots'
            ids and weights: the same graphs for a GNN, in a fraction of the bytes, so that a byte budget holds more
            prototypes (continuous attributes are then each tree's mean over all training graphs, not the cluster's).
            With ``degrees`` the bank's leaves carry them, once per (colour, degree) for every prototype.

    Attributes (after :meth:`fit`):
        distilled_: the :class:`DistilledDataset` (with ``root_weight``).
        nbytes_: its bytes (``distilled_.nbytes()``), known before a bank's graphs are extracted.
        n_trees_: distinct trees of depth ``hops`` in the training graphs.
        clusters_: class -> cluster sizes.
        prototypes_: per distilled graph, ``(class, root tree ids [r], root weights [r])``.
        members_: per distilled graph, the indices (into the fitted graphs) of the cluster it stands for.
        seconds_: wall time of each stage.
    """

    def __init__(self, hops: int = DEFAULT_HOPS, per_class: int = 5, *, mass: float = 0.9, max_roots: int = 32,
                 seed: int = 0, sample: int | None = KMEANS_SAMPLE, readout: str = "sum",
                 degrees: bool = False, bank: bool = False, roots: str = "top") -> None:
        self.hops = hops
        self.per_class = per_class
        self.mass = mass
        self.max_roots = max_roots
        self.seed = seed
        self.sample = sample
        self.readout = readout
        self.degrees = degrees
        self.bank = bank
        self.roots = roots

    def _validate(self) -> None:
        for name, minimum in (("hops", 1), ("per_class", 1), ("max_roots", 1), ("seed", 0)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, Integral) or v < minimum:
                raise ParameterError(f"{name} must be an integer >= {minimum}, got {v!r}")
        if self.sample is not None and (isinstance(self.sample, bool) or not isinstance(self.sample, Integral)
                                        or self.sample < 2):
            raise ParameterError(f"sample must be an integer >= 2 or None, got {self.sample!r}")
        if isinstance(self.mass, bool) or not isinstance(self.mass, Real) or not 0 < self.mass <= 1:
            raise ParameterError(f"mass must be a number in (0, 1], got {self.mass!r}")
        if self.readout not in ("sum", "mean"):
            raise ParameterError(f"readout must be 'sum' or 'mean', got {self.readout!r}")
        if not isinstance(self.degrees, bool):
            raise ParameterError(f"degrees must be True or False, got {self.degrees!r}")
        check_bank(self.bank)
        check_roots(self.roots)

    def fit(self, graphs: Graphs, y: object = None, *, progress: bool | None = None) -> "TreePrototypes":
        """Distil ``graphs`` (a dataset subset, a list of ``Data`` or :class:`FlatGraphs`); ``y`` is ignored.
        ``progress`` is accepted for symmetry with the other distillers (this one takes seconds). k-means runs on
        one thread: the same inputs give a byte-identical file."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._fit(graphs)

    def _fit(self, graphs) -> "TreePrototypes":
        self._validate()
        t0 = time.perf_counter()
        flat = as_flat(graphs)
        classes_of(flat)
        trees = tree_counts(flat, self.hops)
        self.fit_trees(flat, trees, dict(getattr(graphs, "meta", {}) or {}))
        self.seconds_ = {"trees": trees.seconds, "prototypes": self.seconds_["prototypes"],
                         "total": time.perf_counter() - t0}
        return self

    def cluster_jobs(self, flat: FlatGraphs, trees: "TreeCounts") -> dict[int, tuple]:
        """What the k-means of each class needs: class -> the arguments of :func:`~graph_mirage.clusters.kmeans_labels`
        (None for a class of one cluster, which needs none). :meth:`fit_trees` runs them itself unless given their
        ``labels``; :func:`~graph_mirage.candidates.make_candidates` runs them on worker processes."""
        jobs = {}
        for c in classes_of(flat):
            _, rows, feats, distinct = trees.of_class(flat.y, c)
            k = min(self.per_class, rows.shape[0])
            jobs[int(c)] = None if k == 1 else (feats, k, self.seed, self.sample, distinct)
        return jobs

    def _prototypes(self, flat: FlatGraphs, trees: "TreeCounts", labels: dict | None = None) -> list:
        """Cluster each class (``labels``: class -> its k-means labels, when computed elsewhere) and make each
        cluster's prototype (sets ``clusters_``, ``prototypes_``, ``members_``); returns the meta records ``[class,
        cluster size, root trees]``."""
        self.clusters_, protos, self.prototypes_, self.members_ = {}, [], [], []
        if labels is None:
            labels = {c: kmeans_labels(*job) for c, job in self.cluster_jobs(flat, trees).items() if job is not None}
        labels_of = tree_labels(trees.colours) if self.roots == "by-label" else None
        for c in classes_of(flat):
            of_class, rows, _, _ = trees.of_class(flat.y, c)
            k = min(self.per_class, rows.shape[0])
            of_c = labels[int(c)] if int(c) in labels else np.zeros(rows.shape[0], dtype=np.int64)
            sizes = np.bincount(of_c, minlength=k)
            self.clusters_[int(c)] = sizes.tolist()
            means = cluster_means(rows, of_c, k)
            for j in np.argsort(-sizes, kind="stable"):
                if sizes[j] == 0:
                    continue
                kept, w = prototype_roots(means[j].toarray().ravel(), self.mass, self.max_roots, self.roots, labels_of)
                protos.append([int(c), int(sizes[j]), [int(t) for t in kept]])
                self.prototypes_.append((int(c), kept, w))
                self.members_.append(of_class[of_c == j])
        return protos

    def fit_trees(self, flat: FlatGraphs, trees: "TreeCounts", meta_src: dict,
                  labels: dict[int, np.ndarray] | None = None) -> "TreePrototypes":
        """:meth:`fit` from an already computed tree stage (:func:`tree_counts` of ``flat`` at ``self.hops``), so
        that several settings at one depth share it; ``meta_src`` is the dataset's ``meta``; ``labels`` (class ->
        k-means labels of :meth:`cluster_jobs`; None: computed here) lets the clustering run elsewhere. With
        ``bank``, the prototypes' graphs are extracted from the bank when :attr:`distilled_` is first read (``nbytes_``
        is known before): a search that makes many candidates extracts the graphs of the one it keeps."""
        self._validate()
        self.n_trees_ = trees.counts.shape[1]
        t1 = time.perf_counter()
        if trees.dag is None:
            trees.dag = ComputationDAG(flat, trees.colours)
        protos = self._prototypes(flat, trees, labels)
        params = {"per_class": self.per_class, "mass": self.mass, "max_roots": self.max_roots, "seed": self.seed}
        if self.sample is not None and max(map(sum, self.clusters_.values())) > self.sample:
            params["sample"] = self.sample  # recorded only where it changed the clustering
        if self.degrees:
            params["degrees"] = True  # recorded only when set: the files of the default stay byte-identical
        if self.bank:
            params["bank"] = True
        if self.roots != "top":
            params["roots"] = self.roots  # recorded only when not the default: its files stay byte-identical
        self._meta = {
            "method": "mirage-proto", **source_meta(meta_src, flat), "hops": self.hops, "readout": self.readout,
            "params": params,
            "prototypes": protos, "clusters": {str(c): v for c, v in self.clusters_.items()},
            "trees_unique": self.n_trees_,
        }
        self._distilled = self._pending = None
        if self.bank:
            self._pending = self._bank(flat, trees.dag, trees.colours)
            # what DistilledDataset.nbytes() counts for a bank: the bank, and each graph's label (int64) and weight
            self.nbytes_ = self._pending[0].nbytes() + 12 * len(self.prototypes_)
        else:
            self._distilled = self._make_set(self._graphs(flat, trees.dag, trees.colours), None)
            self.nbytes_ = self._distilled.nbytes()
        self.seconds_ = {"prototypes": time.perf_counter() - t1}
        if self.nbytes_ >= self._meta["full_bytes"]:
            raise BudgetError(f"the prototypes would take {self.nbytes_:,} bytes, not less than the "
                              f"{self._meta['full_bytes']:,} bytes of the training split; lower per_class or max_roots")
        return self

    @property
    def distilled_(self) -> DistilledDataset:
        """The distilled :class:`DistilledDataset` (with ``root_weight``)."""
        if getattr(self, "_pending", None) is None and getattr(self, "_distilled", None) is None:
            raise AttributeError("distilled_: this TreePrototypes is not fitted")
        if self._distilled is None:
            bank, root_weight = self._pending
            self._distilled, self._pending = self._make_set(bank_graphs(bank, root_weight), bank), None
        return self._distilled

    def _make_set(self, graphs: list[Data], bank: TreeBank | None) -> DistilledDataset:
        for g, (c, _, _), (_, size, _) in zip(graphs, self.prototypes_, self._meta["prototypes"]):
            g.y = torch.tensor([c])
            g.weight = torch.tensor([float(size)])
        return DistilledDataset(graphs, self._meta, bank=bank)

    def _graphs(self, flat: FlatGraphs, dag: ComputationDAG, colours: list[np.ndarray]) -> list[Data]:
        """Each prototype as its own computation DAG, its roots weighted (no labels yet)."""
        out = []
        for (_, kept, w), members in zip(self.prototypes_, self.members_):
            attrs = None if flat.x_cont is None else cluster_attributes(flat, colours, members)
            g = dag.build(kept, self.hops, attrs, degrees=self.degrees)
            rw = torch.zeros(g.num_nodes, dtype=torch.float32)
            rw[: len(kept)] = torch.from_numpy(w.astype(np.float32))
            g.root_weight = rw
            out.append(g)
        return out

    def _bank(self, flat: FlatGraphs, dag: ComputationDAG, colours: list[np.ndarray]) -> tuple[TreeBank, np.ndarray]:
        """Every kept tree once in one bank DAG (ascending tree ids), and every prototype's root weights."""
        trees = np.unique(np.concatenate([kept for _, kept, _ in self.prototypes_]))
        attrs = None if flat.x_cont is None else cluster_attributes(flat, colours, np.arange(flat.num_graphs))
        bank_dag = dag.build(trees, self.hops, attrs, degrees=self.degrees)
        del bank_dag.root_mask
        roots = np.concatenate([np.searchsorted(trees, kept) for _, kept, _ in self.prototypes_])
        ptr = np.concatenate([[0], np.cumsum([len(kept) for _, kept, _ in self.prototypes_])])
        bank = TreeBank(bank_dag, roots.astype(np.int64), ptr.astype(np.int64))
        return bank, np.concatenate([w for _, _, w in self.prototypes_])
