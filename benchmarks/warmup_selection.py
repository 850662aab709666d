"""What epoch selection gives a set for free: the epoch chosen on validation only after a warm-up of W epochs.

The tables choose each run's epoch as the best validation score over all epochs. A model after one or two epochs
has learned little, and on a small validation split it can still score well: the permuted-label control's score is
largely that. This script trains, per dataset, GNN and seed, the default's set, its permuted control (the bench's own
permutation, :func:`graph_mirage.bench.runs.permuted`) and optionally full data (the tables' plain recipe, stopped
25 epochs after its best, as the tables' full data is), recording the validation **and test** score of every epoch
(the test split is scored every epoch only here, to read the rules afterwards; nothing is chosen on it). It then
reads off, for each warm-up W, the test score at the best validation epoch among epochs >= W (W = 1 is the tables'
rule; the script checks it gives each run's own result), the std over seeds, and the paired margin over the control.

    python benchmarks/warmup_selection.py --datasets ogbg-molbace DD --models gcn gin --seeds 10 --jobs 2

``--folds K`` runs the TU datasets by K-fold cross-validation with ``--seeds`` seeds per fold, as the tables' ``mirage
bench --folds K --fold-seeds S`` does (intervals over the folds, each fold's seeds averaged first, as the tables';
GAT left out on IMDB-BINARY, as there).

An exploration of the protocol, not a change of it: a hypothesis for the tables. Writes
``benchmarks/results/warmup_selection.json`` (``--out``) and its table in docs/results/README.md (``--page``: only the
table, from the committed JSON; ``warmup_selection_folds.json`` has a table of its own there).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
PAGE = RESULTS.parents[1] / "docs" / "results" / "README.md"
START, END = "<!-- generated: warmup selection -->", "<!-- end of warmup selection -->"
# the page's generated table of each committed file (--out)
SECTIONS = {"warmup_selection.json": (START, END),
            "warmup_selection_folds.json": ("<!-- generated: warmup selection folds -->",
                                            "<!-- end of warmup selection folds -->")}
WARMUPS = (1, 5, 10, 20)
_DATA: dict = {}


def _dataset(name: str, root: str | None, split: dict | None = None):
    """The dataset (``split``: its fold, as ``mirage bench --folds`` loads it), its default set and its evaluation
    sets, made once per worker process and split."""
    key = (name, json.dumps(split, sort_keys=True))
    if key not in _DATA:
        from graph_mirage import AutoPrototypes, load_dataset
        from graph_mirage.training import eval_sets

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_dataset(name, root, **(split or {}))
        train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
        if ds.meta.get("num_tasks"):  # several tasks: the default distils task by task, as `mirage distill` does
            from graph_mirage.multitask import PerTask

            d = PerTask().fit(train, validation=valid).distilled_
        else:
            d = AutoPrototypes().fit(train, validation=valid).distilled_
        _DATA.clear()
        _DATA[key] = (ds, d, eval_sets(ds))
    return _DATA[key]


def run(task: tuple) -> dict:
    """One run with its per-epoch validation and test scores: ``(dataset, root, model, seed, kind, split)``
    (``split``: None, or the fold's ``load_dataset`` options)."""
    import torch

    from graph_mirage.bench.runs import full_config
    from graph_mirage.training import TrainConfig, loop, permuted_labels, train_and_evaluate

    name, root, model, seed, kind, split = task
    torch.set_num_threads(1)
    ds, d, (valid, test) = _dataset(name, root, split)
    history: list[tuple[float, float]] = []
    metric: list = []
    original = loop.predict

    def predict(net, data, device):  # each validation pass also scores the test split (read afterwards only)
        out = original(net, data, device)
        if data is valid:
            logits, y = original(net, test, device)
            history.append((metric[0].score(out[1], out[0]), metric[0].score(y, logits)))
        return out

    init = loop.Metric.__init__

    def remember(self, *args, **kwargs):  # the run's own metric (its prior shift), made before it trains
        init(self, *args, **kwargs)
        metric.append(self)

    loop.predict, loop.Metric.__init__ = predict, remember
    try:
        train = None if kind == "full" else permuted_labels(d, seed) if kind == "permuted" else d
        config = full_config("plain", None, int(d.meta["hops"])) if kind == "full" else TrainConfig()
        r = train_and_evaluate(ds, train, model=model, seeds=[seed], config=config, evals=(valid, test))
    finally:
        loop.predict, loop.Metric.__init__ = original, init
    one = r["runs"][0]
    return {"dataset": name, "model": model, "seed": seed, "fold": (split or {}).get("fold"), "kind": kind,
            "run_test": one["test"],
            # validation scores exact: on a small split epochs tie up to float noise, and rounding would move the
            # choice; test scores (only read at the chosen epoch) rounded to 6 decimals
            "run_epoch": one["best_epoch"], "val": [v for v, _ in history],
            "test": [round(t, 6) for _, t in history], "exact_test": [t for _, t in history]}


def chosen(r: dict, warmup: int, window: int = 1) -> float | None:
    """The test score at the first best validation epoch among epochs >= ``warmup`` (None: the run stopped sooner).
    ``window`` (odd): the validation curve is first smoothed by a centred moving average of that many epochs, so that
    one lucky epoch is not chosen for itself; only epochs with the whole window inside the run are candidates (a
    shorter average at either end would be noisier, and favoured for it); 1 is the tables' rule."""
    val = np.asarray(r["exact_val"], dtype=float)
    if window > 1:
        half = window // 2
        smooth = np.convolve(val, np.ones(window) / window, mode="valid") if len(val) >= window else []
        val = np.full(len(val), np.nan)  # smooth[j]: the mean of epochs j .. j + window - 1, centred on j + half
        val[half: half + len(smooth)] = smooth
    val = val[warmup - 1:]
    if not len(val) or np.all(np.isnan(val)):
        return None
    return float(r["exact_test"][warmup - 1 + int(np.nanargmax(val))])


def summary(runs: list[dict], windows: tuple[int, ...] = (1,), warmups: tuple[int, ...] = WARMUPS) -> list[dict]:
    """Per dataset, GNN, kind, warm-up and smoothing window (:func:`chosen`): the test mean and std over runs, and the
    set's paired margins. Intervals are over the tables' units (:func:`graph_mirage.stats.units`): the seeds, or with
    folds the folds (their seeds averaged first). A row records its ``window`` only where it is not 1."""
    from graph_mirage.stats import interval, paired, units

    out = []
    keys = sorted({(r["dataset"], r["model"]) for r in runs}, key=lambda k: (k[0], ["gcn", "gat", "gin"].index(k[1])))
    for dataset, model in keys:
        for w, win in ((w, win) for win in windows for w in warmups):
            by = {kind: {(r.get("fold"), r["seed"]): chosen(r, w, win) for r in runs
                         if (r["dataset"], r["model"], r["kind"]) == (dataset, model, kind)}
                  for kind in ("set", "permuted", "full")}
            by = {k: {s: v for s, v in seeds.items() if v is not None} for k, seeds in by.items()}
            row = {"dataset": dataset, "model": model, "warmup": w} | ({"window": win} if win != 1 else {})
            unit = {k: units([{"split": f, "seed": s, "value": v} for (f, s), v in seeds.items()])
                    for k, seeds in by.items()}
            for kind, seeds in by.items():
                if seeds:
                    row[kind] = {**interval(list(unit[kind].values())), "std": float(np.std(list(seeds.values()))),
                                 "n": len(seeds)}
            if by["set"] and by["permuted"]:
                row["margin"] = paired(unit["set"], unit["permuted"])
            if by["set"] and by["full"]:
                row["set_minus_full"] = paired(unit["set"], unit["full"])
            out.append(row)
    return out


def table(rows: list[dict]) -> str:
    def cell(r, k):
        return "" if k not in r else f"{100 * r[k]['mean']:.1f} ± {100 * r[k]['std']:.1f}"

    def diff(r, k):
        if k not in r:
            return ""
        d = r[k]
        mark = "↑" if d["low"] > 0 else "↓" if d["high"] < 0 else "≈"
        return f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] {mark}"

    lines = ["| dataset | GNN | warm-up W | default set | its permuted control | margin | full data | set − full |",
             "|---|---|---:|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | {r['model'].upper()} | {r['warmup']} | {cell(r, 'set')} | {cell(r, 'permuted')} | "
              f"{diff(r, 'margin')} | {cell(r, 'full')} | {diff(r, 'set_minus_full')} |" for r in rows]
    return "\n".join(lines) + "\n"


