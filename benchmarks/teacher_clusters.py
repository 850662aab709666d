"""What a set holds for a linear reader, and what a GNN learns from it: prototypes clustered by a linear teacher (#22)

    python benchmarks/teacher_clusters.py [--datasets NCI1 PROTEINS] [--seeds 10] [--jobs 2]

At one hop (the default's depth on NCI1 and PROTEINS) a one-layer GNN with a sum readout reads a graph as the
multiset of its one-hop trees, so a logistic regression on those tree counts (a **linear reader**) reads what such a
GNN can read. The default clusters each class's graphs by k-means on their normalised tree counts; its prototypes
are the clusters' mean counts, cut to the most frequent trees that carry 90 % of the nodes (at most 32 roots). The
clusters are made to be alike, not to keep what separates the classes. A cheap **teacher** — a logistic regression
on the training graphs' tree counts at the set's depth, its C chosen on the validation split — orders each class's
graphs by its logit; the sets here, all at the default's depth and prototypes per class, in one tree bank whose leaves
carry their degrees (the default's form):

- ``k-means``: the default's clusters;
- ``teacher bins``: each class's graphs cut into as many runs of equal size along the teacher's logit, so that the
  prototypes span each class from its most typical graphs to those nearest the other class;
- ``k-means + teacher``: k-means on the normalised counts with the teacher's standardised logit, weighted 0.2, as
  one more column;

each with the default's roots (``top``) and with the clusters' **full means** (every tree of a cluster a root:
``mass`` 1, at most 256 roots), which cost more bytes (not held to the cap). Per set: the linear reader fitted on the
set's own graphs (a prototype counts its roots' trees by their weights; C chosen on validation) and scored on the test
graphs — deterministic — and GCN, GAT and GIN trained on it with the tables' plain recipe beside the set's
permuted-label control, paired with the default over the same seeds. The teacher on the whole training split is the
linear reader's ceiling. An exploration with controls but on two datasets: a hypothesis, not a finding. Writes
``benchmarks/results/teacher_clusters.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
KINDS = ("k-means", "teacher bins", "k-means + teacher")
ROOTS = {"top": {}, "full means": {"mass": 1.0, "max_roots": 256}}
CS = (0.01, 0.1, 1.0, 10.0)
MIX = 0.2  # the weight of the teacher's standardised logit beside the normalised counts
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- teacher-clusters:start -->", "<!-- teacher-clusters:end -->"
TEACHER_NOTE = "the same reader on the whole training split"


def _auc(y, scores) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(np.asarray(y).reshape(-1), scores))


def chosen_fit(X, y, Xv, yv, weight=None):
    """The logistic regression of ``CS`` best on validation: ``(model, C, validation ROC-AUC)``."""
    from sklearn.linear_model import LogisticRegression

    best = None
    for c in CS:
        m = LogisticRegression(C=c, max_iter=5000).fit(X, y, sample_weight=weight)
        v = _auc(yv, m.decision_function(Xv))
        if best is None or v > best[2]:
            best = (m, c, v)
    return best


def teacher(ds, hops: int):
    """The flat training graphs, their tree counts at ``hops`` and the teacher's logit on each, with its record."""
    from graph_mirage.data import as_flat
    from graph_mirage.prototypes import tree_counts
    from graph_mirage.trees import row_ids, wl_colours, wl_counts

    flat, valid, test = (as_flat(ds[ds.split[k]]) for k in ("train", "valid", "test"))
    trees = tree_counts(flat, hops)
    joint = flat.union(valid).union(test)  # the held-out graphs' trees in the training graphs' ids (unseen: new ids)
    colours = wl_colours(row_ids(joint.x), joint.edge_index, row_ids(joint.edge_attr), hops)
    counts = wl_counts(colours[hops:], joint.graph_of_node, joint.num_graphs)  # the depth-``hops`` trees only
    n, nv = flat.num_graphs, valid.num_graphs
    y = np.asarray(flat.y).reshape(-1)
    model, c, val = chosen_fit(counts[:n], y, counts[n:n + nv], np.asarray(valid.y).reshape(-1))
    record = {"C": c, "val": val, "test": _auc(test.y, model.decision_function(counts[n + nv:]))}
    return flat, trees, model.decision_function(counts[:n]), record


