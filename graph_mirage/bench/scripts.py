"""What every script in ``benchmarks/`` records beside its rows: the command that wrote the file, the machine, the
seconds it took — so a number in the docs can be traced to the run that gave it.

Example:
    >>> t0 = time.perf_counter()                                                                # doctest: +SKIP
    >>> header = script_header("benchmarks/levers.py", argv, jobs=2, t0=t0, seeds=5)            # doctest: +SKIP
"""

from __future__ import annotations

import os
import platform
import sys
import time
from typing import Sequence


def script_header(script: str, argv: Sequence[str] | None, *, jobs: int, t0: float, **fields) -> dict:
    """The JSON header of a benchmark script's results.

    Args:
        script: the script's path from the repository root (``benchmarks/NAME.py``).
        argv: the arguments it was given (None: ``sys.argv[1:]``, as ``main(argv=None)`` reads them).
        jobs: worker processes it trained in (one torch thread each).
        t0: ``time.perf_counter()`` at its start.
        fields: anything else the file should record (seeds, a reading), after those three.

    Returns:
        ``{"command", "machine", "seconds", **fields}``.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    return {"command": " ".join(["python", script, *args]),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} processes (1 torch thread each)",
            "seconds": time.perf_counter() - t0, **fields}
