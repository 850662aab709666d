"""Distillation at scale on one machine: seconds and peak memory per stage for 10 k, 100 k and 1 M graphs.

    python benchmarks/scale.py [--sizes 10000 100000 1000000] [--hops 3] [--budget 10]

For each size, ``synthetic-molecules:N`` (:mod:`graph_mirage.data.synthetic_molecules`) is generated once into a
temporary directory; then a fresh process loads the arrays (int32 nodes and edges) and runs ``Mirage.fit`` on all
of them (the paper's algorithm: ``hops`` and ``budget`` distilled graphs per class, default 3 and 10). Reported per
size: seconds of each stage as ``Mirage.seconds_`` records them, wall seconds of ``fit``, the process's resident
memory after loading and its peak (``VmHWM``, reset when the process starts), which includes the loaded graphs. The
bounded miner's worker process (:mod:`graph_mirage._miner`) is not included (it holds only the pruned, merged
transactions; its memory is capped by ``mining_memory``). Writes
``benchmarks/results/scale.json`` and prints a table; the growth per 10x is printed so the curve can be read.

    python benchmarks/scale.py --engine spark --sizes 100000 1000000 [--masters local[2] spark://HOST:PORT]

writes each size once in the Parquet layout, distils it in memory (``Mirage.fit`` on the layout's training graphs,
read back as int64 arrays) and runs the Spark engine (:mod:`graph_mirage.spark_engine`) against each master
(``local[N]``, or a standalone cluster from ``scripts/spark_cluster.sh start``), in a fresh process each: wall
seconds of ``distill_spark`` (session start included), the Spark job's and the driver's stages, the driver's peak
RSS, its JVM's, how many (merged) transactions reached the driver, the ratio to the in-memory engine's wall seconds
on the same input, and the SHA-256 of each written ``.npz`` (``identical_to_memory``). ``--repeats 3 1`` runs each
engine three times at the first size and once at the second, and reports the median run (every run's seconds in
``repeat_seconds``): at 100,000 graphs a Spark run is ~25 s of mostly fixed costs and varies by ~10 %. Executors of a standalone
cluster take ``SPARK_EXECUTOR_MEMORY`` from the environment. Writes ``benchmarks/results/scale_spark.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _peak_mb() -> float:
    """VmHWM: the resident high-water mark since the last reset (``ru_maxrss`` would survive fork and exec and
    report the parent's peak)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM:")) / 1024


def _reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def generate(n: int, path: Path, engine: str) -> float:
    """Generate ``synthetic-molecules:n``; ``.npz`` arrays for the in-memory engine, the Parquet layout (every graph
    in the training split) for Spark. Returns the generation seconds."""
    import numpy as np

    from graph_mirage.data.synthetic_molecules import make_synthetic_molecules

    t0 = time.perf_counter()
    f = make_synthetic_molecules(n, seed=0)
    secs = time.perf_counter() - t0
    if engine == "spark":
        import torch

        from graph_mirage.data import dataset_from_flat, export_parquet

        ds = dataset_from_flat(f, {"name": f"synthetic-molecules:{n}", "num_classes": int(f.y.max()) + 1,
                                   "node_vocab": (f.x.max(0) + 1).tolist(),
                                   "edge_vocab": (f.edge_attr.max(0) + 1).tolist()})
        ds.split = {"train": torch.arange(n)}
        export_parquet(ds, path, graphs_per_file=50_000)
    else:
        np.savez(path, x=f.x, edge_index=f.edge_index, edge_attr=f.edge_attr, y=f.y, node_ptr=f.node_ptr,
                 edge_ptr=f.edge_ptr)
    return secs


def _tree_peak_mb(pid: int) -> float:
    """Summed VmHWM of the processes started below ``pid`` (Spark's JVM and its launcher)."""
    children: dict[int, list[int]] = {}
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                ppid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(d.name))
    total, todo = 0.0, list(children.get(pid, []))
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/status") as f:
                total += next((int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:")), 0) / 1024
        except OSError:
            pass
    return total


def _sha256(path: str) -> str:
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def child_spark(path: str, hops: int, budget: int, master: str, partitions: int, driver_memory: str,
                out: str) -> dict:
    """Runs in a fresh process: the Spark engine against ``master``; the file it writes goes to ``out``."""
    from graph_mirage import Mirage
    from graph_mirage.data.parquet import read_layout_meta
    from graph_mirage.spark_engine import distill_spark

    _reset_peak()
    meta = read_layout_meta(path)
    t1 = time.perf_counter()
    m = distill_spark(path, Mirage(hops=hops, budget=budget), master=master, partitions=partitions,
                      driver_memory=driver_memory)
    fit_s = time.perf_counter() - t1
    m.distilled_.save(out)
    return {"graphs": int(meta["graphs"]), "fit_seconds": fit_s, "stages": dict(m.seconds_),
            "peak_rss_mb": _peak_mb(), "jvm_peak_rss_mb": _tree_peak_mb(os.getpid()),
            "trees": int(m.n_trees_), "thresholds": {str(k): v for k, v in m.thresholds_.items()},
            "distilled_bytes": m.distilled_.nbytes(), "engine": "spark", "master": master,
            "partitions": partitions, "driver_memory": driver_memory, "sha256": _sha256(out),
            "driver_rows": m.spark_["transactions"], "trees_described": m.spark_["trees_described"]}


def child_memory_parquet(path: str, hops: int, budget: int, out: str) -> dict:
    """Runs in a fresh process: the in-memory engine on the training graphs of a Parquet directory (what
    ``mirage distill DIR`` distils, the same dataset meta in the file), the reference of the Spark rows."""
    from graph_mirage import Mirage
    from graph_mirage.data.parquet import read_parquet

    _reset_peak()
    t0 = time.perf_counter()
    ds = read_parquet(path)
    train = ds[ds.split["train"]]
    load_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    m = Mirage(hops=hops, budget=budget).fit(train)
    fit_s = time.perf_counter() - t1
    m.distilled_.save(out)
    return {"graphs": len(train), "load_seconds": load_s, "fit_seconds": fit_s, "stages": dict(m.seconds_),
            "peak_rss_mb": _peak_mb(), "trees": int(m.n_trees_),
            "thresholds": {str(k): v for k, v in m.thresholds_.items()}, "distilled_bytes": m.distilled_.nbytes(),
            "engine": "memory", "master": None, "sha256": _sha256(out)}


def child(path: str, hops: int, budget: int, engine: str) -> dict:
    """Runs in a fresh process: load, distil, report."""
    import numpy as np

    from graph_mirage import Mirage
    from graph_mirage.data import FlatGraphs

    _reset_peak()
    t0 = time.perf_counter()
    with np.load(path) as z:
        flat = FlatGraphs(z["x"], z["edge_index"], z["edge_attr"], z["y"], z["node_ptr"], z["edge_ptr"])
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    t1 = time.perf_counter()
    m = Mirage(hops=hops, budget=budget).fit(flat)
    fit_s = time.perf_counter() - t1
    peak = _peak_mb()
    return {"graphs": int(flat.num_graphs), "nodes": int(len(flat.x)), "edges": int(flat.edge_index.shape[1]),
            "load_seconds": load_s, "fit_seconds": fit_s, "stages": dict(m.seconds_),
            "rss_after_load_mb": rss_loaded, "peak_rss_mb": peak,
            "trees": int(m.n_trees_), "thresholds": {str(k): v for k, v in m.thresholds_.items()},
            "distilled_bytes": m.distilled_.nbytes(), "engine": engine}


def _median_run(run: list[str], args, n: int, repeats: int) -> dict:
    """``repeats`` fresh processes of ``run``; the one of median fit seconds (the lower median), with every run's
    seconds as ``repeat_seconds``."""
    got = []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, __file__, *run, "--budget", str(args.budget), "--engine", args.engine,
                              "--partitions", str(args.partitions), "--driver-memory", args.driver_memory],
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"size {n}: the distilling process failed:\n{out.stderr[-2000:]}")
        got.append(json.loads(out.stdout.strip().splitlines()[-1]))
    got.sort(key=lambda r: r["fit_seconds"])
    return got[(len(got) - 1) // 2] | ({"repeat_seconds": [r["fit_seconds"] for r in got]} if repeats > 1 else {})


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--hops", type=int, default=3)
    p.add_argument("--budget", type=int, default=10)
    p.add_argument("--engine", choices=("memory", "spark"), default="memory",
                   help="spark: in memory, then the Spark engine once per --masters value, on the Parquet layout")
    p.add_argument("--masters", nargs="+", default=["local[2]"],
                   help="spark: masters to run against (local[N], spark://HOST:PORT)")
    p.add_argument("--partitions", type=int, default=8, help="spark: shuffle partitions")
    p.add_argument("--driver-memory", default="8g", help="spark: spark.driver.memory (local mode: the executors)")
    p.add_argument("--repeats", type=int, nargs="+", default=[1],
                   help="spark: fresh-process runs per engine and master, per size (one value: every size); the "
                        "median run is reported, every run's seconds with it")
    p.add_argument("--out", default=None, help="default benchmarks/results/scale.json (scale_spark.json for spark)")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    p.add_argument("--child-spark", nargs=4, help=argparse.SUPPRESS)
    p.add_argument("--child-memory-parquet", nargs=3, help=argparse.SUPPRESS)
    p.add_argument("--generate", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args()
    out_path = args.out or str(RESULTS / ("scale_spark.json" if args.engine == "spark" else "scale.json"))
    if args.generate:
        print(generate(int(args.generate[0]), Path(args.generate[1]), args.engine))
        return
    if args.child:
        print(json.dumps(child(args.child[0], int(args.child[1]), args.budget, args.engine)))
        return
    if args.child_spark:
        path, hops, master, out = args.child_spark
        print(json.dumps(child_spark(path, int(hops), args.budget, master, args.partitions, args.driver_memory, out)))
        return
    if args.child_memory_parquet:
        path, hops, out = args.child_memory_parquet
        print(json.dumps(child_memory_parquet(path, int(hops), args.budget, out)))
        return
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / (f"mol-{n}" if args.engine == "spark" else f"mol-{n}.npz")
            gen = subprocess.run([sys.executable, __file__, "--generate", str(n), str(path), "--engine", args.engine],
                                 capture_output=True, text=True, check=True)  # its own process: the parent stays small
            gen_s = float(gen.stdout.strip().splitlines()[-1])
            runs = [["--child", str(path), str(args.hops)]] if args.engine == "memory" else \
                [["--child-memory-parquet", str(path), str(args.hops), f"{path}-memory.npz"]] + \
                [["--child-spark", str(path), str(args.hops), m, f"{path}-{i}.npz"] for i, m in enumerate(args.masters)]
            reference = None
            repeats = args.repeats[min(args.sizes.index(n), len(args.repeats) - 1)] if args.engine == "spark" else 1
            for run in runs:
                row = _median_run(run, args, n, repeats) | {"generate_seconds": gen_s}
                rows.append(row)
                st = row["stages"]
                if args.engine == "spark" and row["master"] is None:
                    reference = row
                    print(f"{n:>9,} graphs, in memory: fit {row['fit_seconds']:6.1f} s", flush=True)
                elif args.engine == "spark":
                    row.update(times_memory=row["fit_seconds"] / reference["fit_seconds"],
                               identical_to_memory=row["sha256"] == reference["sha256"])
                    print(f"{n:>9,} graphs, {row['master']}: {row['fit_seconds']:6.1f} s = "
                          f"{row['times_memory']:.1f}x in memory, same file: {row['identical_to_memory']} (Spark job "
                          f"{st['trees']:.1f}, driver mining {st['mining']:.1f}, emission {st['emission']:.1f}), "
                          f"driver peak {row['peak_rss_mb']:,.0f} MB, JVM peak {row['jvm_peak_rss_mb']:,.0f} MB, "
                          f"transactions sent to the driver {sum(row['driver_rows'].values()):,}", flush=True)
                else:
                    print(f"{n:>9,} graphs {row['nodes']:>11,} nodes: fit {row['fit_seconds']:6.1f} s (trees "
                          f"{st.get('trees', 0):.1f}, mining {st.get('mining', 0):.1f}, emission "
                          f"{st.get('emission', 0):.1f}), RSS after load {row['rss_after_load_mb']:,.0f} MB, peak "
                          f"{row['peak_rss_mb']:,.0f} MB", flush=True)
    for master in dict.fromkeys(r.get("master") for r in rows):
        same = [r for r in rows if r.get("master") == master]
        for a, b in zip(same, same[1:]):
            print(f"{master or 'in memory'}: {a['graphs']:,} -> {b['graphs']:,}: fit "
                  f"x{b['fit_seconds'] / a['fit_seconds']:.1f}, peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.1f}")
    result = {"command": "python benchmarks/scale.py " + " ".join(sys.argv[1:]),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
              "hops": args.hops, "budget": args.budget, "engine": args.engine, "rows": rows}
    Path(out_path).write_text(json.dumps(result, indent=1) + "\n")
    print(f"wrote {out_path}")


if __name__ == "__main__":
    main()
