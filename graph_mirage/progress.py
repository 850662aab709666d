"""Progress for long work: a tqdm bar on a terminal, plain lines otherwise (logs, CI, ``| tee``) — at least one every
``MIRAGE_PROGRESS_SECONDS`` (default 10) while the work runs, so a log is never silent for long.

Example:
    >>> with Progress(total=100, desc="gin seed 0", unit="epoch") as p:     # doctest: +SKIP
    ...     for epoch in range(100):
    ...         p.update(1, val=0.71)
"""

from __future__ import annotations

import math
import os
import sys
import threading
import time
from typing import TextIO

from .errors import ParameterError

_spoken = threading.Event()  # some work reported something: a Waiting heartbeat has done its job


def progress_seconds() -> float:
    """Seconds between two plain progress lines: ``MIRAGE_PROGRESS_SECONDS`` (default 10); anything but a positive
    number is refused (0 or a negative pace would print without pause)."""
    raw = os.environ.get("MIRAGE_PROGRESS_SECONDS", "").strip()
    if not raw:
        return 10.0
    try:
        every = float(raw)
    except ValueError:
        every = math.nan
    if not (math.isfinite(every) and every > 0):
        raise ParameterError(f"MIRAGE_PROGRESS_SECONDS must be a positive number of seconds, got {raw!r}")
    return every


def spoke() -> None:
    """Say that the work printed a line of its own (ends a :class:`Waiting` heartbeat)."""
    _spoken.set()


class Waiting:
    """A line every ``every`` seconds while a phase that reports nothing runs — importing PyTorch and loading a
    dataset take 5-20 s before a command's first line — until the work's own first line (:func:`spoke`). Nothing is
    printed by work that speaks (or ends) sooner, so a bad input still ends with its one error line.

    Example:
        >>> with Waiting("mirage run: loading PyTorch and the data"):     # doctest: +SKIP
        ...     import torch
    """

    def __init__(self, desc: str, every: float | None = None, stream: TextIO | None = None) -> None:
        if every is None:
            every = progress_seconds()
        self.desc, self.every, self.stream = desc, every, stream or sys.stderr
        self.stop = threading.Event()
        self.t0 = time.perf_counter()
        _spoken.clear()
        self.ticker = threading.Thread(target=self._tick, daemon=True)
        self.ticker.start()

    def _line(self) -> None:
        print(f"{self.desc} ({time.perf_counter() - self.t0:.0f} s)", file=self.stream, flush=True)

    def _tick(self) -> None:
        while not self.stop.wait(self.every) and not _spoken.is_set():
            self._line()

    def close(self) -> None:
        self.stop.set()

    def __enter__(self) -> "Waiting":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Progress:
    """A progress reporter that never goes silent when stderr is not a terminal.

    Args:
        total: number of steps.
        desc: what is being done.
        unit: the name of a step.
        enabled: False prints nothing (``--quiet``, ``--json``).
        every: seconds between two plain lines when stderr is not a terminal (default ``MIRAGE_PROGRESS_SECONDS``,
            else 10): a background ticker prints the latest state at that pace whether or not a step ended, so a long
            step is never silent; the last step always prints.
        stream: where to write (default stderr).
    """

    def __init__(self, total: int, desc: str, unit: str = "step", enabled: bool = True, every: float | None = None,
                 stream: TextIO | None = None) -> None:
        if every is None:
            every = progress_seconds()
        self.total, self.desc, self.unit, self.every = int(total), desc, unit, every
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.n = 0
        self.printed = 0
        self.post: dict = {}
        self.bar = None
        self.ticker = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.t0 = time.perf_counter()
        if enabled:
            _spoken.set()  # from here this reporter keeps the log going
        if enabled and self.stream.isatty():
            from tqdm.auto import tqdm

            self.bar = tqdm(total=self.total, desc=desc, unit=unit, file=self.stream, leave=False)
        elif enabled:
            self.ticker = threading.Thread(target=self._tick, daemon=True)
            self.ticker.start()

    def _tick(self) -> None:
        while not self.stop.wait(self.every):
            with self.lock:
                if self.n < self.total:  # a heartbeat, also when no step ended since the last line
                    self._line()

    def _line(self) -> None:
        # a stage is named, not a number: "3/3 stages, emitting" (not "stages stage emitting")
        extra = "".join(f", {_fmt(v)}" if k == "stage" else f" {k} {_fmt(v)}" for k, v in self.post.items())
        print(f"{self.desc}: {self.n}/{self.total} {self.unit}s{extra} ({time.perf_counter() - self.t0:.0f} s)",
              file=self.stream, flush=True)
        self.printed = self.n

    def update(self, n: int = 1, **post) -> None:
        with self.lock:
            self.n += n
            self.post.update(post)
            if not self.enabled:
                return
            if self.bar is not None:
                self.bar.update(n)
                if post:
                    self.bar.set_postfix({k: _fmt(v) for k, v in self.post.items()})
            elif self.n >= self.total:
                self._line()

    def close(self) -> None:
        self.stop.set()
        with self.lock:
            if self.ticker is not None and self.n != self.printed:  # e.g. early stopping before the last epoch
                self._line()
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _fmt(v) -> str:
    return f"{v:.4f}" if isinstance(v, float) else str(v)
