"""Tree banks: prototypes that store their trees once.

A prototype of :class:`~graph_mirage.prototypes.TreePrototypes` is a computation DAG whose roots are a cluster's
trees, weighted by their mean counts. Prototypes of one dataset draw on the same few hundred trees (NCI1 at one hop:
147 distinct trees among 400 prototypes), so most of their bytes repeat. A :class:`TreeBank` keeps one DAG — the
**bank** — whose roots are every tree any prototype uses, and each prototype as its root ids in the bank and their
weights (``bank=True`` in the distillers, ``mirage distill --bank``). On NCI1 that stores 400 prototypes in the bytes
the default spends on 40.

A prototype's graph is the part of the bank it reaches: its roots and, through the in-edges (child -> parent), their
subtrees. Message passing computes a node's state from its subtree only, so each root's embedding in the extracted
graph is the one it has in the bank and in the prototype's own DAG: a GNN sees the same prototype either way.
:meth:`TreeBank.graph` extracts it (roots first in the prototype's order, then the other nodes and the edges in bank
order), so the stored form and the graphs a training loop reads are one thing. graph-mirage's own training reads a
batch of prototypes as one sub-DAG of the bank instead (:class:`~graph_mirage.training.BankLoader`): each shared
tree once.

With leaf degrees (``degrees=True``, for GCN's normalisation) the bank's leaves are one node per (colour, degree), fed
by one extra node at the end of the bank: a prototype's closure takes that node and exactly the edges into its own
leaves, so its graph is still the one its own DAG would be.

Example:
    >>> from graph_mirage import load_dataset
    >>> from graph_mirage.prototypes import TreePrototypes
    >>> ds = load_dataset("synthetic-motifs")
    >>> d = TreePrototypes(hops=2, per_class=10, bank=True).fit(ds[ds.split["train"]]).distilled_
    >>> d.bank.num_graphs, d.bank.dag.num_nodes < sum(g.num_nodes for g in d)
    (30, True)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
from torch_geometric.data import Data

from .trees import as_rows

# the arrays of a bank file (format version 2; see docs/file-format.md), besides y, weight, tree_freq and meta
BANK_ARRAYS = ("x", "edge_index", "edge_attr", "bank_roots", "root_ptr", "root_weight")
ROOT_BYTES = 12  # a prototype's root: its bank id (int64) and its weight (float32)


def ranges(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """The positions ``starts[i] .. starts[i] + counts[i] - 1`` of every ``i``, in order (ragged slices at once)."""
    return np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))


def check_bank(bank) -> None:
    """The estimators' shared check of ``bank``."""
    from .errors import ParameterError

    if not isinstance(bank, bool):
        raise ParameterError(f"bank must be True or False, got {bank!r}")


