"""ogbg-moltox21: how much of what a set holds does a GNN learn from it? (#23)

    python benchmarks/tox21_probe.py [--seeds 5] [--jobs 2]

At one hop (the default's depth on ogbg-moltox21) a graph is, for a one-layer GNN with a sum readout, the multiset of
its nodes' one-hop trees. So a linear model on those tree counts reads the same information a GNN can read. For
each training set below, per task:

- **linear**: a logistic regression (C 1) fitted on the set's graphs' one-hop tree counts — a prototype's counts are
  its roots' trees weighted by their root weights, read through one WL refinement of the set and the test molecules
  together — and scored on the test molecules (ROC-AUC, averaged over the 12 tasks; deterministic);
- **GIN**: a one-layer GIN trained on the set with the tables' plain recipe, its epoch chosen on validation
  (ROC-AUC averaged over tasks, mean ± std over the seeds);
- **GIN, roots resampled** (prototype sets only): the same, with each prototype's root weights replaced at every
  training step by Poisson draws of them — a virtual member of the prototype's cluster (its tree counts as
  independent Poisson counts around the cluster's mean), so the GNN never sees the same clean mean twice;
- **GIN, support-weighted loss** (prototype sets only): ``TrainConfig(support="loss")``, each label weighted by its
  prototype's cluster size over the mean size of that task's and label's clusters — the loss of the data, to first
  order, where an unweighted set gives a cluster of 14 molecules the weight of one of 1,800.

Sets: the default's multi-task form with 1, 5 and 20 prototypes per task and label (one tree bank per task, not held
to the byte cap: ``benchmarks/levers.py``'s ``per_task_budget``), random real molecules (100 and 480, each labelled on
every task it has), and the full training split (linear only; its GIN at one layer is `depth_gap.json`'s). An
exploration without permuted controls: a hypothesis about where ogbg-moltox21's gap lies, not a finding about a set.
Writes ``benchmarks/results/tox21_probe.json`` and prints a table.
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
NAME = "ogbg-moltox21"
SETS = (("prototypes", 1), ("prototypes", 5), ("prototypes", 20), ("random", 100), ("random", 480), ("full", None))


def make_set(ds, kind: str, size: int | None):
    """The training set ``kind`` of ``size`` (None: the full training split, as a list of its graphs)."""
    if str(ROOT / "benchmarks") not in sys.path:  # levers.py is a script beside this one, not a package
        sys.path.insert(0, str(ROOT / "benchmarks"))
    from levers import per_task_budget

    from graph_mirage.baselines.selection import RandomSelection

    train = ds[ds.split["train"]]
    if kind == "prototypes":
        return per_task_budget(ds, size, bank=True)
    if kind == "random":
        return RandomSelection(k=size, seed=0).fit(train).distilled_
    return train


def tree_count_rows(items, test):
    """``[len(items), T]`` and ``[test graphs, T]`` one-hop tree counts of ``items`` (``Data``: distilled graphs
    count their roots, each with its root weight; real graphs every node once) and of the flat graphs ``test``, in
    one WL refinement of both."""
    import scipy.sparse as sp

    from graph_mirage.data import FlatGraphs
    from graph_mirage.trees import row_ids, wl_colours

    fit = FlatGraphs.from_data_list(items)
    joint = fit.union(test)
    colour = wl_colours(row_ids(joint.x), joint.edge_index, row_ids(joint.edge_attr), 1)[1]

    def weight(g):
        if getattr(g, "root_mask", None) is None:
            return np.ones(g.num_nodes)
        w = g.root_weight if getattr(g, "root_weight", None) is not None else g.root_mask.float()
        return (w * g.root_mask).numpy()

    w = np.concatenate([weight(g) for g in items] + [np.ones(len(test.x))])
    X = sp.csr_matrix((w, (joint.graph_of_node, colour)), shape=(joint.num_graphs, int(colour.max()) + 1))
    X.sum_duplicates()
    return X[: fit.num_graphs], X[fit.num_graphs:]


def linear_score(ds, graphs) -> tuple[float, list[float]]:
    """Test ROC-AUC of a logistic regression per task on one-hop tree counts of ``graphs`` (mean over tasks, and
    per task)."""
    import torch
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from graph_mirage.data import as_flat

    items = list(graphs)
    test = as_flat(ds[ds.split["test"]])
    Xf, Xt = tree_count_rows(items, test)
    yf = torch.cat([g.y.view(1, -1).float() for g in items]).numpy()
    scores = []
    for t in range(test.y.shape[1]):
        a, b = ~np.isnan(yf[:, t]), ~np.isnan(test.y[:, t])
        if len(np.unique(yf[a, t])) < 2:
            scores.append(float("nan"))
            continue
        model = LogisticRegression(C=1.0, max_iter=3000).fit(Xf[a], yf[a, t].astype(int))
        scores.append(float(roc_auc_score(test.y[b, t].astype(int), model.decision_function(Xt[b]))))
    return float(np.nanmean(scores)), scores


def _resampled_roots() -> None:
    """Make every GNN of this process draw its prototypes' root weights from Poisson(weight) at each training step."""
    import torch

    import graph_mirage.models as models

    forward = models.GNN.forward

    def resampled(self, data):
        if self.training:
            data = data.clone()
            for key in ("pool_weight", "root_weight"):  # a bank batch's weights, or a prototype graph's
                w = getattr(data, key, None)
                if w is not None:
                    setattr(data, key, torch.poisson(w.float()))
        return forward(self, data)

    models.GNN.forward = resampled


