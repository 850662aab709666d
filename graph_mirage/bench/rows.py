"""The benchmark's rows: one per dataset x GNN x method, with intervals, the last-epoch scores, the decisions, and
paired comparisons with the controls and the opponents.

Each row holds its runs (split, seed, validation and test metrics), their mean ± std and the 95 % t interval over
the independent units (:mod:`graph_mirage.stats`: seeds, or folds), and ``paired``: for a distilled method, the
paired difference of its runs minus those of its own permuted-label control (``margin``), of the full-data row, of
the bytes-matched real-graph baselines and of the classic controls, each with its interval and a verdict ("beats"
only where the interval lies above zero).
"""

from __future__ import annotations

import numpy as np

from ..stats import interval, paired, units, verdict
from ..training.metrics import METRIC_KEYS
from .methods import PROBES

# what each distilled row is compared with (when the table has it)
OPPONENTS = ("full", "herding-bytes", "random-bytes", "wl-kernel", "size-only", "mirage-auto", "mirage-paper")


def unit_values(runs: list[dict], key: str = "test") -> dict:
    """A row's ``runs`` as the independent units its intervals and paired comparisons use (:func:`~graph_mirage.stats.
    units`: the seeds, or the folds with their seeds averaged first)."""
    return units([{"split": r["split"], "seed": r["seed"], "value": r.get(key)} for r in runs])


def _summary(runs: list[dict]) -> dict:
    out = {}
    for key, name in (("test", "test"), ("val", "val"), ("test_last", "test_last")):
        iv = interval(list(unit_values(runs, key).values()))
        vals = np.array([r.get(key, np.nan) for r in runs], dtype=float)
        out[f"{name}_mean"] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
        out[f"{name}_std"] = float(np.nanstd(vals)) if np.isfinite(vals).any() else float("nan")
        out[f"{name}_ci"] = [iv["low"], iv["high"]]
    out["units"] = len(unit_values(runs))
    for key in METRIC_KEYS:
        vals = np.array([r["test_metrics"].get(key, np.nan) for r in runs], dtype=float)
        if np.isfinite(vals).any():
            out[f"test_{key}_mean"], out[f"test_{key}_std"] = float(np.nanmean(vals)), float(np.nanstd(vals))
    shares = [max(r["test_metrics"]["pred_share"]) for r in runs if r["test_metrics"].get("pred_share")]
    if shares:  # how often the largest predicted class takes every test graph
        out["single_class_runs"] = int(sum(s >= 0.999 for s in shares))
        out["largest_pred_share"] = float(np.mean(shares))
    shares = [max(r["test_metrics"]["pred_share_calibrated"]) for r in runs
              if r["test_metrics"].get("pred_share_calibrated")]
    if shares:  # the same after the validation-fitted decision bias (runs cached before it have none)
        out["single_class_runs_calibrated"], out["calibrated_runs"] = int(sum(s >= 0.999 for s in shares)), len(shares)
    top = np.argsort(-np.nan_to_num([r["val"] for r in runs], nan=-np.inf), kind="stable")[:5]
    if len(runs) > 5:  # the authors' protocol, labelled as such
        tests = np.array([runs[i]["test"] for i in top], dtype=float)
        out["paper_top5_test_mean"], out["paper_top5_test_std"] = float(np.mean(tests)), float(np.std(tests))
    return out


def _runs_of(col, model: str, method: str, budget) -> tuple[list[dict], list]:
    """The runs of a cell (a preset's chosen step, the chosen full-data recipe) as dicts, and their sizes."""
    runs, sizes = [], []
    for (m, meth, b, si, step, recipe), items in col.runs.items():
        if m != model or meth != method or b != budget:
            continue
        base = method.split("~")[0]
        if base in ("mirage-paper",) and step != col.chosen.get((model, "mirage-paper", si)):
            continue
        if method == "full" and recipe != col.chosen.get((model, "full", si)):
            continue
        if method != "full" and recipe != col.chosen.get((model, method, si, "recipe", budget), recipe):
            continue  # several distilled-set recipes: the one chosen on validation
        for seed, run, size in items:
            runs.append(dict(run, split=si, seed=seed, step=step, recipe=recipe))
            sizes.append(size)
    return runs, sizes


def _probe_runs(col, method: str) -> list[dict]:
    out = []
    for si in range(len(col.splits)):
        if (method, si) not in col.probes:
            continue
        run = col.probes[(method, si)][0]
        for seed in col.seeds:  # deterministic: the same value for every seed, so it pairs with any method
            out.append(dict(run, split=si, seed=seed))
    return out


def _set_info(col, method: str, budget) -> tuple[tuple, float, dict]:
    sets = [s for s in col.sets if s.method == method.split("~")[0] and s.budget == budget]
    sized = [s.size for s in sets if s.size]
    size = tuple(int(round(np.mean([z[i] for z in sized]))) for i in range(3)) if sized else None
    info = {}
    if sets and sets[0].info.get("settings") is not None:
        info["settings"] = [s.info["settings"] for s in sets]
    if sets and "k" in sets[0].info:
        info["k"] = [s.info["k"] for s in sets]
    if sets and "distilled_with" in sets[0].info:
        info["distilled_with"] = sets[0].info["distilled_with"]
    return size, float(np.mean([s.seconds for s in sets])) if sets else 0.0, info


