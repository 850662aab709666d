"""Frequent tree-set mining: FP-growth per class, support counting, and the discriminative filter.

Each training graph is a transaction, the set of its computation-tree ids. Frequent co-occurring tree sets of a class
are mined with FP-growth from a maintained implementation: ``pyfim`` (C, Borgelt's) by default, ``mlxtend`` (pandas)
as an alternative; ``benchmarks/mining_backends.py`` compares them. ``pyfpgrowth`` is deliberately not supported: it
misses itemsets.

Example:
    >>> mine_itemsets([[1, 2, 3], [1, 2], [2, 3]], min_count=2, target="closed")
    [((2,), 3), ((1, 2), 2), ((2, 3), 2)]
"""

from __future__ import annotations

import atexit
import sys
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from .config.defaults import BACKENDS, MAX_SETS, MIN_COUNT, MINING_MEMORY, MINING_SECONDS, TARGETS
from .errors import BudgetError, MirageError, ParameterError

Itemset = tuple[tuple[int, ...], int]


class MiningLimit(BudgetError):
    """Mining at a threshold hit a limit (too many sets, memory or time); ``what`` names it."""

    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


@dataclass(frozen=True)
class MiningLimits:
    """How FP-growth runs, and what one mining call may cost (a parameter of :class:`graph_mirage.Mirage`).

    Args:
        backend: ``"pyfim"`` (Borgelt's C implementation; default) or ``"mlxtend"``.
        min_count: lowest absolute support a budget search tries (default 2: a set seen once says little).
        max_itemset_size: largest number of trees in one set (None: no limit).
        max_sets: most frequent sets one call may return (default 1,000,000).
        memory: bytes one call may allocate on top of what the process holds (default 4 GiB).
        seconds: wall time of one call (default 600).

    A threshold that hits a limit is too low: the budget search looks above it, and when no threshold both fits and
    meets the budget the fit ends with a :class:`~graph_mirage.errors.BudgetError` naming the limit — never an
    out-of-memory kill (dense social graphs at low support have more frequent sets than any memory). None: no limit.
    """

    backend: str = "pyfim"
    min_count: int = MIN_COUNT
    max_itemset_size: int | None = None
    max_sets: int | None = MAX_SETS
    memory: int | None = MINING_MEMORY
    seconds: float | None = MINING_SECONDS

    def validate(self) -> None:
        if self.backend not in BACKENDS:
            raise ParameterError(f"backend must be one of {BACKENDS}, got {self.backend!r}")
        for name, allow_none in (("min_count", False), ("max_itemset_size", True), ("max_sets", True),
                                 ("memory", True)):
            v = getattr(self, name)
            if v is None and allow_none:
                continue
            if isinstance(v, bool) or not isinstance(v, Integral) or v < 1:
                raise ParameterError(f"{name} must be an integer >= 1{' or None' if allow_none else ''}, got {v!r}")
        v = self.seconds
        if v is not None and (isinstance(v, bool) or not isinstance(v, Real) or not v > 0):
            raise ParameterError(f"seconds must be a number > 0 or None, got {v!r}")

    def mine(self, transactions, min_count: int, target: str) -> list:
        """:func:`mine_itemsets` within these limits."""
        return mine_itemsets(transactions, min_count, target, self.backend, self.max_itemset_size,
                             max_sets=self.max_sets, memory=self.memory, seconds=self.seconds)


