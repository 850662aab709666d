"""How alike a search's seeds rank its configurations, and what that allows: the seeds' mean Spearman correlation,
the reliability of their mean ranking (Spearman–Brown) and its ceiling — about the most that ranking can agree with
any other, the full data's included (Spearman's correction for attenuation). What a search can measure of itself,
without the full data (docs/search.md: seed agreement).

Example:
    >>> spearman_brown(0.5, 3)
    0.75
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import MirageError


def spearman_brown(r: float, k: int) -> float:
    """The reliability of a mean of ``k`` seeds whose one-seed reliability is ``r`` (Spearman–Brown; 0 where ``r`` is
    not above 0: seeds that do not agree make no reliable mean)."""
    return float(k * r / (1 + (k - 1) * r)) if r > 0 else 0.0


def seeds_for_ceiling(r: float, ceiling: float) -> int | None:
    """The fewest seeds whose mean ranking has a ceiling (the square root of its :func:`spearman_brown` reliability)
    of at least ``ceiling``, for one-seed reliability ``r``; None where ``r`` is not above 0 (no number of seeds)."""
    if not r > 0:
        return None
    target = ceiling ** 2
    return max(1, math.ceil(target * (1 - r) / (r * (1 - target)) - 1e-9))


def seed_agreement(search: object, key: str = "val") -> dict | None:
    """How alike a search's seeds order its configurations: the mean Spearman correlation over every pair of seeds
    of the configurations' ``key`` scores (``"val"``: what the choice reads; ``"test"``), the reliability of the
    search's ranking — its mean over the seeds — by Spearman–Brown, and its **ceiling**: the square root of that
    reliability, about the most its ranking can agree with any other ranking, the full data's included (Spearman's
    correction for attenuation). A search whose seeds do not agree cannot be faithful, whatever its training set;
    seeds that agree are necessary, not sufficient (docs/search.md: seed agreement against fidelity).

    Args:
        search: a fitted :class:`~graph_mirage.search.ModelSearch` or its ``results_`` (``val_runs`` / ``test_runs``
            per configuration).
        key: ``"val"`` or ``"test"``.

    Returns:
        ``{"key", "seeds", "configurations", "pairs", "pairwise", "low", "high", "reliability", "ceiling",
        "ceiling_low", "ceiling_high"}`` (``low``/``high``: a 95 % interval of ``pairwise``, and the ceilings at its
        ends), or None with fewer than two seeds or three configurations; ``pairwise`` (and with it the rest) is NaN
        where no pair of seeds has two differing scores.

    Example:
        >>> results = [{"val_runs": [0.9, 0.8]}, {"val_runs": [0.7, 0.75]}, {"val_runs": [0.6, 0.5]}]
        >>> seed_agreement(results)["pairwise"], seed_agreement(results)["reliability"]
        (1.0, 1.0)
    """
    from scipy.stats import spearmanr

    results = list(getattr(search, "results_", search))
    if key not in ("val", "test"):
        raise MirageError(f"key must be 'val' or 'test', got {key!r}")
    seeds = min((len(r.get(key + "_runs", ())) for r in results), default=0)
    if seeds < 2 or len(results) < 3:
        return None
    runs = np.array([r[key + "_runs"][:seeds] for r in results], dtype=float)  # [configurations, seeds]
    rhos = []
    for a in range(seeds):
        for b in range(a + 1, seeds):
            ok = np.isfinite(runs[:, a]) & np.isfinite(runs[:, b])
            if ok.sum() > 2 and np.ptp(runs[ok, a]) > 0 and np.ptp(runs[ok, b]) > 0:
                rhos.append(float(spearmanr(runs[ok, a], runs[ok, b]).statistic))
    n = int(np.isfinite(runs).all(axis=1).sum())
    pairwise = float(np.mean(rhos)) if rhos else float("nan")
    low, high = _spearman_interval(pairwise, n)

    def ceiling(r: float) -> float:
        return float(np.sqrt(spearman_brown(r, seeds))) if np.isfinite(r) else float("nan")

    return {"key": key, "seeds": seeds, "configurations": n, "pairs": len(rhos), "pairwise": pairwise,
            "low": low, "high": high,
            "reliability": spearman_brown(pairwise, seeds) if rhos else float("nan"),
            "ceiling": ceiling(pairwise), "ceiling_low": ceiling(low), "ceiling_high": ceiling(high)}


def _spearman_interval(r: float, n: int, z: float = 1.959964) -> tuple[float, float]:
    """A 95 % interval of a Spearman correlation ``r`` over ``n`` items: Fisher's z with Bonett and Wright's (2000)
    standard error ``sqrt((1 + r^2 / 2) / (n - 3))``. For a mean over several seed pairs (not independent) it is
    read as one pair's interval: wider than the mean's, never narrower."""
    if not np.isfinite(r) or n <= 3:
        return float("nan"), float("nan")
    r = float(np.clip(r, -0.999999, 0.999999))
    half = z * np.sqrt((1 + r * r / 2) / (n - 3))
    return float(np.tanh(np.arctanh(r) - half)), float(np.tanh(np.arctanh(r) + half))
