"""The Mirage estimator (the paper's itemset form): training graphs in, a small model-agnostic distilled set out.
No model is trained.

Pipeline (Gupta et al., ICLR 2024), with budgets instead of hand-tuned thresholds:

1. every node's L-hop computation tree gets an exact canonical id (:mod:`graph_mirage.trees`);
2. per class, each training graph is the set of its tree ids; frequent tree sets are mined with FP-growth
   (:mod:`graph_mirage.mining`);
3. **discriminative rule**: a set mined for class c at relative support threshold θ_c is dropped when its relative
   support in another class reaches ``overlap * θ_c`` (it is frequent there too). ``overlap=None`` keeps every set;
4. with a budget, the support threshold of each class is searched (largest threshold that leaves at least ``budget``
   discriminative sets), and the best ``budget`` sets are kept, ranked by their support margin over the other
   classes (then support, then size). ``max_bytes`` searches the largest per-class budget that fits;
5. each kept set becomes one graph: the disjoint union of its trees unfolded from one witness node each, edges child
   -> parent, ``root_mask`` at the roots, class ``y`` and its support as ``weight``.

Example:
    >>> from graph_mirage import Mirage, load_dataset
    >>> ds = load_dataset("synthetic-motifs")
    >>> m = Mirage(hops=2, budget=4).fit(ds[ds.split["train"]])
    >>> len(m.distilled_)
    12
"""

from __future__ import annotations

import time
from numbers import Integral, Real
from typing import Mapping

import numpy as np
import torch
from sklearn.base import BaseEstimator

from .config.defaults import DEFAULT_BUDGET, DEFAULT_HOPS, FLOOR_TREES, RANKS, TARGETS
from .config.presets import distill_preset
from .data import Graphs, as_flat
from .distilled import DistilledDataset
from .errors import BudgetError, ParameterError
from .itemset_search import SupportSearch, explicit_counts
from .mining import MiningLimits
from .progress import Progress
from .tree_table import TreeTable


