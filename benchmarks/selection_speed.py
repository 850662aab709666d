"""What scoring the validation split every epoch costs a run on a distilled set, before and after the selection metric
alone (``Metric.score``) replaced the full measures (``Metric.__call__``) in the epoch loop.

`python benchmarks/selection_speed.py [--datasets ...] [--models gcn gin] [--seeds 2]` distils each dataset's default
set (`mirage distill`), then trains each GNN on it twice over the same seeds, one torch thread: once as the loop runs
today, once with ``Metric.score`` computing every measure and reading the selection metric from them, as the loop did
before — each twice, in the order before, after, after, before, so that a drift of the machine's speed falls on both
alike; a variant's seconds are the mean of its two. Every run must be the same to the last bit (validation and test
scores, chosen and last epochs, every test measure); the script stops otherwise. Writes benchmarks/results/selection_speed.json and the table of
docs/results/speed-and-scale.md (`--page`: only the table, from the committed JSON).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import torch

from graph_mirage import load_dataset
from graph_mirage.distilled import DistilledDataset
from graph_mirage.training import Metric, TrainConfig, eval_sets, train_and_evaluate

DATASETS = ["ogbg-moltox21", "ogbg-molbace", "NCI1", "synthetic-motifs", "ogbg-molhiv"]
PAGE = Path(__file__).resolve().parent.parent / "docs" / "results" / "speed-and-scale.md"
START, END = "<!-- generated: selection speed -->", "<!-- end of selection speed -->"


def markdown(rows: list[dict]) -> str:
    """The page's table of ``rows``."""
    lines = ["| dataset | GNN | validation graphs | every measure, s | selection metric alone, s | speed-up |",
             "|---|---|---:|---:|---:|---:|"]
    lines += [f"| {r['dataset']} | {r['model'].upper()} | {r['valid_graphs']:,} | {r['full_measures_s']:.1f} | "
              f"{r['selection_metric_s']:.1f} | {r['speedup']:.2f}× |" for r in rows]
    return "\n".join(lines) + "\n"


def write_page(rows: list[dict], page: Path = PAGE) -> None:
    from graph_mirage.bench.tables import write_section

    write_section(page, START, END, markdown(rows))


def _full_measures(self: Metric, y_true, logits) -> float:
    """The epoch loop's score before ``Metric.score``: every measure computed, the selection metric read."""
    return self(y_true, logits)[self.name]


def _runs(res: dict) -> list:
    return [(r["val"], r["test"], r["best_epoch"], r["test_last"], r["test_metrics"], r["test_last_metrics"])
            for r in res["runs"]]


def timed(ds, d, model: str, seeds: list[int], evals, full_measures: bool) -> tuple[float, dict]:
    score = Metric.score
    if full_measures:
        Metric.score = _full_measures
    try:
        t0 = time.perf_counter()
        res = train_and_evaluate(ds, d, model=model, seeds=seeds, config=TrainConfig(), evals=evals)
        return time.perf_counter() - t0, res
    finally:
        Metric.score = score


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=DATASETS)
    p.add_argument("--models", nargs="+", default=["gcn", "gin"])
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--out", default="benchmarks/results/selection_speed.json")
    p.add_argument("--page", action="store_true", help="only rewrite the page's table from --out")
    args = p.parse_args()
    if args.page:
        write_page(json.loads(Path(args.out).read_text())["rows"])
        return
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    seeds = list(range(args.seeds))
    rows = []
    print(f"{'dataset':<17} {'GNN':<4} {'graphs':>6} {'full measures s':>15} {'selection metric s':>18} "
          f"{'speed-up':>8}  same runs", flush=True)
    for name in args.datasets:
        ds = load_dataset(name, args.root)
        with tempfile.TemporaryDirectory() as tmp:
            f = Path(tmp) / "set.npz"
            cmd = [sys.executable, "-m", "graph_mirage", "distill", name, "--out", str(f)]
            subprocess.run(cmd + (["--root", args.root] if args.root else []), check=True, capture_output=True)
            d = DistilledDataset.load(f)
        evals = eval_sets(ds)
        train_and_evaluate(ds, d, model=args.models[0], seeds=[0], config=TrainConfig(epochs=1), evals=evals)  # warm
        for model in args.models:
            b1, old = timed(ds, d, model, seeds, evals, full_measures=True)
            a1, new = timed(ds, d, model, seeds, evals, full_measures=False)
            a2, new2 = timed(ds, d, model, seeds, evals, full_measures=False)
            b2, old2 = timed(ds, d, model, seeds, evals, full_measures=True)
            before, after = (b1 + b2) / 2, (a1 + a2) / 2
            same = _runs(old) == _runs(new) == _runs(new2) == _runs(old2)
            row = {"dataset": name, "model": model, "graphs": len(d), "seeds": seeds, "epochs": 100,
                   "valid_graphs": len(evals[0]), "full_measures_s": before, "selection_metric_s": after,
                   "full_measures_each_s": [b1, b2], "selection_metric_each_s": [a1, a2],
                   "speedup": before / after, "same_runs": same, "test_mean": new["test_mean"]}
            rows.append(row)
            print(f"{name:<17} {model:<4} {len(d):>6} {before:>15.1f} {after:>18.1f} {before / after:>7.2f}x  {same}",
                  flush=True)
            if not same:
                raise SystemExit(f"{name} {model}: the two scorings chose differently - Metric.score is not the "
                                 f"selection metric of Metric.__call__")
    out = Path(args.out)
    out.write_text(json.dumps({"command": " ".join(["python benchmarks/selection_speed.py", *sys.argv[1:]]),
                               "cores": os.cpu_count(), "torch_threads": 1, "rows": rows}, indent=1) + "\n")
    write_page(rows)
    print(f"wrote {out} and {PAGE.name}")


if __name__ == "__main__":
    main()
