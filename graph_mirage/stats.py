"""Intervals and paired comparisons over seeds and folds: when a table may say "A beats B".

A benchmark cell is a set of runs, one per (split, seed). Runs that share a split are not independent (they see the
same training, validation and test graphs), so the **unit** of an interval is the split when a cell has several
splits (cross-validation folds: the seeds of a fold are averaged first), and the seed when it has one split. The
interval of a mean is Student's t interval over the units; a paired comparison of two cells takes the difference
unit by unit (the same seeds, or the same folds) and gives the t interval of the mean difference. "A beats B" is
claimed only where that interval lies above zero.

Example:
    >>> interval([0.70, 0.72, 0.71, 0.69, 0.73])["low"] > 0.69
    True
    >>> paired({0: 0.75, 1: 0.77, 2: 0.76}, {0: 0.70, 1: 0.71, 2: 0.69})["beats"]
    True
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np

LEVEL = 0.95


def _t(df: int, level: float) -> float:
    from scipy.stats import t

    return float(t.ppf(0.5 + level / 2, df))


def interval(values: Sequence[float], level: float = LEVEL) -> dict:
    """Mean, standard deviation (ddof 1) and the two-sided t interval of the mean of ``values`` (NaN dropped).

    Returns:
        ``{"mean", "std", "n", "low", "high", "half"}``; with fewer than two values the interval is NaN.
    """
    a = np.asarray([v for v in values if v is not None and np.isfinite(v)], dtype=float)
    n = len(a)
    if n == 0:
        return {"mean": math.nan, "std": math.nan, "n": 0, "low": math.nan, "high": math.nan, "half": math.nan}
    mean = float(a.mean())
    if n < 2:
        return {"mean": mean, "std": math.nan, "n": 1, "low": math.nan, "high": math.nan, "half": math.nan}
    std = float(a.std(ddof=1))
    half = _t(n - 1, level) * std / math.sqrt(n)
    return {"mean": mean, "std": std, "n": n, "low": mean - half, "high": mean + half, "half": half}


def units(runs: Sequence[Mapping]) -> dict:
    """The independent units of a cell's runs: ``{split: mean}`` when the runs span several splits (the seeds of
    a split averaged), else ``{seed: value}``. Each run is a mapping with ``split``, ``seed`` and ``value``."""
    splits = {r.get("split", 0) for r in runs}
    if len(splits) > 1:
        out: dict = {}
        for r in runs:
            if r["value"] is not None and np.isfinite(r["value"]):
                out.setdefault(("split", r.get("split", 0)), []).append(r["value"])
        return {k: float(np.mean(v)) for k, v in out.items()}
    return {("seed", r["seed"]): r["value"] for r in runs if r["value"] is not None and np.isfinite(r["value"])}


def paired(a: Mapping, b: Mapping, level: float = LEVEL) -> dict:
    """The paired difference ``a - b`` over the units both have (see :func:`units`).

    Returns:
        :func:`interval` of the differences plus ``beats`` (the interval lies above zero), ``loses`` (below zero)
        and ``units`` (how many pairs).
    """
    keys = sorted(set(a) & set(b), key=str)
    diff = [a[k] - b[k] for k in keys]
    out = interval(diff, level)
    out["units"] = len(keys)
    out["beats"] = bool(out["n"] >= 2 and out["low"] > 0)
    out["loses"] = bool(out["n"] >= 2 and out["high"] < 0)
    return out


def score_error(score: float, y: np.ndarray, num_classes: int) -> float:
    """The standard error of a validation score on labels ``y``: Hanley and McNeil's (1982) for a ROC-AUC, the
    binomial one for an accuracy. For several binary tasks (``y`` of ``[N, T]`` with NaN where missing, ``score``
    the mean ROC-AUC over the tasks that have both classes) the error of that mean, each task's ROC-AUC taken at
    ``score`` and the tasks as independent.

    Example:
        >>> y = np.array([0] * 50 + [1] * 50)
        >>> round(score_error(0.8, y, 2), 3), round(score_error(0.8, np.tile(y, 4), 2), 3)   # 4x the graphs: about half
        (0.045, 0.022)
    """
    if not np.isfinite(score):
        return math.inf
    y = np.asarray(y)
    if y.ndim == 2:
        var = [_auc_variance(score, int((c == 1).sum()), int((c == 0).sum())) for c in y.T]
        var = [v for v in var if np.isfinite(v)]
        return math.sqrt(sum(var)) / len(var) if var else math.inf
    if num_classes == 2:
        return math.sqrt(_auc_variance(score, int((y == 1).sum()), int((y == 0).sum())))
    return math.sqrt(max(score * (1 - score), 0.0) / max(len(y), 1))


def _auc_variance(a: float, n1: int, n0: int) -> float:
    """Hanley and McNeil's variance of a ROC-AUC ``a`` on ``n1`` positives and ``n0`` negatives (inf without
    both)."""
    if n1 == 0 or n0 == 0:
        return math.inf
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    return max((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n0 - 1) * (q2 - a * a)) / (n1 * n0), 0.0)


VERDICT_MARKS = {"beats": "↑", "loses": "↓", "tie": "≈"}  # how the pages print a verdict


def verdict(p: Mapping) -> str:
    """``"beats"``, ``"loses"`` or ``"tie"`` (the interval contains zero), for a :func:`paired` result."""
    return "beats" if p["beats"] else "loses" if p["loses"] else "tie"


def paired_text(d: Mapping, verdict: str | None = None) -> str:
    """A paired difference of scores in [0, 1] as the pages print it: ``+1.2 [+0.3, +2.1] ↑`` (×100; the mark of
    ``verdict``, else of ``d["verdict"]`` where it has one, else none).

    Example:
        >>> paired_text({"mean": 0.012, "low": 0.003, "high": 0.021}, "beats")
        '+1.2 [+0.3, +2.1] ↑'
    """
    mark = verdict or d.get("verdict")
    text = f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]"
    return f"{text} {VERDICT_MARKS[mark]}" if mark else text
