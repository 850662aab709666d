"""Which trees become a prototype's roots, and with which weights.

A prototype stands for its cluster's mean tree counts ``mean [n_trees]``; a GNN reads it through at most
``max_roots`` roots whose weights always sum to the cluster's mean node count. The rules (``TreePrototypes(roots=...)``,
``config.defaults.ROOTS``):

* ``"top"`` (the default): the most frequent trees covering ``mass`` of the nodes, rescaled;
* ``"even-ties"``: the same, with the trees kept from a run of equally frequent ones at the cut spread over the run;
* ``"sampled"``: ``max_roots`` trees at evenly spaced quantiles of the nodes (systematic sampling);
* ``"by-label"``: the roots stratified by their root node's label, so that the prototype's node labels have exactly
  its cluster's mean counts — where nearly every tree is distinct (DD's residues at one hop) the most frequent
  trees over-represent some labels and miss others (on DD the default's roots put 36 % of the label mass on other
  labels than their clusters'), and a graph's label counts alone carry much of a class.

Example:
    >>> import numpy as np
    >>> mean = np.array([5.0, 3.0, 1.0, 1.0])        # trees 0, 1 with root label 0; trees 2, 3 with label 1
    >>> prototype_roots(mean, 0.8, 2, "by-label", tree_label=np.array([0, 0, 1, 1]))
    (array([0, 2]), array([8., 2.]))
"""

from __future__ import annotations

import numpy as np

from .config.defaults import ROOTS
from .errors import ParameterError


def check_roots(roots) -> None:
    """The estimators' shared check of ``roots``."""
    if roots not in ROOTS:
        raise ParameterError(f"roots must be one of {', '.join(map(repr, ROOTS))}, got {roots!r}")


def tree_labels(colours: list[np.ndarray]) -> np.ndarray:
    """``[n_trees]`` the root label (round-0 colour) of every tree of the last round of ``colours`` (the
    :func:`~graph_mirage.trees.wl_colours` of some graphs, rounds 0..h): a tree's colour determines its root's."""
    out = np.zeros(int(colours[-1].max()) + 1 if len(colours[-1]) else 0, dtype=np.int64)
    out[colours[-1]] = colours[0]
    return out


def prototype_roots(mean: np.ndarray, mass: float, max_roots: int, how: str = "top",
                    tree_label: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The roots (tree ids, most frequent first) and root weights of a prototype whose cluster has the mean tree
    counts ``mean [n_trees]``; the weights always sum to the cluster's mean node count.

    ``"top"``: the most frequent trees covering ``mass`` of the nodes (at most ``max_roots``), rescaled; trees as
    frequent as the last one kept come in tree-id order. ``"even-ties"``: the same, except that where the cut falls
    among equally frequent trees, those kept are spread evenly over them (in tree-id order) instead of being the
    lowest ids — ids are ranks of sorted WL signatures, so the lowest are the lowest labels. ``"sampled"``: the trees
    at the quantiles ``(i + 1/2) / max_roots`` of the nodes ordered by tree frequency (systematic sampling), a tree
    picked ``t`` times weighted ``t * nodes / max_roots``; all trees, exactly, when they fit. ``"by-label"`` (needs
    ``tree_label [n_trees]``, each tree's root label: :func:`tree_labels`): as many roots as ``"top"`` keeps, but at
    least one per root label up to ``max_roots``, shared among the labels by their mass (one each, the rest by largest
    remainder, most frequent labels first); each label's roots are its most frequent trees, weighted so that they
    carry the label's mean count (the labels left out, where there are more than ``max_roots``, in proportion)."""
    present = np.flatnonzero(mean > 0)  # the stable order of the trees present: as a full argsort gives
    order = present[np.argsort(-mean[present], kind="stable")]
    cum = np.cumsum(mean[order])
    if how == "sampled":
        if len(order) <= max_roots:
            return order, mean[order]
        at = np.searchsorted(cum, (np.arange(max_roots) + 0.5) * (cum[-1] / max_roots), side="right")
        picked, times = np.unique(np.minimum(at, len(order) - 1), return_counts=True)
        return order[picked], times * (cum[-1] / max_roots)
    n_keep = min(int(np.searchsorted(cum, mass * cum[-1] - 1e-9)) + 1, max_roots)
    if how == "by-label":
        if tree_label is None:
            raise ParameterError("roots='by-label' needs each tree's root label (tree_label)")
        return _by_label(mean, order, cum[-1], n_keep, max_roots, tree_label)
    kept = order[:n_keep]
    if how == "even-ties":
        values = mean[order]  # descending: equally frequent trees are one contiguous run
        start = int(np.searchsorted(-values, -values[n_keep - 1], side="left"))
        stop = int(np.searchsorted(-values, -values[n_keep - 1], side="right"))
        if stop > n_keep:  # the cut falls inside the run: its share of it, evenly spaced over the whole run
            take = n_keep - start
            picks = start + ((np.arange(take) + 0.5) * (stop - start) / take).astype(np.int64)
            kept = np.concatenate([order[:start], order[picks]])
    # equally frequent trees carry equal weights: the kept ones' total is the same whichever of them are kept
    return kept, mean[kept] * (cum[-1] / cum[n_keep - 1])


def _by_label(mean: np.ndarray, order: np.ndarray, total: float, n_keep: int, max_roots: int,
              tree_label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    labels = tree_label[order]
    label_mass = np.bincount(labels, weights=mean[order])
    trees_of = np.bincount(labels, minlength=len(label_mass))
    present = np.flatnonzero(label_mass > 0)
    present = present[np.argsort(-label_mass[present], kind="stable")]  # most frequent labels first
    budget = min(max_roots, max(n_keep, len(present)))
    served = present[:budget]
    alloc = np.ones(len(served), dtype=np.int64)
    spare = budget - len(served)
    if spare > 0:  # the rest by largest remainder of each label's share, never more roots than the label has trees
        share = label_mass[served] / label_mass[served].sum() * budget - 1
        while spare > 0:
            room = alloc < trees_of[served]
            if not room.any():
                break
            gain = np.where(room, share - (alloc - 1), -np.inf)
            alloc[int(np.argmax(gain))] += 1
            spare -= 1
    scale = total / label_mass[served].sum()  # labels left out: their mass spread in proportion
    kept, weights = [], []
    for lab, k in zip(served, alloc):
        trees = order[labels == lab][:k]  # the label's most frequent trees (order is by frequency, stable)
        kept.append(trees)
        weights.append(mean[trees] * (label_mass[lab] * scale / mean[trees].sum()))
    kept, weights = np.concatenate(kept), np.concatenate(weights)
    rank = np.argsort(_positions(order, kept), kind="stable")
    return kept[rank], weights[rank]


def _positions(order: np.ndarray, trees: np.ndarray) -> np.ndarray:
    """Where each of ``trees`` stands in ``order`` (most frequent first)."""
    where = np.empty(int(order.max()) + 1, dtype=np.int64)
    where[order] = np.arange(len(order))
    return where[trees]
