"""Train a GNN on a distilled set (or on the full training split) and evaluate it on the real graphs.

The epoch is selected by the validation metric on the real validation split; the test metric at that epoch is
reported. Metrics: ROC-AUC for binary tasks (through ``ogb.graphproppred.Evaluator`` for OGB datasets), accuracy
(and macro one-vs-rest ROC-AUC) for multi-class tasks. Results over seeds are summarised as mean ± std over all
seeds; the authors' protocol (mean of the 5 best of 10 runs by validation) is available, labelled as such.

Example:
    >>> result = train_and_evaluate(ds, distilled, model="gin", seeds=[0, 1, 2])    # doctest: +SKIP
    >>> result["test_mean"], result["test_std"]                                    # doctest: +SKIP
"""

from __future__ import annotations

import math
import random
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Sequence

import numpy as np
import torch
from torch import nn
from torch_geometric.loader import DataLoader

from .data import GraphDataset
from .errors import MirageError
from .models import make_model

SUPPORT_MODES = ("none", "loss", "sample")


@dataclass
class TrainConfig:
    """Training hyper-parameters (validated on construction).

    Args:
        epochs: passes over the training set.
        lr: Adam learning rate.
        batch_size: graphs per batch.
        weight_decay: Adam weight decay.
        hidden, dropout, readout, num_layers: model arguments (``num_layers`` None: the distillation hops).
        support: how distilled graphs' supports are used: ``"none"``, ``"loss"`` (loss weighted by support,
            normalised within each class) or ``"sample"`` (graphs drawn in proportion to that weight).
        device: ``"cpu"`` or ``"cuda"``.
        eval_every: evaluate on valid/test every this many epochs (and at the last epoch).
    """

    epochs: int = 100
    lr: float = 1e-3
    batch_size: int = 32
    weight_decay: float = 0.0
    hidden: int = 64
    dropout: float = 0.0
    readout: str = "mean"
    num_layers: int | None = None
    support: str = "none"
    device: str = "cpu"
    eval_every: int = 1

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "hidden", "eval_every"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {v!r}")
        if not self.lr > 0:
            raise ValueError(f"lr must be > 0, got {self.lr}")
        if self.support not in SUPPORT_MODES:
            raise ValueError(f"support must be one of {SUPPORT_MODES}, got {self.support!r}")
        if self.device not in ("cpu", "cuda") and not str(self.device).startswith("cuda:"):
            raise ValueError(f"device must be 'cpu' or 'cuda', got {self.device!r}")


def resolve_device(device: str) -> torch.device:
    """The torch device, with a clear error when CUDA is asked for but absent."""
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise MirageError(f"--device {device} was asked for but torch sees no CUDA device "
                          f"(torch {torch.__version__}, cuda build: {torch.version.cuda}); use --device cpu")
    return torch.device(device)


