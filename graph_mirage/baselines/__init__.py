"""Baselines, every one an estimator (parameters in ``__init__``, checked in ``fit``, fitted attributes end in ``_``).

Distilled sets of the same artifact type as Mirage's:

* Training-free selection of real graphs (:mod:`.selection`): :class:`RandomSelection`, :class:`HerdingSelection`.
* Learned condensation, written from the papers (:mod:`.doscond`, :mod:`.kidd`): :class:`DosCond` (one-step
  gradient matching, KDD 2022) and :class:`KiDD` (kernel ridge regression with LiteGNTK, KDD 2023). Both learn
  continuous node features, stored as ``x_soft`` in the artifact, and are tied to the model they were optimised
  for (DosCond: a GCN; KiDD: the LiteGNTK kernel, evaluated by its authors with GIN).

Classic controls trained on the real training split (:mod:`.classic`): :class:`SizeOnly` (graph size alone) and
:class:`WLKernel` (a linear model on Weisfeiler-Lehman subtree counts).

Example:
    >>> d = HerdingSelection(k=10, hops=2).fit(ds[ds.split["train"]]).distilled_   # doctest: +SKIP
    >>> d = DosCond(graphs_per_class=1).fit(train).distilled_         # doctest: +SKIP
"""

from .classic import SizeOnly, WLKernel
from .doscond import DosCond
from .kidd import KiDD, LiteGNTK
from .selection import HerdingSelection, RandomSelection, herding, tree_histograms

__all__ = ["DosCond", "HerdingSelection", "KiDD", "LiteGNTK", "RandomSelection", "SizeOnly", "WLKernel", "herding",
           "tree_histograms"]
