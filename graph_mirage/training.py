"""Train a GNN on a distilled set (or on the full training split) and evaluate it on the real graphs.

The epoch is selected by the validation metric on the real validation split; the test metric at that epoch is
reported. Metrics: ROC-AUC for binary tasks (through ``ogb.graphproppred.Evaluator`` for OGB datasets) and accuracy;
for multi-class tasks accuracy selects and macro one-vs-rest ROC-AUC is reported beside it. Results over seeds are
summarised as mean ± std over all seeds; the authors' protocol (mean of the 5 best of 10 runs by validation) is
available, labelled as such.

Evaluation does not dominate training: the real validation and test graphs are collated once into large batches
(:class:`EvalSet`), shared by every seed, and run without autograd. Training and evaluation seconds are reported
separately.

Example:
    >>> result = train_and_evaluate(ds, distilled, model="gin", seeds=[0, 1, 2])    # doctest: +SKIP
    >>> result["test_mean"], result["test_std"]                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import random
import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Batch
from torch_geometric.loader import DataLoader

from .data import GraphDataset
from .errors import MirageError, ParameterError
from .models import READOUTS, make_model
from .progress import Progress

SUPPORT_MODES = ("none", "loss", "sample")
DEFAULT_READOUT = "sum"  # the authors' global_add_pool over the roots; measured in the README


@dataclass
class TrainConfig:
    """Training hyper-parameters (validated on construction).

    Args:
        epochs: passes over the training set (the cap when ``patience`` is set).
        lr: Adam learning rate.
        batch_size: graphs per batch.
        weight_decay: Adam weight decay.
        hidden, dropout, readout, num_layers: model arguments (``num_layers`` None: the distillation hops;
            ``readout`` None: what the distilled set records, else :data:`DEFAULT_READOUT`).
        support: how distilled graphs' supports are used: ``"none"``, ``"loss"`` (loss weighted by support,
            normalised within each class) or ``"sample"`` (graphs drawn in proportion to that weight).
        device: ``"cpu"`` or ``"cuda"``.
        eval_every: evaluate on valid/test every this many epochs (and at the last epoch).
        patience: stop after this many evaluations without a better validation metric (None: never stop early).
    """

    epochs: int = 100
    lr: float = 1e-3
    batch_size: int = 32
    weight_decay: float = 0.0
    hidden: int = 64
    dropout: float = 0.0
    readout: str | None = None
    num_layers: int | None = None
    support: str = "none"
    device: str = "cpu"
    eval_every: int = 1
    patience: int | None = None

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "hidden", "eval_every"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ParameterError(f"{name} must be an integer >= 1, got {v!r}")
        for name in ("num_layers", "patience"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, int) or v < 1):
                raise ParameterError(f"{name} must be an integer >= 1 or None, got {v!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ParameterError(f"lr must be a number > 0, got {self.lr!r}")
        if not (isinstance(self.weight_decay, (int, float)) and math.isfinite(self.weight_decay)
                and self.weight_decay >= 0):
            raise ParameterError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}")
        if not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout!r}")
        if self.readout is not None and self.readout not in READOUTS:
            raise ParameterError(f"readout must be one of {', '.join(READOUTS)}, got {self.readout!r}")
        if self.support not in SUPPORT_MODES:
            raise ParameterError(f"support must be one of {SUPPORT_MODES}, got {self.support!r}")
        check_device_name(self.device)


def check_device_name(device: str) -> None:
    """Refuse a device string torch does not know, with the values that work."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError, ValueError):
        raise ParameterError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}") from None
    if dev.type not in ("cpu", "cuda"):
        raise ParameterError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def resolve_device(device: str) -> torch.device:
    """The torch device, with a clear error when CUDA is asked for but absent."""
    check_device_name(device)
    dev = torch.device(device)
    if dev.type == "cuda":
        if not torch.cuda.is_available():
            raise MirageError(f"device {device} was asked for but torch sees no CUDA device "
                              f"(torch {torch.__version__}, cuda build: {torch.version.cuda}); use the CPU")
        if dev.index is not None and dev.index >= torch.cuda.device_count():
            raise MirageError(f"device {device} does not exist: torch sees {torch.cuda.device_count()} CUDA "
                              f"device(s)")
    return dev