def build_rows(name: str, col) -> list[dict]:
    """Every row of dataset ``name`` (:class:`~graph_mirage.bench.schedule.Collected`), comparisons included."""
    full_size = tuple(int(round(np.mean([z[i] for z in col.full_sizes]))) for i in range(3))
    cells = sorted({(k[1], k[2]) for k in col.runs}, key=lambda c: (c[0], c[1] or 0))
    rows = []
    for model in col.models:
        for method, budget in cells + [(p, None) for p in PROBES if any(k[0] == p for k in col.probes)]:
            runs, sizes = (_probe_runs(col, method), []) if method in PROBES else _runs_of(col, model, method, budget)
            if not runs:
                continue
            row = {"dataset": name, "model": model, "method": method, "budget": budget, "metric": col.metric,
                   "runs_total": len(runs), "splits": len(col.splits), "seeds": list(col.seeds),
                   "full_bytes": full_size[2], **_summary(runs)}
            size, seconds, info = _set_info(col, method, budget)
            size = size or (tuple(int(round(np.mean([z[i] for z in sizes if z]))) for i in range(3))
                            if any(sizes) else None)
            if method == "full":
                size = full_size
                row["recipes"] = [col.chosen.get((model, "full", si)) for si in range(len(col.splits))]
            elif any(len(k) == 5 and k[:2] == (model, method) for k in col.chosen):
                row["recipes"] = [col.chosen.get((model, method, si, "recipe", budget))
                                  for si in range(len(col.splits))]
            if method.startswith("mirage-paper"):
                row["steps"] = [col.chosen.get((model, "mirage-paper", si)) for si in range(len(col.splits))]
                row["step_scores"] = _step_scores(col, model) if method == "mirage-paper" else None
            if method in PROBES:
                row["probe_params"] = [col.probes[(method, si)][2]["params"] for si in range(len(col.splits))
                                       if (method, si) in col.probes]
            if size:
                row.update(graphs=size[0], nodes=size[1], bytes=size[2], size_fraction=size[2] / full_size[2])
            row.update(distill_seconds=seconds, **info)
            row["train_seconds"] = float(np.mean([r.get("train_seconds", 0.0) for r in runs]))
            row["eval_seconds"] = float(np.mean([r.get("eval_seconds", 0.0) for r in runs]))
            row["epochs_run"] = float(np.mean([r.get("epochs_run", 0) for r in runs]))
            row["train_seconds_per_epoch"] = row["train_seconds"] / max(row["epochs_run"], 1)
            row["best_epoch"] = float(np.mean([r.get("best_epoch", 0) for r in runs]))
            row["cached_runs"] = int(sum(bool(r.get("cached")) for r in runs))
            row["runs"] = [{k: r.get(k) for k in ("split", "seed", "step", "recipe", "val", "test", "best_epoch",
                                                  "epochs_run", "test_last", "test_metrics")} for r in runs]
            rows.append(row)
        rows += _failed(name, model, col, rows)
    compare(rows)
    return rows


def _step_scores(col, model: str) -> dict:
    """``"split:step"`` -> the mean validation metric of a preset's step over the seeds (what chose the step)."""
    out = {}
    for (m, meth, _, si, step, rk), items in sorted(col.runs.items(), key=lambda kv: (kv[0][3], kv[0][4] or 0)):
        if m == model and meth == "mirage-paper" and rk == col.chosen.get((model, meth, si, "recipe", None), rk):
            out[f"{si}:{step}"] = float(np.nanmean([run["val"] for _, run, _ in items]))
    return out


def _failed(name: str, model: str, col, rows: list[dict]) -> list[dict]:
    """A row for every method that could not make a set on any split (a budget that cannot be met, ...)."""
    have = {(r["method"], r["budget"]) for r in rows if r["model"] == model}
    out = []
    for (method, budget, _), error in col.errors.items():
        if (method, budget) not in have and not any(o["method"] == method and o["budget"] == budget for o in out):
            out.append({"dataset": name, "model": model, "method": method, "budget": budget, "metric": col.metric,
                        "error": error, "runs": [], "runs_total": 0, "test_mean": None})
    return out


def compare(rows: list[dict]) -> None:
    """Fill each distilled row's ``paired``: its margin over its own permuted control and its difference from each
    opponent in :data:`OPPONENTS`, over the units both have; and its per-epoch training speed-up over the full
    split."""
    by = {(r["dataset"], r["model"], r["method"], r["budget"]): r for r in rows}
    for r in rows:
        full = by.get((r["dataset"], r["model"], "full", None))
        if full and r is not full and not r.get("error") and r["method"] not in PROBES \
                and r.get("train_seconds_per_epoch", 0) > 0 and not full.get("error"):
            r["speedup_per_epoch_vs_full"] = full["train_seconds_per_epoch"] / r["train_seconds_per_epoch"]
        if r["method"] in PROBES or r["method"] == "full" or "~" in r["method"] or r.get("error"):
            continue
        mine = unit_values(r["runs"])
        out = {}
        control = by.get((r["dataset"], r["model"], r["method"] + "~permuted", r["budget"]))
        if control:
            out["permuted"] = _paired(mine, control)
        for other in OPPONENTS:  # at the same budget (a sweep's fraction) where the opponent has one
            o = by.get((r["dataset"], r["model"], other, r["budget"])) or \
                by.get((r["dataset"], r["model"], other, None))
            if o is not None and other != r["method"] and not o.get("error"):
                out[other] = _paired(mine, o)
        r["paired"] = out


def _paired(mine: dict, other_row: dict) -> dict:
    p = paired(mine, unit_values(other_row["runs"]))
    return {"mean": p["mean"], "low": p["low"], "high": p["high"], "units": p["units"], "verdict": verdict(p)}
