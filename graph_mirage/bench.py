"""The paper's table, reproduced: methods x datasets x GNNs in one harness (``mirage bench``).

Methods (every one yields the same artifact type and is trained and evaluated by the same code):

* ``full``: the whole training split, trained until the validation metric stops improving
  (:data:`graph_mirage.reference.FULL_CONFIG`), each run cached as JSON (``--reference-dir``) and reused;
* ``mirage-paper``: the paper's algorithm at the authors' released settings (:mod:`graph_mirage.presets`); where
  the release searches threshold steps, the step is chosen per GNN (and fold) by the mean validation metric, as
  the release does;
* ``mirage``: graph-mirage's budget search at one setting for every dataset (hops 2, ``--budgets`` graphs per class);
* ``mirage-s2`` / ``mirage+ctx``: graph-mirage options (itemsets of at most 2 trees / class context trees);
* ``herding`` and ``random``: real graphs, as many per class as ``mirage`` made;
* ``mirage-auto``: graph-mirage's automatic settings (:mod:`graph_mirage.auto`; chosen per split on its validation
  graphs with a small GIN, then used unchanged for every GNN);
* ``mirage-proto``: graph-mirage's improved distiller at one fixed setting (:mod:`graph_mirage.prototypes`: the
  dataset's hops, 5 prototypes per class, sum readout);
* ``herding-bytes`` and ``random-bytes``: real graphs, as many per class as fit in ``mirage-auto``'s bytes (at
  least one per class; Herding's set itself fits, Random's k is the one whose average size fits);
* ``doscond`` and ``kidd``: the learned baselines (:mod:`graph_mirage.baselines`) at their authors' settings, with
  the graphs per class of their scripts (DosCond 1, KiDD 10); each set is optimised for one model (DosCond: GCN;
  KiDD: LiteGNTK) and evaluated with the depth and pooling its authors use, recorded in the set.

Protocol: test metric at the epoch with the best validation metric, mean ± std over all runs (seeds, and folds
with ``--folds``: stratified k-fold cross-validation with an inner holdout for TU datasets, Errica et al. 2020; OGB
datasets keep their scaffold split). Binary tasks report ROC-AUC, and accuracy beside it. Training runs go to
spawned single-threaded workers (``--jobs``). Results go to ``benchmarks/results/`` as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

from .baselines import DosCond, KiDD, herding_selection, random_selection
from .data import load_dataset
from .distill import Mirage
from .distilled import DistilledDataset, full_bytes
from .errors import BudgetError, MirageError
from .presets import PAPER_DISTILL
from .prototypes import TreePrototypes
from .progress import Progress
from .reference import FULL_CONFIG, as_run, full_run
from .training import DEFAULT_READOUT, RunResult, TrainConfig, eval_sets, summarise, train_and_evaluate

CONTEXT = 10  # graph-mirage's option: each distilled graph also carries its class's 10 most frequent trees
SMALL_SETS = 2  # graph-mirage's option: itemsets of at most 2 trees (see README, "Why small itemsets")
PAPER_DATASETS = ["ogbg-molbace", "ogbg-molbbbp", "ogbg-molhiv", "NCI1", "DD", "IMDB-BINARY"]
# smallest first, so that an interrupted run has measured as much as possible
ALL_DATASETS = ["MUTAG", "ogbg-molbace", "ogbg-molbbbp", "PROTEINS", "NCI1", "IMDB-BINARY", "DD", "ogbg-molhiv"]
METHODS = ("full", "mirage-paper", "mirage-auto", "mirage-proto", "doscond", "kidd", "herding-bytes", "random-bytes",
           "mirage", "mirage-s2", "mirage+ctx", "herding", "random")
UNBUDGETED = ("mirage-paper", "mirage-auto", "mirage-proto", "doscond", "kidd", "herding-bytes", "random-bytes")
# learned baselines: graphs per class of the authors' scripts (DosCond's script.sh: --ipc=1; KiDD's default --gpc 10)
LEARNED = {"doscond": (DosCond, {"graphs_per_class": 1}), "kidd": (KiDD, {"graphs_per_class": 10})}
LEARNED_QUICK = {"doscond": {"steps": 5}, "kidd": {"updates": 3}}
PROTO_PER_CLASS = 5  # mirage-proto's fixed setting
DEFAULT_METHODS = ("full", "mirage-paper", "mirage-auto", "mirage", "herding", "random")
# The authors' own logs (10 runs, mean of the 5 best by validation), ROC-AUC x 100.
AUTHORS = {
    ("ogbg-molbace", "gcn"): "70.30 ± 4.76", ("ogbg-molbace", "gat"): "75.35 ± 1.66",
    ("ogbg-molbace", "gin"): "74.29 ± 2.37", ("ogbg-molhiv", "gcn"): "65.58 ± 3.24",
    ("ogbg-molhiv", "gat"): "71.68 ± 0.92", ("ogbg-molhiv", "gin"): "71.06 ± 1.18",
    ("NCI1", "gcn"): "68.20 (paper, quoted)", ("DD", "gcn"): "74.84 (paper, quoted)",
    ("DD", "gat"): "76.08 (paper, quoted)",
}
# OGB's published full-data numbers (Hu et al. 2020, leaderboard), ROC-AUC x 100
OGB_FULL = {("ogbg-molhiv", "gcn"): "76.06 ± 0.97", ("ogbg-molhiv", "gin"): "75.58 ± 1.40"}
MIRAGE_VARIANTS = {"mirage": {}, "mirage-s2": {"max_itemset_size": SMALL_SETS}, "mirage+ctx": {"context": CONTEXT}}


@dataclass
class _Set:
    """One training set of one split, made before any training."""

    method: str
    split: int
    budget: int | None = None
    step: int | None = None
    path: str | None = None
    k: dict | None = None
    seconds: float = 0.0
    size: tuple | None = None
    info: dict | None = None


def _size(dset) -> tuple[int, int, int]:
    s = dset.summary()
    return s["graphs"], s["nodes"], s["bytes"]


# ----------------------------------------------------------------------------------------------------------------------
# One training run, in this process or in a worker (spawned, one torch thread each: tiny models are Python-bound, so
# two single-threaded workers on two cores do about twice the work of one process with two threads)
# ----------------------------------------------------------------------------------------------------------------------
_WORKER_DATA: dict = {}


def _init_worker() -> None:
    import signal

    torch.set_num_threads(1)
    _WORKER_DATA.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the parent stops the pool
    if sys.platform.startswith("linux"):  # and a worker never outlives its parent, even after a kill -9
        try:
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
        except OSError:
            pass


def _load(name: str, root, split: dict | None):
    with warnings.catch_warnings():  # the parent has already reported e.g. skipped SMILES once
        warnings.simplefilter("ignore")
        return load_dataset(name, root, **(split or {}))


def _train_task(task: dict) -> dict:
    key = (task["dataset"], task["root"], json.dumps(task["split"]))
    if key not in _WORKER_DATA:
        _WORKER_DATA.clear()  # one dataset and split at a time: molhiv is large
        ds = _load(task["dataset"], task["root"], task["split"])
        _WORKER_DATA[key] = (ds, eval_sets(ds))
    ds, evals = _WORKER_DATA[key]
    size = None
    if task["method"] == "full":
        out = full_run(ds, task["model"], task["seed"], cache_dir=task["reference_dir"], config=task["config"],
                       layers=task["hops"], evals=evals)
        return {"run": out["run"], "metric": out["metric"], "size": None, "cached": out["cached"]}
    if task["method"] in ("random", "random-bytes"):  # a fresh sample per seed: the baseline's own variance counts
        dset = random_selection(ds[ds.split["train"]], task["k"], seed=task["seed"])
        size = _size(dset)
    else:
        dset = DistilledDataset.load(task["path"])
    r = train_and_evaluate(ds, dset, model=task["model"], seeds=[task["seed"]], config=task["config"], evals=evals)
    return {"run": r["runs"][0], "metric": r["metric"], "size": size, "cached": False}


class _Runner:
    """Runs training tasks inline (jobs=1) or on a pool of spawned single-threaded workers."""

    def __init__(self, jobs: int) -> None:
        self.pool = None
        if jobs > 1:
            import multiprocessing as mp

            self.pool = mp.get_context("spawn").Pool(jobs, initializer=_init_worker)

    def imap(self, tasks: list[dict]):
        if self.pool is None:
            return map(_train_task, tasks)
        return self.pool.imap(_train_task, tasks)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()


# ----------------------------------------------------------------------------------------------------------------------
# The table
# ----------------------------------------------------------------------------------------------------------------------
def run(datasets, models, seeds, budgets, root=None, quick=False, progress=False, log=print, on_row=None,
        jobs: int = 1, methods=DEFAULT_METHODS, folds: int | None = None, reference_dir=None,
        readout: str | None = None, epochs: int | None = None, fold_seeds: int | None = None,
        full_seeds: int | None = None) -> list[dict]:
    """Train and evaluate every method x dataset x GNN x seed (x fold); one row per method x dataset x GNN.

    Args:
        folds: k-fold cross-validation for datasets without an official split (None: their random split).
        reference_dir: where full-data runs are cached (None: train them, keep nothing).
        readout: readout of every model (None: what each set records, else the default).
        epochs: epochs of training on a distilled set (default 100; 50 with ``quick``).
        fold_seeds: seeds per fold for datasets split into folds (default: all ``seeds``).
        full_seeds: at most this many seeds of full-data training per split (a converged run on a large dataset
            costs minutes; default: all).
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    rows: list[dict] = []
    runner = _Runner(jobs)
    opts = dict(models=models, seeds=list(seeds), budgets=budgets, root=root, quick=quick, progress=progress,
                log=log, methods=methods, folds=folds, reference_dir=reference_dir, readout=readout,
                epochs=epochs or (50 if quick else 100), fold_seeds=fold_seeds, full_seeds=full_seeds)
    try:
        with tempfile.TemporaryDirectory(prefix="mirage-bench-") as tmp:
            for name in datasets:
                rows.extend(_run_dataset(name, runner, Path(tmp), **opts))
                if on_row:
                    on_row(rows)
    finally:
        runner.close()
    return rows