# ----------------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------------
class Metric:
    """The evaluation metric of a dataset: ``rocauc`` for binary, ``accuracy`` for multi-class.

    Every call returns accuracy too, and ``rocauc_macro`` (one-vs-rest) for multi-class tasks.
    """

    def __init__(self, dataset_name: str, num_classes: int, kind: str = "tu") -> None:
        self.num_classes = num_classes
        self.name = "rocauc" if num_classes == 2 else "accuracy"
        self.evaluator = None
        if kind == "ogb" and num_classes == 2:
            from ogb.graphproppred import Evaluator

            self.evaluator = Evaluator(dataset_name)

    def __call__(self, y_true: np.ndarray, logits: np.ndarray) -> dict[str, float]:
        y_true = np.asarray(y_true).reshape(-1)
        prob = _softmax(logits)
        out = {"accuracy": float((prob.argmax(1) == y_true).mean())}
        if self.num_classes == 2:
            out["rocauc"] = self._binary_auc(y_true, logits[:, 1] - logits[:, 0])
        else:
            from sklearn.metrics import roc_auc_score

            try:
                out["rocauc_macro"] = float(roc_auc_score(y_true, prob, multi_class="ovr", average="macro",
                                                          labels=np.arange(self.num_classes)))
            except ValueError:
                out["rocauc_macro"] = float("nan")
        return out

    def _binary_auc(self, y_true: np.ndarray, score: np.ndarray) -> float:
        if len(np.unique(y_true)) < 2:
            return float("nan")
        if self.evaluator is not None:
            return float(self.evaluator.eval({"y_true": y_true.reshape(-1, 1),
                                              "y_pred": score.reshape(-1, 1)})["rocauc"])
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y_true, score))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)


