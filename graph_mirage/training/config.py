"""Training settings, devices, seeds and threads: the parts of training that need no model code.

Importing this module does not import PyTorch Geometric (the command line validates settings with it before any
long import).
"""

from __future__ import annotations

import contextlib
import math
import random
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..config.defaults import DEFAULT_READOUT, SUPPORT_MODES  # noqa: F401 - re-exported by graph_mirage.training
from ..config.defaults import READOUTS as READOUT_NAMES
from ..errors import MirageError, ParameterError

if TYPE_CHECKING:
    from typing import Iterator

    import torch

# several tasks have no one class to draw graphs by; their loss is weighted per task and label instead
SAMPLE_MULTITASK = ("support 'sample' (--weighting sample) draws graphs by one class's weights; a multi-task set "
                    "weights its loss per task and label instead: support 'loss' (--weighting loss)")


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
            normalised within each class; on several tasks each label within its task and label) or ``"sample"``
            (graphs drawn in proportion to that weight; one task only).
        device: ``"cpu"`` or ``"cuda"``.
        eval_every: evaluate on valid/test every this many epochs (and at the last epoch).
        patience: stop after this many evaluations without a better validation metric (None: never stop early).
        prior_correction: decide classes for the data's class balance, not the training set's: the logits of a
            model trained on a set whose class shares ``p_set`` differ from those of the data by ``log p_set -
            log p_data`` per class (logit adjustment, Menon et al., ICLR 2021), so ``log p_data - log p_set`` is
            added before the argmax (accuracy) and the softmax (multi-class ROC-AUC). Binary ROC-AUC does not change.
            Full-data training has ``p_set = p_data``: no change.
        bank_batches: train a tree bank's prototypes (a set made with ``bank=True``) in batches that are sub-DAGs
            of the bank (:class:`~graph_mirage.training.BankLoader`): the same prototypes per batch, each tree once
            (False: collated as separate graphs, each shared tree repeated).
        select_after: the first epoch the validation metric may choose (1: any); ``patience`` counts from it. A
            barely trained model can score well on a small validation split (graph size alone orders graphs), and
            choosing it is what a permuted-label control gets for free: docs/results, "Selecting the epoch after a
            warm-up".
        root_dropout: each training batch's readout pools each root with probability ``1 - root_dropout``
            (:func:`~graph_mirage.training.augment.drop_roots`; 0: every root).
        mixup: mixup of the pooled graph embeddings while training (:func:`~graph_mirage.training.augment.
            mixup_loss`): each batch is paired with a shuffle of itself and trained on ``lam * h_i + (1 - lam) *
            h_j`` against both targets, ``lam ~ Beta(mixup, mixup)`` once per batch (0: off).
        ema: the decay of an exponential moving average of the weights, updated once per epoch (PyTorch's
            ``swa_utils``; Polyak averaging): the average is what is validated, chosen and tested, so an epoch is
            chosen on a smoothed trajectory instead of one step's weights (0: off).
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
    prior_correction: bool = True
    bank_batches: bool = True
    select_after: int = 1
    root_dropout: float = 0.0
    mixup: float = 0.0
    ema: float = 0.0

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "hidden", "eval_every", "select_after"):
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
        check_root_dropout(self.root_dropout)
        check_mixup(self.mixup)
        check_ema(self.ema)
        if self.readout is not None and self.readout not in READOUT_NAMES:
            raise ParameterError(f"readout must be one of {', '.join(READOUT_NAMES)}, got {self.readout!r}")
        if self.support not in SUPPORT_MODES:
            raise ParameterError(f"support must be one of {SUPPORT_MODES}, got {self.support!r}")
        for name in ("prior_correction", "bank_batches"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name} must be True or False, got {getattr(self, name)!r}")
        check_select_after(self.select_after, self.epochs)
        check_device_name(self.device)


def check_select_after(select_after: int | None, epochs: int) -> None:
    """Refuse a warm-up (``TrainConfig.select_after``) that leaves no epoch of ``epochs`` to choose."""
    if select_after is not None and select_after > epochs:
        raise ParameterError(f"select_after ({select_after}) must be at most the epochs ({epochs}): no epoch would "
                             f"be left to choose")


def check_root_dropout(p: float | None) -> None:
    """Refuse a root dropout (``TrainConfig.root_dropout``) that is not a number in [0, 1) (None: not given)."""
    if p is not None and (isinstance(p, bool) or not isinstance(p, (int, float)) or not 0 <= p < 1):
        raise ParameterError(f"root_dropout must be in [0, 1), got {p!r}")


def check_mixup(alpha: float | None) -> None:
    """Refuse a mixup parameter (``TrainConfig.mixup``, Beta's alpha) that is not a finite number >= 0 (None: not
    given)."""
    if alpha is not None and (isinstance(alpha, bool) or not isinstance(alpha, (int, float))
                              or not math.isfinite(alpha) or alpha < 0):
        raise ParameterError(f"mixup must be a number >= 0 (Beta's alpha; 0: off), got {alpha!r}")


def check_ema(decay: float | None) -> None:
    """Refuse an averaging decay (``TrainConfig.ema``) that is not a number in [0, 1) (None: not given)."""
    if decay is not None and (isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 <= decay < 1):
        raise ParameterError(f"ema must be in [0, 1) (the average's decay per epoch; 0: off), got {decay!r}")


def check_device_name(device: str) -> None:
    """Refuse a device string that is not ``cpu``, ``cuda`` or ``cuda:N``, with the values that work."""
    ok = isinstance(device, str) and (device in ("cpu", "cuda") or (
        device.startswith("cuda:") and device[5:].isdigit()))
    if not ok:
        raise ParameterError(f"device must be 'cpu', 'cuda' or 'cuda:N', got {device!r}")


def resolve_device(device: str) -> torch.device:
    """The torch device, with a clear error when CUDA is asked for but absent."""
    import torch

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


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@contextlib.contextmanager
def torch_threads(threads: int | None) -> Iterator[None]:
    """Run a block with ``threads`` torch threads (None: leave torch's setting), restoring the previous count.

    Small GNNs are Python-bound: one thread is fastest whenever anything else runs (measured in docs/results), so
    every library call that trains takes ``threads=1`` by default.
    """
    import torch

    if threads is None:
        yield
        return
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise ParameterError(f"threads must be an integer >= 1 or None, got {threads!r}")
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)
