"""Binned degrees as node labels for graphs without them: does the default teach more when its trees' labels are
coarser?

A TU dataset without node labels is read with each node's degree as its label (as the paper does). On dense graphs
degrees spread over many values, so one-hop trees are many and each is rare; binning the degrees makes trees
coarser and more frequent. This script writes copies of such a dataset whose node-label file holds binned degrees
(``log2``: 0, 1, 2–3, 4–7, ...; ``qK``: K bins at the quantiles of all nodes' degrees), distils and trains each as
the tables do (``mirage bench --methods mirage-auto permuted``, the same folds and seeds as ``defaults.json``), and
pairs each with the default on the dataset's own degrees (``defaults.json``'s runs).

    python benchmarks/degree_bins.py                        # IMDB-BINARY, log2 and q8: about 2 minutes
    python benchmarks/degree_bins.py --dense-social 5000    # also the COLLAB-like ego-networks: about 20 minutes

``--dense-social N`` adds ``dense_social.py``'s generated ego-networks (N graphs, 32–492 nodes, three classes): its
own degrees and the binned copies run side by side on its random split with ``--seeds`` seeds (no ``defaults.json``
row to pair with), accuracy the metric (three classes).

Writes ``benchmarks/results/degree_bins.json`` and ``.md`` (the binned copies, their caches and runs go to a
temporary directory).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
MODELS = {"gcn": "GCN", "gat": "GAT", "gin": "GIN"}


def binned(degree: np.ndarray, how: str) -> np.ndarray:
    """Each degree's bin under ``how`` (``log2``: the library's, ``load_dataset(degree_bins="log2")``; or ``qK``)."""
    if how == "log2":
        from graph_mirage.data.degrees import log2_bins

        return log2_bins(degree)
    if how.startswith("q") and how[1:].isdigit():
        k = int(how[1:])
        edges = np.unique(np.quantile(degree, np.linspace(0, 1, k + 1)[1:-1]))
        return np.searchsorted(edges, degree, side="right").astype(np.int64)
    raise SystemExit(f"error: unknown binning {how!r} (log2 or qK, e.g. q8)")


def write_copy(raw: Path, name: str, how: str, root: Path) -> tuple[str, int]:
    """``name``'s raw files under ``root/TUDataset/NAME-how`` with binned degrees as node labels; returns the copy's
    name and its number of bins."""
    from graph_mirage.data.tu import read_tu_arrays

    flat, (has_labels, _) = read_tu_arrays(raw, name)
    if has_labels:
        raise SystemExit(f"error: {name} has node labels; binned degrees are for datasets without them")
    new = f"{name}-{how.upper()}"
    dst = root / "TUDataset" / new / "raw"
    dst.mkdir(parents=True)
    for f in raw.iterdir():
        if f.name.startswith(name + "_"):
            shutil.copy(f, dst / (new + f.name[len(name):]))
    bins = binned(flat.x[:, 0], how)  # the reader's degrees: self-loops dropped, duplicate edges merged
    np.savetxt(dst / f"{new}_node_labels.txt", bins, fmt="%d")
    return new, int(len(np.unique(bins)))


def bench(names: list[str], tmp: Path, models: list[str], jobs: int, tag: str, split: list[str]) -> list[dict]:
    """``mirage bench`` of the default and its permuted control on ``names`` (under ``tmp/data``); its rows."""
    env = dict(os.environ, MIRAGE_DATA=str(tmp / "data"), MIRAGE_CACHE=str(tmp / "cache"))
    cmd = [sys.executable, "-m", "graph_mirage", "bench", "--datasets", *names, *split, "--models", *models,
           "--methods", "mirage-auto", "permuted", "--cache-dir", str(tmp / "runs"), "--out", str(tmp / "out"),
           "--name", tag, "--jobs", str(jobs), "--quiet"]
    subprocess.run(cmd, env=env, check=True)
    return json.loads((tmp / "out" / f"{tag}.json").read_text())["rows"]


def pair(rows: list[dict], base: list[dict], name: str, copy: str, how: str, bins: int) -> list[dict]:
    from graph_mirage.bench.rows import unit_values
    from graph_mirage.stats import paired, verdict

    out = []
    for r in rows:
        if r["dataset"] != copy or r["method"] != "mirage-auto":
            continue
        b = next(x for x in base if (x["dataset"], x["model"], x["method"]) == (name, r["model"], "mirage-auto"))
        ctrl = next((x for x in rows if (x["dataset"], x["model"], x["method"]) ==
                     (copy, r["model"], "mirage-auto~permuted")), None)
        d = paired(unit_values(r["runs"]), unit_values(b["runs"]))
        out.append({"dataset": name, "binning": how, "bins": bins, "model": r["model"],
                    "degrees_test_mean": b["test_mean"], "binned_test_mean": r["test_mean"],
                    "binned_test_std": r["test_std"], "binned_control_test_mean": None if ctrl is None else
                    ctrl["test_mean"], "binned_bytes_fraction": r.get("size_fraction"),
                    "degrees_bytes_fraction": b.get("size_fraction"),
                    "binned_minus_degrees": {k: d[k] for k in ("mean", "low", "high", "units")},
                    "verdict": verdict(d), "margin_over_control": (r.get("paired") or {}).get("permuted")})
    return out


def markdown(recs: list[dict], command: str) -> str:
    lines = ["# Binned degrees as node labels", "", f"`{command}` — test metric ×100 (ROC-AUC; accuracy with three "
             "classes), mean over 10 folds × 3 seeds (a generated dataset: its seeds on one split); paired differences "
             "[95 % interval].", "",
             "| dataset | GNN | binning (bins) | degrees | binned | binned − degrees | binned's margin over its control |",
             "|---|---|---|---|---|---|---|"]
    for r in recs:
        d, m = r["binned_minus_degrees"], r["margin_over_control"] or {}
        mark = {"beats": "↑", "loses": "↓"}.get(r["verdict"], "≈")
        margin = f"{100 * m['mean']:+.1f} [{100 * m['low']:+.1f}, {100 * m['high']:+.1f}]" if m else ""
        lines.append(f"| {r['dataset']} | {MODELS.get(r['model'], r['model'])} | {r['binning']} ({r['bins']}) | "
                     f"{100 * r['degrees_test_mean']:.1f} | {100 * r['binned_test_mean']:.1f} | "
                     f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] {mark} | {margin} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from graph_mirage.fileio import atomic_write_text

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["IMDB-BINARY"])
    p.add_argument("--bins", nargs="+", default=["log2", "q8"])
    p.add_argument("--models", nargs="+", default=["gcn", "gin"])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--dense-social", type=int, default=None, metavar="GRAPHS",
                   help="also dense_social.py's generated COLLAB-like ego-networks, this many")
    p.add_argument("--seeds", type=int, default=3, help="seeds on the generated dataset's split (default 3)")
    p.add_argument("--out", default=str(RESULTS / "degree_bins"))
    args = p.parse_args(argv)
    if not args.root:
        raise SystemExit("error: give --root or set MIRAGE_DATA (the raw TU files are read from there)")
    base = json.loads((RESULTS / "defaults.json").read_text())["rows"]
    recs = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        copies = []
        for name in args.datasets:
            raw = Path(args.root) / "TUDataset" / name / "raw"
            for how in args.bins:
                copies.append((name, how, *write_copy(raw, name, how, tmp / "data")))
        rows = bench([c[2] for c in copies], tmp, args.models, args.jobs, "bins",
                     ["--folds", "10", "--fold-seeds", "3", "--seeds", "3"])
        for name, how, copy, bins in copies:
            recs += pair(rows, base, name, copy, how, bins)
        if args.dense_social:
            sys.path.insert(0, str(Path(__file__).resolve().parent))
            from dense_social import NAME, write_dataset

            write_dataset(tmp / "data", args.dense_social)
            raw = tmp / "data" / "TUDataset" / NAME / "raw"
            generated = [(NAME, how, *write_copy(raw, NAME, how, tmp / "data")) for how in args.bins]
            rows = bench([NAME, *[c[2] for c in generated]], tmp, args.models, args.jobs, "dense",
                         ["--seeds", str(args.seeds)])
            for name, how, copy, bins in generated:
                recs += pair(rows, rows, name, copy, how, bins)
    command = "python benchmarks/degree_bins.py " + " ".join(argv if argv is not None else sys.argv[1:])
    md = markdown(recs, command.strip())
    atomic_write_text(Path(args.out).with_suffix(".json"), json.dumps({"command": command.strip(), "rows": recs},
                                                                      indent=1))
    atomic_write_text(Path(args.out).with_suffix(".md"), md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
