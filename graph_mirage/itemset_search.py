"""Mirage's selection of tree sets per class: mining at a support, the discriminative rule, and the threshold search.

:class:`SupportSearch` holds one fit's state over a :class:`~graph_mirage.tree_table.TreeTable`: each class's
transactions, the sets mined at each support (mined once per lower threshold and filtered in memory), the supports
that hit a mining limit, and the ranked discriminative candidates. :class:`graph_mirage.Mirage` asks it for one of
three selections: by explicit thresholds (:meth:`SupportSearch.by_support`), by a budget of sets per class
(:meth:`SupportSearch.search`) or by a byte budget (:meth:`SupportSearch.by_bytes`).
"""

from __future__ import annotations

import math
from numbers import Integral
from typing import Mapping

import numpy as np

from .errors import BudgetError, ParameterError
from .mining import MiningLimit, MiningLimits, support_counts, transactions_of
from .tree_table import TreeTable

Selection = dict  # class -> (absolute threshold, [(tree ids, support), ...] in rank order)


def explicit_counts(min_support, class_sizes: Mapping[int, int]) -> dict[int, int]:
    """Absolute per-class thresholds from ``min_support`` (a fraction, a count, or a mapping class -> either)."""
    counts = {}
    for c, n_c in class_sizes.items():
        value = min_support.get(c, min_support.get(str(c))) if isinstance(min_support, Mapping) else min_support
        if value is None:
            raise ParameterError(f"min_support has no threshold for class {c}")
        counts[c] = int(value) if isinstance(value, Integral) else max(1, math.ceil(float(value) * n_c - 1e-9))
    return counts


