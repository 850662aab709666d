"""The paper's table, reproduced: methods x datasets x GNNs in one harness (``mirage bench``).

Methods: Full (the whole training split), Random and Herding (k real graphs per class, k matched to Mirage's count
per class) and Mirage (the paper's algorithm) at the dataset's hops and each budget swept, next to graph-mirage's
options: ``mirage-s2`` (itemsets of at most two trees) and ``mirage+ctx`` (class context trees). Every method yields
the same artifact type and is trained and evaluated by the same code, on spawned single-threaded workers
(``--jobs``): test ROC-AUC (accuracy for multi-class) at the epoch with the best
validation metric, mean ± std over all seeds. Results go to ``benchmarks/results/`` as JSON and Markdown.
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
from pathlib import Path

import numpy as np
import torch

from .baselines import herding_selection, random_selection
from .data import load_dataset
from .distill import Mirage
from .errors import BudgetError, MirageError
from .distilled import DistilledDataset, full_bytes
from .training import RunResult, TrainConfig, summarise, train_and_evaluate

CONTEXT = 10  # graph-mirage's option: each distilled graph also carries its class's 10 most frequent trees
SMALL_SETS = 2  # graph-mirage's option: itemsets of at most 2 trees (see README, "Why small itemsets")
PAPER_DATASETS = ["ogbg-molbace", "ogbg-molbbbp", "ogbg-molhiv", "NCI1", "DD", "IMDB-BINARY"]
# smallest first, so that an interrupted run has measured as much as possible
ALL_DATASETS = ["MUTAG", "ogbg-molbace", "ogbg-molbbbp", "PROTEINS", "NCI1", "IMDB-BINARY", "DD", "ogbg-molhiv"]
# "mirage" is the paper's algorithm; the others are graph-mirage options measured against it in the same table
METHODS = ("full", "mirage", "mirage-s2", "mirage+ctx", "herding", "random")
DEFAULT_METHODS = ("full", "mirage", "mirage-s2", "herding", "random")
# The authors' own logs (10 runs, mean of the 5 best by validation), ROC-AUC x 100, and their distilled sizes.
AUTHORS = {
    ("ogbg-molbace", "gcn"): "70.30 ± 4.76", ("ogbg-molbace", "gat"): "75.35 ± 1.66",
    ("ogbg-molbace", "gin"): "74.29 ± 2.37", ("ogbg-molhiv", "gcn"): "65.58 ± 3.24",
    ("ogbg-molhiv", "gat"): "71.68", ("ogbg-molhiv", "gin"): "71.06",
}
AUTHORS_SIZE = {"ogbg-molbace": "17 graphs / 439 nodes", "ogbg-molhiv": "9 graphs / 121 nodes"}
# Full-data training gets a fixed compute budget in node visits (nodes passed through the GNN), so that DD's
# 284-node graphs cost what 30-node molecules cost: epochs = budget / (training-split nodes), clipped to [5, 100].
# 61 epochs on molbace, 26 on NCI1, 9 on DD, 5 on molhiv (see README for why, and what it costs full training).
FULL_NODE_VISITS = 2_500_000


def _full_epochs(n_train_nodes: int, quick: bool) -> int:
    epochs = int(np.clip(round(FULL_NODE_VISITS / max(n_train_nodes, 1)), 5, 100))
    return min(epochs, 10) if quick else epochs


# the Mirage variants: the paper's algorithm and graph-mirage's options, as Mirage keyword arguments
MIRAGE_VARIANTS = {"mirage": {}, "mirage-s2": {"max_itemset_size": SMALL_SETS}, "mirage+ctx": {"context": CONTEXT}}


def _select(method: str, train, hops: int, budget: int, k: dict):
    """One training-free selection (a Mirage variant, or Herding of ``k`` graphs per class) and its wall time."""
    t0 = time.perf_counter()
    if method == "herding":
        out = herding_selection(train, k, hops)
    else:
        out = Mirage(hops=hops, budget=budget, **MIRAGE_VARIANTS[method]).fit(train).distilled_
    return out, time.perf_counter() - t0


def _size(dset) -> tuple[int, int, int]:
    s = dset.summary()
    return s["graphs"], s["nodes"], s["bytes"]


# ----------------------------------------------------------------------------------------------------------------------
# One training run, in this process or in a worker (spawned, one torch thread each: tiny models are Python-bound, so
# two single-threaded workers on two cores do about twice the work of one process with two threads)
# ----------------------------------------------------------------------------------------------------------------------
_WORKER_DATA: dict = {}


def _init_worker() -> None:
    torch.set_num_threads(1)
    _WORKER_DATA.clear()


def _train_task(task: dict) -> dict:
    key = (task["dataset"], task["root"])
    if key not in _WORKER_DATA:
        _WORKER_DATA.clear()  # one dataset at a time: molhiv is large
        with warnings.catch_warnings():  # the parent has already reported e.g. skipped SMILES once
            warnings.simplefilter("ignore")
            _WORKER_DATA[key] = load_dataset(task["dataset"], task["root"])
    ds = _WORKER_DATA[key]
    size = None
    if task["method"] == "full":
        dset = None
    elif task["method"] == "random":  # a fresh sample per seed: the baseline's own variance is part of it
        dset = random_selection(ds[ds.split["train"]], task["k"], seed=task["seed"])
        size = _size(dset)
    else:
        dset = DistilledDataset.load(task["path"])
    r = train_and_evaluate(ds, dset, model=task["model"], seeds=[task["seed"]], config=task["config"],
                           hops=task["hops"])
    return {"run": r["runs"][0], "metric": r["metric"], "epochs": r["epochs"], "size": size}


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


def run(datasets, models, seeds, budgets, root=None, quick=False, progress=False, log=print,
        on_row=None, jobs: int = 1, methods=DEFAULT_METHODS) -> list[dict]:
    """Train and evaluate every method x dataset x GNN x seed; returns one row per method x dataset x GNN."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; known: {', '.join(METHODS)}")
    rows: list[dict] = []
    runner = _Runner(jobs)
    try:
        with tempfile.TemporaryDirectory(prefix="mirage-bench-") as tmp:
            for name in datasets:
                _run_dataset(name, models, seeds, budgets, root, quick, progress, log, on_row, methods, runner,
                             Path(tmp), rows)
    finally:
        runner.close()
    return rows