def _splits_of(name: str, root, folds: int | None) -> list[dict | None]:
    if folds is None:
        return [None]
    from .data import resolve_spec

    if resolve_spec(name, root).kind == "ogb":  # an official split is kept
        return [None]
    return [{"folds": folds, "fold": k} for k in range(folds)]


def _run_dataset(name, runner, tmp: Path, *, models, seeds, budgets, root, quick, progress, log, methods, folds,
                 reference_dir, readout, epochs, fold_seeds, full_seeds) -> list[dict]:
    splits = _splits_of(name, root, folds)
    if len(splits) > 1 and fold_seeds:
        seeds = seeds[:fold_seeds]
    models = _models_of(models, name)
    sets: list[_Set] = []
    errors: dict = {}  # (method, budget) -> error of a cell that cannot be made
    full_sizes = []
    for si, split in enumerate(splits):
        ds = _load(name, root, split)
        train = ds[ds.split["train"]]
        flat = train.flat()
        full_sizes.append((len(train), len(flat.x), full_bytes(flat.x, flat.edge_index, flat.edge_attr, flat.y)))
        hops = int(ds.meta.get("hops", 2))
        if "full" in methods:
            sets.append(_Set("full", si, size=full_sizes[-1]))
        if "mirage-paper" in methods and name in PAPER_DISTILL:
            preset = PAPER_DISTILL[name]
            for step in range(preset.steps):
                t0 = time.perf_counter()
                try:
                    d = preset.mirage(step).fit(train).distilled_
                except BudgetError as e:
                    log(f"[{name}] mirage-paper step {step}: no set ({e})")
                    errors.setdefault(("mirage-paper", None, si, step), str(e))
                    continue
                secs = time.perf_counter() - t0
                path = d.save(tmp / f"{name}-paper-{si}-{step}.npz")
                sets.append(_Set("mirage-paper", si, step=step, path=str(path), seconds=secs, size=_size(d),
                                 info={"thresholds": preset.thresholds(step)}))
        if any(m in methods for m in ("mirage-auto", "herding-bytes", "random-bytes")):
            t0 = time.perf_counter()
            m = Mirage(hops="auto", budget="auto").fit(train, validation=ds[ds.split["valid"]])
            d, secs = m.distilled_, time.perf_counter() - t0
            log(f"[{name}] split {si}: automatic settings {m.settings_} ({secs:.1f} s)")
            path = d.save(tmp / f"{name}-auto-{si}.npz")
            if "mirage-auto" in methods:
                sets.append(_Set("mirage-auto", si, path=str(path), seconds=secs, size=_size(d),
                                 info={"settings": m.settings_}))
            kb = kr = _k_for_bytes(full_sizes[-1], len(np.unique(flat.y)), d.nbytes())
            if "herding-bytes" in methods:
                t0 = time.perf_counter()
                h = herding_selection(train, kb, hops)
                while h.nbytes() > d.nbytes() and kb > 1:  # herding's picks can be larger than average
                    kb -= 1
                    h = herding_selection(train, kb, hops)
                sets.append(_Set("herding-bytes", si, path=str(h.save(tmp / f"{name}-hb-{si}.npz")),
                                 seconds=time.perf_counter() - t0, size=_size(h), info={"k": kb}))
            if "random-bytes" in methods:
                sets.append(_Set("random-bytes", si, k={int(c): kr for c in np.unique(flat.y)}, info={"k": kr}))
        for method in [m for m in LEARNED if m in methods]:
            cls, kwargs = LEARNED[method]
            est = cls(**kwargs, **(LEARNED_QUICK[method] if quick else {}), progress=progress).fit(train)
            d = est.distilled_
            log(f"[{name}] split {si}: {method} distilled in {est.seconds_:.1f} s ({d.summary()['bytes']} bytes)")
            sets.append(_Set(method, si, path=str(d.save(tmp / f"{name}-{method}-{si}.npz")), seconds=est.seconds_,
                             size=_size(d), info={"distilled_with": d.meta["distilled_with"],
                                                  "params": d.meta["params"]}))
        if "mirage-proto" in methods:
            t0 = time.perf_counter()
            d = TreePrototypes(hops=hops, per_class=PROTO_PER_CLASS).fit(train).distilled_
            path = d.save(tmp / f"{name}-proto-{si}.npz")
            sets.append(_Set("mirage-proto", si, path=str(path), seconds=time.perf_counter() - t0, size=_size(d)))
        for budget in budgets:
            # Mirage variants first: Random and Herding then pick as many graphs per class as Mirage made
            k = {int(c): budget for c in np.unique(flat.y)}
            for method in [m for m in METHODS if m in methods and m in (*MIRAGE_VARIANTS, "herding")]:
                t0 = time.perf_counter()
                try:
                    if method == "herding":
                        d = herding_selection(train, k, hops)
                    else:
                        d = Mirage(hops=hops, budget=budget, **MIRAGE_VARIANTS[method]).fit(train).distilled_
                except BudgetError as e:  # a cell that cannot be made is reported, not dropped
                    errors.setdefault((method, budget), str(e))
                    continue
                secs = time.perf_counter() - t0
                path = d.save(tmp / f"{name}-{method}-{budget}-{si}.npz")
                sets.append(_Set(method, si, budget=budget, path=str(path), seconds=secs, size=_size(d)))
                if method == "mirage":
                    k = _class_counts(d)
            if "random" in methods:
                sets.append(_Set("random", si, budget=budget, k=k))
    full_size = tuple(int(round(np.mean([z[i] for z in full_sizes]))) for i in range(3))
    log(f"[{name}] {len(splits)} split(s), {len(sets)} training sets made; training {len(models)} GNN(s) x "
        f"{len(seeds)} seed(s)")
    dist_cfg = TrainConfig(epochs=epochs, eval_every=1, readout=readout)
    full_cfg = replace(FULL_CONFIG, epochs=10, patience=5) if quick else FULL_CONFIG
    full_cfg = replace(full_cfg, readout=readout or DEFAULT_READOUT)
    tasks, keys = [], []
    for model in models:
        for s in sets:
            for seed in (seeds[:full_seeds] if s.method == "full" and full_seeds else seeds):
                split = splits[s.split]
                tasks.append({"dataset": name, "root": None if root is None else str(root), "split": split,
                              "model": model, "method": s.method, "seed": seed,
                              "config": full_cfg if s.method == "full" else dist_cfg,
                              "hops": hops if s.method == "full" else None, "path": s.path, "k": s.k,
                              "reference_dir": None if reference_dir is None else str(reference_dir)})
                keys.append((model, s))
    outs = []
    with Progress(len(tasks), f"[{name}] training runs", "run", enabled=progress) as bar:
        for out in runner.imap(tasks):
            outs.append(out)
            bar.update(1)
    return _rows(name, models, keys, outs, errors, methods, budgets, seeds, len(splits), full_size, log)


