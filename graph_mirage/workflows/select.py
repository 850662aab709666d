"""Choosing among candidates by validation scores: one rule for a preset's threshold steps (here, as the authors'
release does) and for every choice the benchmark makes (steps per GNN, the full-data recipe)."""

from __future__ import annotations

from typing import Hashable, Mapping, Sequence

import numpy as np


def best_by_validation(scores: Mapping[Hashable, Sequence[float]]) -> Hashable:
    """The candidate with the best mean validation score (NaN ignored; a candidate with none ranks last); ties go
    to the candidate given first."""
    def mean(v) -> float:
        a = np.asarray(v, dtype=float)
        return float(np.nanmean(a)) if np.isfinite(a).any() else -np.inf

    keys = list(scores)
    return max(keys, key=lambda k: (mean(scores[k]), -keys.index(k)))


def select_step(dataset, preset, *, model: str = "gin", seeds: Sequence[int] = (0, 1, 2), config=None,
                progress: bool = False, log=None, threads: int | None = 1) -> tuple[int, list[dict], object]:
    """Choose a preset's threshold step on the validation split, as the release does.

    Every step's set is distilled from the training split and ``model`` is trained on it for each seed; the step
    with the best mean validation metric wins (ties: the earlier step). The test split is not looked at for the
    choice (its scores are kept for the record).

    Returns:
        ``(step, scores, estimator)``: the chosen step, one ``{"step", "thresholds", "graphs", "val_mean",
        "test_mean"}`` per step tried (or ``error`` when a step's thresholds give no set), and the fitted
        :class:`~graph_mirage.Mirage` of the chosen step.
    """
    from dataclasses import replace

    from ..distill import Mirage
    from ..errors import BudgetError
    from ..training import TrainConfig, eval_sets, train_and_evaluate

    config = config or TrainConfig()
    train = dataset[dataset.split["train"]]
    evals = eval_sets(dataset)
    scores, fitted, vals = [], {}, {}
    for step in range(preset.steps):
        m = Mirage(**preset.params(step))
        try:
            m.fit(train)
        except BudgetError as e:
            scores.append({"step": step, "thresholds": preset.thresholds(step), "error": str(e)})
            continue
        cfg = config if config.readout else replace(config, readout=m.readout)
        r = train_and_evaluate(dataset, m.distilled_, model=model, seeds=seeds, config=cfg, evals=evals,
                               progress=progress, threads=threads)
        scores.append({"step": step, "thresholds": preset.thresholds(step), "graphs": len(m.distilled_),
                       "val_mean": r["val_mean"], "test_mean": r["test_mean"]})
        fitted[step], vals[step] = m, [run["val"] for run in r["runs"]]
        if log:
            log(f"step {step} {preset.thresholds(step)}: {len(m.distilled_)} graphs, validation {r['val_mean']:.4f}")
    if not fitted:
        raise BudgetError(f"no threshold step of the {preset.dataset} preset gives a distilled set: "
                          f"{scores[0]['error']}")
    best = best_by_validation(vals)
    return best, scores, fitted[best]
