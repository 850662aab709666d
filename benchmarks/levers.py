"""Levers of the gap issue (#22) — soft labels and several depths at once — measured against the default on the
same seeds:

    python benchmarks/levers.py [--seeds 5] [--jobs 2] [--extra | --tox21]

- **NCI1, class-agnostic clusters** (soft labels): every training graph is clustered by its tree counts regardless
  of class (k-means on L2-normalised counts, as the default clusters within a class), each cluster becomes one
  prototype (the default's :class:`~graph_mirage.prototypes.TreePrototypes` with the clusters as its classes),
  emitted once per class among its members with that class's count as its support; trained with the support-weighted
  loss (``TrainConfig(support="loss")``), that is cross-entropy against the cluster's class distribution. Per-class
  clusters, the default's, are pure, so their soft labels would be the hard ones.
- **ogbg-moltox21, the other tasks' labels** (soft labels): the default's set (one setting for every task, each
  prototype made for one task and label) with each prototype also labelled, for every other task, with the mean
  label of its cluster's members (where at least 3 of them are labelled) instead of a missing label.
- **NCI1, a teacher's direction** (a cheap teacher on tree counts): a logistic regression on the training graphs'
  raw tree counts at the default's depth (its C chosen on validation from 0.001–1) gives each tree a weight ``w``;
  each of the default's prototypes gets ``alpha * mass / |w|_1 * max(w, 0)`` more of each tree if it is of class 1,
  ``... * max(-w, 0)`` if of class 0 (``mass``: a training graph's mean tree count), so that the class difference of
  the set points along the teacher's weights. Not held to the byte cap (the shifted prototypes hold every tree the
  teacher weights): whether the direction reaches a GNN at all.
- **ogbg-moltox21, more prototypes per task** (``--tox21``): the default's form (one depth for every task, one hop
  as the default chose; a set per task and label) with 5 or 20 prototypes per task and label instead of the default's
  one, as separate DAGs or in one tree bank per task — not held to the byte cap: whether the budget is what the
  multi-task set lacks.
- **ogbg-moltox21, task vectors** (``--tox21``, soft labels): every training molecule clustered by its one-hop tree
  counts regardless of its labels, one prototype per cluster labelled, for every task, with the mean label of its
  members labelled there (missing where none is): each prototype informs all 12 tasks, where the default's informs
  one.
- **NCI1 and ogbg-molbace, depths 1 and 2 at once**: the default's prototypes at one hop and at two hops in one set,
  each depth with the most prototypes per class (1, 2, 5, 10 or 20) that fit half of the default's byte cap (1 % of
  the training bytes); GNNs of two layers.

Each set is trained beside the default (GCN and GIN, the tables' plain recipe) over the same seeds; the JSON has
every run and the paired differences (test and validation) against the default. An exploration of levers: no
permuted controls, so a difference here is a hypothesis for the tables, not a finding. Writes
``benchmarks/results/levers.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SETS = {"NCI1": [("default", {}), ("class-agnostic", {"clusters": 20, "hops": 1}),
                 ("class-agnostic", {"clusters": 10, "hops": 2}), ("depths 1 and 2", {})],
        "ogbg-molbace": [("default", {}), ("depths 1 and 2", {})],
        "ogbg-moltox21": [("default", {}), ("other-task labels", {"min_labelled": 3})]}
EXTRA = {"NCI1": [("teacher shift", {"alpha": 0.5}), ("teacher shift", {"alpha": 2.0})]}  # --extra
TOX21 = {"ogbg-moltox21": [("per-task budget", {"per_class": 5, "bank": False}),  # --tox21
                           ("per-task budget", {"per_class": 20, "bank": False}),
                           ("per-task budget", {"per_class": 20, "bank": True}),
                           ("task vectors", {"clusters": 24}), ("task vectors", {"clusters": 48})]}


def _teacher(train, valid, hops: int):
    """The training graphs' tree counts at ``hops`` (the ids of ``wl_colours`` of the training graphs alone), the
    teacher's weights per tree (its C chosen on ``valid``), and those colours."""
    import numpy as np
    import scipy.sparse as sp
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from graph_mirage.data import as_flat
    from graph_mirage.prototypes import tree_counts
    from graph_mirage.wlprobe import WLProbe

    flat, vflat = as_flat(train), as_flat(valid)
    probe = WLProbe(flat, vflat, hops, 2)
    colours = probe.fit_colours()
    X = tree_counts(flat, hops, colours).counts.tocsr().astype(float)
    joint = probe.colours[hops]  # a validation tree the training graphs lack has no weight
    present = np.zeros(int(joint.max()) + 1, dtype=bool)
    present[joint[: probe.n_fit]] = True
    nodes = np.arange(probe.n_fit, len(joint))
    known = present[joint[nodes]]
    Xv = sp.csr_matrix((np.ones(int(known.sum())), (vflat.graph_of_node[known],
                                                     (np.cumsum(present) - 1)[joint[nodes][known]])),
                       shape=(vflat.num_graphs, X.shape[1]))
    fits = [LogisticRegression(C=C, max_iter=3000).fit(X, flat.y) for C in (0.001, 0.01, 0.1, 1.0)]
    best = max(fits, key=lambda m: roc_auc_score(vflat.y, m.decision_function(Xv)))
    return flat, X, best.coef_[0], colours, best.C


