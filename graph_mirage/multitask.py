"""Distilling a multi-task dataset (several binary tasks, labels partly missing, as Tox21): task by task.

:class:`PerTask` fits a single-task distiller once per task, on the training graphs labelled for that task with
that task's label as the class — for the paper's itemset form, a tree set is then frequent among the graphs with that
task's label, and discriminative against the other label of the same task. The sets are merged into one: each
distilled graph carries a label vector with its own task's label and NaN (a missing label, masked out of the loss as
OGB's reference code does) for every task it does not inform. One set for every GNN, still training-free.

With the default (:class:`~graph_mirage.AutoPrototypes`) every task shares one setting (depth and prototypes per
class), so that one GNN depth fits the whole set: each candidate's validation scores are averaged over the tasks (its
standard error is that of the mean), and the usual rule picks among those averages. The byte cap is the set's, split
evenly among the tasks (the default: ``bank=None`` means no bank across tasks); with a tree bank
(``AutoPrototypes(bank=True)``) every task's prototypes share one bank
(:func:`~graph_mirage.bank.merge_banks`: each tree once) and the cap counts that merged set (a task with one label
among its validation graphs is not scored, and its prototypes come on top).

Example:
    >>> ds = load_dataset("ogbg-moltox21")                                                   # doctest: +SKIP
    >>> d = PerTask().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_  # doctest: +SKIP
    >>> d.y.shape                                                                           # doctest: +SKIP
    torch.Size([240, 12])
"""

from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass
from typing import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator, clone

from .bank import TreeBank, bank_graphs, merge_banks
from .config.defaults import AUTO_BANK_TASKS
from .data import FlatGraphs, Graphs, as_flat
from .distilled import DistilledDataset, full_bytes, source_meta
from .errors import BudgetError, DatasetError


@dataclass
class TaskView:
    """The graphs of ``flat`` labelled for one task, with that task's label as their class (what a single-task
    distiller reads: a ``flat()`` method and a ``meta``)."""

    graphs: FlatGraphs
    meta: dict

    def flat(self) -> FlatGraphs:
        return self.graphs

    def __len__(self) -> int:
        return self.graphs.num_graphs


def task_view(flat: FlatGraphs, meta: dict, t: int) -> TaskView:
    from .auto import _subset

    labels = flat.y[:, t]
    idx = np.flatnonzero(~np.isnan(labels))
    sub = _subset(flat, idx)
    sub.y = labels[idx].astype(np.int64)
    task = (meta.get("tasks") or [str(i) for i in range(flat.y.shape[1])])[t]
    view_meta = {k: v for k, v in meta.items() if k not in ("num_tasks", "tasks", "class_counts")}
    view_meta.update(num_classes=2, name=f"{meta.get('name', 'custom')}[{task}]")
    return TaskView(sub, view_meta)


def multitask_meta(meta: dict, flat: FlatGraphs) -> dict:
    """:func:`~graph_mirage.distilled.source_meta` of a multi-task training split: ``num_tasks``, ``tasks`` and, per
    task, ``class_counts`` ``[negatives, positives]`` (what a trainer needs to decide for the data's balance)."""
    y = flat.y
    single = FlatGraphs(flat.x, flat.edge_index, flat.edge_attr, np.zeros(flat.num_graphs, dtype=np.int64),
                        flat.node_ptr, flat.edge_ptr)
    out = source_meta(dict(meta, num_classes=2), single)
    out["full_bytes"] = full_bytes(flat.x, flat.edge_index, flat.edge_attr, np.zeros(flat.num_graphs))
    out["num_tasks"] = int(y.shape[1])
    out["tasks"] = list(meta.get("tasks") or [str(t) for t in range(y.shape[1])])
    out["class_counts"] = [[int((y[:, t] == 0).sum()), int((y[:, t] == 1).sum())] for t in range(y.shape[1])]
    return out


