"""A molecule CSV's first load: featurising with OGB's ``smiles2graph`` and the scaffold split, on 1 and 2 CPUs.

    python benchmarks/molecule_load.py [--dataset ogbg-molhiv] [--root ../shared/datasets]

Each row runs in a fresh process held to 1 or 2 CPUs (``sched_setaffinity``: the featurising workers follow the
CPUs a process may use), one torch thread, imports left out of the seconds: ``load_dataset`` with an empty processed
cache (featurising with each molecule's scaffold computed in the same worker, the split, the dataset's statistics,
the cache written); and its parts alone — ``featurise`` with the scaffolds, ``featurise`` without them, and
``scaffold_split`` from the SMILES in one process (over the rows the dataset's split is made over), which is what the first load did after featurising before the
workers computed the scaffolds. Writes ``benchmarks/results/molecule_load.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

CHILD = r"""
import json, os, sys, tempfile, time, warnings
cpus, how, name, root = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cpus]))
import torch
torch.set_num_threads(1)
import rdkit, ogb.utils
from graph_mirage import load_dataset
from graph_mirage.config.datasets import DATASETS
from graph_mirage.data.csvdata import read_molecule_csv
from graph_mirage.data.featurise import featurise
from graph_mirage.data.splits import scaffold_split
spec = DATASETS[name]
table = read_molecule_csv(os.path.join(root, "molecules", spec.csv), spec.smiles_column, list(spec.tasks) if spec.tasks else [spec.label_column], dedupe=False)
if how.startswith("scaffold_split"):  # the rows the split is made over, as the first load makes it
    from rdkit import Chem, RDLogger
    RDLogger.DisableLog("rdApp.*")
    rows = table.smiles if spec.split_all_rows else [s for s in table.smiles if Chem.MolFromSmiles(s) is not None]
t = time.perf_counter()
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    if how == "load_dataset":
        n = len(load_dataset(name, root, cache_dir=tempfile.mkdtemp(), download=False))
    elif how == "featurise with scaffolds":
        n = len(featurise(table.smiles, scaffolds="parsed"))
    elif how == "featurise":
        n = len(featurise(table.smiles))
    else:
        n = sum(len(v) for v in scaffold_split(rows, lenient=spec.split_all_rows).values())
print(json.dumps({"cpus": cpus, "step": how, "seconds": time.perf_counter() - t, "molecules": n}))
"""

STEPS = ("load_dataset", "featurise with scaffolds", "featurise", "scaffold_split in one process")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="ogbg-molhiv")
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA", "../shared/datasets"))
    p.add_argument("--out", default="benchmarks/results/molecule_load.json")
    args = p.parse_args(argv)
    rows = []
    for cpus in (2, 1):
        for step in STEPS:
            if cpus == 1 and step == "scaffold_split in one process":
                continue  # one process either way
            out = subprocess.run([sys.executable, "-c", CHILD, str(cpus), step, args.dataset, args.root],
                                 capture_output=True, text=True)
            if out.returncode:
                sys.exit(f"{step} on {cpus} CPU(s) failed: {out.stderr.strip().splitlines()[-1]}")
            rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
            print(f"{rows[-1]['cpus']} CPU(s)  {step:<30} {rows[-1]['seconds']:7.1f} s")
    blob = {"command": "python benchmarks/molecule_load.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores, one torch thread",
            "dataset": args.dataset, "rows": rows}
    Path(args.out).write_text(json.dumps(blob, indent=1) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
