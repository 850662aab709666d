"""SMILES to OGB graphs (:func:`ogb.utils.smiles2graph`), in worker processes when there are many molecules.

Featurising is Python-bound RDKit work, one molecule at a time, and molecules are independent: ogbg-molhiv's 41,127
SMILES took 25.5 s on one CPU here and 12.4 s on two (``benchmarks/molecule_load.py``). Chunks of SMILES go to forked
workers (Linux only; elsewhere, and for small files, one process) and come back in order, so the graphs are the same
whatever the number of workers. A scaffold split's keys are computed in the same pass, from the molecule each worker
parsed (``scaffolds=``).

Example:
    >>> graphs = featurise(["CCO", "not a smiles"], workers=1)   # doctest: +SKIP
    >>> graphs[0]["node_feat"].shape, graphs[1]                   # ((3, 9), None)
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterator, Sequence

from .._process import die_with_parent

CHUNK = 500  # molecules per task: large enough that a task's overhead is noise, small enough for a smooth progress
MIN_PARALLEL = 4 * CHUNK  # below this, starting workers costs more than it saves


def default_workers(n: int) -> int:
    """The workers for ``n`` molecules: the CPUs this process may use, one per chunk at most (1 off Linux)."""
    if not sys.platform.startswith("linux") or n < MIN_PARALLEL:
        return 1
    return max(1, min(len(os.sched_getaffinity(0)), -(-n // CHUNK)))


def _graphs_of(smiles: Sequence[str], scaffolds: str | None = None) -> list:
    """``smiles2graph`` of each SMILES that RDKit parses; None for the others. With ``scaffolds`` each entry is a
    ``(graph, scaffold)`` pair (:func:`~graph_mirage.data.splits.scaffold_of` of the molecule parsed here):
    ``"parsed"`` for the molecules that parse (None for the others), ``"all"`` for every row (leniently)."""
    from ogb.utils import smiles2graph
    from rdkit import Chem, RDLogger

    from .splits import scaffold_of

    RDLogger.DisableLog("rdApp.*")
    try:
        out = []
        for s in smiles:
            mol = Chem.MolFromSmiles(s)
            graph = None if mol is None else smiles2graph(s)
            if scaffolds is None:
                out.append(graph)
            elif mol is not None:
                out.append((graph, scaffold_of(s, mol=mol)))
            else:
                out.append((None, scaffold_of(s, lenient=True) if scaffolds == "all" else None))
        return out
    finally:
        RDLogger.EnableLog("rdApp.*")


def _quiet_worker() -> None:
    """Ctrl-C is the parent's to handle; the parent's stop (SIGTERM) ends a worker silently (a fork inherits the
    command line's handler, which would print a traceback); a worker never outlives its parent."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # blocked by the parent while it forked this worker
    die_with_parent()


def featurise(smiles: Sequence[str], *, workers: int | None = None, advance: Callable[[int], None] | None = None,
              scaffolds: str | None = None) -> list:
    """OGB's graph dict (``node_feat [n, 9]``, ``edge_index [2, 2m]``, ``edge_feat [2m, 3]``, ``num_nodes``) of each
    SMILES, None where RDKit cannot parse it, in input order.

    Args:
        smiles: the molecules.
        workers: processes (default :func:`default_workers`); the result does not depend on it.
        advance: called with the number of molecules done after each chunk (a progress bar's ``update``).
        scaffolds: ``"parsed"`` or ``"all"``: each entry a ``(graph, scaffold)`` pair, the scaffold computed in the
            same worker from the molecule it parsed (see :func:`_graphs_of`) — a scaffold split's cost, shared out.
    """
    workers = default_workers(len(smiles)) if workers is None else max(1, int(workers))
    chunks = [smiles[i:i + CHUNK] for i in range(0, len(smiles), CHUNK)]
    out: list[dict | None] = []
    for chunk, graphs in zip(chunks, _map(chunks, workers, scaffolds)):
        out += graphs
        if advance is not None:
            advance(len(chunk))
    return out


def _map(chunks: list, workers: int, scaffolds: str | None = None) -> Iterator[list]:
    import functools
    import multiprocessing

    work = functools.partial(_graphs_of, scaffolds=scaffolds)  # a partial of a module-level function pickles

    # a pool's worker (the benchmark's, a search's) is daemonic and may not have children of its own
    if workers == 1 or len(chunks) == 1 or multiprocessing.current_process().daemon:
        yield from map(work, chunks)
        return

    import signal

    # fork: a worker needs no re-import of the caller's script (a spawned one would run an unguarded script again).
    # Ctrl-C is held back while the workers start: one that died of it before its initializer ignores it could leave
    # the pool's task queue locked, and the pool's shutdown waiting on it; the parent's own Ctrl-C then arrives at once
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(chunks)), initializer=_quiet_worker)
    except BaseException:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        raise
    with pool:
        # unblocked inside the with: a Ctrl-C held back arrives here and the pool is terminated on the way out
        # (unblocked before it, the interrupt left the pool to the interpreter's exit, which could wait on it)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        yield from pool.imap(work, chunks)
