"""Baselines that produce the same artifact type as Mirage.

* Training-free selection of real graphs (:mod:`.selection`): :func:`random_selection`, :func:`herding_selection`.
* Learned condensation, written from the papers (:mod:`.doscond`, :mod:`.kidd`): :class:`DosCond` (one-step
  gradient matching, KDD 2022) and :class:`KiDD` (kernel ridge regression with LiteGNTK, KDD 2023). Both learn
  continuous node features, stored as ``x_soft`` in the artifact, and are tied to the model they were optimised
  for (DosCond: a GCN; KiDD: the LiteGNTK kernel, evaluated by its authors with GIN).

Example:
    >>> d = herding_selection(ds[ds.split["train"]], k=10, hops=2)   # doctest: +SKIP
    >>> d = DosCond(graphs_per_class=1).fit(train).distilled_         # doctest: +SKIP
"""

from .doscond import DosCond
from .kidd import KiDD, LiteGNTK
from .selection import herding, herding_selection, random_selection, tree_histograms

__all__ = ["DosCond", "KiDD", "LiteGNTK", "herding", "herding_selection", "random_selection", "tree_histograms"]
