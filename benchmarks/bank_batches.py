"""What training a tree bank's prototypes as sub-DAGs of the bank saves, against the same prototypes as graphs —
and whether this machine still runs the full-data search as fast as when it was cached.

    python benchmarks/bank_batches.py [--dataset NCI1] [--cap 0.05] [--seeds 2]

1. **Bank batches against graphs.** The bank's rule at 2 hops under ``--cap`` of the training bytes (as
   ``search_fidelity.py --caps`` makes ``bank@F``); one configuration per GNN of the search space (2 layers, hidden
   64, dropout 0, lr 1e-3, 100 epochs), each seed trained with ``bank_batches`` on and off, alternately, in this one
   process at one torch thread: training and evaluation seconds and the scores (the same prototypes in the same
   order; a shared node's gradient summed in another order, so runs agree in distribution, not bit for bit).
2. **The machine against the cached full-data search.** The same four configurations on the full training split
   (``ModelSearch`` with two workers, as the cached search ran), their seconds against the cached
   ``search_runs/{dataset}-full-*.json`` — a factor near 1 says speed-ups against that cached search compare.

Writes ``benchmarks/results/bank_batches.json`` (with the commit of the graph-mirage it imported: the cached search
tested the best epoch at every improvement, as training did before d086fce, so the factor is measured with a
checkout from before it on ``PYTHONPATH``). Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = ("gcn", "gat", "gin", "sage")
CONFIG = {"layers": 2, "hidden": 64, "dropout": 0.0, "lr": 0.001}


def bank_vs_graphs(ds, train_set, seeds: int) -> list[dict]:
    import torch

    from graph_mirage.training import TrainConfig, eval_sets, train_and_evaluate

    torch.set_num_threads(1)
    evals = eval_sets(ds)
    rows = []
    for model in MODELS:
        for seed in range(seeds):
            row = {"model": model, "seed": seed}
            for bank in (True, False):
                cfg = TrainConfig(epochs=100, num_layers=CONFIG["layers"], hidden=CONFIG["hidden"],
                                  dropout=CONFIG["dropout"], lr=CONFIG["lr"], bank_batches=bank)
                r = train_and_evaluate(ds, train_set, model=model, seeds=[seed], config=cfg, evals=evals)["runs"][0]
                key = "bank" if bank else "graphs"
                row[key] = {k: r[k] for k in ("train_seconds", "eval_seconds", "val", "test", "best_epoch")}
            row["train_speedup"] = row["graphs"]["train_seconds"] / row["bank"]["train_seconds"]
            run = lambda k: row[k]["train_seconds"] + row[k]["eval_seconds"]  # noqa: E731
            row["run_speedup"] = run("graphs") / run("bank")
            print(f"{model} seed {seed}: train {row['graphs']['train_seconds']:.1f} -> {row['bank']['train_seconds']:.1f}"
                  f" s ({row['train_speedup']:.2f}x), run {row['run_speedup']:.2f}x; test {row['graphs']['test']:.4f}"
                  f" / {row['bank']['test']:.4f}", flush=True)
            rows.append(row)
    return rows


def machine_factor(ds, name: str, seeds: int) -> dict:
    from graph_mirage.search import ModelSearch
    from graph_mirage.search.space import config_name

    cached = sorted((RESULTS / "search_runs").glob(f"{name}-full-*.json"))
    recs = [json.loads(p.read_text()) for p in cached]
    recs = [r for r in recs if r["seeds"] == seeds]
    if not recs:
        return {}
    space = {"model": list(MODELS), **{k: [v] for k, v in CONFIG.items()}}
    s = ModelSearch(space=space, seeds=seeds, jobs=2).fit(ds)
    then = {r["name"]: r["seconds"] for r in recs[0]["results"]}
    rows = {config_name(r["params"]): {"now": r["seconds"], "cached": then.get(config_name(r["params"]))}
            for r in s.results_}
    now, was = sum(v["now"] for v in rows.values()), sum(v["cached"] for v in rows.values() if v["cached"])
    print(f"full split, {len(rows)} configurations x {seeds} seeds: {now:.0f} s now, {was:.0f} s cached "
          f"({now / was:.2f}x)", flush=True)
    return {"configurations": rows, "now_seconds": now, "cached_seconds": was, "factor": now / was}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="NCI1")
    p.add_argument("--cap", type=float, default=0.05)
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    args = p.parse_args()

    from graph_mirage import AutoPrototypes, load_dataset
    from graph_mirage.config.defaults import SWEEP_PER_CLASS
    from graph_mirage.fileio import atomic_write_text

    load = os.getloadavg()
    ds = load_dataset(args.dataset, args.root)
    t0 = time.perf_counter()
    d = AutoPrototypes((2,), SWEEP_PER_CLASS, max_fraction=args.cap, min_graphs=0, bank=True).fit(
        ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_
    print(f"{args.dataset}: {len(d)} prototypes, bank of {d.bank.dag.num_nodes} nodes, "
          f"{sum(g.num_nodes for g in d)} as graphs ({time.perf_counter() - t0:.1f} s)", flush=True)
    rows = bank_vs_graphs(ds, d, args.seeds)
    machine = machine_factor(ds, args.dataset, args.seeds)
    import subprocess

    import graph_mirage

    commit = subprocess.run(["git", "-C", str(Path(graph_mirage.__file__).parent), "rev-parse", "HEAD"],
                            capture_output=True, text=True).stdout.strip() or None
    blob = {"command": "python benchmarks/bank_batches.py " + " ".join(sys.argv[1:]), "code_commit": commit,
            "dataset": args.dataset,
            "cap": args.cap, "prototypes": len(d), "bank_nodes": d.bank.dag.num_nodes,
            "graph_nodes": sum(g.num_nodes for g in d), "config": CONFIG, "runs": rows, "machine": machine,
            "loadavg_before": load}
    atomic_write_text(RESULTS / "bank_batches.json", json.dumps(blob, indent=1))
    print(f"wrote {RESULTS / 'bank_batches.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