def _rows(name, models, keys, outs, errors, methods, budgets, seeds, n_splits, full_size, log) -> list[dict]:
    by: dict = {}
    for (model, s), out in zip(keys, outs):
        by.setdefault((model, s.method, s.budget), {}).setdefault((s.split, s.step), []).append((s, out))
    rows = []
    full_epoch_s = {}
    for model in models:
        cells = [("full", None)] if "full" in methods else []
        cells += [(m, None) for m in UNBUDGETED if m in methods and (m != "mirage-paper" or name in PAPER_DISTILL)]
        cells += [(m, b) for b in budgets for m in METHODS if m in methods and m not in ("full", *UNBUDGETED)]
        for method, budget in cells:
            groups = by.get((model, method, budget))
            err = errors.get((method, budget))
            if not groups or (err and method != "mirage-paper"):
                msg = err or next((e for k, e in errors.items() if k[0] == method), "no training set could be made")
                rows.append(_failed_row(name, model, method, budget, msg, full_size))
                log(_fmt(rows[-1]))
                continue
            chosen, steps = _choose_steps(groups, n_splits)
            runs = [as_run(out["run"]) for s, out in chosen]
            sizes = [s.size or out["size"] for s, out in chosen]
            size = tuple(int(round(np.mean([z[i] for z in sizes]))) for i in range(3))
            result = dict(summarise(runs, paper_protocol=len(runs) > 5), metric=chosen[0][1]["metric"])
            row = _row(name, model, method, budget, result, runs, size,
                       float(np.mean([s.seconds for s, _ in chosen])), full_size, seeds, n_splits)
            if method == "mirage-auto":
                row["settings"] = [s.info["settings"] for s, _ in chosen[::len(seeds)]]
            if method in ("herding-bytes", "random-bytes"):
                row["k"] = [s.info["k"] for s, _ in chosen[::len(seeds)]]
            if method in LEARNED:
                row["distilled_with"] = chosen[0][0].info["distilled_with"]
                row["learned_params"] = chosen[0][0].info["params"]
            if method == "mirage-paper":
                row["steps"] = steps
                row["thresholds"] = [s.info["thresholds"] for s, _ in chosen[::len(seeds)]]
                row["step_scores"] = {f"{si}:{st}": float(np.nanmean([o["run"]["val"] for _, o in items]))
                                      for (si, st), items in sorted(groups.items())}
            if method == "full":
                row["cached_runs"] = sum(bool(out.get("cached")) for _, out in chosen)
                full_epoch_s[model] = row["train_seconds_per_epoch"]
            elif model in full_epoch_s and row["train_seconds_per_epoch"] > 0:
                row["speedup_per_epoch_vs_full"] = full_epoch_s[model] / row["train_seconds_per_epoch"]
            rows.append(row)
            log(_fmt(row))
    return rows


