"""One training run: a model trained on a set of graphs, its epoch selected on the real validation split.

The epoch with the best validation metric is reported (the test metric at that epoch), and so is the last epoch's
test metric, so that a reader sees what the selection contributes.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import torch
from torch import nn
from torch_geometric.loader import DataLoader

from ..progress import Progress
from .augment import drop_roots, mixup_loss
from .bankloader import BankLoader, has_bank
from .config import TrainConfig, resolve_device, seed_everything
from .evalset import EvalSet, predict
from .metrics import Metric, fit_decision_bias, guarded_bias


@dataclass
class RunResult:
    """One run's outcome.

    Attributes:
        seed: the training seed.
        best_epoch: the epoch chosen on validation; val / test: the metric there; test_metrics: every metric there.
        val_last / test_last / test_last_metrics: the same at the last epoch run.
        train_seconds, eval_seconds, epochs_run: cost.
    """

    seed: int
    best_epoch: int
    val: float
    test: float
    test_metrics: dict = field(default_factory=dict)
    train_seconds: float = 0.0
    eval_seconds: float = 0.0
    epochs_run: int = 0
    val_last: float = float("nan")
    test_last: float = float("nan")
    test_last_metrics: dict = field(default_factory=dict)


def support_class_means(train) -> torch.Tensor | None:
    """Mean support of each class of a distilled set (None for real graphs, which have no ``weight``): ``[C]``, or
    for several binary tasks ``[T, 2]`` — per task and label, over the graphs labelled so there (1 where none is).

    Supports are divided by their class mean before use, so that weighting never re-balances the classes (a
    majority class has far larger absolute supports).
    """
    try:
        w = train.weight
    except AttributeError:
        return None
    if train.y.dim() == 2 and train.y.is_floating_point():  # several tasks: a class is a task's label
        w, y = w.view(-1, 1).double(), train.y.double()
        means = torch.ones(y.size(1), 2, dtype=torch.float64)
        for label in (0, 1):
            hit = (y == label).double()  # NaN (missing) is neither label
            n = hit.sum(0)
            means[:, label] = torch.where(n > 0, (hit * w).sum(0) / n.clamp_min(1), means[:, label])
        return means.float()
    w, y = w.view(-1).double(), train.y.view(-1)
    means = torch.ones(int(train.num_classes), dtype=torch.float64)
    for c in torch.unique(y):
        means[c] = w[y == c].mean()
    return means.float()


def _loader(train, config: TrainConfig, seed: int, means: torch.Tensor | None):
    """Batches of ``train``: a tree bank's prototypes as sub-DAGs of the bank (the same prototypes per batch)."""
    loader = BankLoader if config.bank_batches and has_bank(train) else DataLoader
    if means is not None and config.support == "sample":
        weights = train.weight.view(-1) / means[train.y.view(-1)]
        sampler = torch.utils.data.WeightedRandomSampler(weights.double(), num_samples=len(train), replacement=True,
                                                         generator=torch.Generator().manual_seed(seed))
        return loader(train, batch_size=config.batch_size, sampler=sampler)
    return loader(train, batch_size=config.batch_size, shuffle=True, generator=torch.Generator().manual_seed(seed))