class SupportSearch:
    """Frequent, discriminative tree sets of each class of ``table`` at any support, cached.

    Args:
        table: the tree stage's summary of the training graphs.
        itemsets: ``"closed"``, ``"maximal"`` or ``"all"``.
        overlap: a set of class c at relative threshold θ is dropped when its relative support in another class
            reaches ``overlap * θ`` (None: keep every set).
        rank: order of the candidates: ``"margin"``, ``"support"`` or ``"size"``.
        limits: the miner and its limits.
        explicit: the thresholds are given (a cut table is then fetched down to the threshold itself).
    """

    def __init__(self, table: TreeTable, *, itemsets: str, overlap: float | None, rank: str, limits: MiningLimits,
                 explicit: bool = False) -> None:
        self.table, self.itemsets, self.overlap, self.rank, self.limits = table, itemsets, overlap, rank, limits
        self.explicit = explicit
        self.mined: dict = {}  # (c, support) -> ranked candidates
        self.n_mined: dict = {}  # (c, support) -> number of sets mined before the rule
        self.raw: dict = {}  # (c, support) -> (mined sets, largest relative support elsewhere)
        self.limited: dict = {}  # (c, support) -> the MiningLimit hit there
        self.load_rows()

    def load_rows(self) -> None:
        """Each class's transactions from the tree table (again after it fetched lower floors)."""
        t = self.table
        self.by_class = {c: (t.rows[c], t.weights[c]) for c in t.classes}
        self.tracts = {c: transactions_of(*self.by_class[c]) for c in t.classes}

    def candidates(self, c: int, count: int) -> list[tuple[tuple[int, ...], int, float]]:
        """Discriminative sets of class c at absolute support ``count``: ``(items, support, score)``, ranked."""
        key = (c, count)
        if key in self.mined:
            return self.mined[key]
        mined, other = self.mine(c, count)
        self.n_mined[key] = len(mined)
        n_c = self.table.class_size(c)
        theta = count / n_c
        out = [(its, s, s / n_c - o) for (its, s), o in zip(mined, other)
               if self.overlap is None or o < self.overlap * theta]  # else frequent elsewhere too
        if self.rank == "margin":
            out.sort(key=lambda r: (-r[2], -r[1], -len(r[0]), r[0]))
        elif self.rank == "support":
            out.sort(key=lambda r: (-r[1], -len(r[0]), r[0]))
        else:
            out.sort(key=lambda r: (-len(r[0]), -r[1], r[0]))
        self.mined[key] = out
        return out

    def mine(self, c: int, count: int) -> tuple[list, np.ndarray]:
        """Frequent sets of class c at support ``count`` and their largest relative support in another class.

        All and closed frequent sets at a higher threshold are exactly those mined at a lower one with support at
        least the higher threshold, so the search mines once per lower threshold and filters in memory.
        """
        lower = [s for (c2, s) in self.raw if c2 == c and s <= count]
        if lower and self.itemsets != "maximal":
            mined, other = self.raw[(c, max(lower))]
            keep = np.array([s >= count for _, s in mined], dtype=bool)
            return [m for m, k in zip(mined, keep) if k], other[keep] if len(other) else other
        if (c, count) in self.limited:
            raise self.limited[(c, count)]
        table = self.table
        if table.floors is not None and count < table.floors[c]:  # rows cut above this support: ask for more
            lowest = count if self.explicit else min(self.limits.min_count, table.class_size(c))
            table.lower({c: max(lowest, count // 4)})  # a quarter: the next halvings need no fetch
            self.load_rows()
        try:
            mined = self.limits.mine(self.tracts[c], count, self.itemsets)
        except MiningLimit as e:
            self.limited[(c, count)] = e
            raise
        items = [m[0] for m in mined]
        other = np.zeros(len(mined))
        for c2, (m2, w2) in self.by_class.items():
            if c2 != c and len(mined):
                other = np.maximum(other, support_counts(m2, items, weights=w2) / table.class_size(c2))
        self.raw[(c, count)] = (mined, other)
        return mined, other

    def _enough(self, c: int, s: int, k: int) -> bool | None:
        """Whether support s leaves k discriminative sets; None when mining at s hits a limit (too low)."""
        try:
            return len(self.candidates(c, s)) >= k
        except MiningLimit:
            return None

    def search(self, c: int, k: int) -> tuple[int, list[tuple[tuple[int, ...], int]]]:
        """Largest support count leaving at least k discriminative sets in class c, and the best k of them."""
        n_c = self.table.class_size(c)
        floor = min(self.limits.min_count, n_c)
        # no set is more frequent than its most frequent tree: start the descent there
        s, failed = max(floor, int(self.table.max_support[c])), None
        while not (r := self._enough(c, s, k)):
            if r is None:  # too many sets at s: the answer, if any, lies in (s, failed)
                return self._within_limits(c, k, s, failed)
            if s <= floor:
                found = len(self.candidates(c, floor))
                raise BudgetError(
                    f"budget of {k} graphs per class cannot be met: class {c} has only {found} discriminative tree "
                    f"sets at support >= {floor} of {n_c} graphs; lower the budget, change hops, or use "
                    f"itemsets='all' / a larger overlap")
            failed, s = s, max(floor, s // 2)
        if failed is not None:  # refine: the largest support in (s, failed) that still works
            lo, hi = s, failed
            while hi - lo > 1:
                mid = (lo + hi) // 2
                lo, hi = (mid, hi) if self._enough(c, mid, k) else (lo, mid)
            s = lo
        return s, [(its, sup) for its, sup, _ in self.candidates(c, s)[:k]]

    def _within_limits(self, c: int, k: int, s: int, failed: int | None):
        """The search below ``failed`` hit a mining limit at ``s``: the largest support in (s, failed) that works."""
        lo, hi = s, failed
        while hi is not None and hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (lo, mid) if self._enough(c, mid, k) is False else (mid, hi)
        if hi is not None and self._enough(c, lo, k):
            return lo, [(its, sup) for its, sup, _ in self.candidates(c, lo)[:k]]
        limit = self.limited[(c, lo)].what
        fewer = f" and fewer than {k} discriminative sets at support >= {hi}" if hi is not None else ""
        raise BudgetError(
            f"budget of {k} graphs per class cannot be met within the mining limits: class {c} at support "
            f"{lo} of {self.table.class_size(c)} graphs hit a limit ({limit}){fewer}; lower the budget, set "
            f"max_itemset_size, use fewer hops, or raise max_sets / mining memory / mining seconds")

    def by_support(self, counts: Mapping[int, int], exclusive: bool) -> Selection:
        """Every discriminative set at the explicit thresholds ``counts`` (with the authors' ``exclusive`` rule:
        without the sets also frequent in another class at that class's own threshold)."""
        out = {}
        for c, count in counts.items():
            n_c = self.table.class_size(c)
            try:
                sets = [(its, sup) for its, sup, _ in self.candidates(c, count)]
            except MiningLimit as e:
                raise BudgetError(f"class {c}: mining at support >= {count} of {n_c} graphs hit a limit ({e.what}); "
                                  f"raise the threshold, set max_itemset_size or use fewer hops") from None
            if exclusive and sets:
                frequent_elsewhere = np.zeros(len(sets), dtype=bool)
                for c2, (m2, w2) in self.by_class.items():
                    if c2 != c:
                        frequent_elsewhere |= support_counts(m2, [its for its, _ in sets], weights=w2) >= counts[c2]
                sets = [s for s, drop in zip(sets, frequent_elsewhere) if not drop]
            if not sets:
                raise BudgetError(f"class {c}: no {'exclusive ' if exclusive else ''}discriminative tree sets "
                                  f"at support >= {count} of {n_c} graphs; lower the threshold for this class")
            out[c] = (count, sets)
        return out

    def _bytes(self, k: int) -> tuple[int, Selection]:
        """The bytes of the selection at ``k`` sets per class (as :meth:`DistilledDataset.nbytes` counts them)."""
        table = self.table
        sel = {c: self.search(c, k) for c in self.by_class}
        n_nodes = sum(int(table.tree_size[list(its)].sum()) for _, sets in sel.values() for its, _ in sets)
        n_graphs = sum(len(sets) for _, sets in sel.values())
        # nodes: x + root flag; edges: one per non-root node; graphs: y + weight
        node_bytes = table.node_columns * 8 + 1
        edge_bytes = 16 + table.edge_columns * 8
        n_roots = sum(len(its) for _, s in sel.values() for its, _ in s)
        return n_nodes * node_bytes + (n_nodes - n_roots) * edge_bytes + n_graphs * 12, sel

    def by_bytes(self, max_bytes: int) -> tuple[Selection, int]:
        """The largest per-class budget whose set fits in ``max_bytes``; returns (selection, budget)."""
        try:
            best = self._bytes(1)
        except BudgetError as e:
            raise BudgetError(f"max_bytes={max_bytes}: {e}") from None
        if best[0] > max_bytes:
            raise BudgetError(f"max_bytes={max_bytes} cannot be met: one graph per class already takes "
                              f"{best[0]} bytes; raise max_bytes or lower hops")
        k = 1
        while True:  # grow the per-class budget while it fits and the classes still have sets to give
            try:
                nxt = self._bytes(k * 2)
            except BudgetError:
                break
            if nxt[0] > max_bytes:
                break
            best, k = nxt, k * 2
        lo, hi = k, k * 2
        while hi - lo > 1:
            mid = (lo + hi) // 2
            try:
                cand = self._bytes(mid)
            except BudgetError:
                hi = mid
                continue
            if cand[0] <= max_bytes:
                best, lo = cand, mid
            else:
                hi = mid
        return best[1], lo
