"""Reading TU raw files: PyG's ``TUDataset`` reader against graph-mirage's (the same graphs), seconds and peak memory.

    python benchmarks/tu_reader.py [--dense 3000] [--many 200000] [--out benchmarks/results/tu_reader.json]

Writes two seeded TU datasets into a temporary data root: ``DENSE-EGO``, COLLAB-like (``--dense`` ego networks of
30-119 nodes, edge density by class, no node labels), and ``MANY-SMALL``, reddit_threads-like (``--many`` trees of
11-39 nodes, no node labels). For each, every reader runs in a fresh process (one torch thread), timed, with the
process's peak resident memory: ``pyg`` builds PyG's ``TUDataset`` from the raw files and converts its graphs
(``graph_mirage.data.tu.pyg_graphs``, the path of a download); ``graph-mirage`` parses and checks the files with
``read_tu_arrays`` into collated arrays (what ``load_dataset`` does for local files); ``per-graph Data`` is that
reader followed by one PyG ``Data`` per graph collated by ``InMemoryDataset`` (how ``load_dataset`` built the dataset
before it was collated from the arrays); ``load_dataset`` is a first load with an empty processed cache (the reader,
the dataset's statistics, the cache written). Each process's imports (torch, PyG) are in its peak and left out of its
seconds. The readers' graphs are compared, array by array.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

READERS = ("pyg", "graph-mirage", "per-graph Data", "load_dataset")

CHILD = r"""
import json, os, resource, sys, time, tempfile
from pathlib import Path
import numpy as np
import torch
torch.set_num_threads(1)
import pandas, torch_geometric  # imports are left out of the seconds (the readers import pandas lazily)
from graph_mirage.data import FlatGraphs, GraphDataset
from graph_mirage.data.tu import pyg_graphs, read_tu_arrays
root, name, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = root / "TUDataset" / name / "raw"
t = time.perf_counter()
flat = None
if how == "pyg":
    from torch_geometric.datasets import TUDataset
    work = Path(tempfile.mkdtemp()) / "TUDataset" / name / "raw"
    work.mkdir(parents=True)
    for f in raw.iterdir():
        os.symlink(f.resolve(), work / f.name)
    graphs = pyg_graphs(TUDataset(str(work.parents[1]), name, use_node_attr=True))
    seconds = time.perf_counter() - t
    flat = FlatGraphs.from_data_list(graphs)
elif how == "graph-mirage":
    flat, _ = read_tu_arrays(raw, name)
    seconds = time.perf_counter() - t
elif how == "per-graph Data":
    from torch_geometric.data import Data
    f, _ = read_tu_arrays(raw, name)
    local = f.edge_index - np.repeat(f.node_ptr[:-1], np.diff(f.edge_ptr))
    graphs = [Data(x=torch.from_numpy(f.x[a:b]), edge_index=torch.from_numpy(np.ascontiguousarray(local[:, c:d])),
                   edge_attr=torch.from_numpy(f.edge_attr[c:d]), y=torch.tensor([int(f.y[g])]))
              for g, (a, b, c, d) in enumerate(zip(f.node_ptr[:-1], f.node_ptr[1:], f.edge_ptr[:-1], f.edge_ptr[1:]))]
    ds = GraphDataset(graphs, {"name": name})
    seconds = time.perf_counter() - t
    flat = ds.flat()