def write_page(rows: list[dict], out: str = "warmup_selection.json", page: Path = PAGE) -> None:
    """Rewrite the page's table of the file ``out`` (a file without a table on the page: nothing)."""
    from graph_mirage.bench.tables import write_section

    if Path(out).name in SECTIONS:
        write_section(page, *SECTIONS[Path(out).name], table(rows))


def main(argv: list[str] | None = None) -> int:
    from graph_mirage.bench.scripts import script_header

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["ogbg-molbace", "DD"])
    p.add_argument("--models", nargs="+", default=["gcn", "gin"])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--folds", type=int, default=None, metavar="K",
                   help="TU datasets by K-fold cross-validation, --seeds seeds per fold (as mirage bench --folds K "
                        "--fold-seeds S); datasets with an official split keep it")
    p.add_argument("--full", nargs="*", default=[], help="datasets whose full data is also trained (plain recipe)")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--out", default=str(RESULTS / "warmup_selection.json"))
    p.add_argument("--page", action="store_true", help="only rewrite the page's table from --out")
    args = p.parse_args(argv)
    if args.page:
        write_page(json.loads(Path(args.out).read_text())["rows"], args.out)
        return 0
    kinds = {name: ("set", "permuted", "full") if name in args.full else ("set", "permuted") for name in args.datasets}
    from graph_mirage.bench.schedule import models_of, splits_of

    tasks = [(name, args.root, m, s, k, split) for name in args.datasets
             for split in splits_of(name, args.root, args.folds) for m in models_of(args.models, name)
             for s in range(args.seeds) for k in kinds[name]]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:  # tasks in dataset order: each worker loads a dataset once
        runs = list(pool.map(run, tasks))
    for r in runs:  # warm-up 1 is the tables' rule: it must give each run's own result
        if chosen(dict(r, exact_val=r["val"]), 1) != r["run_test"]:
            raise SystemExit(f"{r['dataset']} {r['model']} fold {r['fold']} seed {r['seed']} {r['kind']}: the "
                             "recorded epochs do not give the run's own choice")
        del r["exact_test"]
    rows = summary([dict(r, exact_val=r["val"], exact_test=r["test"]) for r in runs])
    header = script_header(
        "benchmarks/warmup_selection.py", argv, jobs=args.jobs, t0=t0, warmups=list(WARMUPS),
        reading="an exploration of the protocol (epoch selection after a warm-up), not a change of it; test scores "
                "rounded to 6 decimals in the runs, validation scores exact (files written before --folds: both "
                "rounded)")
    Path(args.out).write_text(json.dumps({"header": header, "rows": rows, "runs": runs}) + "\n")
    if Path(args.out).resolve().parent == RESULTS.resolve():
        write_page(rows, args.out)
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
