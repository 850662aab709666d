"""What every worker process graph-mirage starts does to never outlive its parent (no heavy imports)."""

from __future__ import annotations

import signal
import sys


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
