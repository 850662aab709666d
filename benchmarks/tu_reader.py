"""Reading TU raw files: PyG's ``TUDataset`` reader against graph-mirage's (the same graphs), seconds and peak memory.

    python benchmarks/tu_reader.py [--graphs 3000] [--out benchmarks/results/tu_reader.json]

Writes a dense, COLLAB-like TU dataset (seeded; ego networks of 30-119 nodes, edge density by class, no node labels)
into a temporary data root, then runs each reader in a fresh process (one torch thread), timed, with the process's
peak resident memory: ``pyg`` builds PyG's ``TUDataset`` from the raw files and converts its graphs
(``graph_mirage.data.tu.pyg_graphs``, the path of a download); ``graph-mirage`` parses and checks the files with
``read_tu_arrays`` (what ``load_dataset`` does for local files); ``load_dataset`` is a first load with an empty
processed cache (the reader, the dataset's statistics, the cache written). Each process's imports (torch, PyG) are in
its peak and left out of its seconds. The two readers' graphs are compared, tensor by tensor.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

NAME = "DENSE-EGO"

CHILD = r"""
import json, os, resource, sys, time, tempfile
from pathlib import Path
import torch
torch.set_num_threads(1)
import torch_geometric
from graph_mirage.data.tu import pyg_graphs, read_tu_arrays
root, name, how = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = root / "TUDataset" / name / "raw"
t = time.perf_counter()
if how == "pyg":
    from torch_geometric.datasets import TUDataset
    work = Path(tempfile.mkdtemp()) / "TUDataset" / name / "raw"
    work.mkdir(parents=True)
    for f in raw.iterdir():
        os.symlink(f.resolve(), work / f.name)
    graphs = pyg_graphs(TUDataset(str(work.parents[1]), name, use_node_attr=True))
elif how == "graph-mirage":
    graphs, _ = read_tu_arrays(raw, name)
else:
    from graph_mirage import load_dataset
    graphs = load_dataset(name, root, cache_dir=tempfile.mkdtemp(), download=False)
seconds = time.perf_counter() - t
if how != "load_dataset":
    torch.save([(g.x, g.edge_index, g.edge_attr, g.y) for g in graphs], sys.argv[4])
print(json.dumps({"reader": how, "seconds": seconds, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "graphs": len(graphs)}))
"""


def write_dense(root: Path, graphs: int, seed: int = 0) -> dict:
    """A COLLAB-like TU dataset: 3 classes of ego networks told apart by their edge density; no node labels."""
    rng = np.random.default_rng(seed)
    raw = root / "TUDataset" / NAME / "raw"
    raw.mkdir(parents=True)
    edges, indicator, labels, first = [], [], [], 1
    for g in range(graphs):
        y = g % 3
        n = int(rng.integers(30, 120))
        p = (0.2, 0.45, 0.8)[y] * rng.uniform(0.7, 1.0)
        u, v = np.nonzero(np.triu(rng.random((n, n)) < p, 1))
        edges.append(np.stack([np.concatenate([u, v]), np.concatenate([v, u])], 1) + first)
        indicator.append(np.full(n, g + 1))
        labels.append(y + 1)
        first += n
    a = np.concatenate(edges)
    np.savetxt(raw / f"{NAME}_A.txt", a, fmt="%d", delimiter=", ")
    np.savetxt(raw / f"{NAME}_graph_indicator.txt", np.concatenate(indicator), fmt="%d")
    np.savetxt(raw / f"{NAME}_graph_labels.txt", np.array(labels), fmt="%d")
    return {"graphs": graphs, "nodes": int(first - 1), "directed_edges": int(len(a)),
            "raw_mb": round(sum(f.stat().st_size for f in raw.iterdir()) / 2 ** 20, 1)}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--graphs", type=int, default=3000)
    p.add_argument("--out", default="benchmarks/results/tu_reader.json")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = write_dense(root, args.graphs)
        rows, saved = [], {}
        for how in ("pyg", "graph-mirage", "load_dataset"):
            saved[how] = root / f"{how}.pt"
            out = subprocess.run([sys.executable, "-c", CHILD, str(root), NAME, how, str(saved[how])],
                                 capture_output=True, text=True, check=True)
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        import torch

        a, b = (torch.load(saved[h]) for h in ("pyg", "graph-mirage"))
        same = len(a) == len(b) and all(torch.equal(x, y) for ga, gb in zip(a, b) for x, y in zip(ga, gb))
    print(f"{NAME}: {data['graphs']:,} graphs, {data['nodes']:,} nodes, {data['directed_edges']:,} directed edges, "
          f"{data['raw_mb']} MB of raw files; the two readers' graphs identical: {same}")
    print(f"{'reader':<14} {'seconds':>8} {'peak MB':>8}")
    for r in rows:
        print(f"{r['reader']:<14} {r['seconds']:>8.1f} {r['peak_mb']:>8.0f}")
    blob = {"command": "python benchmarks/tu_reader.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.machine()}, {len(__import__('os').sched_getaffinity(0))} cores, one torch thread",
            "dataset": data, "identical_graphs": same, "rows": rows}
    Path(args.out).write_text(json.dumps(blob, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
