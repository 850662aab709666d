"""Training on a distilled set vs the full split, per epoch, with evaluation that does not dominate.

`python benchmarks/eval_speed.py [--dataset ogbg-molhiv]` trains each GNN for one seed of 100 epochs on the paper
preset's distilled set, evaluating on all real validation graphs every epoch (and on the test graphs whenever
validation improves), and for 2 epochs on the full training split; one torch thread. Reports training and evaluation
seconds apart and the per-epoch training speed-up. Writes benchmarks/results/eval_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import warnings
from pathlib import Path

import torch

from graph_mirage import Mirage, load_dataset
from graph_mirage.training import TrainConfig, eval_sets, train_and_evaluate


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ogbg-molhiv")
    p.add_argument("--models", nargs="+", default=["gcn", "gat", "gin"])
    args = p.parse_args()
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    ds = load_dataset(args.dataset)
    t0 = time.perf_counter()
    evals = eval_sets(ds)
    collate_s = time.perf_counter() - t0
    d = Mirage.from_preset(args.dataset).fit(ds[ds.split["train"]]).distilled_
    rows = []
    for model in args.models:
        t0 = time.perf_counter()
        r = train_and_evaluate(ds, d, model=model, seeds=[0], config=TrainConfig(epochs=100, eval_every=1),
                               evals=evals)
        total = time.perf_counter() - t0
        f = train_and_evaluate(ds, None, model=model, seeds=[0], config=TrainConfig(epochs=2, batch_size=64),
                               hops=d.meta["hops"], evals=evals)
        row = {"model": model, "distilled_graphs": len(d), "distilled_seconds_100_epochs": total,
               "distilled_train_seconds": r["train_seconds"], "distilled_eval_seconds": r["eval_seconds"],
               "distilled_train_seconds_per_epoch": r["train_seconds"] / 100,
               "full_train_seconds_per_epoch": f["train_seconds"] / 2,
               "speedup_per_epoch": (f["train_seconds"] / 2) / (r["train_seconds"] / 100),
               "eval_graphs_per_epoch": len(evals[0]), "test_rocauc": r["test_mean"]}
        rows.append(row)
        print({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items()}, flush=True)
    out = Path("benchmarks/results/eval_speed.json")
    out.write_text(json.dumps({"dataset": args.dataset, "cores": os.cpu_count(), "torch_threads": 1,
                               "collate_seconds": collate_s, "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