def teacher_shift(ds, alpha: float):
    """The default's prototypes, each moved along the teacher's weights for its class (see the module docstring)."""
    import numpy as np
    import torch

    from graph_mirage import AutoPrototypes
    from graph_mirage.distilled import DistilledDataset
    from graph_mirage.prototypes import ComputationDAG

    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    auto = AutoPrototypes().fit(train, validation=valid)
    hops = auto.best_params_["hops"]
    flat, X, w, colours, C = _teacher(train, valid, hops)
    dag = ComputationDAG(flat, colours)
    step = alpha * X.sum() / X.shape[0] / np.abs(w).sum()
    graphs = []
    for (c, kept, weight), g0 in zip(auto.best_estimator_.prototypes_, auto.distilled_):
        v = np.zeros(X.shape[1])
        v[kept] = weight
        v += step * np.maximum(w if c == 1 else -w, 0)
        roots = np.flatnonzero(v > 1e-9)
        roots = roots[np.argsort(-v[roots], kind="stable")]
        g = dag.build(roots, hops)
        g.root_weight = torch.zeros(g.num_nodes)
        g.root_weight[: len(roots)] = torch.from_numpy(v[roots].astype(np.float32))
        g.y, g.weight = g0.y, g0.weight
        graphs.append(g)
    return DistilledDataset(graphs, dict(auto.distilled_.meta, method="teacher shift",
                                         params={"alpha": alpha, "C": C, "hops": hops}))


def default_set(ds):
    from graph_mirage.workflows import DataSettings, DistillSettings, distill

    return distill(DistillSettings(DataSettings(ds.name)), dataset=ds).distilled


def _cluster_prototypes(ds, clusters: int, hops: int):
    """The training split's graphs clustered by their tree counts regardless of class (k-means on L2-normalised
    counts, as the default clusters within a class) and one prototype per cluster: ``(flat, TreePrototypes)``."""
    import copy

    import numpy as np
    from sklearn.cluster import KMeans

    from graph_mirage.prototypes import TreePrototypes, normalised_counts, tree_counts

    flat = ds[ds.split["train"]].flat()
    feats = normalised_counts(tree_counts(flat, hops).counts)
    pseudo = copy.copy(flat)
    pseudo.y = KMeans(n_clusters=clusters, n_init=1, random_state=0).fit(feats).labels_.astype(np.int64)
    return flat, TreePrototypes(hops=hops, per_class=1).fit(pseudo)  # one prototype per cluster: its mean counts