class PerTask(BaseEstimator):
    """A single-task distiller applied task by task to a multi-task dataset (see the module docstring).

    Args:
        base: the distiller fitted per task (cloned; None: :class:`~graph_mirage.AutoPrototypes`, the default).

    Attributes (after :meth:`fit`): ``distilled_`` (labels ``[G, T]``, NaN where a graph does not inform a task),
    ``estimators_`` (the fitted distiller of each task), ``best_params_`` (the shared setting, with the default),
    ``cv_results_`` (the candidates' scores averaged over the tasks, with the default), ``seconds_``.
    """

    def __init__(self, base=None) -> None:
        self.base = base

    def fit(self, graphs: Graphs, y: object = None, *, validation: Graphs | None = None,
            progress: bool | None = None, log: Callable[[str], None] | None = None) -> "PerTask":
        from .auto import AutoPrototypes

        t0 = time.perf_counter()
        meta = dict(getattr(graphs, "meta", {}) or {})
        flat = as_flat(graphs)
        if flat.y.ndim != 2:
            raise DatasetError("PerTask distils a multi-task dataset (labels [graphs, tasks]); this one has one task")
        base = self.base if self.base is not None else AutoPrototypes()
        n_tasks = flat.y.shape[1]
        views = [task_view(flat, meta, t) for t in range(n_tasks)]
        if isinstance(base, AutoPrototypes):
            self.estimators_ = self._shared_auto(base, flat, meta, views, validation, log)
        else:
            self.estimators_ = [clone(base).fit(v, progress=progress) for v in views]
        self.distilled_ = self._merge(flat, meta, self.estimators_)
        self.seconds_ = time.perf_counter() - t0
        return self

    def _shared_auto(self, base, flat: FlatGraphs, meta: dict, views, validation, log) -> list:
        """Per task, every candidate scored; one setting for all tasks, by the rule on the averaged scores."""
        from .auto import choose, recorded, recorded_score
        from .wlprobe import warn_if_chance

        total = full_bytes(flat.x, flat.edge_index, flat.edge_attr, np.zeros(flat.num_graphs))
        cap = base.max_bytes if base.max_bytes is not None else (
            None if base.max_fraction is None else base.share(2) * total)  # each task: two classes
        # bank None (the default): each task's prototypes their own DAGs (AUTO_BANK_TASKS)
        shared = bool(base.bank) if base.bank is not None else AUTO_BANK_TASKS
        # one bank holds every task's trees once, so the cap is the merged set's (below); without one, a task's share
        per_task = None if cap is None else (int(cap) if shared else max(1, int(cap // len(views))))
        vflat = None if validation is None else as_flat(validation)
        fitted = []
        for t, view in enumerate(views):
            est = clone(base).set_params(max_bytes=per_task, bank=shared)
            valid = None if vflat is None else task_view(vflat, meta, t)
            if valid is not None and len(np.unique(valid.graphs.y)) < 2:
                fitted.append(None)  # no score on this task (one class in its validation graphs): as OGB's evaluator
                continue
            with warnings.catch_warnings():  # a task near chance is not the set's verdict: judged on the mean below
                warnings.filterwarnings("ignore", message="no candidate scores above chance")
                fitted.append(est.fit(view, validation=valid))
        scorable = [f for f in fitted if f is not None]
        if not scorable:
            raise BudgetError("no task has both labels among its validation graphs: the candidates cannot be scored")
        rows = []
        for r in scorable[0].cv_results_:
            key = (r["hops"], r["per_class"])
            each = [next((x for x in f.cv_results_ if (x["hops"], x["per_class"]) == key), None) for f in scorable]
            if any(x is None for x in each):  # not made for every task (above the cap)
                continue
            scored = all(x["scored"] and math.isfinite(x["val"]) for x in each)
            size = sum(x["bytes"] for x in each)
            if shared:
                size = merged_nbytes([f.candidates_[key].distilled_ for f in scorable], flat.y.shape[1])
                scored = scored and (cap is None or size <= cap)
            rows.append({"hops": key[0], "per_class": key[1], "graphs": sum(x["graphs"] for x in each),
                         "bytes": size, "fraction": size / total,
                         "scored": scored, "val": float(np.mean([x["val"] for x in each])) if scored else math.nan,
                         "val_se": math.sqrt(sum(x["val_se"] ** 2 for x in each)) / len(each) if scored else math.nan})
        if not any(r["scored"] for r in rows):
            raise BudgetError(f"no setting fits the byte cap in every task{' (in one bank)' if shared else ''}; "
                              f"raise max_bytes")
        chosen = choose([r for r in rows if r["scored"]])
        warn_if_chance(rows, 0.5, "validation split (ROC-AUC averaged over the tasks)" if validation is not None
                       else "holdout (ROC-AUC averaged over the tasks)")
        for r in rows:
            r["chosen"] = r is chosen
            if log and r["scored"]:
                log(f"hops {r['hops']}, {r['per_class']} per class and task: {r['graphs']} graphs, "
                    f"{100 * r['fraction']:.3f} % of the bytes; mean validation score over {len(scorable)} tasks "
                    f"{r['val']:.4f} ± {r['val_se']:.4f}")
        if log and len(scorable) < len(views):
            log(f"{len(views) - len(scorable)} task(s) with one label only among the validation graphs: not scored "
                f"(as OGB's evaluator skips them), distilled at the chosen setting; sizes above: the scored tasks")
        self.cv_results_ = rows
        self.best_params_ = {"hops": chosen["hops"], "per_class": chosen["per_class"]}
        self._auto = {"settings": dict(self.best_params_, readout=base.readout, val=recorded_score(chosen["val"])),
                      "candidates": recorded(rows),
                      "scored_on": "validation split" if validation is not None else "holdout",
                      "rule": "per task, the AutoPrototypes score of each candidate; one setting for every task: "
                              "the rule on the scores averaged over the tasks (standard error of the mean); the "
                              + ("byte cap counts the tasks' prototypes in one tree bank" if shared else
                                 "byte cap split evenly among the tasks")}
        key = (chosen["hops"], chosen["per_class"])
        from .prototypes import TreePrototypes

        def at_choice(v):
            return TreePrototypes(**self.best_params_, seed=base.seed, readout=base.readout,
                                  degrees=base.leaf_degrees(shared), bank=shared, roots=base.roots,
                                  max_roots=int(base.max_roots)).fit(v)

        if validation is None:  # the candidates were fitted on holdouts: distil each task's graphs at the choice
            return [at_choice(v) for v in views]
        return [f.candidates_[key] if f is not None else at_choice(v) for f, v in zip(fitted, views)]

    def _merge(self, flat: FlatGraphs, meta: dict, estimators) -> DistilledDataset:
        n_tasks = flat.y.shape[1]
        sets = [est.distilled_ for est in estimators]
        hops = {int(d.meta["hops"]) for d in sets}
        if len(hops) != 1:
            raise BudgetError(f"the tasks' sets have different depths {sorted(hops)}; fix hops")
        bank, graphs = (merged_bank(sets, n_tasks) if sets[0].bank is not None else (None, task_graphs(sets, n_tasks)))
        tasks_meta = [{k: v for k, v in d.meta.items() if k in (
            "method", "params", "thresholds", "itemsets", "prototypes", "clusters", "trees_unique")} for d in sets]
        first = estimators[0].distilled_.meta
        method = "mirage-auto" if getattr(self, "_auto", None) else first.get("method", "distilled")
        out = {"method": method, **multitask_meta(meta, flat), "hops": hops.pop(), "readout": first["readout"],
               "params": {"per_task": type(estimators[0]).__name__}, "per_task": tasks_meta}
        if getattr(self, "_auto", None):
            out["auto"] = self._auto
        d = DistilledDataset(graphs, out, bank=bank)
        if d.nbytes() >= out["full_bytes"]:
            raise BudgetError(f"the distilled set would take {d.nbytes():,} bytes, not less than the "
                              f"{out['full_bytes']:,} bytes of the training split; lower the budget")
        return d


def task_graphs(sets: list[DistilledDataset], n_tasks: int) -> list:
    """Every graph of the tasks' sets (set ``t`` made for task ``t``), labelled ``[1, n_tasks]``: its own task's
    label, NaN for the others."""
    graphs = []
    for t, d in enumerate(sets):
        for i in range(len(d)):
            g = d[i]
            vec = torch.full((1, n_tasks), float("nan"))
            vec[0, t] = float(g.y.view(-1)[0])
            g.y = vec
            graphs.append(g)
    return graphs


def _heights(sets: list[DistilledDataset]) -> int:
    """How deep the banks' subtrees go: the depth, and one more with leaf degrees (the extra node feeding the leaves
    is one level below them), so that the merge's refinement reaches the leaves' degrees."""
    return int(sets[0].meta["hops"]) + int(bool(sets[0].meta["params"].get("degrees")))


def merged_bank(sets: list[DistilledDataset], n_tasks: int) -> tuple[TreeBank, list]:
    """The tasks' banked sets as one bank (each tree once, :func:`~graph_mirage.bank.merge_banks`) and its graphs,
    labelled as :func:`task_graphs` labels them."""
    bank, _ = merge_banks([d.bank for d in sets], _heights(sets))
    # a banked graph's roots come first (TreeBank.graph), so its root weights are the first of its root_weight
    weights = np.concatenate([d[i].root_weight[: int(d[i].root_mask.sum())].numpy()
                              for d in sets for i in range(len(d))])
    graphs = bank_graphs(bank, weights)
    for g, labelled in zip(graphs, task_graphs(sets, n_tasks)):
        g.y, g.weight = labelled.y, labelled.weight
    return bank, graphs


def merged_nbytes(sets: list[DistilledDataset], n_tasks: int) -> int:
    """Bytes of the tasks' banked sets merged into one: the merged bank, and each graph's label vector (float32
    ``[n_tasks]``) and weight."""
    bank, _ = merge_banks([d.bank for d in sets], _heights(sets))
    return bank.nbytes() + bank.num_graphs * (4 * n_tasks + 4)
