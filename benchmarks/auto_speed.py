"""The automatic default's cost: ``AutoPrototypes.fit`` (``PerTask`` for several tasks) after the dataset is loaded, and ``mirage distill DATASET``
end to end as a user runs it (a fresh process: imports, the cached dataset, the choice, the file).

    python benchmarks/auto_speed.py [--datasets ...] [--repeats 3] [--jobs 1 2]

Per dataset: the fit's median seconds over ``--repeats`` fits in one process (the first fit is also reported: it
pays the lazy imports of scikit-learn's k-means and logistic regression), its chosen settings, the set's size, and
the median wall seconds of ``mirage distill`` in a fresh process (after one untimed run that fills the processed-data
cache), with the seconds the process spends importing torch and PyTorch Geometric measured alone, and those of
scikit-learn's estimator base with numpy and scipy (what a distiller that is a scikit-learn estimator imports even
without PyTorch). With ``--jobs 1 2`` every measure once per number of k-means worker processes
(``AutoPrototypes(n_jobs=...)``, ``mirage distill --jobs``; one row each). Writes ``benchmarks/results/auto_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
DATASETS = ("MUTAG", "ogbg-molbace", "ogbg-molbbbp", "PROTEINS", "NCI1", "IMDB-BINARY", "DD", "ogbg-molhiv")


def fit_seconds(name: str, root: str | None, repeats: int, jobs: int) -> dict:
    from threadpoolctl import threadpool_limits

    from graph_mirage import AutoPrototypes, load_dataset
    from graph_mirage.multitask import PerTask

    ds = load_dataset(name, root)
    def make():  # several tasks: task by task, as `mirage distill` does
        auto = AutoPrototypes(n_jobs=jobs)
        return PerTask(auto) if ds.meta.get("num_tasks") else auto

    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    times, est = [], None
    with threadpool_limits(1):  # as `mirage distill --threads 1`, the default
        for _ in range(repeats):
            t0 = time.perf_counter()
            est = make().fit(train, validation=valid)
            times.append(time.perf_counter() - t0)
    s = est.distilled_.summary()
    return {"fit_first_s": times[0], "fit_median_s": statistics.median(times), "fits": times,
            "settings": est.best_params_, "graphs": s["graphs"], "bytes": s["bytes"],
            "fraction": s["bytes"] / est.distilled_.meta["full_bytes"], "train_graphs": len(train)}


def cli_seconds(name: str, repeats: int, env: dict, jobs: int) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "graph_mirage", "distill", name, "--out", f"{tmp}/s.npz", "--quiet",
               "--jobs", str(jobs)]
        subprocess.run(cmd, check=True, env=env, capture_output=True)  # fills the processed-data cache
        for _ in range(repeats):
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, env=env, capture_output=True)
            out.append(time.perf_counter() - t0)
    return out


def import_seconds(env: dict, modules: str = "torch, torch_geometric") -> float:
    code = f"import time; t=time.perf_counter(); import {modules}; print(time.perf_counter()-t)"
    return float(subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True,
                                text=True).stdout.strip())


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--jobs", type=int, nargs="+", default=[1], help="k-means worker processes (one row each)")
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--note", default="", help="the machine's load while measuring, recorded with the results")
    p.add_argument("--out", default=str(RESULTS / "auto_speed.json"))
    args = p.parse_args()
    env = dict(os.environ, MIRAGE_OFFLINE="1")
    if args.root:
        env["MIRAGE_DATA"] = args.root
    imports = statistics.median(import_seconds(env) for _ in range(3))
    estimators = statistics.median(import_seconds(env, "numpy, scipy.sparse, sklearn.base") for _ in range(3))
    rows = []
    print(f"{'dataset':<14} {'jobs':>4} {'train':>7} {'settings':<24} {'graphs':>6} {'bytes %':>8} {'fit s':>7} "
          f"{'1st fit s':>9} {'mirage distill s':>16}")
    for name in args.datasets:
        for jobs in args.jobs:
            r = {"dataset": name, "jobs": jobs, **fit_seconds(name, args.root, args.repeats, jobs)}
            r["cli_s"] = cli_seconds(name, args.repeats, env, jobs)
            r["cli_median_s"] = statistics.median(r["cli_s"])
            rows.append(r)
            st = f"hops {r['settings']['hops']}, {r['settings']['per_class']} per class"
            print(f"{name:<14} {jobs:>4} {r['train_graphs']:>7} {st:<24} {r['graphs']:>6} {100 * r['fraction']:>8.2f} "
                  f"{r['fit_median_s']:>7.2f} {r['fit_first_s']:>9.2f} {r['cli_median_s']:>16.1f}", flush=True)
    print(f"importing torch + torch_geometric alone: {imports:.1f} s (part of every `mirage distill`); numpy, scipy "
          f"and scikit-learn's estimator base alone: {estimators:.1f} s")
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/auto_speed.py " + " ".join(sys.argv[1:]),
                                          "note": args.note, "import_torch_pyg_s": imports,
                                          "import_sklearn_base_s": estimators, "rows": rows}, indent=1))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