def class_agnostic(ds, clusters: int, hops: int):
    """Prototypes of class-agnostic clusters, one copy per class among the members, supported by its count."""
    import copy

    import numpy as np
    import torch

    from graph_mirage.distilled import DistilledDataset

    flat, tp = _cluster_prototypes(ds, clusters, hops)
    graphs = []
    for g, members in zip(tp.distilled_, tp.members_):
        for c, n in enumerate(np.bincount(flat.y[members], minlength=ds.num_classes)):
            if n:
                copy_ = copy.copy(g)
                copy_.y, copy_.weight = torch.tensor([c]), torch.tensor([float(n)])
                graphs.append(copy_)
    meta = dict(default_set(ds).meta, hops=hops, method="class-agnostic soft labels",
                params={"clusters": clusters, "hops": hops})
    return DistilledDataset(graphs, meta)


def other_task_labels(ds, min_labelled: int):
    """The default's multi-task set, each prototype also labelled with its members' mean label on the other tasks."""
    import numpy as np

    from graph_mirage import AutoPrototypes
    from graph_mirage.distilled import DistilledDataset
    from graph_mirage.multitask import PerTask

    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    est = PerTask(AutoPrototypes()).fit(train, validation=valid)
    y = train.flat().y
    graphs, i = [], 0
    for t, task_est in enumerate(est.estimators_):
        labelled = np.flatnonzero(~np.isnan(y[:, t]))  # the task view's graphs, as indices of the training split
        for members in task_est.members_:
            g = est.distilled_[i]
            i += 1
            vec = g.y.clone()
            for u in range(y.shape[1]):
                lab = y[labelled[members], u]
                lab = lab[~np.isnan(lab)]
                if u != t and len(lab) >= min_labelled:
                    vec[0, u] = float(lab.mean())
            assert float(vec[0, t]) == float(np.nanmean(y[labelled[members], t]))  # its own task's label, hard
            g.y = vec
            graphs.append(g)
    meta = dict(est.distilled_.meta, method="other-task soft labels", params={"min_labelled": min_labelled})
    return DistilledDataset(graphs, meta)


def per_task_budget(ds, per_class: int, bank: bool, hops: int = 1):
    """The default's multi-task form with ``per_class`` prototypes per task and label (no byte cap)."""
    from graph_mirage.multitask import PerTask
    from graph_mirage.prototypes import TreePrototypes

    d = PerTask(TreePrototypes(hops=hops, per_class=per_class, bank=bank)).fit(ds[ds.split["train"]]).distilled_
    d.meta.update(method="per-task budget", params={"per_class": per_class, "bank": bank, "hops": hops})
    return d


def task_vectors(ds, clusters: int, hops: int = 1):
    """One prototype per class-agnostic cluster of the training molecules, labelled per task with its members' mean
    label (NaN where none of them is labelled), supported by its size."""
    import copy

    import numpy as np
    import torch

    from graph_mirage.distilled import DistilledDataset

    flat, tp = _cluster_prototypes(ds, clusters, hops)
    y = flat.y
    graphs = []
    for g, members in zip(tp.distilled_, tp.members_):
        g = copy.copy(g)
        lab = y[members]
        seen = (~np.isnan(lab)).sum(0)
        mean = np.nansum(lab, 0) / np.maximum(seen, 1)
        g.y = torch.tensor(np.where(seen > 0, mean, np.nan), dtype=torch.float32).view(1, -1)
        g.weight = torch.tensor([float(len(members))])
        graphs.append(g)
    meta = dict(default_set(ds).meta, hops=hops, method="task vectors", params={"clusters": clusters, "hops": hops})
    return DistilledDataset(graphs, meta)


def several_depths(ds, depths=(1, 2), per_class=(20, 10, 5, 2, 1)):
    """The prototypes of each depth, at the most per class that fit an equal share of the default's byte cap."""
    from graph_mirage.config.defaults import AUTO_MAX_FRACTION
    from graph_mirage.distilled import DistilledDataset
    from graph_mirage.prototypes import TreePrototypes

    train = ds[ds.split["train"]]
    base = default_set(ds)
    share = AUTO_MAX_FRACTION * base.meta["full_bytes"] / len(depths)
    graphs, chosen = [], {}
    for h in depths:
        for k in per_class:
            d = TreePrototypes(hops=h, per_class=k).fit(train).distilled_
            if d.nbytes() <= share or k == per_class[-1]:
                graphs += list(d)
                chosen[str(h)] = k
                break
    return DistilledDataset(graphs, dict(base.meta, hops=max(depths), method="several depths",
                                         params={"per_class_at_depth": chosen}))


