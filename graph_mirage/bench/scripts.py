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
    return {"command": script_command(script, argv),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} processes (1 torch thread each)",
            "seconds": time.perf_counter() - t0, **fields}


def script_command(script: str, argv: Sequence[str] | None) -> str:
    """The command that ran ``script`` with ``argv`` (None: ``sys.argv[1:]``): ``python benchmarks/NAME.py ...``."""
    return " ".join(["python", script, *(sys.argv[1:] if argv is None else argv)])


def results_parser(doc: str, out: str | os.PathLike, page: str, results: str | os.PathLike):
    """The command line of a script that reads committed results (no training): ``--results`` (their directory),
    ``--out`` (its JSON) and ``--page`` (also rewrite its section of ``page``)."""
    import argparse

    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--results", default=str(results))
    p.add_argument("--out", default=str(out))
    p.add_argument("--page", action="store_true", help=f"rewrite the section of {page} between its markers")
    return p


def publish(blob: dict, out: str | os.PathLike, table: str, section: tuple | None = None) -> None:
    """Keep a script's results: ``blob`` as JSON in ``out``, ``table`` printed, and with ``section`` =
    ``(page, start, end, text)`` the page's text between those markers rewritten; then where the JSON went."""
    import json
    from pathlib import Path

    Path(out).write_text(json.dumps(blob, indent=1, default=float))
    print(table)
    if section is not None:
        from .tables import write_section

        page, start, end, text = section
        write_section(page, start, end, text + "\n")
    print(f"wrote {out}")
