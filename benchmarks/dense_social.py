"""Dense social graphs: the default on generated COLLAB-like ego-networks, and the guard on the validation bias.

No dense social dataset ships with this repository, so this script writes one in TU's raw format: ego-networks of
an author and co-authors in overlapping cliques (papers), three classes that differ in clique size, 32–492 nodes
(log-normal, as COLLAB's), no node labels — 5,000 graphs, about 9 million edge entries (``--graphs`` fewer). It then
distils it with the default (``AutoPrototypes()``) and trains GCN, GAT and GIN on the set, ``--seeds`` each, twice:
with the validation bias guarded (the library's rule) and with every bias kept (the rule before the guard) — the
same training, only the decision after the bias differs. Per run it records the validation split's accuracy with
the prior correction and after the fitted bias (weighted to the training split's class shares, as the guard weighs
them) and whether the guard kept the bias, for each run's last epoch and, where that is another, its chosen one.
With ``--full-only`` it instead trains full data on the same split as the tables do (``mirage bench --methods
full``: each full-data recipe on the seeds, the better on validation chosen) and adds those rows to the results
file, keeping the set's; each part keeps the other's rows.

    python benchmarks/dense_social.py                                           # the set's rows: 15-20 minutes
    python benchmarks/dense_social.py --full-only --seeds 2 --full-models gcn gin   # full data's: about 40 minutes
    python benchmarks/dense_social.py --graphs 1000 --seeds 2

Writes ``benchmarks/results/dense_social.json`` (the dataset and its processed cache go to a temporary directory).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
NAME = "COLLAB-LIKE"
CLIQUES = {0: 3, 1: 6, 2: 12}  # cliques per ego-network, by class


def write_dataset(root: Path, graphs: int, seed: int = 0) -> dict:
    """The TU raw files of ``graphs`` ego-networks under ``root/TUDataset/COLLAB-LIKE/raw``; returns their sizes."""
    rng = np.random.default_rng(seed)
    raw = root / "TUDataset" / NAME / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    edges_all, indicator, labels, offset = [], [], [], 0
    for g in range(graphs):
        y = g % 3
        n = int(min(492, max(32, rng.lognormal(4.1, 0.6))))
        others = np.arange(1, n)
        groups = np.array_split(rng.permutation(others), max(1, (n - 1) // max(2, (n - 1) // CLIQUES[y])))
        edges = {(0, int(v)) for v in others}  # the ego knows everyone
        for grp in groups:  # a paper: its authors all know each other, with a few authors of other papers
            grp = np.unique(np.concatenate([grp, rng.choice(others, size=min(3, n - 1), replace=False)]))
            iu = np.triu_indices(len(grp), 1)
            edges.update(zip(grp[iu[0]].tolist(), grp[iu[1]].tolist()))
        e = np.array(sorted(edges), dtype=np.int64) + offset
        edges_all.append(np.concatenate([e, e[:, ::-1]]))
        indicator.append(np.full(n, g + 1))
        labels.append(y + 1)
        offset += n
    a = np.concatenate(edges_all) + 1
    np.savetxt(raw / f"{NAME}_A.txt", a, fmt="%d", delimiter=", ")
    np.savetxt(raw / f"{NAME}_graph_indicator.txt", np.concatenate(indicator), fmt="%d")
    np.savetxt(raw / f"{NAME}_graph_labels.txt", np.array(labels), fmt="%d")
    return {"graphs": graphs, "nodes": offset, "edge_entries": int(len(a))}


class Recorder:
    """Wraps the library's guard: records each validation decision it judges, and keeps every bias when ``off``."""

    def __init__(self, guard):
        from graph_mirage.training.metrics import prior_weights

        self.weights = prior_weights
        self.guard, self.off, self.records = guard, False, []

    def __call__(self, y, logits, shift, fallback=None, num_tasks=None, prior=None):
        keep = self.guard(y, logits, shift, fallback, num_tasks, prior)
        y = np.asarray(y).reshape(-1)
        w = self.weights(y, logits.shape[1], prior)
        acc = lambda s: float(np.sum(w * ((logits + (0 if s is None else s)).argmax(1) == y)) / w.sum())  # noqa: E731
        self.records.append({"val_acc_prior": acc(fallback), "val_acc_bias": acc(shift), "kept": bool(keep.all())})
        return np.ones_like(keep) if self.off else keep


