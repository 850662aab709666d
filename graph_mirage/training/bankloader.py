"""Training batches of a tree bank's prototypes as one shared sub-DAG of the bank.

A set with a :class:`~graph_mirage.bank.TreeBank` (``mirage distill --bank``) lists each prototype as its own graph:
the part of the bank its roots reach. Collated as graphs, a batch repeats every tree its prototypes share (NCI1's
400-prototype bank holds 1,761 nodes, its prototypes as graphs 18,240: ``benchmarks/results/bank_batches.json``).
Message passing computes a node's state from its subtree only, so one pass over the union of their subtrees gives
every root the embedding it has in each prototype's own graph; the readout then pools each prototype's roots with
its weights (a root may serve several prototypes). A model trained on these batches sees, batch for batch, what it
sees of the prototypes as graphs (the same logits); the batches are drawn by the same sampler, so with the same seed
a run trains on the same prototypes in the same order. Two differences: a shared node's gradient is summed in
another order (float rounding, which a long run amplifies: runs agree in distribution, not bit for bit), and
dropout draws one mask per shared node, where separate graphs draw one per copy.

Example:
    >>> loader = BankLoader(distilled, batch_size=32, shuffle=True)      # doctest: +SKIP
    >>> batch = next(iter(loader))                                       # doctest: +SKIP
    >>> model(batch).shape                                               # doctest: +SKIP  [32, num_classes]
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler
from torch_geometric.data import Data

from ..bank import ranges


def has_bank(train) -> bool:
    """Whether ``train`` is a whole set with a tree bank (a subset or a reordering keeps the bank but not its
    prototypes' order, and is trained as graphs)."""
    bank = getattr(train, "bank", None)
    return bank is not None and len(train) == bank.num_graphs and list(train.indices()) == list(range(len(train)))


class BankBatches:
    """Makes the batch of any list of a bank set's prototypes (the collate function of :class:`BankLoader`).

    Args:
        train: a :class:`~graph_mirage.DistilledDataset` with a bank (see :func:`has_bank`).

    A batch is a ``Data`` with the sub-DAG's ``x [N, F]``, ``edge_index [2, E]`` (child -> parent), ``edge_attr``
    (and ``x_cont``), the prototypes' ``y [B]`` (or ``[B, T]``) and ``weight [B]``, ``num_graphs = B``, and per root
    entry ``root_index [R]`` (sub-DAG node), ``root_batch [R]`` (prototype in the batch) and ``pool_weight [R]``.
    """

    def __init__(self, train) -> None:
        self.bank = train.bank
        ptr = self.bank.root_ptr
        counts = np.diff(ptr)
        # each prototype's graph lists its roots first, in bank order, with their weights
        self.root_weight = torch.cat([train[i].root_weight[: int(counts[i])] for i in range(len(train))])
        self.y, self.weight = train.y, train.weight
        dag = self.bank.dag
        self._dst = dag.edge_index[1].numpy()
        self._cont = getattr(dag, "x_cont", None)

    def __call__(self, idx: list[int]) -> Data:
        bank, dag = self.bank, self.bank.dag
        idx = np.asarray(idx, dtype=np.int64)
        starts, counts = bank.root_ptr[idx], np.diff(bank.root_ptr)[idx]
        at = ranges(starts, counts)
        roots = bank.roots[at]
        seen = bank.closure(roots)
        nodes = np.flatnonzero(seen)
        local = np.full(dag.num_nodes, -1, dtype=np.int64)
        local[nodes] = np.arange(len(nodes))
        edges = torch.from_numpy(np.flatnonzero(seen[self._dst]))
        n = torch.from_numpy(nodes)
        extra = {} if self._cont is None else {"x_cont": self._cont[n]}
        t = torch.from_numpy(idx)
        return Data(x=dag.x[n], edge_index=torch.from_numpy(local[dag.edge_index[:, edges].numpy()]),
                    edge_attr=dag.edge_attr[edges], y=self.y[t], weight=self.weight[t], num_graphs=len(idx),
                    root_index=torch.from_numpy(local[roots]), pool_weight=self.root_weight[torch.from_numpy(at)],
                    root_batch=torch.repeat_interleave(torch.arange(len(idx)), torch.from_numpy(counts)), **extra)


class BankLoader(DataLoader):
    """A ``DataLoader`` over a bank set's prototypes whose batches are :class:`BankBatches`' sub-DAGs.

    Args:
        train: a :class:`~graph_mirage.DistilledDataset` with a bank (see :func:`has_bank`).
        batch_size, shuffle, sampler, generator: as for ``torch.utils.data.DataLoader`` — with the same arguments
            the batches hold the prototypes PyG's ``DataLoader`` over ``train`` would put together.
    """

    def __init__(self, train, batch_size: int = 32, shuffle: bool = False, sampler: Sampler | None = None,
                 generator: torch.Generator | None = None) -> None:
        super().__init__(range(len(train)), batch_size=batch_size, shuffle=shuffle, sampler=sampler,
                         generator=generator, collate_fn=BankBatches(train))
