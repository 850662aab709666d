"""Does `mirage search --jobs N` use the cores? The same search with 1 and with N single-thread workers.

    python benchmarks/search_parallel.py [--dataset ogbg-molbace] [--jobs 2]

Distils the dataset's default set once (2 hops), then runs the default 64-configuration search on it (one seed, 100
epochs) with ``jobs=1`` and with ``jobs=N``, each in this process, and reports wall seconds (worker start-up, about
5 s of imports each, included), the speed-up, and whether the scores are identical (they must be: each configuration
is seeded the same way wherever it runs). Run it on an otherwise idle machine. Writes
``benchmarks/results/search_parallel.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SPACE = {"model": ["gcn", "gat", "gin", "sage"], "layers": [1, 2], "hidden": [32, 64], "dropout": [0.0, 0.5],
         "lr": [0.001, 0.01]}  # the default space at 2 hops


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ogbg-molbace")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    args = p.parse_args()

    from graph_mirage import load_dataset
    from graph_mirage.search import ModelSearch
    from graph_mirage.workflows import DataSettings, DistillSettings, distill

    ds = load_dataset(args.dataset, args.root)
    train_set = distill(DistillSettings(DataSettings(args.dataset, args.root), hops=2), dataset=ds).distilled
    out = {}
    for jobs in (1, args.jobs):
        t0 = time.perf_counter()
        s = ModelSearch(space=SPACE, jobs=jobs).fit(ds, train_set)
        out[jobs] = {"seconds": time.perf_counter() - t0, "scores": [(r["val_mean"], r["test_mean"])
                                                                     for r in s.results_]}
        print(f"jobs={jobs}: {out[jobs]['seconds']:.1f} s for {len(s.results_)} configurations", flush=True)
    speedup = out[1]["seconds"] / out[args.jobs]["seconds"]
    same = out[1]["scores"] == out[args.jobs]["scores"]
    print(f"speed-up with {args.jobs} workers: {speedup:.2f}x on {os.cpu_count()} cores; identical scores: {same}")
    blob = {"command": "python benchmarks/search_parallel.py " + " ".join(sys.argv[1:]), "dataset": args.dataset,
            "cores": os.cpu_count(), "space": SPACE, "set_graphs": len(train_set),
            "seconds": {str(k): v["seconds"] for k, v in out.items()}, "speedup": speedup, "identical_scores": same,
            "loadavg_before": os.getloadavg()}
    (RESULTS / "search_parallel.json").write_text(json.dumps(blob, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
