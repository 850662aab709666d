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

Writes ``benchmarks/results/potency{K}.json`` / ``.md`` (the bench's tables) and, from them, the section of
docs/results/README.md between its ``potency-classes`` markers (``--page``: only that, from the committed JSON); the
CSVs go to ``--csv-dir`` (default the processed-data cache's ``derived/``), never into the repository.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
PAGE = RESULTS.parents[1] / "docs" / "results" / "README.md"
START, END = "<!-- potency-classes:start -->", "<!-- potency-classes:end -->"
# the default's cap per decision boundary against the earlier 1 % of all the bytes, paired (benchmarks/recipes.py)
BOUNDARY_START, BOUNDARY_END = "<!-- per-boundary:start -->", "<!-- per-boundary:end -->"
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


def _cell(r: dict | None) -> str:
    if r is None:
        return ""
    size = f" ({100 * r['size_fraction']:.2g} %)" if 0 < (r.get("size_fraction") or 1) < 1 else ""
    return f"{100 * r['test_mean']:.1f} / {100 * r['test_rocauc_macro_mean']:.1f}{size}"


def _diff(d: dict | None) -> str:
    from graph_mirage.stats import paired_text

    return "" if d is None else paired_text(d)


def section(classes: list[int], results: Path = RESULTS) -> str:
    """The page's table, read off the committed ``potency{K}.json`` files."""
    import json

    lines = ["| classes | GNN | full | size-only | WL kernel | default | its permuted control | herding-bytes | "
             "random-bytes | default − control | default − herding | default − random |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    seeds = set()
    for k in classes:
        blob = json.loads((results / f"potency{k}.json").read_text())
        seeds.add(len(blob["header"]["seeds"]))
        for model in ("gcn", "gat", "gin"):
            by = {r["method"]: r for r in blob["rows"] if r["model"] == model}
            auto = by.get("mirage-auto")
            if auto is None:
                continue
            vs = [_diff(auto["paired"].get(m)) for m in ("permuted", "herding-bytes", "random-bytes")]
            cells = [_cell(by.get(m)) for m in ("full", "size-only", "wl-kernel", "mirage-auto",
                                                 "mirage-auto~permuted", "herding-bytes", "random-bytes")]
            lines.append(f"| {k} | {model.upper()} | " + " | ".join(cells + vs) + " |")
    return (f"Written by `python benchmarks/potency_classes.py --page` from the committed `potency{{K}}.json` (the "
            f"bench runs of `python benchmarks/potency_classes.py`). Test accuracy / macro one-vs-rest ROC-AUC "
            f"×100, means over {'/'.join(map(str, sorted(seeds)))} seeds (accuracy chooses the epoch; chance: 100/K "
            f"accuracy, 50 ROC-AUC); differences in accuracy, paired over the seeds [95 % interval] (↑ above zero, ↓ "
            f"below, ≈ contains it).\n\n" + "\n".join(lines))


def boundary_section(results: Path = RESULTS) -> str:
    """The page's pairing of today's default (a cap per decision boundary) with the earlier one (1 % of all the
    bytes), read off ``recipes_per_boundary.json`` and the two tables' sizes."""
    import json

    order = {m: i for i, m in enumerate(("gcn", "gat", "gin", "mirage-auto", "herding-bytes", "random-bytes"))}
    recs = sorted(json.loads((results / "recipes_per_boundary.json").read_text())["rows"],
                  key=lambda r: (r["dataset"], order[r["model"]], order[r["method"]]))
    lines = ["| classes | GNN | method | earlier (accuracy / macro ROC-AUC) | now | accuracy, now − earlier "
             "| macro ROC-AUC, now − earlier |", "|---|---|---|---|---|---|---|"]
    sizes = {}  # (classes, "plain" or "chosen", model, method) -> share of the bytes, from each table once
    for k in (3, 5):
        for tag, name in (("plain", f"potency{k}_cap_1pct.json"), ("chosen", f"potency{k}.json")):
            for x in json.loads((results / name).read_text())["rows"]:
                sizes[(k, tag, x["model"], x["method"])] = x.get("size_fraction")
    for r in recs:
        k = int(r["dataset"].removeprefix("bace-potency").removesuffix(".csv"))
        cells = [f"{100 * r[f'{t}_test_mean']:.1f} / {100 * r[f'{t}_rocauc_macro']:.1f} "
                 f"({100 * sizes[(k, t, r['model'], r['method'])]:.2g} %)" for t in ("plain", "chosen")]
        diff = dict(r["chosen_minus_plain"], verdict=r["verdict"])
        lines.append(f"| {k} | {r['model'].upper()} | {r['method']} | {cells[0]} | {cells[1]} | {_diff(diff)} | "
                     f"{_diff(r['rocauc_macro_chosen_minus_plain'])} |")
    return ("Written by `python benchmarks/potency_classes.py --page` from `recipes_per_boundary.json`; test ×100, "
            "means over the seeds (% of the training bytes); herding's and random molecules are sized to each "
            "default's bytes.\n\n" + "\n".join(lines))


def write_pages() -> None:
    """Both of the page's generated sections, from the committed JSON."""
    from graph_mirage.bench.tables import write_section

    write_section(PAGE, START, END, section([3, 5]) + "\n")
    write_section(PAGE, BOUNDARY_START, BOUNDARY_END, boundary_section() + "\n")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--classes", nargs="+", type=int, default=[3, 5])
    ap.add_argument("--seeds", type=int, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--root", default=os.environ.get("MIRAGE_DATA", "../shared/datasets"))
    ap.add_argument("--csv-dir", default=None)
    ap.add_argument("--cache-dir", default="benchmarks/results/runs")
    ap.add_argument("--out", default="benchmarks/results")
    ap.add_argument("--page", action="store_true", help="only rewrite the page's section from the committed JSON")
    args = ap.parse_args(argv)
    if args.page:
        write_pages()
        return 0
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
    if Path(args.out).resolve() == RESULTS:
        write_pages()
    return 0


if __name__ == "__main__":
    sys.exit(main())
