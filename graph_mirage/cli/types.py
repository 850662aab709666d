"""Argument types of the command line: each refuses a bad value with a message argparse turns into one line."""

from __future__ import annotations

import argparse
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing import Callable


def positive(low: int) -> Callable[[str], int]:
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
        return v

    return parse


class Share(float):
    """A share of the training split's bytes, given as ``P%`` where a byte count is expected."""


def bytes_or_share(s: str) -> int | Share:
    """A byte count (an integer >= 1) or ``P%`` (a share of the training split's bytes, 0 < P <= 100)."""
    if s.strip().endswith("%"):
        try:
            v = float(s.strip()[:-1])
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number of bytes or a percentage like 5%, got {s!r}") from None
        if not (math.isfinite(v) and 0 < v <= 100):
            raise argparse.ArgumentTypeError(f"a percentage must be in (0, 100], got {s}")
        return Share(v / 100)
    try:
        v = int(s)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of bytes or a percentage like 5%, got {s!r}") from None
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {v}")
    return v


def int_or_auto(low: int) -> Callable[[str], int | str]:
    parse_int = positive(low)

    def parse(s: str):
        return "auto" if s == "auto" else parse_int(s)

    return parse


def number(low: float, high: float | None = None, low_open: bool = False,
           high_open: bool = False) -> Callable[[str], float]:
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
        bad = not math.isfinite(v) or v < low or (low_open and v == low) or (
            high is not None and (v > high or (high_open and v == high)))
        if bad:
            rng = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}{')' if high_open else ']'}"
            raise argparse.ArgumentTypeError(f"must be in {rng}, got {s}")
        return v

    return parse