def cluster_labels(kind: str, trees, y: np.ndarray, logit: np.ndarray, per_class: int) -> dict | None:
    """class -> cluster labels of its graphs (None: the default's k-means, which the estimator runs itself)."""
    import scipy.sparse as sp

    from graph_mirage.clusters import kmeans_labels

    if kind == "k-means":
        return None
    z = (logit - logit.mean()) / logit.std()
    labels = {}
    for c in np.unique(y):
        idx, _, feats, _ = trees.of_class(y, c)
        k = min(per_class, len(idx))
        if kind == "teacher bins":
            lab = np.empty(len(idx), dtype=np.int64)
            lab[np.argsort(logit[idx], kind="stable")] = np.arange(len(idx)) * k // len(idx)
        else:
            lab = kmeans_labels(sp.hstack([feats, sp.csr_matrix(MIX * z[idx][:, None])]).tocsr(), k, 0, None)
        labels[int(c)] = lab
    return labels


def make_set(ds, kind: str, roots: str, hops: int, per_class: int):
    """The set ``kind`` with ``roots`` at the default's setting, and the teacher's record."""
    from graph_mirage import TreePrototypes

    flat, trees, logit, record = teacher(ds, hops)
    # the default's form at its setting: one tree bank whose leaves carry their degrees (AutoPrototypes' candidates)
    est = TreePrototypes(hops=hops, per_class=per_class, degrees=True, bank=True, **ROOTS[roots])
    labels = cluster_labels(kind, trees, np.asarray(flat.y).reshape(-1), logit, per_class)
    est.fit_trees(flat, trees, dict(getattr(ds[ds.split["train"]], "meta", {}) or {}), labels=labels)
    return est.distilled_, record


def linear_reader(ds, s) -> dict:
    """The linear reader fitted on the set ``s`` (C chosen on validation), its validation and test ROC-AUC."""
    if str(ROOT / "benchmarks") not in sys.path:  # tox21_probe.py is a script beside this one, not a package
        sys.path.insert(0, str(ROOT / "benchmarks"))
    from tox21_probe import tree_count_rows

    from graph_mirage.data import as_flat

    items = [s[i] for i in range(len(s))]
    y = np.array([int(g.y.view(-1)[0]) for g in items])
    valid, test = as_flat(ds[ds.split["valid"]]), as_flat(ds[ds.split["test"]])
    both = valid.union(test)
    Xs, Xb = tree_count_rows(items, both)
    n = valid.num_graphs
    model, c, val = chosen_fit(Xs, y, Xb[:n], valid.y)
    return {"C": c, "val": val, "test": _auc(test.y, model.decision_function(Xb[n:]))}


def run_cell(job: tuple) -> dict:
    name, kind, roots, model, hops, per_class, seeds = job
    import torch

    torch.set_num_threads(1)
    from graph_mirage import load_dataset
    from graph_mirage.training import train_with_control

    ds = load_dataset(name)
    s, record = make_set(ds, kind, roots, hops, per_class)
    out = {"dataset": name, "set": kind, "roots": roots, "model": model, "graphs": len(s),
           "fraction": s.nbytes() / s.meta["full_bytes"], "teacher": record}
    if model is None:
        out["linear"] = linear_reader(ds, s)
        return out
    r = train_with_control(ds, s, model=model, seeds=range(seeds))
    out["runs"] = [{"seed": x["seed"], "test": x["test"], "val": x["val"]} for x in r["runs"]]
    out["control"] = [{"seed": x["seed"], "test": x["test"]} for x in r["control"]["runs"]]
    out["margin"] = r["margin"]
    return out


def default_setting(name: str) -> tuple[int, int]:
    from graph_mirage import AutoPrototypes, load_dataset

    ds = load_dataset(name)
    auto = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
    return auto.best_params_["hops"], auto.best_params_["per_class"]