def run_cell(job: tuple) -> dict:
    dataset, model, name, params, seeds = job
    import torch

    torch.set_num_threads(1)
    from graph_mirage import load_dataset
    from graph_mirage.training import TrainConfig, train_and_evaluate

    ds = load_dataset(dataset)
    if name == "default":
        s, config = default_set(ds), TrainConfig()
    elif name == "class-agnostic":
        s, config = class_agnostic(ds, **params), TrainConfig(support="loss")
    elif name == "depths 1 and 2":
        s, config = several_depths(ds), TrainConfig()
    elif name == "teacher shift":
        s, config = teacher_shift(ds, **params), TrainConfig()
    elif name == "per-task budget":
        s, config = per_task_budget(ds, **params), TrainConfig()
    elif name == "task vectors":
        s, config = task_vectors(ds, **params), TrainConfig()
    else:
        s, config = other_task_labels(ds, **params), TrainConfig()
    r = train_and_evaluate(ds, s, model=model, seeds=range(seeds), config=config)
    if name in ("depths 1 and 2", "teacher shift"):
        params = s.meta["params"]
    return {"dataset": dataset, "model": model, "set": name, "params": params, "graphs": len(s),
            "fraction": s.nbytes() / s.meta["full_bytes"], "support": config.support,
            "labelled_entries": int((~torch.isnan(s.y.float())).sum()),
            "runs": [{"seed": x["seed"], "test": x["test"], "val": x["val"]} for x in r["runs"]]}


def main(argv=None) -> int:
    from graph_mirage.bench.scripts import script_header
    from graph_mirage.stats import interval, paired

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--models", nargs="+", default=["gcn", "gin"])
    p.add_argument("--out", default=str(RESULTS / "levers.json"))
    group = p.add_mutually_exclusive_group()
    group.add_argument("--extra", action="store_true",
                       help="the later levers (EXTRA: the teacher's direction on NCI1) beside the default, instead of "
                            "SETS")
    group.add_argument("--tox21", action="store_true",
                       help="ogbg-moltox21's levers (TOX21: more prototypes per task, task vectors) beside the default")
    args = p.parse_args(argv)
    more = EXTRA if args.extra else TOX21 if args.tox21 else None
    chosen = SETS if more is None else {d: [("default", {}), *sets] for d, sets in more.items()}
    jobs = [(d, m, name, params, args.seeds) for d, sets in chosen.items() for m in args.models
            for name, params in sets]
    t0 = time.perf_counter()
    with ProcessPoolExecutor(args.jobs) as pool:
        rows = list(pool.map(run_cell, jobs))
    for r in rows:
        base = next(x for x in rows if (x["dataset"], x["model"], x["set"]) == (r["dataset"], r["model"], "default"))
        for key in ("test", "val"):
            r[key] = interval([x[key] for x in r["runs"]])
            if r is not base:
                r[f"{key}_vs_default"] = paired({x["seed"]: x[key] for x in r["runs"]},
                                                {x["seed"]: x[key] for x in base["runs"]})
    header = script_header("benchmarks/levers.py", argv, jobs=args.jobs, t0=t0, seeds=args.seeds,
                           reading="exploration of levers: no permuted controls; paired differences against the "
                                   "default")
    Path(args.out).write_text(json.dumps({"header": header, "rows": rows}, indent=1, default=float))
    print("| dataset | GNN | set | graphs | % bytes | test ×100 | validation ×100 | test vs default | val vs default |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        what = r["set"] + "".join(f", {k} {v}" for k, v in r["params"].items())

        def diff(key):
            d = r.get(f"{key}_vs_default")
            return "" if d is None else f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]"

        print(f"| {r['dataset']} | {r['model'].upper()} | {what} | {r['graphs']} | {100 * r['fraction']:.2f} | "
              f"{100 * r['test']['mean']:.1f} ± {100 * r['test']['half']:.1f} | "
              f"{100 * r['val']['mean']:.1f} ± {100 * r['val']['half']:.1f} | {diff('test')} | {diff('val')} |")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
