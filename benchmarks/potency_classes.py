"""Several classes from real molecules: BACE's measured potency cut into equal-frequency classes, through the bench.

No real dataset with 3–6 classes is on this machine, so this script derives them from one: MoleculeNet's BACE file
(``ROOT/molecules/bace.csv.gz``, 1,513 β-secretase inhibitors with their measured pIC50) becomes a CSV of SMILES and a
potency class — the pIC50 cut at its quantiles into K classes of equal size (K = 3 and 5 by default) — with a split
column drawn at random and stratified by class (80 / 10 / 10, seed 0). A scaffold split, the CSV default, leaves
the validation split with 2 molecules of the least potent third (OGB's scaffold order puts the rare scaffolds there),
so the classes would not be what the split tests. Each CSV then goes through ``mirage bench`` as a user's file
(``--split-col split``): full data, the default, graph size, the WL kernel, herding and random at equal bytes and
the permuted controls, GCN / GAT / GIN, 10 seeds. Accuracy chooses the epoch; macro one-vs-rest ROC-AUC is
reported beside it.

    python benchmarks/potency_classes.py                  # both, about 20 minutes on 2 cores
    python benchmarks/potency_classes.py --classes 3 --seeds 3

Writes ``benchmarks/results/potency{K}.json`` / ``.md`` (the bench's tables); the CSVs go to ``--csv-dir`` (default
the processed-data cache's ``derived/``), never into the repository.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
METHODS = ("full", "mirage-auto", "size-only", "wl-kernel", "herding-bytes", "random-bytes", "permuted")


def potency_csv(source: Path, classes: int, out: Path, seed: int = 0) -> dict:
    """Write the K-class potency CSV of BACE's file ``source`` to ``out``; returns each part's class counts."""
    import pandas as pd
    from sklearn.model_selection import train_test_split

    df = pd.read_csv(source)
    cuts = np.quantile(df["pIC50"].to_numpy(), np.arange(1, classes) / classes)
    y = np.digitize(df["pIC50"].to_numpy(), cuts)
    idx = np.arange(len(df))
    train, rest = train_test_split(idx, test_size=0.2, stratify=y, random_state=seed)
    valid, test = train_test_split(rest, test_size=0.5, stratify=y[rest], random_state=seed)
    split = np.empty(len(df), dtype=object)
    split[train], split[valid], split[test] = "train", "valid", "test"
    out.parent.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"smiles": df["mol"], "potency": y, "split": split}).to_csv(out, index=False)
    return {part: np.bincount(y[split == part], minlength=classes).tolist() for part in ("train", "valid", "test")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", nargs="+", type=int, default=[3, 5])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--root", default=os.environ.get("MIRAGE_DATA", "../shared/datasets"))
    ap.add_argument("--csv-dir", default=None)
    ap.add_argument("--cache-dir", default=str(RESULTS / "runs"))
    ap.add_argument("--out", default=str(RESULTS))
    args = ap.parse_args(argv)
    from graph_mirage.data.registry import default_cache

    csv_dir = Path(args.csv_dir) if args.csv_dir else default_cache() / "derived"
    for k in args.classes:
        if not 3 <= k <= 6:
            ap.error(f"--classes: 3 to 6, got {k}")
        path = csv_dir / f"bace-potency{k}.csv"
        counts = potency_csv(Path(args.root) / "molecules" / "bace.csv.gz", k, path)
        print(f"{path}: {k} classes, per part {counts}", flush=True)
        cmd = ["mirage", "bench", "--cache-dir", args.cache_dir, "--out", args.out, "--jobs", str(args.jobs),
               "--root", args.root, "--datasets", str(path), "--split-col", "split", "--seeds", str(args.seeds),
               "--full-seeds", str(args.seeds), "--methods", *METHODS, "--name", f"potency{k}", "--quiet"]
        subprocess.run(cmd, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
