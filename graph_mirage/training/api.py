"""Several seeds of training on a distilled set (or the full training split), evaluated on the real graphs."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import MirageError, ParameterError
from .config import (
    DEFAULT_READOUT,
    SAMPLE_MULTITASK,
    TrainConfig,
    resolve_device,
    seed_everything,
    torch_threads,
)
from .evalset import EvalSet
from .loop import RunResult, train_one
from .metrics import METRIC_KEYS, Metric, class_shift

if TYPE_CHECKING:
    from ..data import GraphDataset
    from ..distilled import DistilledDataset

DEFAULT_DEPTH = 2  # GNN layers when neither the settings nor a distilled set say (a set records its hops)


def warn_if_early(result: dict) -> None:
    """Warn when most runs of ``result`` (:func:`train_and_evaluate`'s, on a distilled set) were chosen at one of
    the first :data:`~graph_mirage.config.defaults.EARLY_EPOCHS` epochs of at least ten: the score is then a barely
    trained model's, which orders graphs mostly by size, and says little about what the set teaches — its margin
    over the same set with permuted labels does (:func:`~graph_mirage.training.train_with_control`)."""
    import warnings

    from ..config.defaults import EARLY_EPOCHS

    if result.get("source") == "full" or int(result.get("epochs") or 0) < 10:
        return
    epochs = [r["best_epoch"] for r in result.get("runs", []) if r.get("best_epoch", -1) > 0]
    early = sum(e <= EARLY_EPOCHS for e in epochs)
    if epochs and 2 * early >= len(epochs):
        warnings.warn(f"{early} of {len(epochs)} runs on the distilled set scored best on validation at epoch "
                      f"{EARLY_EPOCHS} or earlier: a barely trained model, which orders graphs mostly by their size, "
                      f"so these scores say little about what the set teaches; its margin over the same set with "
                      f"permuted labels does (mirage train and mirage run report it unless --no-control)", stacklevel=2)


def warn_if_deeper(layers: int, set_meta: dict) -> None:
    """Warn when a GNN has more layers than a distilled set's trees are deep: its last layers see on real graphs what
    training on the set never showed it (a depth-L tree holds what L layers see, and every shallower tree)."""
    import warnings

    hops = set_meta.get("hops")
    if hops and layers > int(hops):
        warnings.warn(f"the distilled set's trees are {hops} hop(s) deep but the GNN has {layers} layers: on real "
                      f"graphs its last {layers - int(hops)} layer(s) see what training on the set never showed it; "
                      f"distil with --hops {layers} (AutoPrototypes(hops={layers})) to train GNNs of up to {layers} "
                      f"layers on one set", stacklevel=3)


def summarise(runs: Sequence[RunResult], paper_protocol: bool = False) -> dict:
    """Mean ± std over all runs (test metric, the last epoch's, and every decision metric measured); with
    ``paper_protocol`` also the authors' mean/std of the 5 best runs by validation (labelled ``paper_top5_*``)."""
    if not runs:
        raise ParameterError("no runs to summarise")
    tests = np.array([r.test for r in runs], dtype=float)
    vals = np.array([r.val for r in runs], dtype=float)
    last = np.array([r.test_last for r in runs], dtype=float)
    out = {
        "test_mean": _nanmean(tests), "test_std": _nanstd(tests),
        "val_mean": _nanmean(vals), "val_std": _nanstd(vals),
        "test_last_mean": _nanmean(last), "test_last_std": _nanstd(last),
        "runs": [asdict(r) for r in runs],
    }
    for key in METRIC_KEYS:
        vals_k = np.array([r.test_metrics.get(key, np.nan) for r in runs], dtype=float)
        if np.isfinite(vals_k).any():
            out[f"test_{key}_mean"], out[f"test_{key}_std"] = _nanmean(vals_k), _nanstd(vals_k)
    if paper_protocol:
        top = np.argsort(-np.nan_to_num(vals, nan=-np.inf), kind="stable")[:5]
        out["paper_top5_test_mean"] = float(np.mean(tests[top]))
        out["paper_top5_test_std"] = float(np.std(tests[top]))
    return out


def _nanmean(a: np.ndarray) -> float:
    return float(np.nanmean(a)) if np.isfinite(a).any() else float("nan")


def _nanstd(a: np.ndarray) -> float:
    return float(np.nanstd(a)) if np.isfinite(a).any() else float("nan")


def eval_sets(dataset) -> tuple[EvalSet, EvalSet]:
    """The validation and test splits of ``dataset``, collated once."""
    return EvalSet(dataset[dataset.split["valid"]]), EvalSet(dataset[dataset.split["test"]])


def class_counts(labels, num_classes: int) -> np.ndarray:
    """``[num_classes]`` how many of ``labels`` fall in each class."""
    return np.bincount(np.asarray(labels).reshape(-1), minlength=num_classes)[:num_classes]


def data_prior(dataset) -> np.ndarray:
    """The training split's class shares ``[C]`` (per task, the positive share among the labelled entries ``[T]``):
    the class balance every decision is taken for."""
    y = dataset.y[dataset.split["train"]].numpy()
    if dataset.meta.get("num_tasks"):
        return np.array([float(np.nanmean(y[:, t])) if (~np.isnan(y[:, t])).any() else 0.5
                         for t in range(y.shape[1])])
    counts = class_counts(y, int(dataset.num_classes)).astype(float)
    return counts / max(counts.sum(), 1.0)


def decision_shift(dataset, train_set, config: TrainConfig) -> np.ndarray | None:
    """The prior correction of ``config`` for training on ``train_set`` (None: the full split, or switched off):
    ``log p_data - log p_set`` with ``p_data`` the training split's class shares and ``p_set`` the set's (per task,
    of the positive class, for several tasks)."""
    if train_set is None or not config.prior_correction:
        return None
    if dataset.meta.get("num_tasks"):
        from .metrics import task_shift

        return task_shift(dataset.y[dataset.split["train"]].numpy(), train_set.y.numpy())
    c = int(dataset.num_classes)
    data = class_counts(dataset.y[dataset.split["train"]].numpy(), c)
    return class_shift(data, class_counts(train_set.y.numpy(), c))


def _attribute_scaling(meta: dict):
    if not meta.get("node_attributes") or "node_attributes_scale" not in meta:
        return None
    return meta["node_attributes_centre"], meta["node_attributes_scale"]


def check_evaluable(dataset, parts: Sequence[str] = ("valid", "test")) -> None:
    """Refuse, in one line, a dataset whose split cannot train and evaluate a GNN: an empty part, a single class, or
    a validation or test split whose graphs all have one class (a small or skewed dataset's random split), where the
    selection or the reported score would compare nothing. Called before any long work by ``mirage run``, ``train``
    and ``search``, and with ``parts=("valid",)`` by ``mirage distill`` when it chooses on the validation split.

    Args:
        dataset: a loaded dataset with its ``split``.
        parts: the parts that are scored, so must not be empty nor of one class (``train`` must never be empty).

    Raises:
        MirageError: with what to do instead (a stratified split, another split seed, cross-validation).
    """
    if not isinstance(getattr(dataset, "meta", None), dict) or not isinstance(getattr(dataset, "split", None), dict):
        raise MirageError(f"training and testing need a dataset with its split and meta (load_dataset(...), or "
                          f"GraphDataset.from_graphs(graphs, split=...) for graphs of your own), not a "
                          f"{type(dataset).__name__}")
    meta = dataset.meta
    name = meta.get("name", "the dataset")
    for part in ("train", *parts):
        if part not in dataset.split or len(dataset.split[part]) == 0:
            raise MirageError(f"{name} has no {part} graphs: cannot train and evaluate")
    y = dataset.y.numpy()
    fix = _split_fix(meta)
    if meta.get("num_tasks"):
        for part in parts:
            yp = y[dataset.split[part].numpy()].reshape(len(dataset.split[part]), -1)
            if not any(len(np.unique(col[~np.isnan(col)])) == 2 for col in yp.T):
                raise MirageError(f"{name}: no task has both labels among the {len(yp)} graphs of the {part} split, "
                                  f"so its ROC-AUC is undefined; choose another --split-seed or a larger dataset")
        return
    y = y.reshape(-1)
    if len(np.unique(y)) < 2:
        raise MirageError(f"{name} has a single class: there is nothing to classify")
    for part in parts:
        present = np.unique(y[dataset.split[part].numpy()])
        if len(present) < 2:
            scored = "validation" if part == "valid" else part
            raise MirageError(f"{name}: the {len(dataset.split[part])} graphs of the {part} split are all of class "
                              f"{int(present[0])}, so a {scored} score compares nothing; {fix}")


def _split_fix(meta: dict) -> str:
    """What a user can do about a part of the split whose graphs are all of one class, for this kind of split."""
    kind = meta.get("split_kind")
    if kind == "random":
        return "make a stratified split (--stratify), choose another --split-seed, or use --folds"
    if kind == "folds":
        return "choose another --split-seed or fewer --folds"
    if kind == "file":
        return "assign the file's rows to parts (its split column) so that each part holds both classes"
    if kind == "scaffold" and meta.get("kind") == "csv":
        return "shuffle the scaffold groups (another --split-seed) or give the file a split column (--split-col)"
    return "this split is the dataset's own; a larger dataset is needed"


def train_and_evaluate(dataset: GraphDataset, train_set: DistilledDataset | None = None, *, model: str = "gin",
                       seeds: Sequence[int] = (0,), config: TrainConfig | None = None, paper_protocol: bool = False,
                       progress: bool = False, evals: tuple[EvalSet, EvalSet] | None = None,
                       threads: int | None = 1) -> dict:
    """Train ``model`` once per seed on ``train_set`` (a distilled set, or None for the full training split) and
    evaluate on ``dataset``'s real validation and test splits.

    Args:
        dataset: a :class:`~graph_mirage.data.GraphDataset` with its split.
        train_set: a :class:`~graph_mirage.DistilledDataset` of ``dataset`` (None: the full training split).
        model: ``gcn``, ``gat``, ``gin``, ``gine`` or ``sage``.
        seeds: one run per seed.
        config: the :class:`TrainConfig` (layers default to the set's hops, else 2).
        paper_protocol: also report the authors' protocol (mean of the 5 best runs by validation).
        evals: the validation and test :class:`EvalSet` (built from ``dataset`` when None; pass them to share the
            collation across calls).
        threads: torch threads while training (default 1: small GNNs are Python-bound; None leaves torch's setting).

    Returns:
        a dict with ``dataset, model, source, metric, readout, test_mean, test_std, test_last_mean, val_mean, seeds,
        train_seconds, eval_seconds, epochs`` and the per-seed ``runs``.

    Raises:
        MirageError: the distilled set does not belong to ``dataset``, a split is empty, or no seed is given.
    """
    from ..distilled import check_compatible
    from ..models import make_model

    config = config or TrainConfig()
    resolve_device(config.device)
    seeds = list(seeds)
    if not seeds:
        raise MirageError("no seeds given: train at least one seed")
    check_evaluable(dataset)
    meta = dataset.meta
    if train_set is not None and hasattr(train_set, "meta"):
        check_compatible(train_set.meta, meta)
    tasks = meta.get("num_tasks")
    if tasks and config.support == "sample":
        raise MirageError(SAMPLE_MULTITASK)
    set_meta = getattr(train_set, "meta", {}) or {}
    source = "full" if train_set is None else set_meta.get("method", "distilled")
    if set_meta.get("labels") == "permuted":
        source += " (labels permuted)"
    readout = config.readout or set_meta.get("readout") or DEFAULT_READOUT
    layers = int(config.num_layers or set_meta.get("hops") or DEFAULT_DEPTH)
    warn_if_deeper(layers, set_meta)
    metric = Metric(meta["name"], int(meta["num_classes"]), meta["kind"],
                    shift=decision_shift(dataset, train_set, config), num_tasks=tasks, prior=data_prior(dataset))
    fit_set = dataset[dataset.split["train"]] if train_set is None else train_set
    runs = []
    with torch_threads(threads):
        valid, test = evals if evals is not None else eval_sets(dataset)
        for seed in seeds:
            seed_everything(seed)
            net = make_model(model, int(tasks or meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"],
                             encoder=meta["encoder"], num_layers=layers, hidden=config.hidden,
                             dropout=config.dropout, readout=readout,
                             node_attributes=int(meta.get("node_attributes") or 0),
                             attribute_scaling=_attribute_scaling(meta))
            runs.append(train_one(net, fit_set, valid, test, metric, config, seed, progress,
                                  desc=f"{meta['name']} {model} on {source}, seed {seed}"))
    out = {"dataset": meta["name"], "model": model, "source": source, "metric": metric.name, "readout": readout,
           "seeds": seeds, "epochs": config.epochs, "layers": layers, "train_graphs": len(fit_set),
           "support": config.support, "prior_shift": None if metric.shift is None else metric.shift.tolist(),
           "train_seconds": float(np.mean([r.train_seconds for r in runs])),
           "eval_seconds": float(np.mean([r.eval_seconds for r in runs]))}
    out.update(summarise(runs, paper_protocol))
    return out
