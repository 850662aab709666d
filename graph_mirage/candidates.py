"""Making the automatic default's candidates: at each depth one tree stage, then prototype counts in increasing order
until the first one above the byte cap (more prototypes only add bytes).

k-means dominates the cost on large datasets (on ogbg-molhiv, 18 of 21 s). With ``n_jobs`` > 1 the k-means of every
class of every candidate runs on worker processes while the depths advance side by side; each worker clusters on one
thread, and k-means labels are a pure function of their inputs, so the candidates, their scores and the file are the
same bytes for any ``n_jobs``. Processes, not threads: scikit-learn's k-means holds the GIL long enough that two
threads are slower than one. The workers are joblib's (loky) fresh interpreters, never forked from a process whose
PyTorch may hold OpenMP threads; they import numpy, scipy and scikit-learn only, not PyTorch. The caller starts them
(:func:`warm_workers`) before its WL colours, so that their start-up (about 2 s) is not waited for.

Example:
    >>> made, dag = make_candidates(flat, colours, {}, hops=(1, 2), per_class=(1, 5), cap=None,
    ...                             make=lambda h, k: TreePrototypes(hops=h, per_class=k, bank=True),
    ...                             n_jobs=2)                                                   # doctest: +SKIP
    >>> [(h, k) for h, k, _ in made]                                                            # doctest: +SKIP
    [(1, 1), (1, 5), (2, 1), (2, 5)]
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, Future, wait
from concurrent.futures.process import BrokenProcessPool
from numbers import Integral
from typing import Callable, Sequence

from .errors import BudgetError, MirageError, ParameterError
from .prototypes import ComputationDAG, TreePrototypes, tree_counts

Make = Callable[[int, int], TreePrototypes]
Each = Callable[[int, int, TreePrototypes, list], None]


def resolve_jobs(n_jobs: int | None) -> int:
    """Worker processes for ``n_jobs`` as scikit-learn reads it: None means 1, -1 every core, -2 all but one."""
    if n_jobs is None:
        return 1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs == 0:
        raise ParameterError(f"n_jobs must be a non-zero integer or None, got {n_jobs!r}")
    return int(n_jobs) if n_jobs > 0 else max(1, (os.cpu_count() or 1) + 1 + int(n_jobs))


def make_candidates(fit_flat, colours: list, meta: dict, hops: Sequence[int], per_class: Sequence[int],
                    cap: float | None, make: Make, each: Each | None = None,
                    n_jobs: int = 1) -> tuple[list, ComputationDAG]:
    """The candidates that can be made, in order (depth, then count), and the computation DAG (of the deepest
    rounds) they share.

    Args:
        fit_flat: the graphs the candidates are distilled from.
        colours: their WL colours (rounds 0..max(hops)).
        meta: the dataset's ``meta``.
        hops, per_class: the grid.
        cap: the byte cap (bytes of ``fit_flat``); None: no cap.
        make: ``make(hops, per_class)`` -> an unfitted :class:`~graph_mirage.prototypes.TreePrototypes`.
        each: called as ``each(hops, per_class, estimator, witness)`` on every candidate, in order, as soon as it
            and every candidate before it are made.
        n_jobs: worker processes for k-means (1: none).

    Returns:
        ``([(hops, per_class, fitted estimator)], dag)``.
    """
    dag = ComputationDAG(fit_flat, colours)
    counts = sorted(set(per_class))
    if n_jobs > 1 and not multiprocessing.current_process().daemon:  # a pool's worker cannot start processes
        chains = _parallel(fit_flat, colours, meta, hops, counts, cap, make, each, n_jobs, dag)
    else:
        chains = {}
        for h in hops:
            trees = tree_counts(fit_flat, h, colours)  # one tree stage per depth, shared by every count
            trees.dag = dag
            chains[h] = chain = []
            for k in counts:
                before = len(chain)
                more = _made(chain, make(h, k), fit_flat, trees, meta, cap)
                if len(chain) > before and each is not None:  # made, not refused
                    each(*chain[-1], dag.witness)
                if not more:
                    break
    made = [c for h in hops for c in chains[h]]
    if not made:
        raise BudgetError(f"no candidate distilled set could be made: at hops {list(hops)} every prototype set "
                          f"would be at least as large as the training split; use fewer hops")
    return made, dag


def _made(chain: list, est: TreePrototypes, fit_flat, trees, meta: dict, cap: float | None,
          labels: dict | None = None) -> bool:
    """Make candidate ``est`` (appended to its depth's ``chain`` unless the training split's bytes refuse it);
    whether the depth's larger counts are still worth making (not once a candidate is refused or above ``cap``)."""
    try:
        est.fit_trees(fit_flat, trees, meta, labels)
    except BudgetError:
        return False
    chain.append((est.hops, est.per_class, est))
    return cap is None or est.nbytes_ <= cap