# ----------------------------------------------------------------------------------------------------------------------
# Evaluation graphs, collated once
# ----------------------------------------------------------------------------------------------------------------------
class EvalSet:
    """Real graphs collated once into a few large batches, for evaluation at every epoch of every seed.

    Args:
        graphs: a dataset (subset) of real graphs.
        max_nodes: nodes per batch (about 4k nodes measured fastest on CPU: large tensors fall out of cache).

    Example:
        >>> valid = EvalSet(ds[ds.split["valid"]])                            # doctest: +SKIP
        >>> logits, y = valid.predict(model, torch.device("cpu"))            # doctest: +SKIP  [G, C], [G]
    """

    def __init__(self, graphs, max_nodes: int = 4_000) -> None:
        self.batches: list[Batch] = []
        items = [graphs[i] for i in range(len(graphs))]
        start = 0
        while start < len(items):
            stop, total = start, 0
            while stop < len(items) and (stop == start or total + items[stop].num_nodes <= max_nodes):
                total += items[stop].num_nodes
                stop += 1
            self.batches.append(Batch.from_data_list(items[start:stop]))
            start = stop
        self.y = (torch.cat([b.y.view(-1) for b in self.batches]).numpy() if self.batches
                  else np.zeros(0, dtype=np.int64))
        self._device = torch.device("cpu")

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device: torch.device) -> "EvalSet":
        if device != self._device:
            self.batches = [b.to(device) for b in self.batches]
            self._device = device
        return self

    @torch.inference_mode()
    def predict(self, model: nn.Module, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``[G, C]`` and labels ``[G]``."""
        self.to(device)
        was_training = model.training
        model.eval()
        logits = torch.cat([model(b).float().cpu() for b in self.batches]).numpy()
        model.train(was_training)
        return logits, self.y


def predict(model: nn.Module, loader, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``[G, C]`` and labels ``[G]`` of every graph of ``loader`` (an :class:`EvalSet` or a DataLoader)."""
    if isinstance(loader, EvalSet):
        return loader.predict(model, device)
    model.eval()
    logits, ys = [], []
    with torch.inference_mode():
        for batch in loader:
            batch = batch.to(device)
            logits.append(model(batch).float().cpu())
            ys.append(batch.y.view(-1).cpu())
    return torch.cat(logits).numpy(), torch.cat(ys).numpy()


# ----------------------------------------------------------------------------------------------------------------------
# One run
# ----------------------------------------------------------------------------------------------------------------------
@dataclass
class RunResult:
    seed: int
    best_epoch: int
    val: float
    test: float
    test_metrics: dict = field(default_factory=dict)
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    epochs_run: int = 0


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def support_class_means(train) -> torch.Tensor | None:
    """Mean support of each class of a distilled set (None for real graphs, which have no ``weight``).

    Supports are divided by their class mean before use, so that weighting never re-balances the classes (a
    majority class has far larger absolute supports).
    """
    w = getattr(train._data, "weight", None) if hasattr(train, "_data") else None
    if w is None:
        return None
    w, y = w.view(-1).double(), train._data.y.view(-1)
    means = torch.ones(int(train.num_classes), dtype=torch.float64)
    for c in torch.unique(y):
        means[c] = w[y == c].mean()
    return means.float()


def train_one(model: nn.Module, train, valid: EvalSet | DataLoader, test: EvalSet | DataLoader, metric: Metric,
              config: TrainConfig, seed: int, progress: bool = False, desc: str = "") -> RunResult:
    """Train ``model`` on ``train`` and select the epoch by the validation metric (early stopping with
    ``config.patience``)."""
    device = resolve_device(config.device)
    seed_everything(seed)
    model = model.to(device)
    means = support_class_means(train) if config.support != "none" else None
    if means is not None and config.support == "sample":
        y = train._data.y.view(-1)
        weights = train._data.weight.view(-1) / means[y]
        sampler = torch.utils.data.WeightedRandomSampler(weights.double(), num_samples=len(train), replacement=True,
                                                         generator=torch.Generator().manual_seed(seed))
        loader = DataLoader(train, batch_size=config.batch_size, sampler=sampler)
    else:
        loader = DataLoader(train, batch_size=config.batch_size, shuffle=True,
                            generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    best = RunResult(seed, -1, -math.inf, float("nan"))
    train_s = eval_s = 0.0
    since_best = 0
    epoch = 0
    with Progress(config.epochs, desc or "training", "epoch", enabled=progress) as bar:
        for epoch in range(1, config.epochs + 1):
            t0 = time.perf_counter()
            model.train()
            for batch in loader:
                batch = batch.to(device)
                opt.zero_grad()
                out = model(batch)
                loss = nn.functional.cross_entropy(out, batch.y.view(-1), reduction="none")
                if config.support == "loss" and means is not None:
                    w = batch.weight.view(-1) / means.to(device)[batch.y.view(-1)]
                    loss = (loss * w).sum() / w.sum()
                else:
                    loss = loss.mean()
                loss.backward()
                opt.step()
            t1 = time.perf_counter()
            train_s += t1 - t0
            if epoch % config.eval_every == 0 or epoch == config.epochs:
                val = metric(*reversed(predict(model, valid, device)))[metric.name]
                if not math.isnan(val) and val > best.val:
                    test_m = metric(*reversed(predict(model, test, device)))
                    best = RunResult(seed, epoch, val, test_m[metric.name], test_m)
                    since_best = 0
                else:
                    since_best += 1
                eval_s += time.perf_counter() - t1
                bar.update(config.eval_every if epoch % config.eval_every == 0 else epoch % config.eval_every,
                           val=float(val), best=float(best.val))
                if config.patience is not None and since_best >= config.patience:
                    break
    if best.best_epoch < 0:  # validation metric undefined throughout (e.g. one class only): report the last epoch
        t1 = time.perf_counter()
        test_m = metric(*reversed(predict(model, test, device)))
        eval_s += time.perf_counter() - t1
        best = RunResult(seed, epoch, float("nan"), test_m[metric.name], test_m)
    best.train_seconds, best.eval_seconds, best.epochs_run = train_s, eval_s, epoch
    return best


# ----------------------------------------------------------------------------------------------------------------------
# Several seeds
# ----------------------------------------------------------------------------------------------------------------------
def summarise(runs: Sequence[RunResult], paper_protocol: bool = False) -> dict:
    """Mean ± std over all runs (test metric, and accuracy / ROC-AUC where measured); with ``paper_protocol`` also
    the authors' mean/std of the 5 best runs by validation (labelled ``paper_top5_*``)."""
    if not runs:
        raise ParameterError("no runs to summarise")
    tests = np.array([r.test for r in runs], dtype=float)
    vals = np.array([r.val for r in runs], dtype=float)
    out = {
        "test_mean": _nanmean(tests), "test_std": _nanstd(tests),
        "val_mean": _nanmean(vals), "val_std": _nanstd(vals),
        "runs": [asdict(r) for r in runs],
    }
    for key in ("accuracy", "rocauc", "rocauc_macro"):
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


def eval_sets(dataset: GraphDataset) -> tuple[EvalSet, EvalSet]:
    """The validation and test splits of ``dataset``, collated once."""
    return EvalSet(dataset[dataset.split["valid"]]), EvalSet(dataset[dataset.split["test"]])


def train_and_evaluate(dataset: GraphDataset, train_set=None, *, model: str = "gin", seeds: Sequence[int] = (0,),
                       config: TrainConfig | None = None, paper_protocol: bool = False, progress: bool = False,
                       hops: int | None = None, evals: tuple[EvalSet, EvalSet] | None = None) -> dict:
    """Train ``model`` once per seed on ``train_set`` (a distilled set, or None for the full training split) and
    evaluate on ``dataset``'s real validation and test splits.

    Args:
        evals: the validation and test :class:`EvalSet` (built from ``dataset`` when None; pass them to share the
            collation across calls).

    Returns:
        a dict with ``dataset, model, source, metric, readout, test_mean, test_std, val_mean, seeds, train_seconds,
        eval_seconds, epochs`` and the per-seed ``runs``.

    Raises:
        MirageError: the distilled set does not belong to ``dataset``, a split is empty, or no seed is given.
    """
    from .distilled import check_compatible

    config = config or TrainConfig()
    resolve_device(config.device)
    seeds = list(seeds)
    if not seeds:
        raise MirageError("no seeds given: train at least one seed")
    meta = dataset.meta
    if train_set is not None and hasattr(train_set, "meta"):
        check_compatible(train_set.meta, meta)
    for part in ("train", "valid", "test"):
        if part not in dataset.split or len(dataset.split[part]) == 0:
            raise MirageError(f"{meta.get('name', 'the dataset')} has no {part} graphs: cannot train and evaluate")
    source = "full" if train_set is None else train_set.meta.get("method", "distilled")
    readout = config.readout or (getattr(train_set, "meta", {}) or {}).get("readout") or DEFAULT_READOUT
    if train_set is None:
        train_set = dataset[dataset.split["train"]]
    if len(np.unique(dataset._data.y.view(-1).numpy())) < 2:
        raise MirageError(f"{meta.get('name', 'the dataset')} has a single class: there is nothing to classify")
    valid, test = evals if evals is not None else eval_sets(dataset)
    metric = Metric(meta["name"], int(meta["num_classes"]), meta["kind"])
    layers = config.num_layers or hops or getattr(train_set, "meta", {}).get("hops") or meta.get("hops", 2)
    runs = []
    for seed in seeds:
        seed_everything(seed)
        net = make_model(model, int(meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"],
                         encoder=meta["encoder"], num_layers=int(layers), hidden=config.hidden,
                         dropout=config.dropout, readout=readout)
        runs.append(train_one(net, train_set, valid, test, metric, config, seed, progress,
                              desc=f"{meta['name']} {model} on {source}, seed {seed}"))
    out = {"dataset": meta["name"], "model": model, "source": source, "metric": metric.name, "readout": readout,
           "seeds": seeds, "epochs": config.epochs, "layers": int(layers),
           "train_graphs": len(train_set), "support": config.support,
           "train_seconds": float(np.mean([r.train_seconds for r in runs])),
           "eval_seconds": float(np.mean([r.eval_seconds for r in runs]))}
    out.update(summarise(runs, paper_protocol))
    return out
