"""What every worker process graph-mirage starts does to never outlive its parent (no heavy imports)."""

from __future__ import annotations

import os
import signal
import sys


def usable_cores() -> int:
    """The CPU cores this process may run on (its affinity where the platform says it, else all of them)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def train_workers(jobs: int | None, device: str = "cpu") -> int:
    """Training worker processes: ``jobs`` as given, else one per usable core (at most
    :data:`~graph_mirage.config.defaults.TRAIN_JOBS`) on the CPU and one on a GPU."""
    from .config.defaults import TRAIN_JOBS

    if jobs is not None:
        return jobs
    return max(1, min(usable_cores(), TRAIN_JOBS)) if device == "cpu" else 1


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask the kernel to send ``sig`` to this process when its parent dies, even after a kill -9 (Linux's
    PR_SET_PDEATHSIG; elsewhere nothing)."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, sig)  # 1: PR_SET_PDEATHSIG
    except OSError:
        pass