MODES = {"plain": "gin", "resampled": "gin_resampled", "weighted": "gin_weighted"}  # the JSON key of each


def run_cell(job: tuple) -> dict:
    kind, size, mode, seeds = job
    import torch

    torch.set_num_threads(1)
    from graph_mirage import load_dataset
    from graph_mirage.training import TrainConfig, train_and_evaluate

    if mode == "resampled":
        _resampled_roots()
    ds = load_dataset(NAME)
    s = make_set(ds, kind, size)
    config = TrainConfig(num_layers=1, support="loss" if mode == "weighted" else "none")
    r = train_and_evaluate(ds, s, model="gin", seeds=range(seeds), config=config)
    return {"set": kind, "size": size, "mode": mode,
            "runs": [{"seed": x["seed"], "test": x["test"], "val": x["val"], "epoch": x["best_epoch"]}
                     for x in r["runs"]]}


def main(argv=None) -> int:
    from graph_mirage.bench.scripts import script_header
    from graph_mirage.stats import paired

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS / "tox21_probe.json"))
    args = p.parse_args(argv)
    from graph_mirage import load_dataset

    t0 = time.perf_counter()
    ds = load_dataset(NAME)
    rows = []
    for kind, size in SETS:
        s = make_set(ds, kind, size)
        mean, per_task = linear_score(ds, s)
        fraction = s.nbytes() / s.meta["full_bytes"] if kind != "full" else 1.0
        rows.append({"set": kind, "size": size, "graphs": len(s), "fraction": fraction, "linear": mean,
                     "linear_per_task": per_task})
    jobs = [(kind, size, mode, args.seeds) for kind, size in SETS if kind != "full"
            for mode in (MODES if kind == "prototypes" else ("plain",))]
    with ProcessPoolExecutor(args.jobs, max_tasks_per_child=1) as pool:  # a patched GNN stays in its own process
        cells = list(pool.map(run_cell, jobs))
    for row in rows:
        for cell in cells:
            if (cell["set"], cell["size"]) == (row["set"], row["size"]):
                tests = [x["test"] for x in cell["runs"]]
                key = MODES[cell["mode"]]
                row[key] = {"mean": float(np.mean(tests)), "std": float(np.std(tests, ddof=1)),
                            "epochs": [x["epoch"] for x in cell["runs"]], "runs": cell["runs"]}
        for key in ("gin_resampled", "gin_weighted"):  # each against the plain GIN, paired over the seeds
            if key in row:
                row[key]["vs_plain"] = paired({x["seed"]: x["test"] for x in row[key]["runs"]},
                                              {x["seed"]: x["test"] for x in row["gin"]["runs"]})
    header = script_header("benchmarks/tox21_probe.py", argv, jobs=args.jobs, t0=t0, seeds=args.seeds,
                           reading="exploration without permuted controls: test ROC-AUC averaged over the 12 tasks")
    Path(args.out).write_text(json.dumps({"header": header, "rows": rows}, indent=1, default=float))
    print("| set | graphs | % of the bytes | linear on its tree counts | GIN (1 layer) | GIN, roots resampled | "
          "GIN, support-weighted |")
    print("|---|---:|---:|---:|---|---|---|")
    for r in rows:

        def gin(key):
            g = r.get(key)
            if g is None:
                return ""
            d = g.get("vs_plain")
            vs = "" if d is None else f" ({100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}])"
            return f"{100 * g['mean']:.1f} ± {100 * g['std']:.1f}{vs}"

        what = {"prototypes": f"{r['size']} per task and label", "random": f"{r['size']} random molecules",
                "full": "the training split"}[r["set"]]
        print(f"| {what} | {r['graphs']} | {100 * r['fraction']:.2f} | {100 * r['linear']:.1f} | {gin('gin')} | "
              f"{gin('gin_resampled')} | {gin('gin_weighted')} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