@dataclass
class TreeBank:
    """One DAG holding every tree of a set of prototypes, and each prototype as roots of it.

    Args:
        dag: ``Data`` with ``x [N, F]``, ``edge_index [2, E]`` (child -> parent), ``edge_attr [E, Fe]`` and optionally
            ``x_cont [N, D]``.
        roots: ``[R]`` bank node ids of every prototype's roots, prototype after prototype.
        root_ptr: ``[G+1]`` offsets of each prototype's roots in ``roots``.
    """

    dag: Data
    roots: np.ndarray
    root_ptr: np.ndarray
    _in: tuple | None = field(default=None, repr=False)

    @property
    def num_graphs(self) -> int:
        return len(self.root_ptr) - 1

    def dag_nbytes(self) -> int:
        """Bytes of the bank's DAG: node and edge features, edge index (and continuous attributes)."""
        d = self.dag
        n = sum(t.numel() * t.element_size() for t in (d.x, d.edge_index, d.edge_attr))
        if getattr(d, "x_cont", None) is not None:
            n += d.x_cont.numel() * d.x_cont.element_size()
        return int(n)

    def nbytes(self) -> int:
        """Bytes of the bank and of each prototype's root ids (int64) and root weights (float32)."""
        return self.dag_nbytes() + ROOT_BYTES * len(self.roots)

    def _in_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """The bank's edge ids sorted by destination, and each node's offsets into them."""
        if self._in is None:
            dst = self.dag.edge_index[1].numpy()
            order = np.argsort(dst, kind="stable")
            ptr = np.concatenate([[0], np.cumsum(np.bincount(dst, minlength=self.dag.num_nodes))])
            self._in = (order, ptr)
        return self._in

    def closure(self, roots: np.ndarray) -> np.ndarray:
        """``[N]`` bool: the bank nodes ``roots`` reach through the in-edges (their subtrees), ``roots`` included."""
        order, ptr = self._in_edges()
        src = self.dag.edge_index[0].numpy()
        seen = np.zeros(self.dag.num_nodes, dtype=bool)
        seen[roots] = True
        frontier = np.unique(roots)
        while len(frontier):
            starts, counts = ptr[frontier], ptr[frontier + 1] - ptr[frontier]
            at = ranges(starts, counts)
            new = np.unique(src[order[at]])
            new = new[~seen[new]]
            seen[new] = True
            frontier = new
        return seen

    def members(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Prototype ``i``'s bank nodes (its roots in order, then the rest ascending) and bank edges (ascending)."""
        roots = self.roots[self.root_ptr[i]: self.root_ptr[i + 1]]
        seen = self.closure(roots)
        is_root = np.zeros_like(seen)
        is_root[roots] = True
        nodes = np.concatenate([roots, np.flatnonzero(seen & ~is_root)])
        edges = np.flatnonzero(seen[self.dag.edge_index[1].numpy()])
        return nodes, edges

    def graph(self, i: int, root_weight: np.ndarray) -> Data:
        """Prototype ``i`` as a graph: ``x``, ``edge_index`` (local ids), ``edge_attr``, ``root_mask``, ``root_weight``
        (``root_weight``: its roots' weights, in order) and ``x_cont`` when the bank has it."""
        nodes, edges = self.members(i)
        local = np.full(self.dag.num_nodes, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        n_roots = int(self.root_ptr[i + 1] - self.root_ptr[i])
        root_mask = torch.zeros(len(nodes), dtype=torch.bool)
        root_mask[:n_roots] = True
        rw = torch.zeros(len(nodes), dtype=torch.float32)
        rw[:n_roots] = torch.as_tensor(np.asarray(root_weight, dtype=np.float32))
        idx, eidx = torch.from_numpy(nodes), torch.from_numpy(edges)
        extra = {} if getattr(self.dag, "x_cont", None) is None else {"x_cont": self.dag.x_cont[idx]}
        return Data(x=self.dag.x[idx], edge_index=torch.from_numpy(local[self.dag.edge_index[:, eidx].numpy()]),
                    edge_attr=self.dag.edge_attr[eidx], root_mask=root_mask, root_weight=rw, **extra)

    def arrays(self, root_weight: np.ndarray) -> dict[str, np.ndarray]:
        """The bank's arrays of the file format (``root_weight``: ``[R]``, every prototype's root weights)."""
        d = self.dag
        out = {"x": d.x.numpy().astype(np.int64), "edge_index": d.edge_index.numpy().astype(np.int64),
               "edge_attr": as_rows(d.edge_attr.numpy().astype(np.int64), d.edge_index.size(1)),
               "bank_roots": self.roots.astype(np.int64), "root_ptr": self.root_ptr.astype(np.int64),
               "root_weight": np.asarray(root_weight, dtype=np.float32)}
        if getattr(d, "x_cont", None) is not None:
            out["x_cont"] = d.x_cont.numpy().astype(np.float32)
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> "TreeBank":
        """The bank of a file's arrays; raises ``ValueError`` where they do not fit together."""
        x, ei, ea = a["x"], a["edge_index"], a["edge_attr"]
        roots, ptr = a["bank_roots"], a["root_ptr"]
        if (ei.ndim != 2 or ei.shape[0] != 2 or len(ea) != ei.shape[1]
                or (ei.size and (ei.min() < 0 or ei.max() >= len(x)))):
            raise ValueError("the bank's edges do not match its nodes")
        if (len(ptr) < 2 or ptr[0] != 0 or ptr[-1] != len(roots) or np.any(np.diff(ptr) < 1)
                or (roots.size and (roots.min() < 0 or roots.max() >= len(x)))):
            raise ValueError("the prototypes' roots do not match the bank")
        if len(a["root_weight"]) != len(roots):
            raise ValueError("root_weight does not match bank_roots")
        extra = {}
        if "x_cont" in a:
            if a["x_cont"].ndim != 2 or len(a["x_cont"]) != len(x):
                raise ValueError("x_cont does not match x")
            extra["x_cont"] = torch.from_numpy(a["x_cont"].copy())
        dag = Data(x=torch.from_numpy(x.copy()), edge_index=torch.from_numpy(ei.copy()),
                   edge_attr=torch.from_numpy(ea.copy()), **extra)
        return cls(dag, roots.copy(), ptr.copy())


def merge_banks(banks: list[TreeBank], hops: int) -> tuple[TreeBank, list[np.ndarray]]:
    """One bank holding every tree of ``banks`` once, and every prototype of each, in order.

    Banks made apart (a multi-task set: one per task) number their trees apart, but hold many of the same trees.
    A bank node's tree is its subtree along the in-edges, of height at most ``hops``, so ``hops`` rounds of exact
    1-WL refinement (:func:`~graph_mirage.trees.wl_colours`) over the banks side by side give equal colours exactly
    to equal trees; each colour is kept once, at its first node, with that node's in-edges.

    Args:
        banks: the banks, of the same feature widths.
        hops: the depth their prototypes were made at.

    Returns:
        ``(bank, maps)``: the merged bank (nodes in order of first occurrence, bank after bank; its prototypes are
        those of ``banks[0]``, then ``banks[1]``'s, ...) and, per input bank, ``[N_b]`` its nodes' ids in it.
    """
    from .trees import as_rows, row_ids, wl_colours

    dags = [b.dag for b in banks]
    offsets = np.cumsum([0] + [d.num_nodes for d in dags])
    x = torch.cat([d.x for d in dags])
    edge_attr = torch.cat([d.edge_attr for d in dags])
    edge_index = torch.cat([d.edge_index + int(o) for d, o in zip(dags, offsets)], dim=1).numpy()
    conts = [getattr(d, "x_cont", None) for d in dags]
    has_cont = conts[0] is not None
    labels = as_rows(x.numpy(), len(x))
    if has_cont:  # equal attributes, equal bits: a node's continuous attributes are part of its label
        labels = np.hstack([labels, torch.cat(conts).numpy().view(np.int32)])
    colour = wl_colours(row_ids(labels), edge_index, row_ids(as_rows(edge_attr.numpy(), len(edge_attr))),
                        hops, keep_all=False)[-1]
    _, first, inverse = np.unique(colour, return_index=True, return_inverse=True)
    keep = np.sort(first)  # first occurrences, in node order
    new_id = np.searchsorted(keep, first)[inverse.ravel()]  # a colour's merged id: its first node's rank in keep
    kept = np.zeros(len(colour), dtype=bool)
    kept[keep] = True
    edges = np.flatnonzero(kept[edge_index[1]])  # a kept node's in-edges; a dropped node's equal ones go
    extra = {"x_cont": torch.cat(conts)[torch.from_numpy(keep)]} if has_cont else {}
    dag = Data(x=x[torch.from_numpy(keep)], edge_index=torch.from_numpy(new_id[edge_index[:, edges]]),
               edge_attr=edge_attr[torch.from_numpy(edges)], **extra)
    maps = [new_id[offsets[i]: offsets[i + 1]] for i in range(len(banks))]
    roots = np.concatenate([m[b.roots] for m, b in zip(maps, banks)])
    ptr = np.concatenate([[0], np.cumsum(np.concatenate([np.diff(b.root_ptr) for b in banks]))])
    return TreeBank(dag, roots.astype(np.int64), ptr.astype(np.int64)), maps


def bank_graphs(bank: TreeBank, root_weight: np.ndarray) -> list[Data]:
    """Every prototype of ``bank`` as a graph (``root_weight``: ``[R]``, as :attr:`TreeBank.roots`)."""
    return [bank.graph(i, root_weight[bank.root_ptr[i]: bank.root_ptr[i + 1]]) for i in range(bank.num_graphs)]