def _run_dataset(name, models, seeds, budgets, root, quick, progress, log, on_row, methods, runner, tmp: Path,
                 rows: list[dict]) -> None:
    ds = load_dataset(name, root)
    train = ds[ds.split["train"]]
    n_val = len(ds.split["valid"]) + len(ds.split["test"])
    # evaluating hundreds of real graphs costs far more than one epoch on a 20-graph set
    dist_cfg = TrainConfig(epochs=50 if quick else 100, eval_every=5 if n_val < 2000 else 10)
    flat = train.flat()  # once per dataset: the full split's size for every row
    full_cfg = TrainConfig(epochs=_full_epochs(len(flat.x), quick), batch_size=64, eval_every=1)
    hops = int(ds.meta.get("hops", 2))
    full_size = (len(train), len(flat.x), full_bytes(flat.x, flat.edge_index, flat.edge_attr, flat.y))
    # every selection is made once, before any training: (method, budget, path or k, seconds, size)
    sets = [("full", None, None, 0.0, full_size)] if "full" in methods else []
    for budget in budgets:
        # Mirage variants first: Random and Herding then pick as many graphs per class as the paper's Mirage made
        k = {int(c): budget for c in np.unique(flat.y)}
        for method in [m for m in METHODS if m in methods and m not in ("full", "random")]:
            try:
                dset, secs = _select(method, train, hops, budget, k)
            except BudgetError as e:  # a cell that cannot be made is reported, not dropped
                log(f"[{name}] {method} budget {budget}: not made: {e}")
                for model in _models_of(models, name):
                    rows.append(_failed_row(name, model, method, budget, str(e), full_size))
                if on_row:
                    on_row(rows)
                continue
            path = dset.save(tmp / f"{name}-{method}-{budget}.npz")
            sets.append((method, budget, str(path), secs, _size(dset)))
            log(f"[{name}] {method} budget {budget}: {len(dset)} graphs, {_size(dset)[1]} nodes in {secs:.2f} s")
            if method == "mirage":
                k = _class_counts(dset)
        if "random" in methods:
            sets.append(("random", budget, k, 0.0, None))
    tasks, groups = [], []
    for model in _models_of(models, name):
        for method, budget, source, secs, size in sets:
            cfg = full_cfg if method == "full" else dist_cfg
            groups.append((model, method, budget, secs, size, len(seeds)))
            for seed in seeds:
                tasks.append({"dataset": name, "root": None if root is None else str(root), "model": model,
                              "method": method, "seed": seed, "config": cfg, "hops": hops,
                              "path": source if isinstance(source, str) else None,
                              "k": source if isinstance(source, dict) else None})
    results = runner.imap(tasks)
    if progress:
        from tqdm.auto import tqdm

        results = tqdm(results, total=len(tasks), desc=f"{name}: training runs", unit="run", file=sys.stderr,
                       leave=False)
    results = iter(results)
    for model, method, budget, secs, size, n in groups:
        outs = [next(results) for _ in range(n)]
        runs = [RunResult(**o["run"]) for o in outs]
        result = dict(summarise(runs, paper_protocol=len(runs) > 5), metric=outs[0]["metric"],
                      epochs=outs[0]["epochs"], seeds=list(seeds),
                      train_seconds=float(np.mean([r.train_seconds for r in runs])))
        if size is None:  # random: a different sample per seed, report the mean size
            size = tuple(int(round(np.mean([o["size"][i] for o in outs]))) for i in range(3))
        rows.append(_row(name, model, method, budget, result, size, secs, full_size))
        log(_fmt(rows[-1]))
        if on_row:
            on_row(rows)


