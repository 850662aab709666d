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
