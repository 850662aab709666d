"""Model search: every configuration of a :class:`SearchSpace` trained on one training set (a distilled set, or the
full training split), ranked by the real validation split — the use case people distil for."""

from __future__ import annotations

import math
import os
import time
from typing import TYPE_CHECKING

import numpy as np
from sklearn.base import BaseEstimator

from ..errors import ParameterError
from ..stats import score_error
from .agreement import seed_agreement
from .space import SearchSpace, config_name, listed_configurations

if TYPE_CHECKING:
    from ..data import GraphDataset
    from ..distilled import DistilledDataset
    from ..training import TrainConfig

SET_EPOCHS = 100  # on a distilled set: a fixed number of epochs, as `mirage train`
FULL_EPOCHS, FULL_PATIENCE = 200, 25  # on the full split: until validation stops improving (the benchmark's recipe)

_WORKER: dict = {}


class ModelSearch(BaseEstimator):
    """Train every configuration of ``space`` on a training set and choose one on the real validation split.

    Each configuration is trained for ``seeds`` seeds; its score is the mean validation metric (at each run's
    validation-selected epoch), its test score the mean test metric at the same epochs. The test split never
    influences the choice.

    Args:
        space: a :class:`SearchSpace`, a mapping of hyper-parameter -> values, or the path of a JSON/YAML space
            file (None: the default space, 4 GNNs x layers 1..hops x 2 hidden sizes x 2 dropouts x 2 rates); or a
            list of configurations, each a mapping of hyper-parameter -> one value
            (:func:`~graph_mirage.search.space.listed_configurations`).
        seeds: seeds per configuration (0 .. seeds-1).
        epochs: epochs per run (None: 100 on a distilled set; 200 on the full split, stopped after 25 epochs without
            a better validation score).
        patience: stop a run after this many epochs without a better validation score (None: never on a distilled
            set; 25 on the full split with the default epochs).
        eval_every: score the validation split every this many epochs (and at the last); the epoch is chosen among
            those.
        select_after: the first epoch the validation split may choose (1: any; ``patience`` counts from it): on a
            small validation split, the first epochs' scores can choose a model that learned nothing
            (docs/results: selecting after a warm-up).
        root_dropout: each run's readout pools each root with probability ``1 - root_dropout`` while training
            (:class:`~graph_mirage.training.TrainConfig`; 0: every root).
        jobs: worker processes, one torch thread each (small GNNs are Python-bound: two single-threaded workers on
            two cores do about twice the work of one).
        device: ``cpu`` or ``cuda``.
        prior_correction: decide with the training split's class balance (see
            :class:`~graph_mirage.training.TrainConfig`).
        progress: a progress line per finished configuration.
        cache_dir: a directory of finished runs (:mod:`graph_mirage.training.runcache`, the benchmark's format): a
            run found there is read instead of trained, and every run trained is written there as it finishes, so
            an interrupted search resumes where it stopped and more seeds train only the new ones (None: no cache).

    Fitted attributes:
        results_: one dict per configuration, in space order: ``name, params, val_mean, val_std, test_mean,
            test_std, test_last_mean, val_runs, test_runs, epochs_runs, chosen_epochs_runs, seconds, rank`` (1 = best
            validation score; ``val_runs``, ``test_runs``, the epochs each run trained, ``epochs_runs``, and the epoch
            its validation score chose, ``chosen_epochs_runs``, per seed, seed 0 first).
        best_index_, best_params_, best_score_ (its mean validation metric), best_test_ (its mean test metric).
        validation_error_: one standard error of ``best_score_`` (:func:`choice_error`); each result's
            ``level_with_best`` says whether its validation score is within it of the best, and
            n_level_with_best_ counts them (the best included): the validation split cannot order these.
        seed_agreement_: with two seeds or more, how alike the seeds order the configurations by validation and the
            ceiling that sets on the ranking's agreement with any other (:func:`~graph_mirage.search.agreement.
            seed_agreement`); None with one seed.
        metric_: the metric's name; seconds_: wall time of this fit (runs read from the cache take none);
            n_configurations_; cached_runs_: runs read from ``cache_dir`` instead of trained.

    Example:
        >>> from graph_mirage import AutoPrototypes, load_dataset
        >>> from graph_mirage.search import ModelSearch
        >>> ds = load_dataset("synthetic-motifs")
        >>> s = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_
        >>> search = ModelSearch(space={"model": ["gcn", "gin"], "hidden": [64]}, epochs=20).fit(ds, s)
        >>> search.best_params_                                                      # doctest: +SKIP
        {'model': 'gin', 'layers': 2, 'hidden': 64, 'dropout': 0.0, 'lr': 0.01, 'weight_decay': 0.0, ...}
    """

    def __init__(self, space: SearchSpace | dict | str | os.PathLike | None = None, seeds: int = 1,
                 epochs: int | None = None, jobs: int = 1, device: str = "cpu", prior_correction: bool = True,
                 progress: bool = False, patience: int | None = None,
                 eval_every: int = 1, cache_dir: str | os.PathLike | None = None, select_after: int = 1,
                 root_dropout: float = 0.0) -> None:
        self.space = space
        self.seeds = seeds
        self.epochs = epochs
        self.patience = patience
        self.eval_every = eval_every
        self.select_after = select_after
        self.root_dropout = root_dropout
        self.jobs = jobs
        self.device = device
        self.prior_correction = prior_correction
        self.progress = progress
        self.cache_dir = cache_dir

    # ------------------------------------------------------------------------------------------------------------------
    def resolved_space(self) -> SearchSpace:
        """The space as a :class:`SearchSpace` (validated)."""
        if self.space is None:
            return SearchSpace()
        if isinstance(self.space, SearchSpace):
            return self.space
        if isinstance(self.space, dict):
            return SearchSpace.from_dict(self.space)
        if isinstance(self.space, str) or hasattr(self.space, "__fspath__"):
            return SearchSpace.from_file(self.space)
        if isinstance(self.space, (list, tuple)):
            raise ParameterError("a list of configurations is not a space: read them with check_params()")
        raise ParameterError(f"space must be a SearchSpace, a dict or a file path, got {type(self.space).__name__}")

    def check_params(self, max_layers: int | None = None) -> list[dict]:
        """Validate the parameters and return the configurations (before any training)."""
        from ..training.config import check_device_name, check_root_dropout, check_select_after

        for name, low in (("seeds", 1), ("jobs", 1), ("eval_every", 1), ("select_after", 1)):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ParameterError(f"{name} must be an integer >= {low}, got {v!r}")
        for name in ("epochs", "patience"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ParameterError(f"{name} must be an integer >= 1 or None, got {v!r}")
        check_select_after(self.select_after, self.epochs or min(SET_EPOCHS, FULL_EPOCHS))
        check_root_dropout(self.root_dropout)
        check_device_name(self.device)
        if self.cache_dir is not None:
            from ..fileio import check_cache_dir

            check_cache_dir(self.cache_dir)
        if self.device != "cpu" and self.jobs > 1:
            raise ParameterError("jobs > 1 trains in CPU worker processes; use jobs=1 with a CUDA device")
        if isinstance(self.space, (list, tuple)):
            configs = listed_configurations(self.space, max_layers)
        else:
            configs = self.resolved_space().configurations(max_layers)
        if max_layers is not None:
            deep = sorted({c["layers"] for c in configs if c["layers"] > max_layers})
            if deep:
                raise ParameterError(f"layers {deep} exceed the distilled set's {max_layers} hops: its graphs hold "
                                     f"computation trees of depth {max_layers} (distil with more hops, or search "
                                     f"layers 1..{max_layers})")
        return configs

    def train_config(self, c: dict, full: bool) -> TrainConfig:
        """The :class:`~graph_mirage.training.TrainConfig` of configuration ``c``."""
        from ..training import TrainConfig

        epochs = self.epochs or (FULL_EPOCHS if full else SET_EPOCHS)
        patience = self.patience if self.patience is not None else \
            (FULL_PATIENCE if full and self.epochs is None else None)
        if patience is not None:  # in epochs; the training loop counts evaluations
            patience = -(-patience // self.eval_every)
        return TrainConfig(epochs=epochs, patience=patience, eval_every=self.eval_every, select_after=self.select_after,
                           lr=float(c["lr"]), batch_size=int(c["batch_size"]), weight_decay=float(c["weight_decay"]),
                           hidden=int(c["hidden"]), dropout=float(c["dropout"]), num_layers=int(c["layers"]),
                           device=self.device, prior_correction=self.prior_correction,
                           root_dropout=float(self.root_dropout))

    # ------------------------------------------------------------------------------------------------------------------
    def fit(self, dataset: GraphDataset, train_set: DistilledDataset | None = None) -> "ModelSearch":
        """Search on ``train_set`` (a :class:`~graph_mirage.DistilledDataset` of ``dataset``; None: the full training
        split), scoring on ``dataset``'s validation split and reporting its test split."""
        from ..distilled import check_compatible
        from ..progress import Progress
        from ..training import check_evaluable

        check_evaluable(dataset)
        hops = None
        if train_set is not None:
            check_compatible(train_set.meta, dataset.meta)
            hops = depth_limit(train_set)
        configs = self.check_params(hops)  # "auto" layers on the full split: 1..2, the default depth
        full = train_set is None
        tasks = [(i, c, seed) for i, c in enumerate(configs) for seed in range(self.seeds)]
        runs: dict[int, list] = {i: [] for i in range(len(configs))}
        seconds = np.zeros(len(configs))
        metric = None
        cache = RunFiles(self.cache_dir, dataset, train_set, full) if self.cache_dir is not None else None
        todo = []
        for i, c, seed in tasks:
            hit = None if cache is None else cache.read(c, seed, self.train_config(c, full))
            if hit is None:
                todo.append((i, c, seed))
            else:
                runs[i].append(hit["run"])
                seconds[i] += hit.get("seconds", 0.0)
                metric = hit["metric"]
        self.cached_runs_ = len(tasks) - len(todo)
        t0 = time.perf_counter()
        where = "the full training split" if full else f"{len(train_set)} distilled graphs"
        with Progress(len(configs), f"{dataset.name}: searching {len(configs)} configurations on {where}",
                      "configuration", enabled=self.progress) as bar:
            bar.update(sum(len(r) == self.seeds for r in runs.values()))
            for i, out, secs in self._map(dataset, train_set, todo):
                runs[i].append(out["runs"][0])
                seconds[i] += secs
                metric = out["metric"]
                if cache is not None:
                    cache.write(configs[i], out, secs, self.train_config(configs[i], full))
                if len(runs[i]) == self.seeds:
                    bar.update(1)
        self.metric_ = metric
        self.results_ = [_record(c, runs[i], seconds[i]) for i, c in enumerate(configs)]
        order = sorted(range(len(configs)), key=lambda i: (-_finite(self.results_[i]["val_mean"]), i))
        for rank, i in enumerate(order, 1):
            self.results_[i]["rank"] = rank
        self.best_index_ = order[0]
        best = self.results_[self.best_index_]
        self.best_params_ = dict(best["params"])
        self.best_score_ = best["val_mean"]
        self.best_test_ = best["test_mean"]
        self.validation_error_, level = level_with_best(self.results_, best, dataset)
        for r, flag in zip(self.results_, level):
            r["level_with_best"] = flag
        self.n_level_with_best_ = sum(level)
        self.seed_agreement_ = seed_agreement(self.results_)
        self.n_configurations_ = len(configs)
        self.seconds_ = time.perf_counter() - t0
        self.trained_on_ = "full" if full else train_set.meta.get("method", "distilled")
        return self

    def ranking(self) -> list[dict]:
        """The results from the best validation score to the worst."""
        return sorted(self.results_, key=lambda r: r["rank"])

    def _map(self, dataset, train_set, tasks):
        """Yield ``(config index, train_and_evaluate result, seconds)`` per task, inline or on spawned workers."""
        jobs = [(i, c, s, self.train_config(c, train_set is None)) for i, c, s in tasks]
        if not jobs:
            return
        if self.jobs == 1 or len(jobs) == 1:
            _init(dataset, train_set)
            try:
                yield from map(_run, jobs)
            finally:
                _WORKER.clear()
            return
        import multiprocessing as mp

        with mp.get_context("spawn").Pool(min(self.jobs, len(jobs)), initializer=_init,
                                          initargs=(dataset, train_set, True)) as pool:
            yield from pool.imap_unordered(_run, jobs)


class RunFiles:
    """The search's runs in a run cache (:mod:`graph_mirage.training.runcache`): one file per configuration and seed,
    keyed by the dataset and split, the training set, the GNN, its training settings and the seed."""

    def __init__(self, cache_dir, dataset, train_set, full: bool) -> None:
        from ..training import has_bank
        from ..training.runcache import set_key

        self.dir, self.meta = cache_dir, dataset.meta
        self.train_id = "full" if full else set_key(train_set)
        self.bank = not full and has_bank(train_set)
        self.method = "search-full" if full else f"search-{train_set.meta.get('method', 'distilled')}"

    def path(self, c: dict, seed: int, config):
        from ..training.runcache import cache_path, run_key

        key = run_key(self.meta, c["model"], config, seed, self.train_id, self.bank and config.bank_batches)
        return cache_path(self.dir, self.meta, self.method, c["model"], seed, key)

    def read(self, c: dict, seed: int, config) -> dict | None:
        from ..training.runcache import cached_run, read_run

        found = cached_run(self.path(c, seed, config))
        blob = None if found is None else read_run(found)
        return blob if isinstance(blob, dict) and "run" in blob and "metric" in blob else None  # else: train again

    def write(self, c: dict, out: dict, seconds: float, config, source: str | None = None) -> None:
        """Keep one finished run (``out``: a one-seed ``train_and_evaluate`` result; ``source``: where a run not
        trained here came from)."""
        from ..training.runcache import write_run

        run = out["runs"][0]
        record = {"dataset": self.meta.get("name"), "method": self.method, "model": c["model"], "seed": run["seed"],
                  "configuration": config_name(c), "metric": out["metric"], "seconds": float(seconds), "run": run}
        write_run(self.path(c, int(run["seed"]), config), record if source is None else dict(record, source=source))


def depth_limit(train_set) -> int | None:
    """The most GNN layers a set serves: its hops for computation trees (a depth-L tree holds every shallower one,
    not deeper ones); None for real graphs (every node is a root: herding or random selections)."""
    if all(bool(g.root_mask.all()) for g in train_set):
        return None
    return int(train_set.meta.get("hops") or 2)


def _init(dataset, train_set, worker: bool = False) -> None:
    from ..training import eval_sets

    if worker:
        from ..training.workers import prepare_worker

        prepare_worker()
    _WORKER.clear()
    _WORKER["data"] = (dataset, train_set, eval_sets(dataset))


def _run(job) -> tuple[int, dict, float]:
    from ..training import train_and_evaluate

    i, c, seed, config = job
    dataset, train_set, evals = _WORKER["data"]
    t0 = time.perf_counter()
    out = train_and_evaluate(dataset, train_set, model=c["model"], seeds=[seed], config=config, evals=evals, threads=1)
    return i, out, time.perf_counter() - t0


def choice_error(best: dict, dataset) -> float:
    """One standard error of a search's best validation score ``best["val_mean"]``: the sampling error of a score on
    ``dataset``'s validation graphs (:func:`~graph_mirage.stats.score_error`: Hanley and McNeil's for a ROC-AUC, the
    binomial one for an accuracy) and, with several seeds (``best["val_runs"]``), the standard error of their mean,
    added in quadrature. Configurations within it of the best are the one-standard-error rule's ties (Breiman et
    al., 1984): an unpaired yardstick, since the same validation graphs score every configuration."""
    y = dataset.storage().y[dataset.split["valid"]].numpy()
    se = score_error(best["val_mean"], y, dataset.num_classes)
    runs = [v for v in best["val_runs"] if np.isfinite(v)]
    if len(runs) > 1:
        se = math.sqrt(se ** 2 + float(np.var(runs, ddof=1)) / len(runs))
    return float(se)


def level_with_best(results: list[dict], best: dict, dataset) -> tuple[float, list[bool]]:
    """:func:`choice_error` of ``best`` and, per record of ``results``, whether its validation score is within it of
    the best's (the one-standard-error rule's ties, ``best`` included)."""
    error = choice_error(best, dataset)
    return error, [bool(_finite(r["val_mean"]) >= best["val_mean"] - error) for r in results]


def _record(c: dict, runs: list, seconds: float) -> dict:
    def stat(key: str, fn) -> float:
        a = np.array([r[key] for r in runs], dtype=float)
        return float(fn(a)) if np.isfinite(a).any() else float("nan")

    runs = sorted(runs, key=lambda r: r["seed"])  # workers finish in any order; per-seed lists go by seed
    return {"name": config_name(c), "params": dict(c), "val_mean": stat("val", np.nanmean),
            "val_std": stat("val", np.nanstd), "test_mean": stat("test", np.nanmean),
            "test_std": stat("test", np.nanstd), "test_last_mean": stat("test_last", np.nanmean),
            "val_runs": [float(r["val"]) for r in runs], "test_runs": [float(r["test"]) for r in runs],
            "epochs_runs": [None if r.get("epochs_run") is None else int(r["epochs_run"]) for r in runs],
            "chosen_epochs_runs": [None if r.get("best_epoch") is None else int(r["best_epoch"]) for r in runs],
            "seeds": len(runs), "seconds": float(seconds)}


def _finite(v: float) -> float:
    return v if np.isfinite(v) else -np.inf


__all__ = ["ModelSearch", "choice_error", "level_with_best", "SET_EPOCHS", "FULL_EPOCHS", "FULL_PATIENCE"]
