"""How faithfully a search on a training set ranks configurations, compared with the same search on the full split.

The scores compared are the configurations' mean **test** scores on both sides (what each configuration really
achieves when trained on that set), so a high correlation means the set orders models as the data does; the choice
itself (:func:`rank_fidelity`'s ``top1_regret``) uses the set's **validation** ranking, as a user would.

Example:
    >>> on_set = {"val": [0.8, 0.7, 0.6], "test": [0.79, 0.71, 0.62]}
    >>> on_full = {"val": [0.9, 0.8, 0.7], "test": [0.88, 0.83, 0.74]}
    >>> rank_fidelity(on_set, on_full, k=2)["spearman"]
    1.0
"""

from __future__ import annotations

from numbers import Integral
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import MirageError

if TYPE_CHECKING:
    from .estimator import ModelSearch


def _scores(search) -> dict:
    """``{"val": [...], "test": [...]}`` of a fitted :class:`~graph_mirage.search.ModelSearch` (or the dict itself)."""
    if isinstance(search, dict):
        return {k: np.asarray(v, dtype=float) for k, v in search.items()}
    return {"val": np.array([r["val_mean"] for r in search.results_], dtype=float),
            "test": np.array([r["test_mean"] for r in search.results_], dtype=float)}


def seed_scores(search: ModelSearch, seed: int | Sequence[int]) -> dict:
    """``{"val": [...], "test": [...]}`` of one seed of a search run with several (a fitted
    :class:`~graph_mirage.search.ModelSearch` or its ``results_``): what a one-seed search would have seen; with a
    sequence of seeds, each configuration's mean over them. Two seeds of the same full-data search compared with
    :func:`rank_fidelity` give its replicate agreement — the most a set can be expected to reach against a one-seed
    full-data ranking; two disjoint halves of its seeds, the agreement of two half-size searches.

    Example:
        >>> results = [{"val_runs": [0.7, 0.8, 0.6], "test_runs": [0.6, 0.8, 0.7]}]
        >>> seed_scores(results, [1, 2])["test"].round(2).tolist()
        [0.75]
    """
    results = getattr(search, "results_", search)
    seeds = [seed] if isinstance(seed, Integral) else [int(s) for s in seed]
    if not seeds:
        raise MirageError("no seeds given")
    if any(len(r.get("test_runs", ())) <= max(seeds) for r in results):
        raise MirageError(f"the search has no seed {max(seeds)} scores (it ran fewer seeds, or before they were "
                          f"recorded)")
    return {k: np.array([np.mean([r[k + "_runs"][s] for s in seeds]) for r in results], dtype=float)
            for k in ("val", "test")}


def record_scores(record: dict, names: Sequence[str], where: str = "the record") -> dict:
    """``{"val": [...], "test": [...]}`` of the configurations ``names`` (in that order) from a search record (what
    ``mirage search --out`` writes: its ``configurations``, each with ``name``, ``val_mean``, ``test_mean``).

    Raises:
        MirageError: the record lacks some of ``names`` (another space, or a set of fewer hops), one line naming
            ``where``.
    """
    by = {c.get("name"): c for c in record.get("configurations") or [] if isinstance(c, dict)}
    missing = [n for n in names if n not in by]
    if missing:
        raise MirageError(f"{where} holds no result for {len(missing)} of this search's {len(names)} configurations "
                          f"(e.g. {missing[0]}): compare searches of one space")
    return {k: np.array([float(by[n][f"{k}_mean"]) for n in names], dtype=float) for k in ("val", "test")}


def rank_fidelity(on_set: ModelSearch | dict, on_full: ModelSearch | dict, k: int = 5,
                  index: np.ndarray | None = None) -> dict:
    """Spearman and Kendall correlation of the configurations' test scores (set vs full), the top-1 regret (best
    full-data test score minus the full-data test score of the configuration the set's validation ranking picks,
    in metric units) and the top-``k`` overlap (share of the set's ``k`` best by validation among the full split's
    ``k`` best by validation).

    Args:
        on_set, on_full: fitted searches over the same configurations, or ``{"val", "test"}`` arrays.
        k: the size of the top-k overlap.
        index: configurations to use (a bootstrap resample); default all.
    """
    from scipy.stats import kendalltau, spearmanr

    a, b = _scores(on_set), _scores(on_full)
    if len(a["test"]) != len(b["test"]) or (hasattr(on_set, "results_") and hasattr(on_full, "results_") and [
            r["params"] for r in on_set.results_] != [r["params"] for r in on_full.results_]):
        raise MirageError("the two searches trained different configurations: compare searches of one space "
                          "(a set of fewer hops than the space's layers cannot be searched at those layers)")
    if index is not None:
        a = {key: v[index] for key, v in a.items()}
        b = {key: v[index] for key, v in b.items()}
    ok = np.isfinite(a["test"]) & np.isfinite(b["test"])
    rho = spearmanr(a["test"][ok], b["test"][ok]).statistic if ok.sum() > 2 else np.nan
    tau = kendalltau(a["test"][ok], b["test"][ok]).statistic if ok.sum() > 2 else np.nan
    pick = int(np.nanargmax(np.where(np.isfinite(a["val"]), a["val"], -np.inf)))
    regret = float(np.nanmax(b["test"]) - b["test"][pick])
    k = min(k, len(a["val"]))
    top_set = set(np.argsort(-np.nan_to_num(a["val"], nan=-np.inf), kind="stable")[:k].tolist())
    top_full = set(np.argsort(-np.nan_to_num(b["val"], nan=-np.inf), kind="stable")[:k].tolist())
    return {"spearman": float(rho), "kendall": float(tau), "top1_regret": regret,
            f"top{k}_overlap": len(top_set & top_full) / k, "configurations": int(ok.sum())}


