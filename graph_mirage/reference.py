"""Full-data reference runs: trained until the validation metric stops improving, once, then read from a cache.

A distilled set is judged against full-data training, so that reference must be a real one, not a floor: each run
trains with early stopping on the validation metric (:data:`FULL_CONFIG`: up to 200 epochs, patience 25
evaluations) and its result is written as one JSON file per run, keyed by dataset, split, model, training config
and package version. Later benchmark tables read the file instead of training again; a changed config or version
gives a new key, never a stale number.

Example:
    >>> run = full_run(ds, "gin", seed=0, cache_dir="benchmarks/results/full_reference")   # doctest: +SKIP
    >>> run["run"]["test"], run["run"]["best_epoch"], run["run"]["epochs_run"]             # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict
from pathlib import Path

from .fileio import atomic_write_text
from .training import RunResult, TrainConfig, train_and_evaluate

FULL_CONFIG = TrainConfig(epochs=200, batch_size=64, patience=25, eval_every=1)


def split_tag(meta: dict) -> str:
    """A short name of a dataset's split: ``scaffold``, ``random-s0``, ``fold3of10-s0``."""
    kind = meta.get("split_kind")
    if kind == "folds":
        return f"fold{meta['split_fold']}of{meta['split_folds']}-s{meta['split_seed']}"
    if kind == "random":
        return f"random-s{meta.get('split_seed')}" + ("-strat" if meta.get("split_stratified") else "")
    return str(kind)


def run_key(meta: dict, model: str, config: TrainConfig, layers: int) -> str:
    """Hash of everything a full-data result depends on except the seed."""
    from . import __version__

    blob = json.dumps({"dataset": meta.get("name"), "split": split_tag(meta), "model": model,
                       "config": asdict(config), "layers": layers, "version": __version__}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def reference_path(cache_dir: str | os.PathLike, meta: dict, model: str, seed: int, config: TrainConfig,
                   layers: int) -> Path:
    key = run_key(meta, model, config, layers)
    return Path(cache_dir) / meta["name"] / f"{model}-{split_tag(meta)}-seed{seed}-{key}.json"


def full_run(dataset, model: str, seed: int, *, cache_dir: str | os.PathLike | None = None,
             config: TrainConfig = FULL_CONFIG, layers: int | None = None, evals=None, train: bool = True,
             progress: bool = False) -> dict | None:
    """One full-data run of ``model`` (seed ``seed``), from the cache when it is there.

    Args:
        cache_dir: where result files live (None: no cache).
        layers: GNN layers (default: the dataset's hops).
        evals: shared :class:`~graph_mirage.training.EvalSet` pair.
        train: False returns None instead of training when the result is not cached.

    Returns:
        ``{"run": RunResult as dict, "metric", "cached": bool, "path"}`` or None.
    """
    layers = int(layers or dataset.meta.get("hops", 2))
    path = reference_path(cache_dir, dataset.meta, model, seed, config, layers) if cache_dir else None
    if path is not None and path.is_file():
        blob = json.loads(path.read_text())
        return {"run": blob["run"], "metric": blob["metric"], "cached": True, "path": str(path)}
    if not train:
        return None
    r = train_and_evaluate(dataset, None, model=model, seeds=[seed], config=config, hops=layers, evals=evals,
                           progress=progress)
    run = r["runs"][0]
    out = {"run": run, "metric": r["metric"], "cached": False, "path": str(path) if path else None}
    if path is not None:
        from . import __version__

        blob = {"dataset": dataset.meta["name"], "split": split_tag(dataset.meta), "model": model, "seed": seed,
                "layers": layers, "config": asdict(config), "version": __version__, "metric": r["metric"],
                "run": run}
        atomic_write_text(path, json.dumps(blob, indent=1, sort_keys=True), "full-data result")
    return out


def as_run(d: dict) -> RunResult:
    """A cached run dict back as a :class:`RunResult`."""
    return RunResult(**{k: d[k] for k in RunResult.__dataclass_fields__ if k in d})