def summarise(rows: list[dict]) -> None:
    from graph_mirage.stats import interval, paired

    for r in rows:
        if "runs" not in r:
            continue
        base = next(x for x in rows if (x["dataset"], x["model"], x["set"], x["roots"]) ==
                    (r["dataset"], r["model"], "k-means", "top"))
        r["test"] = interval([x["test"] for x in r["runs"]])
        if r is not base:
            r["vs_default"] = paired({x["seed"]: x["test"] for x in r["runs"]},
                                     {x["seed"]: x["test"] for x in base["runs"]})


def _pm(d: dict) -> str:
    return f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]"


def markdown(rows: list[dict]) -> str:
    """Per dataset and set: the linear reader, and each GNN's test score, margin over its control and difference from
    the default (paired over the seeds)."""
    models = list(dict.fromkeys(r["model"] for r in rows if r["model"] is not None))
    head = " | ".join(f"{m.upper()}: test, margin over control, vs default" for m in models)
    lines = [f"| dataset | set | roots | % of the bytes | linear reader (the teacher: {TEACHER_NOTE}) | {head} |",
             "|---|---|---|---|---|" + "---|" * len(models)]
    for lin in (r for r in rows if r["model"] is None):
        key = (lin["dataset"], lin["set"], lin["roots"])
        cells = []
        for m in models:
            r = next(x for x in rows if (x["dataset"], x["set"], x["roots"], x["model"]) == (*key, m))
            vs = "" if r.get("vs_default") is None else f", {_pm(r['vs_default'])}"
            cells.append(f"{100 * r['test']['mean']:.1f} ± {100 * r['test']['half']:.1f}, {_pm(r['margin'])}{vs}")
        lines.append(f"| {lin['dataset']} | {lin['set']} | {lin['roots']} | {100 * lin['fraction']:.2f} | "
                     f"{100 * lin['linear']['test']:.1f} ({100 * lin['teacher']['test']:.1f}) | " + " | ".join(cells)
                     + " |")
    return "\n".join(lines)


def section(blob: dict) -> str:
    return (f"Written by `{blob['header']['command']}` (`benchmarks/results/teacher_clusters.json`). Test ROC-AUC "
            f"×100; GNNs: mean ± half-width of the 95 % interval over {blob['header']['seeds']} seeds, the "
            f"margin over the set's permuted-label control and the difference from the default's set (k-means, top "
            f"roots), paired over the seeds [95 % interval].\n\n" + markdown(blob["rows"]))


def write_page(blob: dict) -> None:
    from graph_mirage.bench.tables import write_section

    write_section(PAGE, START, END, section(blob) + "\n")


def main(argv=None) -> int:
    from graph_mirage.bench.scripts import publish, script_header

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["NCI1", "PROTEINS"])
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--models", nargs="+", default=["gcn", "gat", "gin"])
    p.add_argument("--out", default=str(RESULTS / "teacher_clusters.json"))
    p.add_argument("--page", action="store_true", help=f"only rewrite the section of {PAGE.name} from --out")
    args = p.parse_args(argv)
    if args.page:
        write_page(json.loads(Path(args.out).read_text()))
        return 0
    t0 = time.perf_counter()
    setting = {d: default_setting(d) for d in args.datasets}
    jobs = [(d, k, r, m, *setting[d], args.seeds) for d in args.datasets for m in [None, *args.models]
            for k in KINDS for r in ROOTS]
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run_cell, jobs))
    summarise(rows)
    header = script_header("benchmarks/teacher_clusters.py", argv, jobs=args.jobs, t0=t0, seeds=args.seeds,
                           reading="exploration with permuted controls on two datasets; paired differences against "
                                   "the default's k-means prototypes with their top roots")
    header["settings"] = {d: {"hops": h, "per_class": k} for d, (h, k) in setting.items()}
    blob = {"header": header, "rows": rows}
    publish(blob, args.out, markdown(rows), (PAGE, START, END, section(blob)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