def _choose_steps(groups: dict, n_splits: int) -> tuple[list, list]:
    """Per split, the step with the best mean validation metric (a method without steps has one step: None)."""
    chosen, steps = [], []
    for si in range(n_splits):
        cand = {step: items for (split, step), items in groups.items() if split == si}
        if not cand:
            continue

        def val(step):
            v = np.array([out["run"]["val"] for _, out in cand[step]], dtype=float)
            return float(np.nanmean(v)) if np.isfinite(v).any() else -np.inf

        best = max(cand, key=lambda st: (val(st), -(st or 0)))
        chosen += cand[best]
        steps.append(best)
    return chosen, steps


def _models_of(models, name: str) -> list[str]:
    # GAT is omitted on IMDB-BINARY, which has no node features, as the paper does
    return [m for m in models if not (m == "gat" and name == "IMDB-BINARY")]


def _failed_row(name, model, method, budget, error: str, full_size) -> dict:
    return {"dataset": name, "model": model, "method": method, "budget": budget, "metric": None, "test_mean": None,
            "test_std": None, "val_mean": None, "seeds": [], "epochs": 0, "graphs": 0, "nodes": 0, "bytes": 0,
            "full_bytes": full_size[2] if full_size else 0, "size_fraction": 0.0, "distill_seconds": 0.0,
            "train_seconds": 0.0, "authors_mirage": None, "runs": [], "error": error}


