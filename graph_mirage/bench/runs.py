"""One training run of the benchmark, in this process or a worker, and the cache that makes every run happen once.

A run is keyed by everything its result depends on — the dataset and split, the training set (the full split, or a
distilled set's arrays and meta), whether its labels are permuted, the GNN, the training settings, the seed, and
:data:`~graph_mirage.training.runcache.PROTOCOL` — and written as one JSON file under the cache directory
(:mod:`graph_mirage.training.runcache`, shared with model search). A table run again, after any change
that leaves those inputs alone (a restructuring of the code, more methods, more seeds), reads the files instead of
training. ``PROTOCOL`` changes whenever what a run computes changes.

Workers are spawned processes with one torch thread each: small GNNs are Python-bound, so two single-threaded
workers on two cores do about twice the work of one process with two threads.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import asdict
from typing import TYPE_CHECKING

from ..config.defaults import FULL_DATA_RECIPES, TRAIN_RECIPES
from ..training.control import permuted_labels
from ..training.runcache import OUTPUTS, cache_path, cached_run, run_key, set_key

if TYPE_CHECKING:
    from typing import Iterator

    from ..data import GraphDataset
    from ..training import TrainConfig

FULL_EPOCHS, FULL_BATCH, FULL_PATIENCE = 200, 64, 25  # full data: trained until validation stops improving
FULL_RECIPES = {r: TRAIN_RECIPES[r] for r in FULL_DATA_RECIPES}  # the full-data recipes, chosen on validation
FULL_SELECT_SEEDS = 3  # seeds per recipe that choose it (the chosen recipe's remaining seeds run after)

_WORKER_DATA: dict = {}


def init_worker() -> None:
    from ..training.workers import prepare_worker

    prepare_worker()
    _WORKER_DATA.clear()


def load(name: str, root, split: dict | None) -> GraphDataset:
    from ..data import load_dataset

    with warnings.catch_warnings():  # the parent has already reported e.g. skipped SMILES once
        warnings.simplefilter("ignore")
        return load_dataset(name, root, **(split or {}))


def train_task(task: dict) -> dict:
    """Run (or read from the cache) one task: ``{dataset, root, split, model, seed, config, method, path | k,
    permute, cache_dir, refresh}``; returns ``{"run", "metric", "size", "cached"}``."""
    from ..baselines import RandomSelection
    from ..distilled import DistilledDataset
    from ..training import eval_sets, has_bank, train_and_evaluate
    from ..training.runcache import write_run

    key = (task["dataset"], task["root"], json.dumps(task["split"]))
    if key not in _WORKER_DATA:
        _WORKER_DATA.clear()  # one dataset and split at a time: molhiv is large
        ds = load(task["dataset"], task["root"], task["split"])
        _WORKER_DATA[key] = (ds, None)
    ds, evals = _WORKER_DATA[key]
    size = None
    if task["method"] == "full":
        train_set, train_id = None, "full"
    else:
        if task.get("k") is not None:  # a fresh draw per seed: the baseline's own variance counts
            train_set = RandomSelection(k=task["k"], seed=task["seed"]).fit(ds[ds.split["train"]]).distilled_
            size = (len(train_set), int(train_set.summary()["nodes"]), train_set.nbytes())
        else:
            train_set = DistilledDataset.load(task["path"])
        if task.get("permute"):
            train_set = permuted_labels(train_set, task["seed"])
        train_id = set_key(train_set)
    bank_batches = train_set is not None and task["config"].bank_batches and has_bank(train_set)
    path = None
    if task.get("cache_dir"):
        path = cache_path(task["cache_dir"], ds.meta, task["method"] + ("~permuted" if task.get("permute") else ""),
                           task["model"], task["seed"], run_key(ds.meta, task["model"], task["config"], task["seed"],
                                                                train_id, bank_batches))
        found = cached_run(path)
        if found is not None:
            blob = json.loads(found.read_text())
            if not (task.get("refresh") and blob.get("outputs", 1) < OUTPUTS):
                return {"run": blob["run"], "metric": blob["metric"], "size": size, "cached": True}
    if evals is None:
        evals = eval_sets(ds)
        _WORKER_DATA[key] = (ds, evals)
    r = train_and_evaluate(ds, train_set, model=task["model"], seeds=[task["seed"]], config=task["config"],
                           evals=evals, threads=None)
    out = {"run": r["runs"][0], "metric": r["metric"], "size": size, "cached": False}
    if path is not None:
        write_run(path, {"dataset": ds.meta["name"], "method": task["method"], "permuted": bool(task.get("permute")),
                         "model": task["model"], "seed": task["seed"], "config": asdict(task["config"]),
                         "metric": r["metric"], "run": r["runs"][0]})
    return out


def full_config(recipe: str, readout: str | None, layers: int, quick: bool = False) -> TrainConfig:
    """The full-data training settings of ``recipe`` (:data:`FULL_RECIPES`): up to 200 epochs, batch 64, stopped
    after 25 evaluations without a better validation metric (10 epochs, patience 5 with ``quick``)."""
    from ..training import TrainConfig

    epochs, patience = (10, 5) if quick else (FULL_EPOCHS, FULL_PATIENCE)
    return TrainConfig(epochs=epochs, batch_size=FULL_BATCH, patience=patience, eval_every=1, readout=readout or "sum",
                       num_layers=layers, **FULL_RECIPES[recipe])


class Runner:
    """Runs training tasks inline (jobs=1) or on a pool of spawned single-threaded workers."""

    def __init__(self, jobs: int) -> None:
        self.pool = None
        if jobs > 1:
            import multiprocessing as mp

            self.pool = mp.get_context("spawn").Pool(jobs, initializer=init_worker)

    def imap(self, tasks: list, fn=None) -> Iterator[dict]:
        """``fn`` (default :func:`train_task`; a module-level function, so that it pickles) over ``tasks``, in
        order."""
        fn = fn or train_task
        if self.pool is None:
            return map(fn, tasks)
        return self.pool.imap(fn, tasks)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