def mine_itemsets(transactions: Sequence[Sequence[int]], min_count: int, target: str = "closed",
                  backend: str = "pyfim", max_size: int | None = None, *, max_sets: int | None = None,
                  memory: int | None = None, seconds: float | None = None) -> list[Itemset]:
    """Frequent itemsets with their absolute supports, sorted canonically.

    Args:
        transactions: each an iterable of int items (duplicates ignored).
        min_count: minimum absolute support (>= 1).
        target: ``"all"`` frequent sets, ``"closed"`` (no superset has the same support) or ``"maximal"`` (no
            superset is frequent).
        backend: ``"pyfim"`` or ``"mlxtend"``.
        max_size: largest itemset size to report (None: no limit).
        max_sets: most sets a call may return; more raise :class:`MiningLimit` (None: no limit).
        memory: bytes of memory the miner may allocate beyond what the process holds (None: no limit).
        seconds: wall time the miner may take (None: no limit).

    With ``memory`` or ``seconds`` (Linux), pyfim runs in a separate, long-lived worker process with that
    address-space limit, killed at the deadline, so a threshold whose sets do not fit ends with
    :class:`MiningLimit` instead of an out-of-memory kill of the whole process.

    Returns:
        ``[(items, support), ...]`` with ``items`` a sorted tuple, ordered by support (desc), size, then items.
    """
    if target not in TARGETS:
        raise ParameterError(f"target must be one of {TARGETS}, got {target!r}")
    if backend not in BACKENDS:
        raise ParameterError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if int(min_count) < 1:
        raise ParameterError(f"min_count must be >= 1, got {min_count}")
    tracts = transactions if isinstance(transactions, (Transactions, MatrixTransactions)) \
        else Transactions.of(transactions)
    if not len(tracts):
        return []
    if backend == "pyfim":
        args = (tracts.weighted(int(min_count)), target, int(min_count), max_size)
        if (memory is not None or seconds is not None) and sys.platform.startswith("linux"):
            result = _pyfim_bounded(args, max_sets, memory, seconds)
        else:
            result = _pyfim(*args)
    else:
        result = _mlxtend(list(tracts), int(min_count), target, max_size)
    if max_sets is not None and len(result) > max_sets:
        raise MiningLimit(f"more than max_sets={max_sets:,} frequent sets ({len(result):,})")
    return sorted(result, key=lambda r: (-r[1], len(r[0]), r[0]))


def _pyfim(tracts, target: str, min_count: int, max_size: int | None) -> list[Itemset]:
    import fim

    # pyfim silently drops items present in every transaction (perfect extensions of the empty set); one empty
    # transaction changes no absolute support and keeps them (checked against brute force in the tests).
    found = fim.fpgrowth(tracts, target={"all": "s", "closed": "c", "maximal": "m"}[target], supp=-min_count,
                         zmin=1, zmax=max_size if max_size else -1, report="a")
    return [(tuple(sorted(int(i) for i in items)), int(s)) for items, s in found]