def task_loss(logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None = None,
              means: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy over the labelled entries of several tasks (``y [G, T]``, NaN where missing), as OGB's
    reference code for its multi-task molecule datasets; with ``weight [G]`` (supports) and ``means [T, 2]``
    (:func:`support_class_means`) each entry weighted by its graph's support over the mean support of its task and
    label."""
    labelled = ~torch.isnan(y)
    if weight is None:
        return nn.functional.binary_cross_entropy_with_logits(logits[labelled], y[labelled])
    label = torch.nan_to_num(y, nan=0.0).long()  # a missing entry's weight is never read
    w = weight.view(-1, 1) / means[torch.arange(y.size(1), device=y.device), label]
    loss = nn.functional.binary_cross_entropy_with_logits(logits[labelled], y[labelled], reduction="none")
    return (loss * w[labelled]).sum() / w[labelled].sum()


def _epoch(model: nn.Module, loader, opt, device, config: TrainConfig, means: torch.Tensor | None) -> None:
    model.train()

    def loss(logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None) -> torch.Tensor:
        return _loss(logits, y, weight, config, means)

    for batch in loader:
        batch = drop_roots(batch.to(device), config.root_dropout)
        opt.zero_grad()
        weight = getattr(batch, "weight", None)
        if config.mixup > 0:
            mixup_loss(model, batch, loss, config.mixup).backward()
        else:
            loss(model(batch), batch.y, weight).backward()
        opt.step()


def _loss(logits: torch.Tensor, y: torch.Tensor, weight: torch.Tensor | None, config: TrainConfig,
          means: torch.Tensor | None) -> torch.Tensor:
    """A batch's loss against targets ``y`` (``[B]`` classes, or ``[B, T]`` labels of several tasks), each graph
    weighted by its support ``weight [B]`` where ``config.support`` is ``"loss"``."""
    weighted = config.support == "loss" and means is not None
    if y.dim() == 2 and y.is_floating_point():  # several binary tasks
        return task_loss(logits, y, weight if weighted else None, means.to(y.device) if weighted else None)
    y = y.view(-1)
    out = nn.functional.cross_entropy(logits, y, reduction="none")
    if not weighted:
        return out.mean()
    w = weight.view(-1) / means.to(y.device)[y]
    return (out * w).sum() / w.sum()


def _test_metrics(model: nn.Module, test, device, metric: Metric, val_y, val_logits) -> dict:
    """The test metrics, with the decisions also taken after a bias fitted on the validation split's logits (for the
    data's class shares, ``metric.prior``) where it decides validation no worse than the prior correction
    (:func:`~.metrics.keep_decision_bias`); ``calibration_kept``: the share of tasks where it does (0 or 1 for one)."""
    fitted = fit_decision_bias(val_y, val_logits, metric.num_tasks, metric.prior, guard=False)
    calibration, keep = guarded_bias(val_y, val_logits, fitted, metric.shift, metric.num_tasks, metric.prior)
    test_logits, test_y = predict(model, test, device)
    out = metric(test_y, test_logits, calibration)
    if keep is not None:
        out["calibration_kept"] = float(keep.mean())
    return out


def _weights(model: nn.Module) -> dict:
    """A copy of the model's weights (``load_state_dict`` gives them back)."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _best_metrics(model: nn.Module, state: dict, test, device, metric: Metric, valid: tuple) -> dict:
    """The test metrics of the weights ``state`` (the best epoch's), the model's own weights restored after."""
    last = _weights(model)
    model.load_state_dict(state)
    try:
        return _test_metrics(model, test, device, metric, *valid)
    finally:
        model.load_state_dict(last)


def _averaged(model: nn.Module, decay: float) -> nn.Module | None:
    """An exponential moving average of ``model``'s weights and buffers (``TrainConfig.ema``; None when 0)."""
    if not decay:
        return None
    from torch.optim.swa_utils import AveragedModel, get_ema_multi_avg_fn

    return AveragedModel(model, multi_avg_fn=get_ema_multi_avg_fn(decay), use_buffers=True)


def train_one(model: nn.Module, train, valid: EvalSet | DataLoader, test: EvalSet | DataLoader, metric: Metric,
              config: TrainConfig, seed: int, progress: bool = False, desc: str = "") -> RunResult:
    """Train ``model`` on ``train`` and select the epoch by the validation metric among epochs from
    ``config.select_after`` on (early stopping with ``config.patience``, counted from there); ``metric`` decides with
    its own prior shift."""
    device = resolve_device(config.device)
    seed_everything(seed)
    model = model.to(device)
    means = support_class_means(train) if config.support != "none" else None
    loader = _loader(train, config, seed, means)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    averaged = _averaged(model, config.ema)
    judged = model if averaged is None else averaged.module  # the weights validated, chosen and tested
    best = RunResult(seed, -1, -math.inf, float("nan"))
    best_state, best_valid = None, None  # the best epoch's weights and validation outputs: tested once, at the end
    train_s = eval_s = 0.0
    since_best, epoch, last_val, best_at_last = 0, 0, float("nan"), False
    with Progress(config.epochs, desc or "training", "epoch", enabled=progress) as bar:
        for epoch in range(1, config.epochs + 1):
            t0 = time.perf_counter()
            _epoch(model, loader, opt, device, config, means)
            if averaged is not None:
                averaged.update_parameters(model)
            t1 = time.perf_counter()
            train_s += t1 - t0
            if epoch % config.eval_every == 0 or epoch == config.epochs:
                val_logits, val_y = predict(judged, valid, device)
                last_val = metric.score(val_y, val_logits)
                choosable = epoch >= config.select_after  # before it the model trains without being chosen
                best_at_last = choosable and not math.isnan(last_val) and last_val > best.val
                if best_at_last:
                    best = RunResult(seed, epoch, last_val, float("nan"))
                    best_state = _weights(judged)
                    best_valid = (val_y, val_logits)
                    since_best = 0
                elif choosable:
                    since_best += 1
                eval_s += time.perf_counter() - t1
                bar.update(config.eval_every if epoch % config.eval_every == 0 else epoch % config.eval_every,
                           val=float(last_val), best=float(best.val))
                if config.patience is not None and since_best >= config.patience:
                    break
    t1 = time.perf_counter()
    # the last epoch is always evaluated (the last of config.epochs, or the one early stopping stopped at)
    last_m = _test_metrics(judged, test, device, metric, val_y, val_logits)
    if best.best_epoch < 0:  # validation metric undefined throughout (e.g. one class only): report the last epoch
        best = RunResult(seed, epoch, float("nan"), last_m[metric.name], last_m)
    else:
        best_m = last_m if best_at_last else _best_metrics(judged, best_state, test, device, metric, best_valid)
        best.test, best.test_metrics = best_m[metric.name], best_m
    eval_s += time.perf_counter() - t1
    best.val_last, best.test_last, best.test_last_metrics = float(last_val), last_m[metric.name], last_m
    best.train_seconds, best.eval_seconds, best.epochs_run = train_s, eval_s, epoch
    return best
