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
    """``work`` of each chunk, in order: inline, or on forked workers that each own a pipe to the parent.

    Why not ``multiprocessing.Pool``: its workers share one result queue under one lock, and a Ctrl-C that stops the
    parent while a worker is writing a large result into the full pipe left the pool's shutdown waiting on that lock
    forever (seen once in CI). Here a worker only ever talks to the parent over its own pipe, gets a chunk only when
    idle, and is terminated on the way out, whatever ended the loop; a worker that dies is an error, not a hang."""
    import functools
    import multiprocessing

    work = functools.partial(_graphs_of, scaffolds=scaffolds)  # a partial of a module-level function pickles

    # a pool's worker (the benchmark's, a search's) is daemonic and may not have children of its own
    if workers == 1 or len(chunks) == 1 or multiprocessing.current_process().daemon:
        yield from map(work, chunks)
        return

    import signal
    from multiprocessing.connection import wait

    # fork: a worker needs no re-import of the caller's script (a spawned one would run an unguarded script again).
    # Ctrl-C is held back while the workers start (each ignores it from its first line on); the parent's own Ctrl-C
    # then arrives at once, inside the try below, which stops them
    ctx = multiprocessing.get_context("fork")
    procs, conns = [], []
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        for _ in range(min(workers, len(chunks))):
            mine, theirs = ctx.Pipe()
            proc = ctx.Process(target=_serve, args=(theirs, work), daemon=True)
            proc.start()
            theirs.close()
            procs.append(proc)
            conns.append(mine)
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        done: dict[int, list] = {}
        busy: dict = {}
        sent = emitted = 0
        for conn in conns:  # a chunk each to start
            if sent < len(chunks):
                conn.send((sent, chunks[sent]))
                busy[conn], sent = sent, sent + 1
        while emitted < len(chunks):
            while emitted in done:
                yield done.pop(emitted)
                emitted += 1
            if emitted == len(chunks):
                break
            for conn in wait(list(busy)):
                try:
                    i, graphs, error = conn.recv()
                except EOFError:
                    raise RuntimeError("a worker featurising molecules died (out of memory?); run again with fewer "
                                       "workers") from None
                if error is not None:  # raised by the work itself: the parent raises it, as map() would
                    raise error
                done[i] = graphs
                del busy[conn]
                if sent < len(chunks):  # it waits for its next chunk: the send cannot block on it
                    conn.send((sent, chunks[sent]))
                    busy[conn], sent = sent, sent + 1
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)
        _stop(procs, conns)


def _serve(conn, work: Callable) -> None:
    """A worker's loop: chunks in, graphs out, over its own pipe, until the parent closes it or stops the worker."""
    _quiet_worker()
    while True:
        try:
            i, chunk = conn.recv()
        except EOFError:
            return
        try:
            out = (i, work(chunk), None)
        except Exception as e:  # noqa: BLE001 - handed to the parent, which raises it
            out = (i, None, e)
        conn.send(out)


def _stop(procs: list, conns: list) -> None:
    """Terminate the workers (idle or mid-chunk: they hold nothing the parent waits for) and close their pipes."""
    for conn in conns:
        conn.close()
    for proc in procs:
        if proc.is_alive():
            proc.terminate()
    for proc in procs:
        proc.join(timeout=10)
        if proc.is_alive():
            proc.kill()
            proc.join()