class Mirage(BaseEstimator):
    """Model-agnostic graph distillation by frequent computation-tree mining (the paper's algorithm).

    Args:
        hops: depth L of the computation trees; use the number of layers of the GNNs to be trained (default 2).
        budget: distilled graphs per class; the support thresholds are searched. Default 10 when neither
            ``min_support`` nor ``max_bytes`` is given.
        max_bytes: total size of the distilled set (see :meth:`DistilledDataset.nbytes`); the largest per-class
            budget that fits is searched.
        min_support: explicit thresholds instead of a budget (the paper's setting): a float in (0, 1] (relative),
            an int >= 1 (absolute count), or a mapping class -> either. Every discriminative set is kept.
        itemsets: ``"closed"`` (default), ``"maximal"`` or ``"all"`` frequent sets.
        overlap: the discriminative rule's factor (see the module docstring); None disables the rule.
        exclusive: the authors' cross-class rule, for explicit thresholds (``min_support``): drop a set mined for
            class c when the same set is also frequent in another class at *that* class's own threshold (their
            ``if pattern in patterns_dict[1 - classid]: continue``). Use with ``overlap=None``.
        rank: order of the discriminative sets a budget keeps: ``"margin"`` (support in the class minus the largest
            support in another class; default), ``"support"`` or ``"size"``.
        context: graph-mirage's option, not in the paper (default 0 = off): add the class's ``context`` most frequent
            trees to every distilled graph of that class, so that its roots resemble the mix of trees of a real graph
            that the root-only readout is compared with at test time.
        readout: the readout the set is meant to be trained with, recorded in the artifact (``mirage train`` uses
            it unless told otherwise): ``"sum"`` over the roots (the authors'; default), ``"mean"`` or ``"max"``.
        max_nodes: refuse a distilled graph with more nodes than this (tree size grows as degree^hops).
        mining: the FP-growth backend, the lowest support searched, the largest set, and the limits of one mining
            call (:class:`~graph_mirage.mining.MiningLimits`; None: its defaults).

    Attributes (after :meth:`fit`):
        distilled_: the :class:`DistilledDataset`.
        tree_ids_: ``[num_nodes]`` canonical computation-tree id of every training node (:meth:`fit` only).
        n_trees_: number of distinct trees.
        tree_counts_: ``[num_classes, n_trees_]`` how many nodes of each class have each tree (:meth:`fit` only).
        witness_: ``[n_trees_]`` the training node (in the order given) each tree is unfolded from (:meth:`fit` only).
        thresholds_: class -> absolute support threshold used.
        itemsets_: class -> list of ``(tree ids, support)`` kept, in rank order.
        n_candidates_: class -> number of sets mined before the discriminative rule.
        budget_: the per-class budget searched (None with explicit thresholds).
        seconds_: wall time of each stage.
    """

    def __init__(self, hops: int = DEFAULT_HOPS, budget: int | None = None, *, max_bytes: int | None = None,
                 min_support: float | int | Mapping | None = None, itemsets: str = "closed",
                 overlap: float | None = 1.0, exclusive: bool = False, rank: str = "margin", context: int = 0,
                 readout: str = "sum", max_nodes: int = 100_000, mining: MiningLimits | None = None) -> None:
        self.hops = hops
        self.budget = budget
        self.max_bytes = max_bytes
        self.min_support = min_support
        self.itemsets = itemsets
        self.overlap = overlap
        self.exclusive = exclusive
        self.rank = rank
        self.context = context
        self.readout = readout
        self.max_nodes = max_nodes
        self.mining = mining

    @classmethod
    def from_preset(cls, dataset: str, preset: str = "paper", step: int = 0, **overrides) -> "Mirage":
        """A Mirage at a preset's settings for ``dataset`` (see :mod:`graph_mirage.config.presets`).

        Args:
            dataset: a dataset name with a preset (``ogbg-molhiv``, ``ogbg-molbace``, ``ogbg-molbbbp``, ``NCI1``,
                ``DD``, ``IMDB-BINARY``).
            preset: ``"paper"``, the authors' released settings.
            step: which threshold step (0 = the starting thresholds; the preset lists how many there are).
            overrides: other keyword arguments of :class:`Mirage`.

        Example:
            >>> Mirage.from_preset("ogbg-molhiv").min_support
            {0: 1800, 1: 115}
        """
        return cls(**distill_preset(dataset, preset).params(step, **overrides))

    # ------------------------------------------------------------------------------------------------------------------
    @property
    def limits(self) -> MiningLimits:
        return self.mining if self.mining is not None else MiningLimits()

    def _validate(self) -> None:
        def positive_int(name: str, value, allow_none: bool = False, minimum: int = 1) -> None:
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
                raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")

        positive_int("hops", self.hops, minimum=1)
        positive_int("budget", self.budget, allow_none=True)
        positive_int("max_bytes", self.max_bytes, allow_none=True)
        positive_int("max_nodes", self.max_nodes)
        positive_int("context", self.context, minimum=0)
        if self.mining is not None and not isinstance(self.mining, MiningLimits):
            raise ParameterError(f"mining must be a MiningLimits or None, got {self.mining!r}")
        self.limits.validate()
        if self.itemsets not in TARGETS:
            raise ParameterError(f"itemsets must be one of {TARGETS}, got {self.itemsets!r}")
        if not isinstance(self.exclusive, bool):
            raise ParameterError(f"exclusive must be True or False, got {self.exclusive!r}")
        if self.exclusive and self.min_support is None:
            raise ParameterError("exclusive needs explicit per-class thresholds (min_support): the rule compares a set "
                                 "with the other classes' own thresholds")
        if self.readout not in ("sum", "mean", "max"):
            raise ParameterError(f"readout must be 'sum', 'mean' or 'max', got {self.readout!r}")
        if self.rank not in RANKS:
            raise ParameterError(f"rank must be one of {RANKS}, got {self.rank!r}")
        if self.overlap is not None and (isinstance(self.overlap, bool) or not isinstance(self.overlap, Real)
                                         or self.overlap <= 0):
            raise ParameterError(f"overlap must be a number > 0 or None, got {self.overlap!r}")
        given = [n for n in ("budget", "max_bytes", "min_support") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ParameterError(f"give one of budget, max_bytes and min_support, not {' and '.join(given)}")
        if self.min_support is not None:
            values = self.min_support.values() if isinstance(self.min_support, Mapping) else [self.min_support]
            for v in values:
                _check_support(v)

    # ------------------------------------------------------------------------------------------------------------------
    def fit(self, graphs: Graphs, y: object = None, *, progress: bool | None = None) -> "Mirage":
        """Distil ``graphs`` (a :class:`GraphDataset` subset, a list of ``Data`` or :class:`FlatGraphs`).

        ``y`` is ignored (the classes are the graphs' ``y``); it is accepted for scikit-learn compatibility.
        ``progress``: True for a bar over the stages (trees, mining, emission).
        """
        self._validate()
        t0 = time.perf_counter()
        bar = Progress(3, "distilling", "stage", enabled=bool(progress))
        flat = as_flat(graphs)
        table = TreeTable.from_flat(flat, dict(getattr(graphs, "meta", {}) or {}), self.hops)
        self.tree_ids_, self.tree_counts_ = table.tree_ids, table.counts
        self.witness_ = table.witnesses(np.arange(table.n_trees))[1]
        return self._fit_table(table, t0, bar)

    def fit_table(self, table: TreeTable, *, progress: bool | None = None) -> "Mirage":
        """Distil from the tree stage's summary of the training graphs (:class:`~graph_mirage.tree_table.TreeTable`),
        e.g. the one the Spark engine computed (:func:`graph_mirage.spark_engine.spark_tree_table`)."""
        self._validate()
        if table.hops != self.hops:
            raise ParameterError(f"the tree table has {table.hops}-hop trees, this Mirage has hops={self.hops}")
        return self._fit_table(table, time.perf_counter(), Progress(3, "distilling", "stage", enabled=bool(progress)),
                               trees_seconds=0.0)

    def _fit_table(self, table: TreeTable, t0: float, bar: Progress, trees_seconds: float | None = None):
        self.seconds_ = {"trees": time.perf_counter() - t0 if trees_seconds is None else trees_seconds}
        self.n_trees_ = table.n_trees
        self.classes_ = np.array(table.classes)
        self.max_degree_ = table.max_degree
        bar.update(1, stage=f"{self.n_trees_} trees; mining")
        t1 = time.perf_counter()  # 2-4. transactions, mining, selection
        search = SupportSearch(table, itemsets=self.itemsets, overlap=self.overlap, rank=self.rank,
                               limits=self.limits, explicit=self.min_support is not None)
        self.budget_ = None
        if self.min_support is not None:
            counts = explicit_counts(self.min_support, {c: table.class_size(c) for c in search.by_class})
            selection = search.by_support(counts, self.exclusive)
        elif self.max_bytes is not None:
            selection, self.budget_ = search.by_bytes(self.max_bytes)
        else:
            self.budget_ = self.budget if self.budget is not None else DEFAULT_BUDGET
            selection = {c: search.search(c, self.budget_) for c in search.by_class}
        self.thresholds_ = {c: s for c, (s, _) in selection.items()}
        self.itemsets_ = {c: sets for c, (_, sets) in selection.items()}
        self.n_candidates_ = {c: search.n_mined[(c, s)] for c, s in self.thresholds_.items()}
        self.seconds_["mining"] = time.perf_counter() - t1
        bar.update(1, stage="emitting")
        t2 = time.perf_counter()  # 5. emission
        graphs_out = self._emit(table, self.itemsets_)
        self.seconds_["emission"] = time.perf_counter() - t2
        self.distilled_ = DistilledDataset(graphs_out, self._meta(table), table.tree_freq)
        if self.distilled_.nbytes() >= self.distilled_.meta["full_bytes"]:
            raise BudgetError(
                f"the distilled set would take {self.distilled_.nbytes():,} bytes, not less than the "
                f"{self.distilled_.meta['full_bytes']:,} bytes of the training split it distils (thresholds "
                f"{self.thresholds_}: an integer threshold is a count of graphs, a fraction is a share of the "
                f"class); raise the support thresholds or lower the budget")
        self.seconds_["total"] = time.perf_counter() - t0 + (trees_seconds or 0.0)
        bar.update(1, stage="done")
        bar.close()
        return self

    def support_floors(self, class_sizes: Mapping[int, int], max_support: Mapping[int, int] | None = None,
                       supports: Mapping[int, tuple[np.ndarray, np.ndarray]] | None = None) -> dict[int, int]:
        """Per class, the support down to which an engine should first send transactions (see
        :class:`~graph_mirage.tree_table.TreeTable`'s ``floors``): a tree less frequent than this in every class is
        in no set mined at that support and changes no support a fit computes, so it can be cut.

        With explicit thresholds, the thresholds (exact: one fetch). A budget search starts at the class's most
        frequent tree (``max_support``) and halves its threshold: the floor covers its first steps (a quarter of
        it) or, given the histogram of the trees' supports in the class (``supports``: support values and how many
        trees have each), reaches the support of its ``FLOOR_TREES`` x budget-th most frequent tree when that is
        lower (searches on real data end near there, so they seldom ask for more). :meth:`fit_table` asks for lower
        floors when the search goes below. Without ``max_support``, the lowest support the search may try,
        ``min(min_count, n_c)``.
        """
        self._validate()
        if self.min_support is not None:
            return explicit_counts(self.min_support, class_sizes)
        lowest = {int(c): min(self.limits.min_count, int(n)) for c, n in class_sizes.items()}
        if max_support is None:
            return lowest
        floors = {c: max(lowest[c], int(max_support.get(c, 0)) // 4) for c in lowest}
        trees = FLOOR_TREES * int(self.budget or DEFAULT_BUDGET)
        for c, (values, counts) in (supports or {}).items():
            order = np.argsort(values)[::-1]
            above = np.cumsum(np.asarray(counts)[order])  # trees at or above each support, descending
            at = int(np.searchsorted(above, trees, side="right"))
            if c in floors and at < len(above):
                floors[c] = max(lowest[c], min(floors[c], int(np.asarray(values)[order][at])))
        return floors

    # ------------------------------------------------------------------------------------------------------------------
    def _emit(self, table: TreeTable, itemsets: dict) -> list:
        self.context_ = {c: table.top_trees(c, self.context) for c in sorted(itemsets)}
        # context: the class's most frequent trees, so a distilled graph's roots resemble a real graph's mix
        plan = [(c, list(items) + [t for t in self.context_[c] if t not in set(items)], support)
                for c in sorted(itemsets) for items, support in itemsets[c]]
        for c, trees, _ in plan:
            n = int(table.tree_size[trees].sum())
            if n > self.max_nodes:
                raise BudgetError(
                    f"a distilled graph of class {c} would have {n} nodes > max_nodes={self.max_nodes}: "
                    f"computation trees grow as degree^hops and this dataset's max degree is "
                    f"{self.max_degree_}; lower hops, set max_itemset_size, or raise max_nodes")
        if not plan:
            raise BudgetError("no distilled graph was produced; lower the support thresholds")
        needed = np.unique(np.concatenate([np.asarray(t, dtype=np.int64) for _, t, _ in plan]))
        unfolder, nodes = table.witnesses(needed)
        graphs = []
        for c, trees, support in plan:
            g = unfolder.unfold(nodes[np.searchsorted(needed, trees)], self.hops)
            del g.node_origin
            g.y = torch.tensor([c])
            g.weight = torch.tensor([float(support)])
            graphs.append(g)
        return graphs

    def _meta(self, table: TreeTable) -> dict:
        classes = sorted(self.itemsets_)
        n_per_class = {str(c): table.class_size(c) for c in classes}
        lim = self.limits
        return {
            "method": "mirage",
            **table.source,
            "hops": self.hops,
            "params": {"budget": self.budget_, "max_bytes": self.max_bytes,
                       "min_support": _jsonable(self.min_support), "itemsets": self.itemsets,
                       "overlap": self.overlap, "min_count": lim.min_count,
                       "max_itemset_size": lim.max_itemset_size, "max_nodes": self.max_nodes,
                       "backend": lim.backend, "rank": self.rank, "context": self.context,
                       "exclusive": self.exclusive},
            "readout": self.readout,
            "context": {str(c): v for c, v in self.context_.items()},
            "thresholds": {str(c): int(s) for c, s in self.thresholds_.items()},
            "class_graphs": n_per_class,
            "itemsets": [[int(c), [int(t) for t in its], int(s)] for c in classes for its, s in self.itemsets_[c]],
            "candidates": {str(c): int(v) for c, v in self.n_candidates_.items()},
            "trees_unique": self.n_trees_,
            "max_degree": self.max_degree_,
        }


def _check_support(v) -> None:
    if isinstance(v, bool) or not isinstance(v, Real):
        raise ParameterError(f"a support threshold must be a number, got {v!r}")
    if isinstance(v, Integral):
        if v < 1:
            raise ParameterError(f"an absolute support threshold must be >= 1, got {v}")
    elif not 0 < v <= 1:
        raise ParameterError(f"a relative support threshold must be in (0, 1], got {v}")


def _jsonable(v):
    if isinstance(v, Mapping):
        return {str(k): x for k, x in v.items()}
    return v
