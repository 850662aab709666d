"""Shared pieces of the learned baselines (DosCond, KiDD): real graphs as one-hot feature matrices, and learned
dense graphs written back as the common distilled-set artifact.

Learned methods optimise continuous node features. Every categorical node column ``j`` (vocabulary ``V_j``) becomes
one block of ``V_j`` weights, so a real node is the concatenation of one-hot blocks, ``[n, D]`` with
``D = sum(node_vocab)``. The same encoders read both (:func:`graph_mirage.models.encode_soft`), so a learned set is
evaluated by exactly the code that evaluates every other method.

Example:
    >>> g = OneHotGraphs(train)                             # doctest: +SKIP
    >>> x, ei, batch = g.sparse_batch([0, 5, 9])            # [N, D], [2, E], [N]
    >>> x, adj, n = g.dense_batch([0, 5, 9], max_nodes=30)  # [3, 30, D], [3, 30, 30], [3]
"""

from __future__ import annotations

import numpy as np
import torch
from torch_geometric.data import Data

from ..data import as_flat
from ..distilled import DistilledDataset, source_meta
from ..errors import DatasetError, ParameterError


def single_task_only(who: str, tasks: int) -> str:
    """Why ``who`` refuses a dataset of several tasks, and what distils one."""
    return (f"{who} distil single-task classification, as their authors' code does; this dataset has {tasks} tasks "
            f"(labels [graphs, tasks]): graph-mirage's default (mirage distill) distils every task")


class OneHotGraphs:
    """Training graphs with per-graph one-hot node features.

    Attributes:
        y: ``[G]`` classes; sizes: ``[G]`` node counts; dim: ``D``; node_vocab: per-column vocabulary sizes;
        meta: the source part of a distilled set's meta (:func:`graph_mirage.distilled.source_meta`).
    """

    def __init__(self, train) -> None:
        flat = as_flat(train)
        if flat.y.ndim == 2:
            raise DatasetError(single_task_only("DosCond and KiDD", flat.y.shape[1]))
        if flat.x_cont is not None:  # their relaxation learns categorical features only
            raise ParameterError("DosCond and KiDD learn categorical node features only: load the dataset without "
                                 "its continuous node attributes (node_attributes=False)")
        self.meta = source_meta(dict(getattr(train, "meta", {}) or {}), flat)
        self.flat = flat
        self.node_vocab = [int(v) for v in np.atleast_1d(self.meta["node_vocab"])]
        self.edge_columns = int(flat.edge_attr.shape[1]) if flat.edge_attr.ndim == 2 else 1
        vocab = np.asarray(self.node_vocab, dtype=np.int64)
        if flat.x.shape[1] != len(vocab):
            raise ParameterError(f"the graphs have {flat.x.shape[1]} node columns but node_vocab has {len(vocab)}")
        offsets = np.concatenate([[0], np.cumsum(vocab)[:-1]])
        self.dim = int(vocab.sum())
        self._cols = np.minimum(flat.x, vocab - 1) + offsets  # column of each node's 1 in every block
        self.y = flat.y.astype(np.int64)
        self.sizes = np.diff(flat.node_ptr)
        self.classes = [int(c) for c in np.unique(self.y)]
        self.num_classes = int(self.meta["num_classes"])

    def __len__(self) -> int:
        return len(self.y)

    def features(self, i: int) -> torch.Tensor:
        """``[n_i, D]`` one-hot features of graph ``i``."""
        a, b = self.flat.node_ptr[i], self.flat.node_ptr[i + 1]
        x = torch.zeros(b - a, self.dim)
        x.scatter_(1, torch.from_numpy(self._cols[a:b]), 1.0)
        return x

    def edges(self, i: int) -> torch.Tensor:
        """``[2, m_i]`` edges of graph ``i`` with local node ids."""
        a, b = self.flat.edge_ptr[i], self.flat.edge_ptr[i + 1]
        return torch.from_numpy(self.flat.edge_index[:, a:b] - self.flat.node_ptr[i])

    def sparse_batch(self, idx) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The graphs ``idx`` as one disjoint union: ``x [N, D]``, ``edge_index [2, E]``, ``batch [N]``."""
        xs, es, bs, off = [], [], [], 0
        for k, i in enumerate(idx):
            x = self.features(int(i))
            xs.append(x)
            es.append(self.edges(int(i)) + off)
            bs.append(torch.full((len(x),), k, dtype=torch.long))
            off += len(x)
        return torch.cat(xs), torch.cat(es, 1), torch.cat(bs)

    def dense_batch(self, idx, max_nodes: int | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The graphs ``idx`` zero-padded (or truncated to their first ``max_nodes`` nodes):
        ``x [B, n, D]``, ``adj [B, n, n]`` (0/1) and the kept node counts ``[B]``."""
        n = int(max_nodes or max(self.sizes[int(i)] for i in idx))
        x = torch.zeros(len(idx), n, self.dim)
        adj = torch.zeros(len(idx), n, n)
        kept = torch.zeros(len(idx), dtype=torch.long)
        for k, i in enumerate(idx):
            f, e = self.features(int(i))[:n], self.edges(int(i))
            e = e[:, (e[0] < n) & (e[1] < n)]
            x[k, :len(f)] = f
            adj[k, e[0], e[1]] = 1.0
            kept[k] = len(f)
        return x, adj, kept


