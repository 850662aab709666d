"""The Mirage estimator: training graphs in, a small model-agnostic distilled set out. No model is trained.

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

import math
import time
from numbers import Integral, Real
from typing import Mapping

import numpy as np
import torch

from .data import as_flat
from .distilled import DistilledDataset
from .errors import BudgetError, ParameterError
from .mining import BACKENDS, TARGETS, MiningLimit, mine_itemsets, support_counts, transactions_of
from .tree_table import TreeTable


RANKS = ("margin", "support", "size")


class Mirage:
    """Model-agnostic graph distillation by frequent computation-tree mining.

    Args:
        hops: depth L of the computation trees; use the number of layers of the GNNs to be trained (default 2).
            ``"auto"``: chosen on validation graphs (see below).
        budget: distilled graphs per class; the support thresholds are searched. Default 10 when neither
            ``min_support`` nor ``max_bytes`` is given. ``"auto"``: chosen on validation graphs.
        max_bytes: total size of the distilled set (see :meth:`DistilledDataset.nbytes`); the largest per-class
            budget that fits is searched.
        min_support: explicit thresholds instead of a budget (the paper's setting): a float in (0, 1] (relative),
            an int >= 1 (absolute count), or a mapping class -> either. Every discriminative set is kept.
        itemsets: ``"closed"`` (default), ``"maximal"`` or ``"all"`` frequent sets.
        overlap: the discriminative rule's factor (see the module docstring); None disables the rule.
        min_count: lowest absolute support the budget search tries (default 2: a set seen once says little).
        max_itemset_size: largest number of trees in one set (None: no limit).
        max_nodes: refuse a distilled graph with more nodes than this (tree size grows as degree^hops).
        backend: FP-growth implementation, ``"pyfim"`` or ``"mlxtend"``.
        rank: order of the discriminative sets a budget keeps: ``"margin"`` (support in the class minus the largest
            support in another class; default), ``"support"`` or ``"size"``.
        context: graph-mirage's option, not in the paper (default 0 = off): add the class's ``context`` most frequent
            trees to every distilled graph of that class, so that its roots resemble the mix of trees of a real graph
            that the root-only readout is compared with at test time. Measured in the benchmark as ``mirage+ctx``.
        exclusive: the authors' cross-class rule, for explicit thresholds (``min_support``): drop a set mined for
            class c when the same set is also frequent in another class at *that* class's own threshold (their
            ``if pattern in patterns_dict[1 - classid]: continue``). Use with ``overlap=None``.
        readout: the readout the set is meant to be trained with, recorded in the artifact (``mirage train`` uses
            it unless told otherwise): ``"sum"`` over the roots (the authors'; the default, None) or ``"mean"``. With
            automatic settings None means "chosen on the validation graphs" and a value fixes it.
        max_sets, mining_memory, mining_seconds: limits of one FP-growth call: most frequent sets (default 1,000,000),
            bytes of memory (default 4 GiB, on top of what the process holds) and seconds (default 600). A threshold
            that hits one is too low: the budget search looks above it, and when no threshold both fits and meets the
            budget the fit ends with a :class:`BudgetError` naming the limit — never an out-of-memory kill (dense
            social graphs at low support have more frequent sets than any memory). None: no limit.
        progress: show a progress bar over the stages (trees, mining per class, emission).

    Automatic settings: with ``hops="auto"`` and/or ``budget="auto"``, :meth:`fit` runs graph-mirage's automatic rule
    (:mod:`graph_mirage.auto`): tree-multiset prototypes (:mod:`graph_mirage.prototypes`, the itemset form with each
    tree's multiplicity kept) at every depth and per-class count of the grid, each scored by a short training of a
    small GIN on the validation graphs given to :meth:`fit` (or a holdout of the training graphs); a fixed ``hops``
    or ``budget`` fixes that dimension, ``max_bytes`` caps the size. The itemset options (``min_support``,
    ``itemsets``, ``overlap``, ...) do not apply. Fitted attributes: ``distilled_``, ``settings_``, ``auto_`` (every
    candidate's score), ``n_trees_``, ``seconds_``.

    Attributes (after :meth:`fit`):
        distilled_: the :class:`DistilledDataset`.
        tree_ids_: ``[num_nodes]`` canonical computation-tree id of every training node (:meth:`fit` only).
        n_trees_: number of distinct trees.
        tree_counts_: ``[num_classes, n_trees_]`` how many nodes of each class have each tree (:meth:`fit` only).
        thresholds_: class -> absolute support threshold used.
        itemsets_: class -> list of ``(tree ids, support)`` kept, in rank order.
        n_candidates_: class -> number of sets mined before the discriminative rule.
        seconds_: wall time of each stage.
    """

    def __init__(self, hops: int | str = 2, budget: int | str | None = None, *, max_bytes: int | None = None,
                 min_support: float | int | Mapping | None = None, itemsets: str = "closed",
                 overlap: float | None = 1.0, min_count: int = 2, max_itemset_size: int | None = None,
                 max_nodes: int = 100_000, backend: str = "pyfim", rank: str = "margin", context: int = 0,
                 exclusive: bool = False, readout: str | None = None, max_sets: int | None = 1_000_000,
                 mining_memory: int | None = 4 * 2 ** 30, mining_seconds: float | None = 600,
                 progress: bool = False) -> None:
        self.hops = hops
        self.budget = budget
        self.max_bytes = max_bytes
        self.min_support = min_support
        self.itemsets = itemsets
        self.overlap = overlap
        self.min_count = min_count
        self.max_itemset_size = max_itemset_size
        self.max_nodes = max_nodes
        self.backend = backend
        self.rank = rank
        self.context = context
        self.exclusive = exclusive
        self.readout = readout
        self.max_sets = max_sets
        self.mining_memory = mining_memory
        self.mining_seconds = mining_seconds
        self.progress = progress

    @classmethod
    def from_preset(cls, dataset: str, preset: str = "paper", step: int = 0, **overrides) -> "Mirage":
        """A Mirage at a preset's settings for ``dataset`` (see :mod:`graph_mirage.presets`).

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
        from .presets import distill_preset

        return distill_preset(dataset, preset).mirage(step, **overrides)

    # ------------------------------------------------------------------------------------------------------------------
    def _validate(self) -> None:
        def positive_int(name: str, value, allow_none: bool = False, minimum: int = 1) -> None:
            if value is None and allow_none:
                return
            if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
                raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")

        positive_int("hops", self.hops, minimum=1)
        positive_int("budget", self.budget, allow_none=True)
        positive_int("max_bytes", self.max_bytes, allow_none=True)
        positive_int("min_count", self.min_count)
        positive_int("max_itemset_size", self.max_itemset_size, allow_none=True)
        positive_int("max_nodes", self.max_nodes)
        positive_int("context", self.context, minimum=0)
        positive_int("max_sets", self.max_sets, allow_none=True)
        positive_int("mining_memory", self.mining_memory, allow_none=True)
        if self.mining_seconds is not None and (isinstance(self.mining_seconds, bool) or not isinstance(
                self.mining_seconds, Real) or not self.mining_seconds > 0):
            raise ParameterError(f"mining_seconds must be a number > 0 or None, got {self.mining_seconds!r}")
        if self.itemsets not in TARGETS:
            raise ParameterError(f"itemsets must be one of {TARGETS}, got {self.itemsets!r}")
        if not isinstance(self.exclusive, bool):
            raise ParameterError(f"exclusive must be True or False, got {self.exclusive!r}")
        if self.exclusive and self.min_support is None:
            raise ParameterError("exclusive needs explicit per-class thresholds (min_support): the rule compares a set "
                             "with the other classes' own thresholds")
        if self.readout not in (None, "sum", "mean", "max"):
            raise ParameterError(f"readout must be 'sum', 'mean' or 'max', got {self.readout!r}")
        if self.rank not in RANKS:
            raise ParameterError(f"rank must be one of {RANKS}, got {self.rank!r}")
        if self.backend not in BACKENDS:
            raise ParameterError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        if self.overlap is not None and (not isinstance(self.overlap, Real) or self.overlap <= 0):
            raise ParameterError(f"overlap must be a number > 0 or None, got {self.overlap!r}")
        given = [n for n in ("budget", "max_bytes", "min_support") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ParameterError(f"give one of budget, max_bytes and min_support, not {' and '.join(given)}")
        if self.min_support is not None:
            values = self.min_support.values() if isinstance(self.min_support, Mapping) else [self.min_support]
            for v in values:
                _check_support(v)

    # ------------------------------------------------------------------------------------------------------------------
    @property
    def is_auto(self) -> bool:
        """Whether :meth:`fit` chooses the settings (``hops`` or ``budget`` is ``"auto"``)."""
        return self.hops == "auto" or self.budget == "auto"

    def fit(self, graphs, y=None, *, validation=None, log=None) -> "Mirage":
        """Distil ``graphs`` (a :class:`GraphDataset` subset, a list of ``Data`` or :class:`FlatGraphs`).

        ``y`` is ignored (the classes are the graphs' ``y``); it is accepted for scikit-learn compatibility.
        ``validation`` (real graphs) and ``log`` (one line per candidate) are used by the automatic settings only.
        """
        if self.is_auto:
            return self._fit_auto(graphs, validation, log)
        self._validate()
        t0 = time.perf_counter()
        bar = _StageBar(self.progress)
        flat = as_flat(graphs)
        table = TreeTable.from_flat(flat, dict(getattr(graphs, "meta", {}) or {}), self.hops)
        self.tree_ids_, self.tree_counts_ = table.tree_ids, table.counts
        self._witness = table.witnesses(np.arange(table.n_trees))[1]
        return self._fit_table(table, t0, bar)

    def fit_table(self, table: TreeTable) -> "Mirage":
        """Distil from the tree stage's summary of the training graphs (:class:`~graph_mirage.tree_table.TreeTable`),
        e.g. the one the Spark engine computed (:func:`graph_mirage.spark_engine.spark_tree_table`)."""
        if self.is_auto:
            raise ParameterError("automatic settings train models on the graphs themselves; fit_table needs fixed "
                                 "hops and budget")
        self._validate()
        if table.hops != self.hops:
            raise ParameterError(f"the tree table has {table.hops}-hop trees, this Mirage has hops={self.hops}")
        return self._fit_table(table, time.perf_counter(), _StageBar(self.progress), trees_seconds=0.0)

    def _fit_table(self, table: TreeTable, t0: float, bar: "_StageBar", trees_seconds: float | None = None):
        self.seconds_ = {"trees": time.perf_counter() - t0 if trees_seconds is None else trees_seconds}
        self.n_trees_ = table.n_trees
        self.classes_ = np.array(table.classes)
        self.max_degree_ = table.max_degree
        self._table = table
        bar.step(f"{self.n_trees_} trees; mining")
        # 2-4. transactions, mining, selection
        t1 = time.perf_counter()
        self._load_rows()
        self._mined: dict = {}
        self._n_mined: dict = {}
        self._raw: dict = {}
        self._limited: dict = {}
        self.budget_ = None
        if self.min_support is not None:
            selection = self._select_by_support()
        elif self.max_bytes is not None:
            selection = self._select_by_bytes()  # sets budget_
        else:
            self.budget_ = self.budget if self.budget is not None else 10
            selection = {c: self._search(c, self.budget_) for c in self._by_class}
        self.thresholds_ = {c: s for c, (s, _) in selection.items()}
        self.itemsets_ = {c: sets for c, (_, sets) in selection.items()}
        self.n_candidates_ = {c: self._n_mined[(c, s)] for c, s in self.thresholds_.items()}
        self.seconds_["mining"] = time.perf_counter() - t1
        bar.step("emitting")
        # 5. emission
        t2 = time.perf_counter()
        graphs_out = self._emit(self.itemsets_)
        self.seconds_["emission"] = time.perf_counter() - t2
        self.distilled_ = DistilledDataset(graphs_out, self._meta(), table.tree_freq)
        if self.distilled_.nbytes() >= self.distilled_.meta["full_bytes"]:
            raise BudgetError(
                f"the distilled set would take {self.distilled_.nbytes():,} bytes, not less than the "
                f"{self.distilled_.meta['full_bytes']:,} bytes of the training split it distils (thresholds "
                f"{self.thresholds_}: an integer threshold is a count of graphs, a fraction is a share of the "
                f"class); raise the support thresholds or lower the budget")
        self.seconds_["total"] = time.perf_counter() - t0 + (trees_seconds or 0.0)
        bar.close()
        del self._by_class, self._tracts, self._mined, self._n_mined, self._raw, self._limited, self._table
        return self

    def _load_rows(self) -> None:
        """Each class's transactions from the tree table (again after it fetched lower floors)."""
        table = self._table
        self._by_class = {c: (table.rows[c], table.weights[c]) for c in table.classes}
        self._tracts = {c: transactions_of(*self._by_class[c]) for c in table.classes}

    def _fit_auto(self, graphs, validation, log) -> "Mirage":
        from .auto import AUTO_HOPS, AUTO_PER_CLASS, AUTO_READOUTS, auto_distill

        for name, value in (("hops", self.hops), ("budget", self.budget)):
            if value != "auto" and value is not None and (isinstance(value, bool) or not isinstance(value, Integral)
                                                          or value < 1):
                raise ParameterError(f"{name} must be 'auto' or an integer >= 1, got {value!r}")
        if self.min_support is not None:
            raise ParameterError("min_support cannot be combined with automatic settings (hops or budget 'auto'): "
                                 "the automatic rule chooses the budget itself")
        if self.max_bytes is not None and (isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, Integral)
                                           or self.max_bytes < 1):
            raise ParameterError(f"max_bytes must be an integer >= 1, got {self.max_bytes!r}")
        hops = AUTO_HOPS if self.hops == "auto" else (int(self.hops),)
        per_class = AUTO_PER_CLASS if self.budget in ("auto", None) else (int(self.budget),)
        if self.readout not in (None, "sum", "mean"):
            raise ParameterError(f"readout must be 'sum', 'mean' or None with automatic settings, got {self.readout!r}")
        readouts = AUTO_READOUTS if self.readout is None else (self.readout,)
        est, record = auto_distill(graphs, validation, hops=hops, per_class=per_class, readouts=readouts,
                                   max_bytes=None if self.max_bytes is None else int(self.max_bytes), log=log)
        self.distilled_, self.auto_, self.settings_ = est.distilled_, record, record["settings"]
        self.n_trees_, self.seconds_ = est.n_trees_, {"total": record["seconds"]}
        return self

    # ------------------------------------------------------------------------------------------------------------------
    def _candidates(self, c: int, count: int) -> list[tuple[tuple[int, ...], int, float]]:
        """Discriminative sets of class c at absolute support ``count``: ``(items, support, score)``, ranked."""
        key = (c, count)
        if key in self._mined:
            return self._mined[key]
        mined, other = self._mine(c, count)
        self._n_mined[key] = len(mined)
        n_c = self._table.class_size(c)
        theta = count / n_c
        out = []
        for (its, s), o in zip(mined, other):
            if self.overlap is not None and o >= self.overlap * theta:
                continue  # frequent in another class too: not discriminative
            out.append((its, s, s / n_c - o))
        if self.rank == "margin":
            out.sort(key=lambda r: (-r[2], -r[1], -len(r[0]), r[0]))
        elif self.rank == "support":
            out.sort(key=lambda r: (-r[1], -len(r[0]), r[0]))
        else:
            out.sort(key=lambda r: (-len(r[0]), -r[1], r[0]))
        self._mined[key] = out
        return out

    def _mine(self, c: int, count: int) -> tuple[list, np.ndarray]:
        """Frequent sets of class c at support ``count`` and their largest relative support in another class.

        All and closed frequent sets at a higher threshold are exactly those mined at a lower one with support at
        least the higher threshold, so the search mines once per lower threshold and filters in memory.
        """
        lower = [s for (c2, s) in self._raw if c2 == c and s <= count]
        if lower and self.itemsets != "maximal":
            mined, other = self._raw[(c, max(lower))]
            keep = np.array([s >= count for _, s in mined], dtype=bool)
            return [m for m, k in zip(mined, keep) if k], other[keep] if len(other) else other
        if (c, count) in self._limited:
            raise self._limited[(c, count)]
        table = self._table
        if table.floors is not None and count < table.floors[c]:  # rows cut above this support: ask for more
            lowest = min(self.min_count, table.class_size(c)) if self.min_support is None else count
            table.lower({c: max(lowest, count // 4)})  # a quarter: the next halvings need no fetch
            self._load_rows()
        try:
            mined = mine_itemsets(self._tracts[c], count, self.itemsets, self.backend, self.max_itemset_size,
                                  max_sets=self.max_sets, memory=self.mining_memory, seconds=self.mining_seconds)
        except MiningLimit as e:
            self._limited[(c, count)] = e
            raise
        items = [m[0] for m in mined]
        other = np.zeros(len(mined))
        for c2, (m2, w2) in self._by_class.items():
            if c2 != c and len(mined):
                other = np.maximum(other, support_counts(m2, items, weights=w2) / self._table.class_size(c2))
        self._raw[(c, count)] = (mined, other)
        return mined, other

    def _search(self, c: int, k: int) -> tuple[int, list[tuple[tuple[int, ...], int]]]:
        """Largest support count leaving at least k discriminative sets in class c, and the best k of them."""
        n_c = self._table.class_size(c)
        floor = min(self.min_count, n_c)

        def enough(s: int) -> bool | None:
            """Whether support s leaves k discriminative sets; None when mining at s hits a limit (too low)."""
            try:
                return len(self._candidates(c, s)) >= k
            except MiningLimit:
                return None

        # no set is more frequent than its most frequent tree: start the descent there
        s, failed = max(floor, int(self._table.max_support[c])), None
        while not (r := enough(s)):
            if r is None:  # too many sets at s: the answer, if any, lies in (s, failed)
                lo, hi = s, failed
                while hi is not None and hi - lo > 1:
                    mid = (lo + hi) // 2
                    lo, hi = (lo, mid) if enough(mid) is False else (mid, hi)
                if hi is not None and enough(lo):
                    failed, s = None, lo
                    break
                limit = self._limited[(c, lo)].what
                fewer = f" and fewer than {k} discriminative sets at support >= {hi}" if hi is not None else ""
                raise BudgetError(
                    f"budget of {k} graphs per class cannot be met within the mining limits: class {c} at support "
                    f"{lo} of {n_c} graphs hit a limit ({limit}){fewer}; lower the budget, set max_itemset_size, "
                    f"use fewer hops, or raise max_sets / mining_memory / mining_seconds")
            if s <= floor:
                found = len(self._candidates(c, floor))
                raise BudgetError(
                    f"budget of {k} graphs per class cannot be met: class {c} has only {found} discriminative tree "
                    f"sets at support >= {floor} of {n_c} graphs; lower the budget, change hops, or use "
                    f"itemsets='all' / a larger overlap")
            failed, s = s, max(floor, s // 2)
        if failed is not None:  # refine: the largest support in (s, failed) that still works
            lo, hi = s, failed
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if enough(mid) else (lo, mid)
            s = lo
        return s, [(its, sup) for its, sup, _ in self._candidates(c, s)[:k]]

    def support_floors(self, class_sizes: Mapping[int, int], max_support: Mapping[int, int] | None = None
                       ) -> dict[int, int]:
        """Per class, the support down to which an engine should first send transactions (see
        :class:`~graph_mirage.tree_table.TreeTable`'s ``floors``): a tree less frequent than this in every class is
        in no set mined at that support and changes no support a fit computes, so it can be cut.

        With explicit thresholds, the thresholds (exact: one fetch). A budget search starts at the class's most
        frequent tree (``max_support``) and halves its threshold: the floor covers its first steps (a quarter of
        it), and :meth:`fit_table` asks for lower floors when the search goes below. Without ``max_support``, the
        lowest support the search may try, ``min(min_count, n_c)``.
        """
        self._validate()
        if self.min_support is not None:
            return self._explicit_counts(class_sizes)
        lowest = {int(c): min(self.min_count, int(n)) for c, n in class_sizes.items()}
        if max_support is None:
            return lowest
        return {c: max(lowest[c], int(max_support.get(c, 0)) // 4) for c in lowest}

    def _explicit_counts(self, class_sizes: Mapping[int, int]) -> dict[int, int]:
        counts = {}
        for c, n_c in class_sizes.items():
            value = self.min_support.get(c, self.min_support.get(str(c))) if isinstance(self.min_support, Mapping) \
                else self.min_support
            if value is None:
                raise ParameterError(f"min_support has no threshold for class {c}")
            counts[c] = int(value) if isinstance(value, Integral) else max(1, math.ceil(float(value) * n_c - 1e-9))
        return counts

    def _select_by_support(self) -> dict:
        counts = self._explicit_counts({c: self._table.class_size(c) for c in self._by_class})
        out = {}
        for c, count in counts.items():
            n_c = self._table.class_size(c)
            try:
                sets = [(its, sup) for its, sup, _ in self._candidates(c, count)]
            except MiningLimit as e:
                raise BudgetError(f"class {c}: mining at support >= {count} of {n_c} graphs hit a limit ({e.what}); "
                                  f"raise the threshold, set max_itemset_size or use fewer hops") from None
            if self.exclusive and sets:
                frequent_elsewhere = np.zeros(len(sets), dtype=bool)
                for c2, (m2, w2) in self._by_class.items():
                    if c2 != c:
                        frequent_elsewhere |= support_counts(m2, [its for its, _ in sets], weights=w2) >= counts[c2]
                sets = [s for s, drop in zip(sets, frequent_elsewhere) if not drop]
            if not sets:
                raise BudgetError(f"class {c}: no {'exclusive ' if self.exclusive else ''}discriminative tree sets "
                                  f"at support >= {count} of {n_c} graphs; lower the threshold for this class")
            out[c] = (count, sets)
        return out

    def _select_by_bytes(self) -> dict:
        table = self._table

        def size(k: int) -> tuple[int, dict]:
            sel = {c: self._search(c, k) for c in self._by_class}
            n_nodes = sum(int(table.tree_size[list(its)].sum()) for _, sets in sel.values() for its, _ in sets)
            n_graphs = sum(len(sets) for _, sets in sel.values())
            # nodes: x + root flag; edges: one per non-root node; graphs: y + weight
            node_bytes = table.node_columns * 8 + 1
            edge_bytes = 16 + table.edge_columns * 8
            return n_nodes * node_bytes + (n_nodes - sum(len(its) for _, s in sel.values() for its, _ in s)) \
                * edge_bytes + n_graphs * 12, sel

        try:
            best = size(1)
        except BudgetError as e:
            raise BudgetError(f"max_bytes={self.max_bytes}: {e}") from None
        if best[0] > self.max_bytes:
            raise BudgetError(f"max_bytes={self.max_bytes} cannot be met: one graph per class already takes "
                              f"{best[0]} bytes; raise max_bytes or lower hops")
        k = 1
        while True:  # grow the per-class budget while it fits and the classes still have sets to give
            try:
                nxt = size(k * 2)
            except BudgetError:
                break
            if nxt[0] > self.max_bytes:
                break
            best, k = nxt, k * 2
        lo, hi = k, k * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                cand = size(mid)
            except BudgetError:
                hi = mid
                continue
            if cand[0] <= self.max_bytes:
                best, lo = cand, mid
            else:
                hi = mid
        self.budget_ = lo
        return best[1]

    # ------------------------------------------------------------------------------------------------------------------
    def _emit(self, itemsets: dict) -> list:
        table = self._table
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

    def _meta(self) -> dict:
        classes = sorted(self.itemsets_)
        n_per_class = {str(c): self._table.class_size(c) for c in classes}
        return {
            "method": "mirage",
            **self._table.source,
            "hops": self.hops,
            "params": {"budget": self.budget_, "max_bytes": self.max_bytes,
                       "min_support": _jsonable(self.min_support), "itemsets": self.itemsets,
                       "overlap": self.overlap, "min_count": self.min_count,
                       "max_itemset_size": self.max_itemset_size, "max_nodes": self.max_nodes,
                       "backend": self.backend, "rank": self.rank, "context": self.context,
                       "exclusive": self.exclusive},
            "readout": self.readout or "sum",
            "context": {str(c): v for c, v in self.context_.items()},
            "thresholds": {str(c): int(s) for c, s in self.thresholds_.items()},
            "class_graphs": n_per_class,
            "itemsets": [[int(c), [int(t) for t in its], int(s)] for c in classes for its, s in self.itemsets_[c]],
            "candidates": {str(c): int(v) for c, v in self.n_candidates_.items()},
            "trees_unique": self.n_trees_,
            "max_degree": self.max_degree_,
        }


class _StageBar:
    """A three-stage progress bar (trees, mining, emission), or nothing."""

    def __init__(self, enabled: bool) -> None:
        self.bar = None
        if enabled:
            import sys

            from tqdm.auto import tqdm

            self.bar = tqdm(total=3, desc="distilling: trees", unit="stage", file=sys.stderr, leave=False)

    def step(self, desc: str) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_description(f"distilling: {desc}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.close()


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
