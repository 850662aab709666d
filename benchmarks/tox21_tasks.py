"""ogbg-moltox21 task by task: is the gap to full data (#23) a multi-task effect or each task's own?

    python benchmarks/tox21_tasks.py [--seeds 3] [--models gin] [--jobs 2]

For each of the 12 tasks, three training sets, each trained and its epoch chosen on that task alone (the other tasks'
labels masked out of the validation and test metric, so every set is judged where it can be good):

- ``all``: the default's multi-task set (``mirage distill ogbg-moltox21``: one hop, one prototype per task and label,
  24 graphs), every task's prototypes;
- ``own``: the same set's prototypes of this task only (2 graphs) — does a task learn less beside the other tasks'?
- ``single``: this task alone distilled by the single-task default (its own tree bank, depth and count chosen on this
  task's validation graphs, the cap 1 % of this task's labelled training bytes) — does a task learn more from a set
  made for it alone, at a single-task budget?

Per task the test ROC-AUC ×100 averaged over the seeds; the differences to ``all`` paired over the tasks (12 units)
with 95 % intervals. An exploration without permuted controls: a hypothesis about where the gap is, not a finding
about a set. Writes ``benchmarks/results/tox21_tasks.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
NAME = "ogbg-moltox21"
SETS = ("all", "own", "single")


_TASK = {"now": None}  # the task this worker's metrics read (a worker runs several tasks, one after the other)


def _one_task_metric(task: int) -> None:
    """Restrict every metric of this process to ``task``: the other tasks' labels read as missing."""
    from graph_mirage.training import metrics

    if _TASK["now"] is None:  # wrapped once per process; the task it reads is changed below
        score, call = metrics.Metric.score, metrics.Metric.__call__

        def mask(y):
            y = np.array(y, dtype=float, copy=True)
            keep = np.zeros(y.shape[1], dtype=bool)
            keep[_TASK["now"]] = True
            y[:, ~keep] = np.nan
            return y

        metrics.Metric.score = lambda self, y, z: score(self, mask(y), z)
        metrics.Metric.__call__ = lambda self, y, z, calibration=None: call(self, mask(y), z, calibration)
    _TASK["now"] = task


def _single_task_set(ds, task: int, like):
    """``task`` distilled alone by the single-task default, as a multi-task set (its label in column ``task``)."""
    import torch

    from graph_mirage import AutoPrototypes, DistilledDataset
    from graph_mirage.multitask import task_view

    train, valid = ds[ds.split["train"]].flat(), ds[ds.split["valid"]].flat()
    auto = AutoPrototypes().fit(task_view(train, dict(ds.meta), task), validation=task_view(valid, dict(ds.meta),
                                                                                              task))
    single = auto.distilled_
    graphs = []
    for i in range(len(single)):
        g = single[i]
        y = torch.full((1, train.y.shape[1]), float("nan"))
        y[0, task] = float(g.y.view(-1)[0])
        g.y = y
        graphs.append(g)
    meta = dict(like.meta, hops=int(single.meta["hops"]))
    return DistilledDataset(graphs, meta), {"settings": auto.best_params_, "graphs": len(graphs),
                                            "bytes": int(single.nbytes())}


def run_task(job: tuple) -> dict:
    """Every set of one task and model, ``seeds`` runs each."""
    import warnings

    task, model, seeds, path = job
    warnings.simplefilter("ignore")  # the RDKit skip warning of every worker's load
    _one_task_metric(task)
    from graph_mirage import DistilledDataset, load_dataset
    from graph_mirage.training import train_and_evaluate

    ds = load_dataset(NAME)
    full = DistilledDataset.load(path)
    own = DistilledDataset([g for g in full if not np.isnan(g.y.view(-1)[task].item())], dict(full.meta))
    single, info = _single_task_set(ds, task, full)
    out = {"task": task, "name": (ds.meta.get("tasks") or [])[task], "model": model, "single_set": info}
    for name, train in (("all", full), ("own", own), ("single", single)):
        r = train_and_evaluate(ds, train, model=model, seeds=seeds)
        out[name] = {"test": [x["test"] for x in r["runs"]], "val": [x["val"] for x in r["runs"]],
                     "graphs": len(train)}
    return out


def summary(rows: list[dict]) -> list[dict]:
    from graph_mirage.stats import paired, verdict

    out = []
    for model in sorted({r["model"] for r in rows}):
        mine = [r for r in rows if r["model"] == model]
        per = {s: {("task", r["task"]): float(np.mean(r[s]["test"])) for r in mine} for s in SETS}
        line = {"model": model, "tasks": len(mine), **{f"{s}_mean": float(np.mean(list(per[s].values())))
                                                        for s in SETS}}
        for s in ("own", "single"):
            d = paired(per[s], per["all"])
            line[f"{s}_minus_all"] = {k: d[k] for k in ("mean", "low", "high", "units")} | {"verdict": verdict(d)}
        out.append(line)
    return out


def table(rows: list[dict], lines: list[dict]) -> str:
    from graph_mirage.stats import VERDICT_MARKS

    def d(p):
        return f"{100 * p['mean']:+.1f} [{100 * p['low']:+.1f}, {100 * p['high']:+.1f}] {VERDICT_MARKS[p['verdict']]}"

    text = ["| task | GNN | all (24 graphs) | own (2 graphs) | single-task default (graphs; hops, per class) |",
            "|---|---|---|---|---|"]
    for r in sorted(rows, key=lambda r: (r["model"], r["task"])):
        s = r["single_set"]
        text.append(f"| {r['name']} | {r['model'].upper()} | {100 * np.mean(r['all']['test']):.1f} | "
                    f"{100 * np.mean(r['own']['test']):.1f} | {100 * np.mean(r['single']['test']):.1f} "
                    f"({s['graphs']}; {s['settings']['hops']}, {s['settings']['per_class']}) |")
    for x in lines:
        text.append(f"| mean over {x['tasks']} tasks | {x['model'].upper()} | {100 * x['all_mean']:.1f} | "
                    f"{100 * x['own_mean']:.1f} ({d(x['own_minus_all'])}) | {100 * x['single_mean']:.1f} "
                    f"({d(x['single_minus_all'])}) |")
    return "\n".join(text) + "\n"


def main(argv=None) -> int:
    from graph_mirage.bench.scripts import script_header

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--models", nargs="+", default=["gin"])
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS / "tox21_tasks.json"))
    args = p.parse_args(argv)
    from graph_mirage import load_dataset
    from graph_mirage.workflows.distill import distill
    from graph_mirage.workflows.settings import DataSettings, DistillSettings

    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tox21.pt"
        distill(DistillSettings(data=DataSettings(NAME), out=path))  # the default's set, as mirage distill makes it
        tasks = len(load_dataset(NAME).meta["tasks"])
        jobs = [(t, m, list(range(args.seeds)), str(path)) for m in args.models for t in range(tasks)]
        with ProcessPoolExecutor(args.jobs) as pool:
            rows = list(pool.map(run_task, jobs))
    lines = summary(rows)
    header = script_header("benchmarks/tox21_tasks.py", argv, jobs=args.jobs, t0=t0)
    print(f"{header['command']}\n\n" + table(rows, lines))
    Path(args.out).write_text(json.dumps({"header": header, "rows": rows, "summary": lines}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