class _Worker:
    """One long-lived miner process (:mod:`graph_mirage._miner`) shared by every bounded mining call.

    A fresh interpreter, not a fork: a forked copy of a large process reuses its freed heap without growing its
    address space, so a memory limit would hold only on top of however much that is. It imports numpy and pyfim
    only, once (~0.25 s), where a process per call paid that at every threshold of a search.
    """

    proc = None
    command = (sys.executable, "-m", "graph_mirage._miner")

    @classmethod
    def request(cls, args, max_sets, memory, seconds) -> tuple[str, object]:
        import os
        import pickle
        import select
        import struct
        import subprocess
        import time

        if cls.proc is None or cls.proc.poll() is not None:
            pkg_parent = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            env = dict(os.environ, PYTHONPATH=os.pathsep.join(
                p for p in (pkg_parent, os.environ.get("PYTHONPATH", "")) if p))
            cls.proc = subprocess.Popen(list(cls.command), stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        proc = cls.proc
        data = pickle.dumps((args, max_sets, memory), protocol=pickle.HIGHEST_PROTOCOL)
        deadline = None if seconds is None else time.monotonic() + seconds
        try:
            proc.stdin.write(struct.pack("<Q", len(data)) + data)
            proc.stdin.flush()
            fd = proc.stdout.fileno()
            buf, need = b"", 8
            while len(buf) < need:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                if not select.select([fd], [], [], left)[0]:
                    cls.stop()
                    return "time", None
                chunk = os.read(fd, max(need - len(buf), 1 << 16))
                if not chunk:
                    return cls._died(proc)
                buf += chunk
                if need == 8 and len(buf) >= 8:
                    need = 8 + struct.unpack("<Q", buf[:8])[0]
            kind, payload = pickle.loads(buf[8:need])
        except OSError:  # a broken pipe: the worker died before it read the request
            return cls._died(proc)
        except BaseException:  # interrupted mid-request: the worker's state is unknown
            cls.stop()
            raise
        if kind == "memory":
            cls.stop()
        return kind, payload

    @classmethod
    def _died(cls, proc) -> tuple[str, object]:
        """A worker that died mid-request: SIGKILL is the kernel's out-of-memory killer, anything else a fault."""
        status = proc.wait()
        cls.stop()
        return ("memory", None) if status == -9 else ("died", status)

    @classmethod
    def stop(cls) -> None:
        if cls.proc is not None:
            if cls.proc.poll() is None:
                cls.proc.kill()
            cls.proc.wait()
            for f in (cls.proc.stdin, cls.proc.stdout):
                try:
                    f.close()
                except OSError:
                    pass
            cls.proc = None


atexit.register(_Worker.stop)


def _pyfim_bounded(args, max_sets, memory, seconds) -> list[Itemset]:
    kind, payload = _Worker.request(args, max_sets, memory, seconds)
    if kind == "time":
        raise MiningLimit(f"mining took longer than {seconds:g} s")
    if kind == "sets":
        raise MiningLimit(f"more than max_sets={max_sets:,} frequent sets ({payload:,})")
    if kind == "memory":
        raise MiningLimit(f"mining needed more than {memory / 2 ** 30:.3g} GiB of memory" if memory is not None
                          else "the mining process was killed for lack of memory")
    if kind == "died":
        raise MirageError(f"the mining worker process (python -m graph_mirage._miner) failed with exit status "
                          f"{payload}; run it by hand to see why")
    sizes, items, supports = payload
    groups = np.split(items, np.cumsum(sizes)[:-1]) if len(sizes) else []
    return [(tuple(int(x) for x in g), int(s)) for g, s in zip(groups, supports)]


class Transactions(list):
    """Transactions normalised once (sorted lists of distinct Python ints), so repeated mining at several
    thresholds does not convert them again."""

    @classmethod
    def of(cls, transactions: Sequence[Sequence[int]]) -> "Transactions":
        return cls(sorted({int(i) for i in t}) for t in transactions)

    def weighted(self, min_count: int) -> dict[tuple[int, ...], int]:
        """The miner's input at ``min_count`` (see :meth:`MatrixTransactions.weighted`)."""
        from collections import Counter

        freq = Counter(i for t in self for i in t)
        out = Counter(tuple(i for i in t if freq[i] >= min_count) for t in self)
        out[()] += 1
        return dict(out)


class MatrixTransactions:
    """Transactions kept as the rows of a sorted binary CSR matrix (no Python list per graph)."""

    def __init__(self, matrix: sp.csr_matrix, weights: np.ndarray | None = None) -> None:
        self.matrix = matrix
        # weights: how many graphs each row stands for (the Spark engine sends equal transactions merged)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.int64)
        rows_w = None if weights is None else np.repeat(self.weights, np.diff(matrix.indptr))
        # the items present and their (weighted) frequencies, compact: a matrix cut to a few kept trees (the Spark
        # engine's) still has one column per tree id, millions, and a dense count per column would dominate memory
        if not _wide(matrix):
            freq = np.bincount(matrix.indices, weights=rows_w, minlength=matrix.shape[1]).astype(np.int64)
            self.items = np.flatnonzero(freq)
            self.item_freq = freq[self.items]
        else:
            self.items, inverse = np.unique(matrix.indices, return_inverse=True)
            self.item_freq = np.bincount(inverse, weights=rows_w, minlength=len(self.items)).astype(np.int64)

    def __len__(self) -> int:
        """Number of transactions (graphs), weights counted."""
        return self.matrix.shape[0] if self.weights is None else int(self.weights.sum())

    def __iter__(self):
        rows = np.split(self.matrix.indices, self.matrix.indptr[1:-1])
        if self.weights is None:
            return (row.tolist() for row in rows)
        return (row.tolist() for row, w in zip(rows, self.weights.tolist()) for _ in range(w))

    def weighted(self, min_count: int) -> dict[tuple[int, ...], int]:
        """The miner's input at ``min_count``: every transaction cut to its items of support >= ``min_count`` (no
        frequent set contains another item, so supports and closedness are unchanged), equal transactions merged
        into one with their count as weight, plus one empty transaction (see :func:`_pyfim`).

        On molecule-like data most tree ids are rare, so this input is a small fraction of the transactions: it is
        what the (bounded) miner is sent and converts, at every threshold of a search (100,000 synthetic molecules:
        mining 22.4 s -> 7.8 s, measured). Equal rows are found exactly, vectorised: each row as a bit-packed
        vector over the frequent items, deduplicated in chunks.
        """
        keep_items = self.items[self.item_freq >= min_count]
        out: dict[tuple[int, ...], int] = {}
        if len(keep_items):
            sub = _columns(self.matrix, keep_items)  # columns 0..F-1 stand for keep_items (sorted)
            width = len(keep_items)
            # rows per chunk: a dense bool block of ~64 MB, ~16 MB for a wide matrix (a driver's small share of memory)
            step = max(1, (2 ** 24 if _wide(self.matrix) else 2 ** 26) // width)
            parts, weights = [], []
            row_w = np.ones(sub.shape[0], dtype=np.int64) if self.weights is None else self.weights
            for start in range(0, sub.shape[0], step):
                block = sub[start:start + step]
                dense = np.zeros((block.shape[0], width), dtype=bool)
                dense[np.repeat(np.arange(block.shape[0]), np.diff(block.indptr)), block.indices] = True
                packed = np.ascontiguousarray(np.packbits(dense, axis=1))
                keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
                u, idx, inv = np.unique(keys, return_index=True, return_inverse=True)
                parts.append(packed[idx])
                weights.append(np.bincount(inv.ravel(), weights=row_w[start:start + step]))
            packed = np.concatenate(parts)
            keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()
            _, idx, inverse = np.unique(keys, return_index=True, return_inverse=True)
            counts = np.bincount(inverse.ravel(), weights=np.concatenate(weights)).astype(np.int64)
            rows = np.unpackbits(packed[idx], axis=1, count=width).astype(bool)
            for r, k in zip(rows, counts.tolist()):
                out[tuple(keep_items[r].tolist())] = k
        else:
            out[()] = len(self)
        out[()] = out.get((), 0) + 1
        return out


def _wide(matrix: sp.csr_matrix) -> bool:
    """More columns than entries (transactions cut to a few trees, ids up to millions): per-column arrays would
    dominate memory, so the helpers below work on the entries instead (slower on a full matrix)."""
    return matrix.shape[1] > matrix.nnz


def _entries_in(matrix: sp.csr_matrix, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(position in sorted keys, whether it is one of them)`` of each entry's column."""
    pos = np.searchsorted(keys, matrix.indices)
    hit = pos < len(keys)
    hit[hit] = keys[pos[hit]] == matrix.indices[hit]
    return pos, hit


def _columns(matrix: sp.csr_matrix, keep: np.ndarray) -> sp.csr_matrix:
    """``matrix[:, keep]`` for sorted ``keep``, without arrays as long as the matrix is wide."""
    if not _wide(matrix):
        return matrix[:, keep].tocsr()
    pos, hit = _entries_in(matrix, keep)
    indptr = np.concatenate([[0], np.cumsum(hit)])[matrix.indptr]
    return sp.csr_matrix((np.ones(int(hit.sum()), dtype=np.int8), pos[hit], indptr),
                         shape=(matrix.shape[0], len(keep)))


def _mlxtend(tracts: list[list[int]], min_count: int, target: str, max_size: int | None) -> list[Itemset]:
    import pandas as pd
    from mlxtend.frequent_patterns import fpgrowth, fpmax

    items = sorted({i for t in tracts for i in t})
    col = {item: k for k, item in enumerate(items)}
    rows = np.repeat(np.arange(len(tracts)), [len(t) for t in tracts])
    cols = np.array([col[i] for t in tracts for i in t], dtype=np.int64)
    dense = np.zeros((len(tracts), len(items)), dtype=bool)
    dense[rows, cols] = True
    df = pd.DataFrame(dense, columns=items)
    rel = min_count / len(tracts)
    algo = fpmax if target == "maximal" else fpgrowth
    out = algo(df, min_support=rel - 1e-12, use_colnames=True, max_len=max_size)
    result = [(tuple(sorted(int(i) for i in s)), int(round(f * len(tracts))))
              for f, s in zip(out["support"], out["itemsets"])]
    result = [r for r in result if r[1] >= min_count]
    if target == "closed":  # mlxtend has no closed miner: keep sets with no superset of equal support
        by_support: dict[int, list[frozenset]] = {}
        for items, s in result:
            by_support.setdefault(s, []).append(frozenset(items))
        result = [(items, s) for items, s in result
                  if not any(len(o) > len(items) and o.issuperset(items) for o in by_support[s])]
    return result


def transaction_matrix(graph_of_node: np.ndarray, tree_ids: np.ndarray, num_graphs: int,
                       num_trees: int) -> sp.csr_matrix:
    """Binary ``[num_graphs, num_trees]`` matrix: graph g contains a node whose tree id is t."""
    m = sp.csr_matrix((np.ones(len(tree_ids), dtype=np.int32), (graph_of_node, tree_ids)),
                      shape=(num_graphs, num_trees))
    m.data[:] = 1  # duplicates were summed; a transaction is a set
    return m


def transactions_of(matrix: sp.csr_matrix, weights: np.ndarray | None = None) -> MatrixTransactions:
    """The rows of a transaction matrix as transactions (sorted item ids), each standing for ``weights`` graphs."""
    matrix = matrix.tocsr()
    matrix.sort_indices()
    return MatrixTransactions(matrix, weights)


def support_counts(matrix: sp.csr_matrix, itemsets: Sequence[Sequence[int]], chunk_nnz: int = 20_000_000,
                   weights: np.ndarray | None = None) -> np.ndarray:
    """Absolute support of each itemset in the transactions (rows) of ``matrix``.

    ``chunk_nnz`` bounds the entries of one sparse product (memory), whatever the number of sets. ``weights``
    (``[rows]``): how many graphs each row stands for (default one each).

    Returns:
        ``[len(itemsets)]`` int64.
    """
    if len(itemsets) == 0:
        return np.zeros(0, dtype=np.int64)
    sizes = np.array([len(s) for s in itemsets])
    rows = np.repeat(np.arange(len(itemsets)), sizes)
    cols = np.concatenate([np.asarray(s, dtype=np.int64) for s in itemsets])
    sets = sp.csr_matrix((np.ones(len(cols), dtype=np.int32), (rows, cols)), shape=(len(itemsets), matrix.shape[1]))
    # [transactions, itemsets]: how many items of each set each transaction has; in chunks of itemsets so that the
    # product stays near `chunk_nnz` entries however many sets there are
    # a set's product entries are at most the summed frequencies of its items: cut where that total passes chunk_nnz
    if _wide(matrix):  # the frequencies of the sets' items only
        used = np.unique(cols)
        pos, hit = _entries_in(matrix, used)
        item_freq = np.bincount(pos[hit], minlength=len(used))[np.searchsorted(used, cols)]
    else:
        item_freq = np.asarray(matrix.sum(axis=0)).ravel()[cols]
    cost = np.cumsum(np.bincount(rows, weights=item_freq, minlength=len(itemsets)))
    cuts = np.searchsorted(cost, np.arange(chunk_nnz, cost[-1], chunk_nnz), side="right")
    out = np.zeros(len(itemsets), dtype=np.int64)
    bounds = np.unique([0, *cuts, len(itemsets)])
    for start, stop in zip(bounds[:-1], bounds[1:]):
        hits = (matrix @ sets[start:stop].T).tocoo()
        complete = hits.data == sizes[start:stop][hits.col]
        w = None if weights is None else np.asarray(weights)[hits.row[complete]]
        out[start:stop] = np.bincount(hits.col[complete], weights=w, minlength=stop - start)
    return out