def _parallel(fit_flat, colours, meta, hops, counts, cap, make: Make, each: Each | None, n_jobs: int,
              dag: ComputationDAG) -> dict:
    """:func:`make_candidates` with every depth's chain of counts advancing at once, k-means on ``n_jobs`` workers."""
    from .clusters import kmeans_labels

    chains: dict[int, list] = {h: [] for h in hops}
    done: set[int] = set()  # depths whose chain has ended
    pending: dict[Future, tuple[int, int]] = {}  # k-means job -> (depth, class)
    step: dict[int, dict] = {}  # depth -> the candidate being made: its estimator and its classes' labels
    emitted = [0, 0]  # depth index, candidates of that depth already given to ``each``

    def advance(h: int, trees, after: int | None) -> None:  # submit the next count of depth h, or end its chain
        nxt = [k for k in counts if after is None or k > after]
        if not nxt:
            done.add(h)
            return
        est = make(h, nxt[0])
        jobs = est.cluster_jobs(fit_flat, trees)
        step[h] = {"est": est, "trees": trees, "labels": {}, "left": sum(j is not None for j in jobs.values())}
        for c, job in jobs.items():
            if job is not None:
                pending[pool.submit(kmeans_labels, *job)] = (h, c)
        if step[h]["left"] == 0:
            finish(h)

    def finish(h: int) -> None:  # every class of depth h's candidate is clustered: make it, check the cap
        s = step.pop(h)
        if _made(chains[h], s["est"], fit_flat, s["trees"], meta, cap, s["labels"]):
            advance(h, s["trees"], s["est"].per_class)
        else:
            done.add(h)

    def emit() -> None:  # give ``each`` every candidate whose predecessors (in the sequential order) are all given
        while emitted[0] < len(hops):
            h = hops[emitted[0]]
            chain = chains[h]
            while emitted[1] < len(chain):
                if each is not None:
                    each(*chain[emitted[1]], dag.witness)
                emitted[1] += 1
            if h not in done:
                return
            emitted[0], emitted[1] = emitted[0] + 1, 0

    pool = _pool(n_jobs)
    try:
        for h in hops:  # each depth's tree stage here while the workers cluster the depths before it
            trees = tree_counts(fit_flat, h, colours)
            trees.dag = dag
            advance(h, trees, None)
        emit()
        while pending:
            ready, _ = wait(list(pending), return_when=FIRST_COMPLETED)
            for fut in ready:
                h, c = pending.pop(fut)
                step[h]["labels"][c] = fut.result()
                step[h]["left"] -= 1
                if step[h]["left"] == 0:
                    finish(h)
            emit()
    except BrokenProcessPool as e:
        raise MirageError(f"a k-means worker process ended abruptly ({e}); run with n_jobs=1 (--jobs 1)") from None
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    return chains


_EXECUTOR = None  # the workers' executor once started (kept for the next fit)


def _pool(n_jobs: int):
    """joblib's reusable process executor (loky, as scikit-learn's own parallelism): workers start as fresh
    interpreters without running the caller's ``__main__``, stay for the next fit, and cluster on one thread."""
    from joblib.externals.loky import get_reusable_executor

    global _EXECUTOR
    _EXECUTOR = get_reusable_executor(max_workers=n_jobs, env={v: "1" for v in _THREAD_VARIABLES})
    return _EXECUTOR


def stop_workers() -> None:
    """Stop the k-means workers, if any were started (waiting for them to end); a later fit starts new ones."""
    global _EXECUTOR
    if _EXECUTOR is not None:
        _EXECUTOR.shutdown(wait=True)
        _EXECUTOR = None


def warm_workers(n_jobs: int) -> None:
    """Start the k-means workers of :func:`make_candidates` now, without waiting for them: a worker takes about two
    seconds to start and import scikit-learn, which the caller's own first stage (the WL colours) then hides. A no-op
    for ``n_jobs`` <= 1 and inside a pool's worker (which cannot start processes)."""
    if n_jobs <= 1 or multiprocessing.current_process().daemon:
        return
    from .clusters import import_kmeans

    pool = _pool(n_jobs)
    for _ in range(n_jobs):
        pool.submit(import_kmeans)


# each worker's k-means on one OpenMP/BLAS thread: the labels of the sequential fit, to the last bit
_THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