def to_distilled(og: OneHotGraphs, x_soft: torch.Tensor, adj: torch.Tensor, y, method: str, params: dict,
                 *, hops: int, readout: str, history: list[float], distilled_with: str) -> DistilledDataset:
    """Learned dense graphs as the common artifact.

    Args:
        x_soft: ``[G, n, D]`` learned features; adj: ``[G, n, n]`` 0/1 adjacency (row -> column messages); y: ``[G]``.
        hops, readout: what the set is evaluated with (the authors' evaluation GNN depth and pooling).
        history: the method's objective per optimisation step.
        distilled_with: the architecture (or kernel) the set was optimised for.

    Every node is a root, so the readout pools all of them, as on real graphs; ``x`` holds each block's argmax and
    ``edge_attr`` the first label of every edge column (the learned graphs have no edge labels).
    """
    x_soft, adj = x_soft.detach().float().cpu(), adj.detach().cpu()
    starts = np.concatenate([[0], np.cumsum(og.node_vocab)])
    graphs = []
    for g in range(x_soft.size(0)):
        xs = x_soft[g]
        x = torch.stack([xs[:, starts[j]:starts[j + 1]].argmax(1) for j in range(len(og.node_vocab))], 1)
        ei = adj[g].nonzero().t().contiguous()
        graphs.append(Data(x=x.long(), x_soft=xs.clone(), edge_index=ei,
                           edge_attr=torch.zeros(ei.size(1), og.edge_columns, dtype=torch.long),
                           root_mask=torch.ones(len(xs), dtype=torch.bool), y=torch.tensor([int(y[g])]),
                           weight=torch.tensor([1.0])))
    meta = dict(og.meta, method=method, hops=int(hops), readout=readout, params=params,
                distilled_with=distilled_with, objective=[float(v) for v in history])
    return DistilledDataset(graphs, meta)


def per_class_picks(og: OneHotGraphs, k: int, how: str, rng: np.random.Generator, hops: int = 2,
                    max_nodes: int | None = None) -> dict[int, np.ndarray]:
    """``k`` real graphs per class to initialise synthetic graphs: ``random``, ``herding`` or ``kcenter`` on the
    tree-count histograms of :func:`graph_mirage.baselines.selection.tree_histograms`; ``max_nodes`` restricts
    random picks to graphs that fit (as DosCond does)."""
    from .selection import herding, tree_histograms

    if how not in ("random", "herding", "kcenter"):
        raise ParameterError(f"init must be 'random', 'herding' or 'kcenter', got {how!r}")
    feats = tree_histograms(og.flat, hops) if how != "random" else None
    picks = {}
    for c in og.classes:
        idx = np.flatnonzero(og.y == c)
        if how == "random":
            fit = idx[og.sizes[idx] <= max_nodes] if max_nodes else idx
            pool = fit if len(fit) >= k else idx
            picks[c] = rng.choice(pool, size=min(k, len(pool)), replace=False)
        elif how == "herding":
            picks[c] = idx[herding(feats[idx], k)]
        else:
            picks[c] = idx[kcenter(feats[idx], k)]
    return picks


def kcenter(features: np.ndarray, k: int) -> np.ndarray:
    """Greedy k-center (Sener and Savarese 2018): start at the point nearest the mean, then repeatedly add the point
    farthest from the chosen ones. Returns row indices in the order picked."""
    first = int(np.argmin(np.linalg.norm(features - features.mean(0), axis=1)))
    picked = [first]
    dist = np.linalg.norm(features - features[first], axis=1)
    for _ in range(min(k, len(features)) - 1):
        i = int(np.argmax(dist))
        picked.append(i)
        dist = np.minimum(dist, np.linalg.norm(features - features[i], axis=1))
    return np.array(picked, dtype=np.int64)


def check_positive(name: str, value, integer: bool = False, allow_zero: bool = False) -> None:
    """scikit-learn style validation: raise :class:`ParameterError` naming the offending value."""
    ok = isinstance(value, (int, np.integer)) if integer else isinstance(value, (int, float, np.number))
    if not ok or isinstance(value, bool) or not (value >= 0 if allow_zero else value > 0):
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name} must be {kind} {'>= 0' if allow_zero else '> 0'}, got {value!r}")