def _order(val: np.ndarray) -> np.ndarray:
    """Configurations from the best validation score to the worst (undefined scores last, ties in space order), as
    :class:`~graph_mirage.search.ModelSearch` ranks them."""
    return np.argsort(-np.nan_to_num(val, nan=-np.inf), kind="stable")


def screened_regret(on_set: ModelSearch | dict, on_full: ModelSearch | dict, k: int) -> dict:
    """What a search screened on a set and confirmed on the full data chooses (:class:`~graph_mirage.search.
    ScreenedSearch`): the set's ``k`` best configurations by its validation ranking, and among them the one with the
    best full-data validation score; its regret is the best full-data test score minus that configuration's.

    Returns:
        ``{"regret", "pick" (its index), "kept" (the k indices, in the set's order)}``.

    Example:
        >>> on_set = {"val": [0.9, 0.5, 0.8], "test": [0.0, 0.0, 0.0]}
        >>> on_full = {"val": [0.6, 0.9, 0.7], "test": [0.60, 0.90, 0.75]}
        >>> screened_regret(on_set, on_full, k=2)["pick"], round(screened_regret(on_set, on_full, k=2)["regret"], 2)
        (2, 0.15)
    """
    a, b = _scores(on_set), _scores(on_full)
    kept = _order(a["val"])[: max(1, int(k))]
    pick = int(kept[_order(b["val"][kept])[0]])
    return {"regret": float(np.nanmax(b["test"]) - b["test"][pick]), "pick": pick, "kept": kept.tolist()}


def random_screen_regret(on_full: ModelSearch | dict, k: int) -> float:
    """The expected regret of confirming ``k`` configurations drawn at random instead of a set's ``k`` best: the
    control a screen is read against. Exact: the configuration at place ``j`` (0-based) of the full-data validation
    order is the best of a random ``k``-subset with probability C(n-1-j, k-1) / C(n, k).

    Example:
        >>> round(random_screen_regret({"val": [0.9, 0.8, 0.7], "test": [0.7, 0.9, 0.8]}, k=2), 3)
        0.133
    """
    from math import comb

    b = _scores(on_full)
    n, k = len(b["val"]), min(max(1, int(k)), len(b["val"]))
    order = _order(b["val"])
    p = np.array([comb(n - 1 - j, k - 1) for j in range(n)], dtype=float) / comb(n, k)
    return float(np.sum(p * (np.nanmax(b["test"]) - b["test"][order])))


def fidelity_interval(on_set: ModelSearch | dict, on_full: ModelSearch | dict, k: int = 5, rounds: int = 2000,
                      seed: int = 0, level: float = 0.95, versus: ModelSearch | dict | None = None) -> dict:
    """:func:`rank_fidelity` with percentile-bootstrap intervals over the configurations (the same resample for
    every statistic); with ``versus`` (another set's search), also the paired difference of each statistic (this set
    minus ``versus``) on the same resamples — "ranks better" only where its interval excludes zero.

    Returns:
        ``{stat: {"value", "low", "high"}}`` and, with ``versus``, ``{"diff_" + stat: {...}}``.
    """
    n = len(_scores(on_full)["test"])
    rng = np.random.default_rng(seed)
    point = rank_fidelity(on_set, on_full, k)
    other = rank_fidelity(versus, on_full, k) if versus is not None else None
    boot: dict[str, list] = {key: [] for key in point if key != "configurations"}
    diffs: dict[str, list] = {key: [] for key in boot}
    for _ in range(rounds):
        idx = rng.integers(0, n, n)
        if len(np.unique(idx)) < 3:
            continue
        s = rank_fidelity(on_set, on_full, k, idx)
        o = rank_fidelity(versus, on_full, k, idx) if versus is not None else None
        for key in boot:
            boot[key].append(s[key])
            if o is not None:
                diffs[key].append(s[key] - o[key])
    q = [(1 - level) / 2 * 100, (1 + level) / 2 * 100]
    out = {"configurations": point["configurations"], "rounds": rounds, "level": level}
    for key, vals in boot.items():
        out[key] = {"value": point[key], **_interval(vals, q)}
        if other is not None:
            out["diff_" + key] = {"value": point[key] - other[key], **_interval(diffs[key], q)}
    return out


def _interval(vals: list, q: list) -> dict:
    a = np.asarray(vals, dtype=float)
    if not np.isfinite(a).any():  # fewer than 3 configurations: no interval
        return {"low": float("nan"), "high": float("nan")}
    lo, hi = np.nanpercentile(a, q)
    return {"low": float(lo), "high": float(hi)}