def _models_of(models, name: str) -> list[str]:
    # GAT is omitted on IMDB-BINARY, which has no node features, as the paper does
    return [m for m in models if not (m == "gat" and name == "IMDB-BINARY")]


def _failed_row(name, model, method, budget, error: str, full_size) -> dict:
    return {"dataset": name, "model": model, "method": method, "budget": budget, "metric": None, "test_mean": None,
            "test_std": None, "val_mean": None, "seeds": [], "epochs": 0, "graphs": 0, "nodes": 0, "bytes": 0,
            "full_bytes": full_size[2], "size_fraction": 0.0, "distill_seconds": 0.0, "train_seconds": 0.0,
            "authors_mirage": None, "runs": [], "error": error}


def _class_counts(dset) -> dict:
    y = dset._data.y.view(-1).numpy()
    return {int(c): int((y == c).sum()) for c in np.unique(y)}


def _row(name, model, method, budget, result, size: tuple[int, int, int], seconds,
         full_size: tuple[int, int, int]) -> dict:
    graphs, nodes, nbytes = size
    total = full_size[2]
    row = {
        "dataset": name, "model": model, "method": method, "budget": budget, "metric": result["metric"],
        "test_mean": result["test_mean"], "test_std": result["test_std"], "val_mean": result["val_mean"],
        "seeds": result["seeds"], "epochs": result["epochs"], "graphs": graphs, "nodes": nodes, "bytes": nbytes,
        "full_bytes": total, "size_fraction": nbytes / total, "distill_seconds": seconds,
        "train_seconds": result["train_seconds"], "authors_mirage": AUTHORS.get((name, model)) if method == "mirage"
        else None, "runs": [{k: r[k] for k in ("seed", "val", "test", "best_epoch")} for r in result["runs"]],
    }
    if "paper_top5_test_mean" in result:
        row["paper_top5_test_mean"] = result["paper_top5_test_mean"]
        row["paper_top5_test_std"] = result["paper_top5_test_std"]
    return row


