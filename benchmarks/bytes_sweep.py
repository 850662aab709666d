"""Size sweep: test ROC-AUC against the distilled set's bytes (% of the training split) for every method.

Methods: graph-mirage's prototypes (``mirage-proto``) at 1, 2, 5, 10, 20 per class; the paper's itemset form at
the preset's depth with all frequent sets, no filter and a budget of 1, 2, 5, 10, 20 sets per class (the
threshold searched); Herding and Random at 1, 2, 5, 10, 20, 50 graphs per class; and single points for the
automatic default (``mirage-auto``), the paper preset (its first threshold step, not chosen on validation) and full data (the converged cached runs). Same split,
seeds and training as the table (100 epochs, validation every epoch).

    python benchmarks/bytes_sweep.py                       # ogbg-molbace NCI1 DD, GIN and GCN, 3 seeds
    python benchmarks/bytes_sweep.py --datasets NCI1 --models gin --seeds 1

Writes benchmarks/results/bytes_sweep.json and the plot benchmarks/results/bytes_sweep.png.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from graph_mirage import AutoPrototypes, Mirage, TreePrototypes, load_dataset
from graph_mirage.baselines import HerdingSelection, RandomSelection
from graph_mirage.bench.runs import full_config
from graph_mirage.config.presets import PAPER_DISTILL
from graph_mirage.distilled import flat_bytes
from graph_mirage.errors import BudgetError
from graph_mirage.training import TrainConfig, eval_sets, train_and_evaluate

RESULTS = Path(__file__).resolve().parent / "results"
PROTO_HOPS = {"ogbg-molbace": 2, "NCI1": 2, "DD": 1}  # the depths the automatic rule chose on these datasets


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["ogbg-molbace", "NCI1", "DD"])
    p.add_argument("--models", nargs="+", default=["gin", "gcn"])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--out", default=str(RESULTS / "bytes_sweep.json"))
    p.add_argument("--plot-only", action="store_true", help="redraw the plot from --out's JSON")
    args = p.parse_args(argv)
    if args.plot_only:
        plot(json.loads(Path(args.out).read_text())["rows"], Path(args.out).with_suffix(".png"))
        return 0
    torch.set_num_threads(1)
    seeds = list(range(args.seeds))
    cfg = TrainConfig(epochs=100)
    rows, t_start = [], time.perf_counter()
    for name in args.datasets:
        ds = load_dataset(name, args.root)
        train, evals = ds[ds.split["train"]], eval_sets(ds)
        total = train.flat()
        full = flat_bytes(total)
        hops = PROTO_HOPS.get(name, 2)
        sets = []
        for k in (1, 2, 5, 10, 20):
            sets.append(("mirage-proto", k, lambda k=k: TreePrototypes(hops=hops, per_class=k).fit(train).distilled_))
        if name in PAPER_DISTILL:
            ph = PAPER_DISTILL[name].hops
            for k in (1, 2, 5, 10, 20):
                sets.append(("mirage-itemsets", k, lambda k=k: Mirage(hops=ph, budget=k, itemsets="all", overlap=None,
                                                                      readout="sum").fit(train).distilled_))
            sets.append(("mirage-paper", None, lambda: Mirage.from_preset(name).fit(train).distilled_))
        sets.append(("mirage-auto", None, lambda: AutoPrototypes().fit(
            train, validation=ds[ds.split["valid"]]).distilled_))
        for k in (1, 2, 5, 10, 20, 50):
            sets.append(("herding", k, lambda k=k: HerdingSelection(k=k, hops=2).fit(train).distilled_))
            sets.append(("random", k, None))
        for method, k, make in sets:
            if make is not None:
                try:
                    d = make()
                except BudgetError as e:
                    print(f"{name} {method} k={k}: not made ({e})", flush=True)
                    continue
            for model in args.models:
                tests, nbytes = [], []
                for s in seeds:
                    dd = RandomSelection(k=k, seed=s).fit(train).distilled_ if make is None else d
                    r = train_and_evaluate(ds, dd, model=model, seeds=[s], config=cfg, evals=evals)
                    tests.append(r["test_mean"])
                    nbytes.append(dd.nbytes())
                row = {"dataset": name, "method": method, "k": k, "model": model, "test_mean": float(np.mean(tests)),
                       "test_std": float(np.std(tests)), "bytes": float(np.mean(nbytes)), "full_bytes": full,
                       "fraction": float(np.mean(nbytes)) / full, "seeds": seeds,
                       "settings": d.meta.get("auto", {}).get("settings") if make is not None else None}
                rows.append(row)
                print(f"{name:<13} {model:<4} {method:<16} k={str(k):<5} {100 * row['test_mean']:6.2f} ± "
                      f"{100 * row['test_std']:5.2f}  {100 * row['fraction']:.3f} % of the bytes", flush=True)
        for model in args.models:
            runs = [train_and_evaluate(ds, None, model=model, seeds=[s], evals=evals,
                                       config=full_config("plain", "sum", 2))["runs"][0]["test"]
                    for s in seeds[: 1 if name in ("DD", "ogbg-molhiv") else len(seeds)]]
            rows.append({"dataset": name, "method": "full", "k": None, "model": model, "test_mean": float(np.mean(runs)),
                         "test_std": float(np.std(runs)), "bytes": full, "full_bytes": full, "fraction": 1.0,
                         "seeds": seeds[: len(runs)]})
    header = {"command": "python benchmarks/bytes_sweep.py " + " ".join(argv if argv is not None else sys.argv[1:]),
              "seconds": time.perf_counter() - t_start, "machine": f"{os.cpu_count()} cores, 1 torch thread",
              "epochs": cfg.epochs}
    Path(args.out).write_text(json.dumps({"header": header, "rows": rows}, indent=1))
    plot(rows, Path(args.out).with_suffix(".png"))
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.png')}")
    return 0


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(len(models), len(datasets), figsize=(4.6 * len(datasets), 3.6 * len(models)),
                             squeeze=False)
    style = {"mirage-proto": ("C0", "o-"), "mirage-itemsets": ("C1", "s-"), "herding": ("C2", "^--"),
             "random": ("C7", "v:"), "mirage-auto": ("C3", "*"), "mirage-paper": ("C4", "D")}
    for i, model in enumerate(models):
        for j, name in enumerate(datasets):
            ax = axes[i][j]
            for method, (colour, fmt) in style.items():
                pts = sorted((100 * r["fraction"], 100 * r["test_mean"], 100 * r["test_std"]) for r in rows
                             if r["dataset"] == name and r["model"] == model and r["method"] == method)
                if pts:
                    x, y, e = map(np.array, zip(*pts))
                    label = "mirage-paper (step 0)" if method == "mirage-paper" else method
                    ax.errorbar(x, y, yerr=e, fmt=fmt, color=colour, label=label, capsize=2,
                                markersize=12 if method == "mirage-auto" else 5)
            full = [r for r in rows if r["dataset"] == name and r["model"] == model and r["method"] == "full"]
            if full:
                ax.axhline(100 * full[0]["test_mean"], color="k", lw=1, label="full data")
            ax.set_xscale("log")
            ax.set_title(f"{name}, {model.upper()}")
            ax.set_xlabel("distilled bytes, % of the training split")
            ax.set_ylabel("test ROC-AUC ×100")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    sys.exit(main())