# ----------------------------------------------------------------------------------------------------------------------
# Metrics
# ----------------------------------------------------------------------------------------------------------------------
class Metric:
    """The evaluation metric of a dataset: ``rocauc`` for binary, ``accuracy`` for multi-class."""

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


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@torch.no_grad()
def predict(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``[G, C]`` and labels ``[G]`` of every graph of ``loader``."""
    model.eval()
    logits, ys = [], []
    for batch in loader:
        batch = batch.to(device)
        logits.append(model(batch).float().cpu())
        ys.append(batch.y.view(-1).cpu())
    return torch.cat(logits).numpy(), torch.cat(ys).numpy()


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


def train_one(model: nn.Module, train, valid_loader: DataLoader, test_loader: DataLoader, metric: Metric,
              config: TrainConfig, seed: int, progress: bool = False, desc: str = "") -> RunResult:
    """Train ``model`` on ``train`` and select the epoch by the validation metric."""
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
    t0 = time.perf_counter()
    bar = range(1, config.epochs + 1)
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(bar, desc=desc or "training", unit="epoch", file=sys.stderr, leave=False)
    for epoch in bar:
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
        if epoch % config.eval_every == 0 or epoch == config.epochs:
            val = metric(*reversed(predict(model, valid_loader, device)))[metric.name]
            if not math.isnan(val) and val > best.val:
                test_m = metric(*reversed(predict(model, test_loader, device)))
                best = RunResult(seed, epoch, val, test_m[metric.name], test_m)
            if progress:
                bar.set_postfix(val=f"{val:.3f}", best=f"{best.val:.3f}")
    best.train_seconds = time.perf_counter() - t0
    if best.best_epoch < 0:  # validation metric undefined throughout (e.g. one class only): report the last epoch
        test_m = metric(*reversed(predict(model, test_loader, device)))
        best = RunResult(seed, config.epochs, float("nan"), test_m[metric.name], test_m, best.train_seconds)
    return best


# ----------------------------------------------------------------------------------------------------------------------
# Several seeds
# ----------------------------------------------------------------------------------------------------------------------
def summarise(runs: Sequence[RunResult], paper_protocol: bool = False) -> dict:
    """Mean ± std over all runs; with ``paper_protocol`` also the authors' mean/std of the 5 best runs by
    validation (labelled ``paper_top5_*``)."""
    tests = np.array([r.test for r in runs], dtype=float)
    vals = np.array([r.val for r in runs], dtype=float)
    out = {
        "test_mean": float(np.nanmean(tests)), "test_std": float(np.nanstd(tests)),
        "val_mean": float(np.nanmean(vals)), "val_std": float(np.nanstd(vals)),
        "runs": [asdict(r) for r in runs],
    }
    if paper_protocol:
        top = np.argsort(-np.nan_to_num(vals, nan=-np.inf), kind="stable")[:5]
        out["paper_top5_test_mean"] = float(np.mean(tests[top]))
        out["paper_top5_test_std"] = float(np.std(tests[top]))
    return out


def train_and_evaluate(dataset: GraphDataset, train_set=None, *, model: str = "gin", seeds: Sequence[int] = (0,),
                       config: TrainConfig | None = None, paper_protocol: bool = False, progress: bool = False,
                       hops: int | None = None) -> dict:
    """Train ``model`` once per seed on ``train_set`` (a distilled set, or None for the full training split) and
    evaluate on ``dataset``'s real validation and test splits.

    Returns:
        a dict with ``dataset, model, source, metric, test_mean, test_std, val_mean, seeds, train_seconds, epochs``
        and the per-seed ``runs``.
    """
    config = config or TrainConfig()
    resolve_device(config.device)
    source = "full" if train_set is None else train_set.meta.get("method", "distilled")
    if train_set is None:
        train_set = dataset[dataset.split["train"]]
    valid = DataLoader(dataset[dataset.split["valid"]], batch_size=256)
    test = DataLoader(dataset[dataset.split["test"]], batch_size=256)
    meta = dataset.meta
    metric = Metric(meta["name"], int(meta["num_classes"]), meta["kind"])
    layers = config.num_layers or hops or getattr(train_set, "meta", {}).get("hops") or meta.get("hops", 2)
    runs = []
    for seed in seeds:
        seed_everything(seed)
        net = make_model(model, int(meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"],
                         encoder=meta["encoder"], num_layers=int(layers), hidden=config.hidden,
                         dropout=config.dropout, readout=config.readout)
        runs.append(train_one(net, train_set, valid, test, metric, config, seed, progress,
                              desc=f"{model} seed {seed}"))
    out = {"dataset": meta["name"], "model": model, "source": source, "metric": metric.name,
           "seeds": list(seeds), "epochs": config.epochs, "layers": int(layers),
           "train_graphs": len(train_set), "support": config.support,
           "train_seconds": float(sum(r.train_seconds for r in runs) / max(len(runs), 1))}
    out.update(summarise(runs, paper_protocol))
    return out
