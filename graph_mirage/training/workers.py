"""Worker processes that train: what every spawned training worker does first (the benchmark's, the search's)."""

from __future__ import annotations

from .._process import die_with_parent


def prepare_worker() -> None:
    """One torch thread (small GNNs are Python-bound: two single-threaded workers on two cores do about twice the
    work of one process with two threads), Ctrl-C left to the parent (which stops the pool), and a worker that never
    outlives its parent, even after a kill -9."""
    import signal

    import torch

    torch.set_num_threads(1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    die_with_parent()
