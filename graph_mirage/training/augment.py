"""Augmentations of a training batch: root dropout (each batch pools a random part of each graph's computation trees)
and mixup of the pooled graph embeddings.

A message-passing GNN reads a graph as the multiset of its nodes' computation trees: its readout pools the trees'
roots. A distilled graph is a few weighted roots standing for a class (a prototype: the mean tree counts of a cluster
of real graphs), so a model trained on it sees each class as a handful of fixed points, where real graphs of the
class vary in which trees they hold and how many. Dropping roots at random while training — each root kept with
probability ``1 - p`` and its weight divided by ``1 - p``, so that a sum readout keeps its expectation — shows the
model variations of every prototype (inverted dropout, Srivastava et al., JMLR 2014, on the readout's inputs). The
same applies to real graphs, whose every node is a root. Training only; evaluation pools every root.

Example:
    >>> batch = next(iter(loader))                                          # doctest: +SKIP
    >>> model(drop_roots(batch, 0.3, generator)).shape                      # doctest: +SKIP  [B, num_classes]
"""

from __future__ import annotations

from typing import Callable

import torch
from torch_geometric.data import Data


def _keep(groups: torch.Tensor, num_groups: int, p: float, generator: torch.Generator | None) -> torch.Tensor:
    """A keep mask over entries ``[R]`` grouped by ``groups [R]`` (each entry kept with probability ``1 - p``); a
    group that would lose every entry keeps them all (an empty graph has no readout to learn from)."""
    keep = torch.rand(groups.numel(), generator=generator, device=groups.device) >= p
    kept = torch.zeros(num_groups, dtype=torch.long, device=groups.device).index_add_(0, groups, keep.long())
    return keep | (kept[groups] == 0)


def drop_roots(batch: Data, p: float, generator: torch.Generator | None = None) -> Data:
    """``batch`` with each graph's readout pooling a random part of its roots, the kept roots' weights divided by
    ``1 - p`` (changed in place and returned).

    Three layouts: a tree bank's batch (:class:`~graph_mirage.training.BankBatches`: ``root_index [R]``,
    ``root_batch [R]``, ``pool_weight [R]``), distilled graphs (``root_mask [N]`` and optional ``root_weight [N]``),
    and real graphs (every node a root: a ``root_mask`` and ``root_weight`` are added). ``p`` 0 returns the batch
    unchanged.
    """
    if p <= 0:
        return batch
    scale = 1.0 / (1.0 - p)
    if getattr(batch, "root_index", None) is not None:
        keep = _keep(batch.root_batch, int(batch.num_graphs), p, generator)
        batch.root_index, batch.root_batch = batch.root_index[keep], batch.root_batch[keep]
        batch.pool_weight = batch.pool_weight[keep] * scale
        return batch
    n = batch.num_nodes
    graph = batch.batch if getattr(batch, "batch", None) is not None else \
        torch.zeros(n, dtype=torch.long, device=batch.x.device)
    roots = getattr(batch, "root_mask", None)
    if roots is None:
        roots = torch.ones(n, dtype=torch.bool, device=graph.device)
    idx = torch.nonzero(roots).view(-1)
    keep = torch.zeros(n, dtype=torch.bool, device=graph.device)
    keep[idx] = _keep(graph[idx], int(batch.num_graphs), p, generator)
    weight = getattr(batch, "root_weight", None)
    weight = torch.ones(n, device=graph.device) if weight is None else weight.float()
    batch.root_mask, batch.root_weight = keep, weight * scale
    return batch


def mixup_loss(model, batch: Data, loss: Callable, alpha: float) -> torch.Tensor:
    """The loss of ``batch`` under mixup of its pooled graph embeddings (manifold mixup at the readout; Zhang et al.,
    ICLR 2018; Verma et al., ICML 2019): the batch is paired with a shuffle of itself, the head reads ``lam * h_i +
    (1 - lam) * h_j`` and the loss is ``lam * loss(., y_i) + (1 - lam) * loss(., y_j)``, ``lam ~ Beta(alpha,
    alpha)`` once per batch (torch's global generator, seeded per run).

    A prototype's sum readout is linear in its root weights, so the embedding of a mix is what the head would read
    of a graph between two prototypes at one layer (at more layers, between their pooled embeddings): the head is
    asked to change smoothly between prototypes instead of separating a few fixed points.

    Args:
        model: a :class:`~graph_mirage.models.GNN` (``pool`` and ``head``).
        batch: a training batch of ``B`` graphs with ``y`` (``[B]``, or ``[B, T]`` with several tasks) and an optional
            ``weight [B]``.
        loss: ``loss(logits [B, C], y, weight) -> scalar``.
        alpha: Beta's parameter (> 0).
    """
    pooled = model.pool(batch)
    lam = float(torch.distributions.Beta(float(alpha), float(alpha)).sample())
    perm = torch.randperm(pooled.size(0), device=pooled.device)
    logits = model.head(lam * pooled + (1 - lam) * pooled[perm])
    y, weight = batch.y, getattr(batch, "weight", None)
    return lam * loss(logits, y, weight) + (1 - lam) * loss(logits, y[perm], None if weight is None else weight[perm])
