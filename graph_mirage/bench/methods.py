"""The benchmark's methods, looked up by name: what each one trains on, made before any training.

Every distilled method is an estimator of the library (:mod:`graph_mirage.auto`, :mod:`graph_mirage.distill`,
:mod:`graph_mirage.baselines`); a method here only says how the benchmark builds it for a split:

=================  =====================================================================================================
``full``           the whole training split; its recipe (plain, or dropout 0.5 + weight decay 1e-4) is chosen per GNN
                   and split on validation, each run trained until the validation metric stops improving
``mirage-paper``   the paper's algorithm at the authors' released settings (:mod:`graph_mirage.config.presets`); where
                   the release searches threshold steps, the step is chosen per GNN and split on validation
``mirage-auto``    graph-mirage's default, :class:`~graph_mirage.AutoPrototypes` (chosen per split on its validation
                   graphs, no GNN trained; a tree bank on one task, each prototype its own DAG across tasks)
``mirage-bank``    the default's rule with a tree bank whatever the data (``AutoPrototypes(bank=True)``; several
                   tasks: every task's prototypes in one bank)
``mirage-plain``   the default's rule with each prototype its own DAG (``AutoPrototypes(bank=False)``: the default
                   before the tree bank became it; rows named ``mirage-auto`` in results written before then)
``mirage-proto``   :class:`~graph_mirage.TreePrototypes` at one fixed setting (hops 2, 5 per class; ``--proto``)
``doscond``/``kidd`` the learned baselines at their authors' settings (DosCond 1 graph per class, KiDD 10)
``herding-bytes``  real graphs chosen by herding, as many per class as fit in ``mirage-auto``'s bytes
``random-bytes``   real graphs drawn at random (a fresh draw per seed), as many per class as fit in those bytes
``mirage``         the itemset form's budget search (hops 2, ``--budgets`` graphs per class; per task and label)
``herding``/``random`` real graphs, as many per class as ``mirage`` made
``size-only``      logistic regression on the number of nodes and edges (:class:`~graph_mirage.baselines.SizeOnly`)
``wl-kernel``      a linear model on WL subtree counts (:class:`~graph_mirage.baselines.WLKernel`)
``--fractions F``  ``mirage-auto``, ``mirage-bank``, ``herding-bytes`` and ``random-bytes`` once per fraction ``F`` of
                   the training split's bytes instead (the bytes sweep): the default's rule (with or without a bank)
                   over a grid grown to 1000 per class under that cap (no floor of graphs per class), real graphs as
                   many per class as fit in ``F``
``permuted``       every distilled set above again, its labels permuted (one fixed permutation per seed): what the
                   protocol gives without the set's labels
=================  =====================================================================================================
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import BudgetError

if TYPE_CHECKING:
    from ..data import GraphDataset

# the learned baselines' graphs per class (DosCond's script.sh: --ipc=1; KiDD's default --gpc 10), quick steps
LEARNED = {"doscond": {"graphs_per_class": 1}, "kidd": {"graphs_per_class": 10}}
LEARNED_QUICK = {"doscond": {"steps": 5}, "kidd": {"updates": 3}}
PROTO = {"hops": 2, "per_class": 5}
SET_METHODS = ("mirage-paper", "mirage-auto", "mirage-bank", "mirage-plain", "mirage-proto", "doscond", "kidd",
               "herding-bytes", "random-bytes", "mirage", "herding", "random")
PROBES = ("size-only", "wl-kernel")


@dataclass
class TrainingSet:
    """One training set of one split (a distilled set file, or a random draw made per seed)."""

    method: str
    split: int
    step: int | None = None
    budget: int | float | None = None  # graphs per class of the itemset form, or a fraction of the bytes (a sweep)
    path: str | None = None
    k: dict | None = None  # random draws: graphs per class
    seconds: float = 0.0
    size: tuple | None = None  # (graphs, nodes, bytes)
    info: dict = field(default_factory=dict)


@dataclass
class SplitContext:
    """What a method needs to build its sets for one split."""

    name: str
    index: int
    ds: object
    tmp: Path
    quick: bool
    budgets: list
    log: object
    proto: dict | None = None  # mirage-proto's setting (None: PROTO)
    fractions: list | None = None  # the bytes sweep: fractions of the training split's bytes
    degrees: bool | None = None  # mirage-auto's and mirage-proto's leaves carry their real degrees (None: as default)
    roots: str = "top"  # how mirage-auto's, mirage-bank's and mirage-proto's prototypes choose their roots
    max_roots: int | None = None  # their most roots per prototype (None: the estimators' default)
    hops: tuple | None = None  # the depths the default's rule (mirage-auto/-bank/-plain) chooses among (None: 1, 2, 3)
    progress: bool = False  # a learned baseline (minutes to an hour) reports its steps while it distils
    made: dict = field(default_factory=dict)  # method -> DistilledDataset already made on this split
    errors: dict = field(default_factory=dict)  # (method, budget, step) -> why no set

    @property
    def train(self) -> GraphDataset:
        return self.ds[self.ds.split["train"]]

    @property
    def multitask(self) -> bool:
        return bool(self.ds.meta.get("num_tasks"))

    @property
    def groups(self) -> int:
        """Classes a byte budget is shared among (several tasks: one pool of graphs)."""
        return 1 if self.multitask else self.ds.num_classes

    @property
    def full_size(self) -> tuple[int, int, int]:
        from ..distilled import flat_bytes

        flat = self.train.flat()
        return len(flat.y), len(flat.x), flat_bytes(flat)


def size_of(d) -> tuple[int, int, int]:
    s = d.summary()
    return s["graphs"], s["nodes"], s["bytes"]


def _saved(ctx: SplitContext, method: str, d, seconds: float, **kw) -> TrainingSet:
    tag = "-".join(str(v) for v in (method, ctx.index, kw.get("step"), kw.get("budget")) if v is not None)
    path = d.save(ctx.tmp / f"{ctx.name.replace(':', '-')}-{tag}.npz")
    ctx.made.setdefault(method, d)
    return TrainingSet(method, ctx.index, path=str(path), seconds=seconds, size=size_of(d), **kw)


def _timed(fit):
    t0 = time.perf_counter()
    est = fit()
    return est, time.perf_counter() - t0


def make_paper(ctx: SplitContext) -> list[TrainingSet]:
    from ..config.presets import PAPER_DISTILL
    from ..distill import Mirage

    if ctx.name not in PAPER_DISTILL:
        return []
    preset, out = PAPER_DISTILL[ctx.name], []
    for step in range(preset.steps):
        try:
            est, secs = _timed(lambda st=step: Mirage(**preset.params(st)).fit(ctx.train))
        except BudgetError as e:
            ctx.log(f"[{ctx.name}] mirage-paper step {step}: no set ({e})")
            ctx.errors.setdefault(("mirage-paper", None, step), str(e))
            continue
        out.append(_saved(ctx, "mirage-paper", est.distilled_, secs, step=step,
                          info={"thresholds": preset.thresholds(step)}))
    return out


def make_auto(ctx: SplitContext, fraction: float | None = None, bank: bool | None = None,
              method: str = "mirage-auto") -> list[TrainingSet]:
    """The default (``bank``: None, its own choice of a tree bank; True or False, forced); at ``fraction`` (a sweep's
    point): its rule over :data:`SWEEP_PER_CLASS` under that cap alone. With several tasks, one setting for all of
    them (:class:`~graph_mirage.multitask.PerTask`; with ``bank=True`` every task's prototypes in one bank)."""
    from ..auto import AutoPrototypes
    from ..multitask import PerTask

    valid = ctx.ds[ctx.ds.split["valid"]]
    params = {"roots": ctx.roots, "bank": bank, "degrees": ctx.degrees,
              **({} if ctx.max_roots is None else {"max_roots": ctx.max_roots})}
    est = (AutoPrototypes(**params, **({} if ctx.hops is None else {"hops": list(ctx.hops)})) if fraction is None
           else _capped(fraction, ctx.hops, **params))
    est = PerTask(est) if ctx.multitask else est
    est, secs = _timed(lambda: est.fit(ctx.train, validation=valid))
    at = "" if fraction is None else f" at {100 * fraction:g} % of the bytes"
    ctx.log(f"[{ctx.name}] split {ctx.index}: {method} settings{at} {est.best_params_} ({secs:.1f} s)")
    return [_saved(ctx, method, est.distilled_, secs, budget=fraction, info={"settings": est.best_params_})]


def _capped(fraction: float, hops: tuple | None = None, **params):
    """The default's rule at a sweep's point: over :data:`SWEEP_PER_CLASS` under the cap ``fraction`` alone."""
    from ..auto import AutoPrototypes
    from ..config.defaults import AUTO_HOPS, SWEEP_PER_CLASS

    return AutoPrototypes(list(hops or AUTO_HOPS), SWEEP_PER_CLASS, max_fraction=fraction, min_graphs=0, **params)


def make_bank(ctx: SplitContext, fraction: float | None = None) -> list[TrainingSet]:
    """The default's rule with a tree bank whatever the data (several tasks: every task's prototypes in one bank)."""
    return make_auto(ctx, fraction, bank=True, method="mirage-bank")


def make_plain(ctx: SplitContext, fraction: float | None = None) -> list[TrainingSet]:
    """The default's rule with each prototype its own DAG (the default before the tree bank became it)."""
    return make_auto(ctx, fraction, bank=False, method="mirage-plain")


def make_proto(ctx: SplitContext) -> list[TrainingSet]:
    from ..prototypes import TreePrototypes

    params = dict(ctx.proto or PROTO, **({} if ctx.max_roots is None else {"max_roots": ctx.max_roots}))
    est, secs = _timed(lambda: TreePrototypes(**params, degrees=bool(ctx.degrees), roots=ctx.roots).fit(ctx.train))
    return [_saved(ctx, "mirage-proto", est.distilled_, secs, info={"settings": dict(params)})]


def _learned(method: str):
    def make(ctx: SplitContext) -> list[TrainingSet]:
        from ..baselines import DosCond, KiDD

        cls = DosCond if method == "doscond" else KiDD
        est = cls(**LEARNED[method], **(LEARNED_QUICK[method] if ctx.quick else {}))
        est = est.fit(ctx.train, progress=ctx.progress)
        d = est.distilled_
        ctx.log(f"[{ctx.name}] split {ctx.index}: {method} distilled in {est.seconds_:.1f} s ({d.nbytes()} bytes)")
        return [_saved(ctx, method, d, est.seconds_, info={"distilled_with": d.meta["distilled_with"],
                                                           "params": d.meta["params"]})]

    return make


def k_for_bytes(full_size: tuple[int, int, int], num_classes: int, nbytes: int) -> int:
    """Real graphs per class whose mean size fits in ``nbytes`` (at least 1)."""
    per_graph = full_size[2] / max(full_size[0], 1)
    return max(1, int(nbytes // (per_graph * num_classes)))


def _auto_bytes(ctx: SplitContext) -> int:
    if "mirage-auto" not in ctx.made:
        make_auto(ctx)
    return ctx.made["mirage-auto"].nbytes()


def _target(ctx: SplitContext, fraction: float | None) -> int:
    return _auto_bytes(ctx) if fraction is None else int(fraction * ctx.full_size[2])


def make_herding_bytes(ctx: SplitContext, fraction: float | None = None) -> list[TrainingSet]:
    from ..baselines import HerdingSelection

    target = _target(ctx, fraction)
    k = k_for_bytes(ctx.full_size, ctx.groups, target)
    t0 = time.perf_counter()
    d = HerdingSelection(k=k).fit(ctx.train).distilled_
    while d.nbytes() > target and k > 1:  # herding's picks can be larger than average
        # one graph per class at a time at the default's bytes; a sweep's cap can be hundreds of graphs over, so
        # there k shrinks in proportion (the set fits, perhaps a step below the most that would)
        k = k - 1 if fraction is None else max(1, min(k - 1, int(k * target / d.nbytes())))
        d = HerdingSelection(k=k).fit(ctx.train).distilled_
    return [_saved(ctx, "herding-bytes", d, time.perf_counter() - t0, budget=fraction, info={"k": k})]


def make_random_bytes(ctx: SplitContext, fraction: float | None = None) -> list[TrainingSet]:
    k = k_for_bytes(ctx.full_size, ctx.groups, _target(ctx, fraction))
    if ctx.multitask:  # graphs in all, not per class
        return [TrainingSet("random-bytes", ctx.index, budget=fraction, k=k, info={"k": k})]
    classes = np.unique(ctx.train.flat().y)
    return [TrainingSet("random-bytes", ctx.index, budget=fraction, k={int(c): k for c in classes}, info={"k": k})]


def make_budgeted(ctx: SplitContext) -> list[TrainingSet]:
    """``mirage`` at each budget, then ``herding`` and ``random`` with as many graphs per class as it made (several
    tasks: ``mirage`` per task and label through :class:`~graph_mirage.multitask.PerTask`, and no per-class
    selections: ``herding-bytes`` and ``random-bytes`` are the real-graph opponents there)."""
    from ..baselines import HerdingSelection
    from ..distill import Mirage

    if ctx.multitask:
        return _budgeted_per_task(ctx)
    out = []
    classes = np.unique(ctx.train.flat().y)
    for budget in ctx.budgets:
        k = {int(c): budget for c in classes}
        try:
            est, secs = _timed(lambda b=budget: Mirage(hops=2, budget=b).fit(ctx.train))
            out.append(_saved(ctx, "mirage", est.distilled_, secs, budget=budget))
            y = est.distilled_.y.numpy()
            k = {int(c): int((y == c).sum()) for c in np.unique(y)}
        except BudgetError as e:
            ctx.errors.setdefault(("mirage", budget, None), str(e))
        est, secs = _timed(lambda k=k: HerdingSelection(k=k).fit(ctx.train))
        out.append(_saved(ctx, "herding", est.distilled_, secs, budget=budget))
        out.append(TrainingSet("random", ctx.index, budget=budget, k=k))
    return out


def _budgeted_per_task(ctx: SplitContext) -> list[TrainingSet]:
    from ..distill import Mirage
    from ..multitask import PerTask

    out = []
    for budget in ctx.budgets:
        try:
            est, secs = _timed(lambda b=budget: PerTask(Mirage(hops=2, budget=b)).fit(ctx.train))
            out.append(_saved(ctx, "mirage", est.distilled_, secs, budget=budget))
        except BudgetError as e:
            ctx.errors.setdefault(("mirage", budget, None), str(e))
    return out


MAKERS = {"mirage-paper": make_paper, "mirage-auto": make_auto, "mirage-bank": make_bank, "mirage-plain": make_plain,
          "mirage-proto": make_proto,
          "doscond": _learned("doscond"), "kidd": _learned("kidd"), "herding-bytes": make_herding_bytes,
          "random-bytes": make_random_bytes}
BUDGETED = ("mirage", "herding", "random")
# made at each of --fractions when given
SWEPT = ("mirage-auto", "mirage-bank", "mirage-plain", "herding-bytes", "random-bytes")


def make_sets(ctx: SplitContext, methods) -> list[TrainingSet]:
    """Every training set of ``methods`` on this split (a method that cannot make one records why)."""
    sets = []
    for method in (m for m in SET_METHODS if m in methods and m in MAKERS):
        if method == "mirage-paper" and ctx.multitask:
            continue  # the paper's presets are single-task
        if method in ("doscond", "kidd") and ctx.multitask:
            from ..baselines.dense import single_task_only

            why = single_task_only("DosCond and KiDD", int(ctx.ds.meta["num_tasks"]))
            ctx.errors.setdefault((method, None, None), why)
            continue
        if method in SWEPT and ctx.fractions:
            made = [s for f in ctx.fractions for s in MAKERS[method](ctx, f)]
        elif method in SWEPT:
            made = MAKERS[method](ctx)
        else:
            try:
                made = MAKERS[method](ctx)
            except BudgetError as e:
                ctx.errors.setdefault((method, None, None), str(e))
                made = []
        sets += made
    if any(m in methods for m in BUDGETED):
        sets += [s for s in make_budgeted(ctx) if s.method in methods]
    return sets
