"""``train`` (a GNN on a distilled set or the full split, tested on the real graphs) and ``run`` (the main job:
distil, train on the set and on the full split, side by side)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..errors import MirageError, ParameterError
from .distill import DistillOutcome, distill
from .settings import DataSettings, DistillSettings, TrainSettings, check_output


def check_train(data: DataSettings, t: TrainSettings, distilled: str | None) -> None:
    """The refusals of :func:`train` that need no dataset: settings, and a distilled file that is not one."""
    data.check()
    t.check()
    if t.choose_lr and distilled is None:
        raise ParameterError("--choose-lr chooses a distilled set's learning rate by its margin over its control: "
                             "give --distilled (the full split has no control)")
    if distilled is not None:
        from ..fileio import check_distilled_file

        check_distilled_file(distilled)  # before PyTorch is imported
        data.check_set(distilled)  # another dataset's set, too
        from ..distilled import DistilledDataset

        d = DistilledDataset.load(distilled)  # a bad file fails before the dataset is loaded
        if t.weighting == "sample" and d.meta.get("num_tasks"):
            from ..training.config import SAMPLE_MULTITASK

            raise ParameterError(SAMPLE_MULTITASK)
    if t.device != "cpu":
        from ..training.config import resolve_device

        resolve_device(t.device)


def train(data: DataSettings, t: TrainSettings, distilled: str | None = None, *, progress: bool = False,
          dataset=None) -> dict:
    """Train ``t.model`` for ``t.seeds`` seeds on the distilled set in file ``distilled`` (None: the full training
    split) and evaluate on the real validation and test splits; returns
    :func:`~graph_mirage.training.train_and_evaluate`'s result (with ``t.control``, a distilled set's:
    :func:`~graph_mirage.training.train_with_control`'s, its permuted-label control and margin beside it)."""
    from ..distilled import DistilledDataset, check_compatible
    from ..training import train_and_evaluate, train_with_control, warn_if_early

    check_train(data, t, distilled)
    train_set = DistilledDataset.load(distilled) if distilled else None
    ds = dataset if dataset is not None else data.load(progress)
    if train_set is not None:
        check_compatible(train_set.meta, ds.meta, distilled)
    if t.choose_lr:  # check_train refused it without a set
        from ..training import choose_by_margin

        result = choose_by_margin(ds, train_set, t.lr_configs(ds.name), model=t.model, seeds=range(t.seeds),
                                  paper_protocol=t.paper_protocol, progress=progress, threads=t.threads)
    else:
        trainer = train_with_control if train_set is not None and t.control else train_and_evaluate
        result = trainer(ds, train_set, model=t.model, seeds=range(t.seeds), config=t.config(ds.name),
                         paper_protocol=t.paper_protocol, progress=progress, threads=t.threads)
    warn_if_early(result)
    return result


@dataclass
class RunOutcome:
    """The main job's results: the distillation, training on the set, and training on the full split (or None)."""

    dataset: object
    distilled: DistillOutcome
    on_set: dict
    full: dict | None


def run(s: DistillSettings, t: TrainSettings, *, full: bool = True, full_epochs: int | None = None,
        log=None, progress: bool = False) -> RunOutcome:
    """Distil, train on the distilled set (with ``t.control``, beside its permuted-label control; with
    ``t.choose_lr``, at the learning rate of its largest validation margin over that control), and (``full``) on the
    full training split with the same recipe."""
    from .distill import check_distill

    check_distill(s)
    t.check()
    if full and full_epochs is not None:
        t.check_select_after(full_epochs)  # the full split's runs: refused now, not after the distillation
    if s.out is not None:
        check_output(s.out)
    if s.engine != "memory":
        raise MirageError("mirage run distils in memory; use mirage distill --engine spark, then mirage train")
    from ..training import (  # PyTorch, PyG: after the checks
        check_evaluable,
        choose_by_margin,
        train_and_evaluate,
        train_with_control,
        warn_if_early,
    )
    ds = s.data.load(progress)
    check_evaluable(ds)  # before the distillation, not after it
    outcome = distill(s.replace(threads=t.threads), log=log, progress=progress, dataset=ds)
    cfg = t.config(ds.name)
    if t.choose_lr:  # the set's rate by its margin over its control; full data keeps the recipe's
        on_set = choose_by_margin(ds, outcome.distilled, t.lr_configs(ds.name), model=t.model, seeds=range(t.seeds),
                                  progress=progress, threads=t.threads)
    else:
        trainer = train_with_control if t.control else train_and_evaluate
        on_set = trainer(ds, outcome.distilled, model=t.model, seeds=range(t.seeds), config=cfg, progress=progress,
                         threads=t.threads)
    warn_if_early(on_set)
    on_full = None
    if full:
        on_full = train_and_evaluate(ds, None, model=t.model, seeds=range(t.seeds),
                                     config=replace(cfg, epochs=full_epochs or cfg.epochs, support="none"),
                                     progress=progress, threads=t.threads)
    return RunOutcome(ds, outcome, on_set, on_full)