def _k_for_bytes(full_size: tuple[int, int, int], num_classes: int, nbytes: int) -> int:
    """Real graphs per class whose mean size fits in ``nbytes`` (at least 1); ``full_size`` is the training split's
    (graphs, nodes, bytes)."""
    per_graph = full_size[2] / max(full_size[0], 1)
    return max(1, int(nbytes // (per_graph * num_classes)))


def _class_counts(dset) -> dict:
    y = dset._data.y.view(-1).numpy()
    return {int(c): int((y == c).sum()) for c in np.unique(y)}


def _row(name, model, method, budget, result, runs: list[RunResult], size: tuple[int, int, int], seconds: float,
         full_size: tuple[int, int, int], seeds, n_splits: int) -> dict:
    graphs, nodes, nbytes = size
    total = full_size[2]
    train_s = float(np.mean([r.train_seconds for r in runs]))
    epochs_run = float(np.mean([r.epochs_run for r in runs]))
    row = {
        "dataset": name, "model": model, "method": method, "budget": budget, "metric": result["metric"],
        "test_mean": result["test_mean"], "test_std": result["test_std"], "val_mean": result["val_mean"],
        "seeds": list(seeds), "splits": n_splits, "runs_total": len(runs), "graphs": graphs, "nodes": nodes,
        "bytes": nbytes, "full_bytes": total, "size_fraction": nbytes / total, "distill_seconds": seconds,
        "train_seconds": train_s, "eval_seconds": float(np.mean([r.eval_seconds for r in runs])),
        "epochs_run": epochs_run, "best_epoch": float(np.mean([r.best_epoch for r in runs])),
        "train_seconds_per_epoch": train_s / max(epochs_run, 1),
        "stopped_early": int(sum(r.epochs_run > r.best_epoch for r in runs)),
        "authors_mirage": AUTHORS.get((name, model)) if method in ("mirage", "mirage-paper") else None,
        "ogb_full": OGB_FULL.get((name, model)) if method == "full" else None,
        "runs": [{k: getattr(r, k) for k in ("seed", "val", "test", "best_epoch", "epochs_run")} | {
            "test_metrics": r.test_metrics} for r in runs],
    }
    for key in ("accuracy", "rocauc", "rocauc_macro"):
        if f"test_{key}_mean" in result:
            row[f"test_{key}_mean"], row[f"test_{key}_std"] = result[f"test_{key}_mean"], result[f"test_{key}_std"]
    if "paper_top5_test_mean" in result:
        row["paper_top5_test_mean"] = result["paper_top5_test_mean"]
        row["paper_top5_test_std"] = result["paper_top5_test_std"]
    return row


def _fmt(r: dict) -> str:
    if r.get("error"):
        return f"  {r['dataset']:<13} {r['model']:<4} {r['method']:<13} not made: {r['error']}"
    b = f" b={r['budget']}" if r["budget"] else ""
    return (f"  {r['dataset']:<13} {r['model']:<4} {r['method'] + b:<16} {r['metric']} "
            f"{100 * r['test_mean']:6.2f} ± {100 * r['test_std']:5.2f}  graphs {r['graphs']:>6}  "
            f"bytes {r['bytes']:>10} ({100 * r['size_fraction']:.3f}%)  train {r['train_seconds']:.1f} s + eval "
            f"{r['eval_seconds']:.1f} s/run, {r['epochs_run']:.0f} epochs")


def _pm(r: dict, key: str = "test") -> str:
    return f"{100 * r[f'{key}_mean']:.2f} ± {100 * r[f'{key}_std']:.2f}"


def markdown(rows: list[dict], header: dict) -> str:
    """The detailed table: one line per dataset x GNN x method."""
    top = any("paper_top5_test_mean" in r for r in rows)
    lines = [f"Machine: {header['machine']}; command: `{header['command']}`; total {header['seconds'] / 60:.1f} min.",
             "",
             "| dataset | GNN | method | runs | test ROC-AUC ×100 (mean ± std, all runs) | test accuracy ×100 |"
             + (" top 5 by valid. (authors' protocol) |" if top else "")
             + " graphs | nodes | bytes | % of full | distill s | train s/run | eval s/run | epochs (best) |"
             " per-epoch speed-up vs full | notes |",
             "|---|---|---|---:|---|---|" + ("---|" if top else "") + "---:|---:|---:|---:|---:|---:|---:|---|---:|---|"]
    for r in _ordered(rows):
        method = r["method"] + (f" (k={r['budget']})" if r["budget"] else "")
        if r.get("error"):
            lines.append(f"| {r['dataset']} | {r['model'].upper()} | {method} | 0 | not made: {r['error'][:120]} | |"
                         + (" |" if top else "") + " | | | | | | | | | |")
            continue
        auc = _pm(r, "test_rocauc") if "test_rocauc_mean" in r else (
            f"{_pm(r, 'test_rocauc_macro')} (macro)" if "test_rocauc_macro_mean" in r else "")
        acc = _pm(r, "test_accuracy") if "test_accuracy_mean" in r else ""
        paper = (f" {_pm(r, 'paper_top5_test')} |" if "paper_top5_test_mean" in r else " |") if top else ""
        notes = []
        if r.get("steps"):
            notes.append(f"step(s) {r['steps']}, thresholds {r['thresholds'][0]}")
        if r.get("settings"):
            from collections import Counter

            picked = Counter(f"{st['hops']} hops, {st['per_class']}/class, {st['readout']}" for st in r["settings"])
            notes.append("chosen: " + "; ".join(f"{k}" + (f" ×{n}" if n > 1 else "") for k, n in picked.items()))
        if r.get("k"):
            notes.append(f"k per class {sorted(set(r['k']))}")
        if r.get("distilled_with"):
            notes.append(f"distilled with {r['distilled_with']}")
        if r["method"] == "full":
            notes.append(f"stopped early in {r['stopped_early']}/{r['runs_total']} runs")
            if r.get("ogb_full"):
                notes.append(f"OGB paper: {r['ogb_full']}")
        if r.get("authors_mirage"):
            notes.append(f"authors: {r['authors_mirage']}")
        speed = f"{r['speedup_per_epoch_vs_full']:.0f}×" if r.get("speedup_per_epoch_vs_full") else ""
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {method} | {r['runs_total']} | {auc} | {acc} |{paper}"
                     f" {r['graphs']} | {r['nodes']} | {r['bytes']:,} | {100 * r['size_fraction']:.3f} | "
                     f"{r['distill_seconds']:.2f} | {r['train_seconds']:.1f} | {r['eval_seconds']:.1f} | "
                     f"{r['epochs_run']:.0f} ({r['best_epoch']:.0f}) | {speed} | {'; '.join(notes)} |")
    return "\n".join(lines) + "\n"


def _ordered(rows: list[dict]) -> list[dict]:
    first: dict = {}
    for r in rows:  # cells that could not be made sit with their dataset and GNN, in method order
        first.setdefault(r["dataset"], len(first))
        first.setdefault((r["dataset"], r["model"]), len(first))
    order = {m: i for i, m in enumerate(METHODS)}
    return sorted(rows, key=lambda r: (first[r["dataset"]], first[(r["dataset"], r["model"])],
                                       order.get(r["method"], len(order)), r["budget"] or 0))


def summary_markdown(rows: list[dict]) -> str:
    """One line per dataset x GNN, one column per method (and budget, when several were swept): the test metric
    ×100, mean ± std over all runs, and each distilled method's size as % of the full training bytes."""
    budgets = sorted({r["budget"] for r in rows if r["budget"] is not None})
    order = {m: i for i, m in enumerate(METHODS)}
    columns = sorted({(r["method"], r["budget"]) for r in rows},
                     key=lambda c: (order.get(c[0], len(order)), c[1] or 0))

    def title(col) -> str:
        return col[0] if len(budgets) < 2 or col[1] is None else f"{col[0]} k={col[1]}"

    cells = {(r["dataset"], r["model"], r["method"], r["budget"]): r for r in rows}
    lines = ["| dataset | GNN | runs | " + " | ".join(title(c) for c in columns) + " | authors' Mirage (top 5 of 10) |",
             "|---|---|---:|" + "---|" * (len(columns) + 1)]
    seen: list = []
    for r in rows:
        if (r["dataset"], r["model"]) not in seen:
            seen.append((r["dataset"], r["model"]))
    for name, model in seen:
        out, counts = [], []
        for method, budget in columns:
            r = cells.get((name, model, method, budget))
            if r is None:
                out.append("")
            elif r.get("error"):
                out.append("not made")
            else:
                counts.append(r["runs_total"])
                size = "" if method == "full" else f" ({100 * r['size_fraction']:.2g} %)"
                metric = "" if r["metric"] == "rocauc" else f" {r['metric'][:3]}"
                out.append(f"{100 * r['test_mean']:.1f} ± {100 * r['test_std']:.1f}{metric}{size}")
        n = "/".join(str(c) for c in sorted(set(counts)))  # e.g. "1/3": one full-data run, 3 of each set
        lines.append(f"| {name} | {model.upper()} | {n} | " + " | ".join(out) + f" | {AUTHORS.get((name, model), '')} |")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mirage bench", description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=None, help=f"default: {' '.join(ALL_DATASETS)}")
    p.add_argument("--models", nargs="+", default=None, help="default: gcn gat gin")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 per split (default 5; quick 2)")
    p.add_argument("--folds", type=int, default=None,
                   help="k-fold cross-validation (stratified, inner validation holdout) for TU datasets; OGB "
                        "datasets keep their scaffold split")
    p.add_argument("--fold-seeds", type=int, default=None, help="seeds per fold with --folds (default --seeds)")
    p.add_argument("--full-seeds", type=int, default=None,
                   help="at most this many full-data seeds per split (default: all; runs are cached)")
    p.add_argument("--budgets", nargs="+", type=int, default=None, help="Mirage graphs per class (default 10)")
    p.add_argument("--methods", nargs="+", default=None, choices=METHODS,
                   help=f"default: {' '.join(DEFAULT_METHODS)}")
    p.add_argument("--readout", choices=("sum", "mean", "max"), default=None,
                   help=f"readout of every GNN (default: what each set records, else {DEFAULT_READOUT})")
    p.add_argument("--epochs", type=int, default=None, help="epochs on a distilled set (default 100)")
    p.add_argument("--reference-dir", default="benchmarks/results/full_reference",
                   help="cache of converged full-data runs (read, and written for missing runs); '' for none")
    p.add_argument("--jobs", type=int, default=None,
                   help="training processes, one torch thread each (default: CPU cores, at most 8)")
    p.add_argument("--quick", action="store_true", help="small slice: MUTAG and ogbg-molbace, GIN, 2 seeds")
    p.add_argument("--root", default=None, help="data root (default $MIRAGE_DATA)")
    p.add_argument("--out", default="benchmarks/results", help="output directory")
    p.add_argument("--name", default=None, help="output file stem (default paper_table or quick)")
    p.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                   help="write one table (--name) from the rows of earlier result files instead of running")
    p.add_argument("--quiet", "-q", action="store_true")
    return p