else:
    from graph_mirage import load_dataset
    ds = load_dataset(name, root, cache_dir=tempfile.mkdtemp(), download=False)
    seconds = time.perf_counter() - t
    flat = ds.flat()
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
np.savez(sys.argv[4], **{k: getattr(flat, k) for k in ("x", "edge_index", "edge_attr", "y", "node_ptr", "edge_ptr")})
print(json.dumps({"reader": how, "seconds": seconds, "peak_mb": peak, "graphs": flat.num_graphs}))
"""

def write_tu(root: Path, name: str, graphs: list[tuple[int, np.ndarray]], labels: list[int]) -> dict:
    """Raw TU files of ``graphs`` (node count, local directed edges ``[m, 2]``) with graph labels ``labels``."""
    raw = root / "TUDataset" / name / "raw"
    raw.mkdir(parents=True)
    sizes = np.array([n for n, _ in graphs])
    first = np.concatenate([[1], 1 + np.cumsum(sizes)[:-1]])
    a = np.concatenate([e + f for (_, e), f in zip(graphs, first)])
    np.savetxt(raw / f"{name}_A.txt", a, fmt="%d", delimiter=", ")
    np.savetxt(raw / f"{name}_graph_indicator.txt", np.repeat(np.arange(1, len(graphs) + 1), sizes), fmt="%d")
    np.savetxt(raw / f"{name}_graph_labels.txt", np.array(labels), fmt="%d")
    return {"graphs": len(graphs), "nodes": int(sizes.sum()), "directed_edges": int(len(a)),
            "raw_mb": round(sum(f.stat().st_size for f in raw.iterdir()) / 2 ** 20, 1)}


def dense(root: Path, n_graphs: int, seed: int = 0) -> dict:
    """COLLAB-like: 3 classes of ego networks told apart by their edge density; no node labels."""
    rng = np.random.default_rng(seed)
    graphs, labels = [], []
    for g in range(n_graphs):
        n = int(rng.integers(30, 120))
        p = (0.2, 0.45, 0.8)[g % 3] * rng.uniform(0.7, 1.0)
        u, v = np.nonzero(np.triu(rng.random((n, n)) < p, 1))
        graphs.append((n, np.stack([np.concatenate([u, v]), np.concatenate([v, u])], 1)))
        labels.append(g % 3 + 1)
    return write_tu(root, "DENSE-EGO", graphs, labels)


def many(root: Path, n_graphs: int, seed: int = 0) -> dict:
    """reddit_threads-like: many small trees (11-39 nodes), two classes; no node labels."""
    rng = np.random.default_rng(seed)
    graphs = []
    for n in rng.integers(11, 40, n_graphs):
        child = np.arange(1, n)
        parent = (rng.random(n - 1) * child).astype(np.int64)
        graphs.append((int(n), np.stack([np.concatenate([child, parent]), np.concatenate([parent, child])], 1)))
    return write_tu(root, "MANY-SMALL", graphs, rng.integers(0, 2, n_graphs).tolist())


def measure(root: Path, name: str) -> tuple[list[dict], bool]:
    rows, saved = [], {}
    for how in READERS:
        saved[how] = root / f"{name}-{how.replace(' ', '_')}.npz"
        out = subprocess.run([sys.executable, "-c", CHILD, str(root), name, how, str(saved[how])],
                             capture_output=True, text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    arrays = [np.load(saved[h]) for h in READERS]
    same = all(set(a.files) == set(arrays[0].files) and all(np.array_equal(a[k], arrays[0][k]) for k in a.files)
               for a in arrays[1:])
    return rows, same


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dense", type=int, default=3000, help="graphs of DENSE-EGO")
    p.add_argument("--many", type=int, default=200000, help="graphs of MANY-SMALL")
    p.add_argument("--out", default="benchmarks/results/tu_reader.json")
    args = p.parse_args(argv)
    blob = {"command": "python benchmarks/tu_reader.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, one torch thread",
            "datasets": []}
    for make, n in ((dense, args.dense), (many, args.many)):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            data = make(root, n)
            name = "DENSE-EGO" if make is dense else "MANY-SMALL"
            rows, same = measure(root, name)
        print(f"{name}: {data['graphs']:,} graphs, {data['nodes']:,} nodes, {data['directed_edges']:,} directed "
              f"edges, {data['raw_mb']} MB of raw files; every reader's graphs identical: {same}")
        print(f"{'reader':<16} {'seconds':>8} {'peak MB':>8}")
        for r in rows:
            print(f"{r['reader']:<16} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f}")
        blob["datasets"].append({"name": name, **data, "identical_graphs": same, "rows": rows})
    Path(args.out).write_text(json.dumps(blob, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0 if all(d["identical_graphs"] for d in blob["datasets"]) else 1


if __name__ == "__main__":
    sys.exit(main())