def _fmt(r: dict) -> str:
    if r.get("error"):
        return f"  {r['dataset']:<13} {r['model']:<4} {r['method']:<13} not made: {r['error']}"
    b = f" b={r['budget']}" if r["budget"] else ""
    return (f"  {r['dataset']:<13} {r['model']:<4} {r['method'] + b:<13} {r['metric']} "
            f"{100 * r['test_mean']:6.2f} ± {100 * r['test_std']:5.2f}  graphs {r['graphs']:>6}  "
            f"bytes {r['bytes']:>10} ({100 * r['size_fraction']:.3f}%)  train {r['train_seconds']:.1f} s/run")


def markdown(rows: list[dict], header: dict) -> str:
    n = len(header["seeds"])
    top = n > 5  # "top 5 of 5" would just repeat the mean
    lines = [f"Machine: {header['machine']}; seeds {header['seeds']}; command: `{header['command']}`; "
             f"total {header['seconds'] / 60:.1f} min.", "",
             "| dataset | GNN | method | test ROC-AUC ×100, mean ± std of all seeds |"
             + (f" top 5 of {n} by valid. (authors' protocol) |" if top else "")
             + " graphs | nodes | bytes | % of full | distill s | train s/run | authors' Mirage (top 5 of 10) |",
             "|---|---|---|---|" + ("---|" if top else "") + "---:|---:|---:|---:|---:|---:|---|"]
    first: dict = {}
    for r in rows:  # cells that could not be made sit with their dataset and GNN, in method order
        first.setdefault(r["dataset"], len(first))
        first.setdefault((r["dataset"], r["model"]), len(first))
    order = {m: i for i, m in enumerate(METHODS)}
    rows = sorted(rows, key=lambda r: (first[r["dataset"]], first[(r["dataset"], r["model"])],
                                       order.get(r["method"], len(order)), r["budget"] or 0))
    for r in rows:
        method = r["method"] + (f" (k={r['budget']})" if r["budget"] else "")
        if r.get("error"):
            lines.append(f"| {r['dataset']} | {r['model'].upper()} | {method} | not made: budget cannot be met |"
                         + (" |" if top else "") + " | | | | | | |")
            continue
        metric = "" if r["metric"] == "rocauc" else f" ({r['metric']})"
        paper = (f" {100 * r['paper_top5_test_mean']:.2f} ± {100 * r['paper_top5_test_std']:.2f} |"
                 if top and "paper_top5_test_mean" in r else (" |" if top else ""))
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {method} | {100 * r['test_mean']:.2f} ± "
                     f"{100 * r['test_std']:.2f}{metric} |{paper} {r['graphs']} | {r['nodes']} | {r['bytes']:,} | "
                     f"{100 * r['size_fraction']:.3f} | {r['distill_seconds']:.2f} | {r['train_seconds']:.1f} | "
                     f"{r['authors_mirage'] or ''} |")
    return "\n".join(lines) + "\n"


