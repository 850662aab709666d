"""Presets: the authors' released settings per dataset, as configuration (``--preset paper``).

Source: the authors' public release of Mirage (GitHub ``frigategnn/Mirage``, same tree as ``idea-iitd/Mirage``), its
per-dataset configs, scripts and logs, summarised as numbers in ``shared/reference/mirage-release-settings.md``.

Distillation (:data:`PAPER_DISTILL`): tree depth, absolute support threshold per class, all frequent sets, and
either no cross-class filter or the authors' exact one (a set mined for class c is dropped when the same set is
frequent in the other class at that class's own threshold). Where the release lowers the thresholds in steps
(NCI1, ogbg-molbbbp, IMDB-BINARY), step k uses ``threshold + k * step_size`` for every class, and the step is chosen
on the validation split (:func:`graph_mirage.workflows.select_step`) — as the release does, by the mean validation
score of GNNs trained on each step's set.

Training (:data:`PAPER_TRAIN`): the release's GNN settings per dataset (layers, hidden size, dropout, optimiser,
epochs, batch size, readout), so "their recipe on our engine" is one flag: ``mirage train ... --train-preset paper``.
Not reproduced: batch norm and jumping-knowledge variants of their models; graph-mirage's models have neither.

Example:
    >>> distill_preset("NCI1").thresholds(1)
    {0: 440, 1: 570}
    >>> paper_train_config("ogbg-molbace", "gin").dropout
    0.6
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import MirageError
from .defaults import PRESETS

if TYPE_CHECKING:
    from ..training.config import TrainConfig


@dataclass(frozen=True)
class DistillPreset:
    """A dataset's distillation settings.

    Attributes:
        dataset: dataset name.
        hops: computation-tree depth.
        support: absolute support threshold per class at step 0.
        exclusive: the authors' cross-class filter (see :class:`graph_mirage.Mirage`).
        step_size: change of every class's threshold per step (negative: lower).
        steps: number of threshold steps tried (1: no search).
        pipeline: which pipeline of the release these numbers come from.
    """

    dataset: str
    hops: int
    support: dict
    exclusive: bool = False
    step_size: int = 0
    steps: int = 1
    pipeline: str = ""

    def thresholds(self, step: int = 0) -> dict[int, int]:
        """The per-class absolute thresholds of ``step``."""
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < self.steps:
            raise MirageError(f"the {self.dataset} preset has {self.steps} threshold step(s) (0..{self.steps - 1}), "
                              f"got step {step!r}")
        return {int(c): int(s) + step * self.step_size for c, s in self.support.items()}

    def params(self, step: int = 0, **overrides) -> dict:
        """The keyword arguments of a :class:`graph_mirage.Mirage` at these settings (``overrides`` win)."""
        kwargs = dict(hops=self.hops, min_support=self.thresholds(step), itemsets="all", overlap=None,
                      exclusive=self.exclusive, readout="sum")
        kwargs.update(overrides)
        return kwargs


PAPER_DISTILL: dict[str, DistillPreset] = {p.dataset: p for p in [
    DistillPreset("ogbg-molhiv", 3, {0: 1800, 1: 115}, pipeline="C++ tree labelling + pyfpgrowth"),
    DistillPreset("ogbg-molbace", 3, {0: 150, 1: 104}, pipeline="C++ + pyfpgrowth"),
    DistillPreset("DD", 1, {0: 15, 1: 9}, pipeline="C++ + pyfpgrowth"),
    DistillPreset("NCI1", 2, {0: 460, 1: 590}, exclusive=True, step_size=-20, steps=2, pipeline="Python"),
    DistillPreset("ogbg-molbbbp", 2, {0: 25, 1: 110}, exclusive=True, step_size=-1, steps=2, pipeline="Python"),
    DistillPreset("IMDB-BINARY", 2, {0: 14, 1: 15}, exclusive=True, step_size=-1, steps=10,
                  pipeline="Python (node label = degree)"),
]}


@dataclass(frozen=True)
class TrainPreset:
    """A dataset's training recipe; ``per_model`` overrides the defaults for one GNN."""

    dataset: str
    defaults: dict
    per_model: dict = field(default_factory=dict)

    def config(self, model: str, **overrides) -> TrainConfig:
        from ..training.config import TrainConfig

        kw = dict(self.defaults)
        kw.update(self.per_model.get(model, {}))
        kw.update(overrides)
        return TrainConfig(**kw)


_ADAM = dict(lr=1e-3, weight_decay=1e-2)  # the release's default optimiser settings
PAPER_TRAIN: dict[str, TrainPreset] = {p.dataset: p for p in [
    TrainPreset("ogbg-molhiv", dict(_ADAM, hidden=128, epochs=30, batch_size=32, readout="sum"), {
        "gcn": dict(num_layers=3, dropout=0.1, batch_size=64),
        "gat": dict(num_layers=2, dropout=0.1, weight_decay=1e-6),
        "gin": dict(num_layers=2, dropout=0.2)}),
    TrainPreset("ogbg-molbace", dict(_ADAM, hidden=128, num_layers=3, dropout=0.6, epochs=30, batch_size=32,
                                     readout="sum")),
    TrainPreset("ogbg-molbbbp", dict(hidden=128, num_layers=3, dropout=0.3, lr=1e-3, weight_decay=1e-3, epochs=401,
                                     batch_size=64, readout="mean")),
    TrainPreset("NCI1", dict(_ADAM, hidden=128, num_layers=2, dropout=0.5, epochs=301, batch_size=500,
                             readout="sum")),
    TrainPreset("IMDB-BINARY", dict(hidden=64, num_layers=3, dropout=0.2, lr=1e-3, weight_decay=0.1, epochs=1500,
                                    eval_every=10, batch_size=32, readout="sum")),
    TrainPreset("DD", dict(_ADAM, hidden=64, num_layers=2, epochs=100, batch_size=64, readout="sum"), {
        "gcn": dict(dropout=0.4), "gat": dict(dropout=0.1), "gin": dict(hidden=128, dropout=0.2)}),
]}


def _lookup(table: dict, dataset: str, preset: str, what: str):
    if preset not in PRESETS:
        raise MirageError(f"unknown preset {preset!r}; known: {', '.join(PRESETS)}")
    if dataset not in table:
        raise MirageError(f"the {preset} preset has no {what} settings for {dataset!r}; it has them for "
                          f"{', '.join(table)}")
    return table[dataset]


def distill_preset(dataset: str, preset: str = "paper") -> DistillPreset:
    """The distillation preset of ``dataset``; :class:`MirageError` names the datasets that have one."""
    return _lookup(PAPER_DISTILL, dataset, preset, "distillation")


def paper_train_config(dataset: str, model: str, preset: str = "paper", **overrides) -> TrainConfig:
    """The release's :class:`~graph_mirage.training.TrainConfig` for ``dataset`` and ``model``."""
    return _lookup(PAPER_TRAIN, dataset, preset, "training").config(model, **overrides)