def merge(paths, out: Path, stem: str) -> list[dict]:
    """One JSON + Markdown table from several result files (each keeps its own command in the header list)."""
    rows, headers = [], []
    for p in paths:
        try:
            blob = json.loads(Path(p).read_text())
            rows += blob["rows"]
            headers.append(blob["header"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise MirageError(f"{p} is not a benchmark result file ({type(e).__name__})") from None
    full_epoch = {(r["dataset"], r["model"]): r["train_seconds_per_epoch"] for r in rows
                  if r["method"] == "full" and not r.get("error")}
    for r in rows:  # rows from a run without full data get their speed-up from the merged full-data row
        f = full_epoch.get((r["dataset"], r["model"]))
        if r["method"] != "full" and not r.get("error") and f and r.get("train_seconds_per_epoch", 0) > 0:
            r.setdefault("speedup_per_epoch_vs_full", f / r["train_seconds_per_epoch"])
    header = {"merged_from": [str(p) for p in paths], "headers": headers,
              "complete": all(h.get("complete") for h in headers),
              "seconds": sum(h.get("seconds", 0) for h in headers),
              "command": " ; ".join(h["command"] for h in headers), "machine": headers[0]["machine"]}
    from .fileio import atomic_write_text

    atomic_write_text(out / f"{stem}.json", json.dumps({"header": header, "rows": rows}, indent=1))
    md = summary_markdown(rows) + "\n" + markdown(rows, header)
    atomic_write_text(out / f"{stem}.md", md)
    return rows


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(1)  # this process distils (and scores automatic settings); the workers train
    if args.merge:
        merge(args.merge, Path(args.out), args.name or "paper_table")
        if not args.quiet:
            print((Path(args.out) / f"{args.name or 'paper_table'}.md").read_text())
        return 0
    quick = args.quick
    datasets = args.datasets or (["MUTAG", "ogbg-molbace"] if quick else ALL_DATASETS)
    models = [m.lower() for m in (args.models or (["gin"] if quick else ["gcn", "gat", "gin"]))]
    seeds = list(range(args.seeds if args.seeds is not None else (2 if quick else 5)))
    budgets = args.budgets or [10]
    methods = tuple(args.methods or DEFAULT_METHODS)
    jobs = args.jobs if args.jobs is not None else max(1, min(os.cpu_count() or 1, 8))
    for flag, value, low in (("--jobs", jobs, 1), ("--seeds", len(seeds), 1), ("--epochs", args.epochs or 1, 1),
                             ("--folds", args.folds or 2, 2)):
        if value < low:
            raise MirageError(f"{flag} must be >= {low}")
    if any(b < 1 for b in budgets):
        raise MirageError(f"--budgets must be >= 1, got {budgets}")
    from .data import resolve_spec

    for name in datasets:
        resolve_spec(name, args.root)
    reference_dir = None if quick or not args.reference_dir else Path(args.reference_dir)
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    t0 = time.perf_counter()
    header = {"command": "mirage bench " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} training "
                         f"process{'es' if jobs > 1 else ''} "
                         f"({'1 torch thread each' if jobs > 1 else f'{torch.get_num_threads()} torch threads'}), "
                         f"torch {torch.__version__}",
              "seeds": seeds, "folds": args.folds, "fold_seeds": args.fold_seeds, "full_seeds": args.full_seeds, "budgets": budgets, "methods": list(methods),
              "readout": args.readout or "recorded/" + DEFAULT_READOUT, "complete": False}
    out = Path(args.out)
    stem = args.name or ("quick" if quick else "paper_table")

    from .fileio import atomic_write_text

    def save(rows):  # after every dataset: an interrupted run keeps what it measured, marked incomplete
        header["seconds"] = time.perf_counter() - t0
        atomic_write_text(out / f"{stem}.json", json.dumps({"header": header, "rows": rows}, indent=1))

    rows = run(datasets, models, seeds, budgets, args.root, quick, not args.quiet, log, on_row=save, jobs=jobs,
               methods=methods, folds=args.folds, reference_dir=reference_dir, readout=args.readout,
               epochs=args.epochs, fold_seeds=args.fold_seeds, full_seeds=args.full_seeds)
    header["complete"] = True
    save(rows)
    md = summary_markdown(rows) + "\n" + markdown(rows, header)
    atomic_write_text(out / f"{stem}.md", md)
    log("\n" + md)
    log(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")
    return 0