def set_rows(ds, auto, models, seeds: int) -> list[dict]:
    """The default's set trained with each GNN, with the guard and with every bias kept (the same training)."""
    import graph_mirage.training.metrics as metrics
    from graph_mirage.training import train_and_evaluate

    rows, rec = [], Recorder(metrics.keep_decision_bias)
    metrics.keep_decision_bias = rec  # what guarded_bias asks, in every run
    try:
        for model in models:
            for off in (False, True):
                rec.off, rec.records = off, []
                r = train_and_evaluate(ds, auto.distilled_, model=model, seeds=list(range(seeds)))
                best = rec.records  # each run's last epoch, and its chosen epoch where that is another
                rows.append({
                    "model": model, "guard": not off, "test_accuracy_prior": r["test_accuracy_mean"],
                    "test_accuracy_bias": r["test_accuracy_calibrated_mean"],
                    "test_macro_rocauc": r.get("test_rocauc_macro_mean"), "test_accuracy_std": r["test_std"],
                    "val_acc_prior": [x["val_acc_prior"] for x in best],
                    "val_acc_bias": [x["val_acc_bias"] for x in best],
                    "kept": [x["kept"] for x in best]})
                print(f"{model} guard={not off}: accuracy {r['test_accuracy_mean']:.3f} with the prior, "
                      f"{r['test_accuracy_calibrated_mean']:.3f} after the bias; kept {rows[-1]['kept']}", flush=True)
    finally:
        metrics.keep_decision_bias = rec.guard
    return rows


def full_rows(tmp: Path, models, seeds: int, jobs: int, cache_dir: Path | None = None) -> list[dict]:
    """Full data on the same split, as the tables train it (``mirage bench --methods full``: each recipe on
    ``seeds`` seeds, the one best on validation chosen); runs cached in ``cache_dir`` (None: a temporary one)."""
    import os
    import subprocess

    cmd = ["mirage", "bench", "--root", str(tmp / "root"), "--datasets", NAME, "--seeds", str(seeds),
           "--full-seeds", str(seeds), "--models", *models, "--methods", "full",
           "--cache-dir", str(cache_dir or tmp / "runs"),
           "--out", str(tmp / "out"), "--name", "full", "--jobs", str(jobs), "--quiet"]
    subprocess.run(cmd, check=True, env=dict(os.environ, MIRAGE_CACHE=str(tmp / "cache")))
    keys = ("model", "test_mean", "test_std", "test_ci", "test_rocauc_macro_mean", "test_accuracy_calibrated_mean",
            "recipes", "epochs_run", "train_seconds")
    return [{k: r.get(k) for k in keys} for r in json.loads((tmp / "out" / "full.json").read_text())["rows"]]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--graphs", type=int, default=5000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--models", nargs="+", default=["gcn", "gat", "gin"])
    ap.add_argument("--full-only", action="store_true",
                    help="only add full data's rows to the results file (the set's rows are kept)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes of full data's runs")
    ap.add_argument("--full-models", nargs="+", default=["gcn", "gin"],
                    help="GNNs of full data's runs (none of GAT's finished within 10 minutes here)")
    ap.add_argument("--cache-dir", type=Path, help="keep full data's runs here (an interrupted run resumes)")
    ap.add_argument("--out", default=str(RESULTS / "dense_social.json"))
    args = ap.parse_args(argv)
    from graph_mirage import AutoPrototypes, load_dataset

    earlier = json.loads(Path(args.out).read_text()) if Path(args.out).is_file() else {}
    out = earlier if args.full_only else {k: v for k, v in earlier.items() if k in ("full", "full_command")}
    with tempfile.TemporaryDirectory(prefix="dense-social-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        sizes = write_dataset(tmp / "root", args.graphs)
        ds = load_dataset(NAME, root=tmp / "root", cache_dir=tmp / "cache")
        print(f"{NAME}: {sizes} written and loaded in {time.perf_counter() - t0:.0f} s", flush=True)
        if not args.full_only:
            t0 = time.perf_counter()
            auto = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
            out.update({"command": "python benchmarks/dense_social.py" + (f" --graphs {args.graphs}"
                                                                          if args.graphs != 5000 else ""),
                        "dataset": sizes, "seeds": args.seeds,
                        "distil_seconds": round(time.perf_counter() - t0, 1),
                        "distilled": {k: auto.distilled_.summary()[k] for k in ("graphs", "nodes")},
                        "settings": auto.best_params_, "rows": set_rows(ds, auto, args.models, args.seeds)})
        else:
            out["full"] = full_rows(tmp, args.full_models, args.seeds, args.jobs, args.cache_dir)
            out["full_command"] = (f"python benchmarks/dense_social.py --full-only --seeds {args.seeds} "
                                   "--full-models " + " ".join(args.full_models)
                                   + (f" --graphs {args.graphs}" if args.graphs != 5000 else ""))
    Path(args.out).write_text(json.dumps(out, indent=1, default=float) + "\n")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