def summary_markdown(rows: list[dict]) -> str:
    """One line per dataset x GNN, one column per method (and budget, when several were swept): test ROC-AUC ×100
    mean ± std, and each distilled method's size as % of the full training bytes."""
    budgets = sorted({r["budget"] for r in rows if r["budget"] is not None})
    order = {m: i for i, m in enumerate(METHODS)}
    columns = sorted({(r["method"], r["budget"]) for r in rows},
                     key=lambda c: (order.get(c[0], len(order)), c[1] or 0))

    def title(col) -> str:
        return col[0] if len(budgets) < 2 or col[1] is None else f"{col[0]} k={col[1]}"

    cells = {(r["dataset"], r["model"], r["method"], r["budget"]): r for r in rows}
    lines = ["| dataset | GNN | " + " | ".join(title(c) for c in columns) + " | authors' Mirage (top 5 of 10) |",
             "|---|---|" + "---|" * (len(columns) + 1)]
    seen: list = []
    for r in rows:
        if (r["dataset"], r["model"]) not in seen:
            seen.append((r["dataset"], r["model"]))
    for name, model in seen:
        out = []
        for method, budget in columns:
            r = cells.get((name, model, method, budget))
            if r is None:
                out.append("")
            elif r.get("error"):
                out.append("not made")
            else:
                size = "" if method == "full" else f" ({100 * r['size_fraction']:.2g} %)"
                out.append(f"{100 * r['test_mean']:.1f} ± {100 * r['test_std']:.1f}{size}")
        lines.append(f"| {name} | {model.upper()} | " + " | ".join(out) + f" | {AUTHORS.get((name, model), '')} |")
    return "\n".join(lines) + "\n"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="mirage bench", description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=None, help=f"default: {' '.join(ALL_DATASETS)}")
    p.add_argument("--models", nargs="+", default=None, help="default: gcn gat gin")
    p.add_argument("--seeds", type=int, default=None, help="seeds 0..N-1 (default 5; quick 2)")
    p.add_argument("--budgets", nargs="+", type=int, default=None, help="Mirage graphs per class (default 10)")
    p.add_argument("--methods", nargs="+", default=None, choices=METHODS,
                   help=f"default: {' '.join(DEFAULT_METHODS)}")
    p.add_argument("--jobs", type=int, default=None,
                   help="training processes, one torch thread each (default: CPU cores, at most 8)")
    p.add_argument("--quick", action="store_true", help="small slice: MUTAG and ogbg-molbace, GIN, 2 seeds")
    p.add_argument("--root", default=None, help="data root (default $MIRAGE_DATA)")
    p.add_argument("--out", default="benchmarks/results", help="output directory")
    p.add_argument("--name", default=None, help="output file stem (default paper_table or quick)")
    p.add_argument("--quiet", "-q", action="store_true")
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    quick = args.quick
    datasets = args.datasets or (["MUTAG", "ogbg-molbace"] if quick else ALL_DATASETS)
    models = [m.lower() for m in (args.models or (["gin"] if quick else ["gcn", "gat", "gin"]))]
    seeds = list(range(args.seeds or (2 if quick else 5)))
    budgets = args.budgets or [10]
    methods = tuple(args.methods or DEFAULT_METHODS)
    jobs = args.jobs if args.jobs is not None else max(1, min(os.cpu_count() or 1, 8))
    if jobs < 1:
        raise MirageError(f"--jobs must be >= 1, got {jobs}")
    log = (lambda *a: None) if args.quiet else (lambda *a: print(*a, flush=True))
    t0 = time.perf_counter()
    progress = not args.quiet and sys.stderr.isatty()
    header = {"command": "mirage bench " + " ".join(argv if argv is not None else sys.argv[1:]),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} training "
                         f"process{'es' if jobs > 1 else ''} "
                         f"({'1 torch thread each' if jobs > 1 else f'{torch.get_num_threads()} torch threads'}), "
                         f"torch {torch.__version__}",
              "seeds": seeds, "budgets": budgets, "methods": list(methods), "complete": False}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stem = args.name or ("quick" if quick else "paper_table")

    def save(rows):  # after every row: an interrupted run keeps what it measured, marked incomplete
        header["seconds"] = time.perf_counter() - t0
        tmp = out / f".{stem}.json.tmp"
        tmp.write_text(json.dumps({"header": header, "rows": rows}, indent=1))
        tmp.replace(out / f"{stem}.json")

    rows = run(datasets, models, seeds, budgets, args.root, quick, progress, log, on_row=save, jobs=jobs,
               methods=methods)
    header["complete"] = True
    save(rows)
    md = summary_markdown(rows) + "\n" + markdown(rows, header)
    (out / f"{stem}.md").write_text(md)
    log("\n" + md)
    log(f"wrote {out / (stem + '.json')} and {out / (stem + '.md')}")
    return 0
