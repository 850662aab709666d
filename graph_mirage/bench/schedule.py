"""One dataset of the benchmark: its splits, the training sets of every method, and the runs in two waves.

Wave 1 trains every training set (every threshold step of a preset) for every GNN and seed, and the full-data
recipes on their selection seeds. Then the choices that are made on validation are made — a preset's step per GNN and
split, the full-data recipe per GNN and split (:func:`graph_mirage.workflows.best_by_validation`) — and wave 2 trains
the chosen full-data recipe's remaining seeds and the permuted-label control of every chosen set.

With several distilled-set ``recipes`` (``mirage bench --recipes plain regularised``), every set is trained under
each of them for every seed, and the recipe (with a preset's step) is chosen per GNN, method and split by the mean
validation metric; the permuted control is trained under each recipe too and chooses its own the same way, so the
control keeps every freedom the set has. With ``recipe_rule="margin"`` (``--recipe-rule margin``) the recipe is
instead the one under which the set's mean validation metric exceeds its control's the most, and the control is read
under the set's recipe (a preset's step is still chosen on the set's own score). With the one default recipe, runs
and keys are those of before.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from ..config.defaults import DEFAULT_HOPS, TRAIN_RECIPES
from ..errors import MirageError
from ..progress import Progress
from .methods import PROBES, SET_METHODS, SplitContext, TrainingSet, make_sets
from .methods import PROBES as PROBE_METHODS
from .runs import FULL_RECIPES, FULL_SELECT_SEEDS, full_config, load

if TYPE_CHECKING:
    from ..training import TrainConfig

KNOWN = ("full", *SET_METHODS, *PROBE_METHODS, "permuted")


@dataclass
class Options:
    """The benchmark's settings for one dataset (see ``mirage bench --help``)."""

    models: list
    seeds: list
    budgets: list
    methods: tuple
    root: str | None = None
    quick: bool = False
    progress: bool = False
    log: object = print
    folds: int | None = None
    fold_seeds: int | None = None
    full_seeds: int | None = None
    readout: str | None = None
    epochs: int = 100
    cache_dir: str | None = None
    refresh: bool = False  # re-run cached runs that lack what today's runs compute (runs.OUTPUTS)
    proto: dict | None = None  # mirage-proto's setting (None: methods.PROTO)
    node_attributes: bool = False  # load TU datasets with their continuous node attributes
    degree_bins: str | None = None  # datasets without node labels get their degrees binned (load_dataset's option)
    split_column: str | None = None  # a CSV dataset's column of train / valid / test (None: its scaffold split)
    fractions: list | None = None  # the bytes sweep: the swept methods once per fraction of the training bytes
    degrees: bool | None = None  # graph-mirage's prototypes' leaves carry their real degrees (None: as the default)
    roots: str = "top"  # how graph-mirage's prototypes choose their roots (TreePrototypes(roots=...))
    max_roots: int | None = None  # graph-mirage's most roots per prototype (None: the estimators' default)
    recipes: tuple = ("plain",)  # the distilled sets' training recipes (TRAIN_RECIPES), chosen on validation
    recipe_rule: str = "score"  # how: the set's validation score, or its margin over its control there (RECIPE_RULES)
    select_after: int = 1  # every run (full data too) chooses its epoch from this one on (TrainConfig.select_after)
    full_layers: int | None = None  # message-passing layers of full data's GNNs (None: DEFAULT_HOPS)
    hops: tuple | None = None  # the depths the default's rule chooses among (None: AUTO_HOPS)

    def full_config(self, recipe: str) -> TrainConfig:
        """Full data's training settings under ``recipe`` (:func:`~graph_mirage.bench.runs.full_config`)."""
        return replace(full_config(recipe, self.readout, self.full_layers or DEFAULT_HOPS, self.quick),
                       select_after=self.select_after)

    def recipe_keys(self) -> dict:
        """``key -> recipe name`` of the distilled sets' recipes; the key is None for the one default recipe (the
        run keys and cached rows of a benchmark without ``--recipes``)."""
        return {None: "plain"} if tuple(self.recipes) == ("plain",) else {r: r for r in self.recipes}


@dataclass
class Collected:
    """Every run of a dataset: ``(model, method, budget, split, step, recipe) -> [(seed, run, size)]``."""

    runs: dict = field(default_factory=dict)
    sets: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    probes: dict = field(default_factory=dict)  # (method, split) -> (run dict, metric, info)
    metric: str | None = None
    full_sizes: list = field(default_factory=list)
    chosen: dict = field(default_factory=dict)  # (model, method, split) -> step or recipe

    seeds: list = field(default_factory=list)
    splits: list = field(default_factory=list)
    models: list = field(default_factory=list)

    def add(self, key: tuple, seed: int, out: dict) -> None:
        run = dict(out["run"], cached=bool(out.get("cached")))
        self.runs.setdefault(key, []).append((seed, run, out.get("size")))
        self.metric = self.metric or out["metric"]


def splits_of(name: str, root, folds: int | None, node_attributes: bool = False,
              degree_bins: str | None = None, split_column: str | None = None) -> list[dict | None]:
    """The ``load_dataset`` options of each split (None: the dataset's own split, loaded plainly;
    ``split_column`` applies to a CSV dataset only)."""
    from ..data.registry import resolve_spec

    kind = resolve_spec(name, root).kind
    extra = ({"node_attributes": True} if node_attributes else {}) | (
        {"degree_bins": degree_bins} if degree_bins else {}) | (
        {"split_column": split_column} if split_column and kind == "csv" else {})
    if folds is None or kind in ("ogb", "csv"):  # a scaffold or the file's split is kept
        return [extra or None]
    return [{"folds": folds, "fold": k, **extra} for k in range(folds)]


def models_of(models, name: str) -> list[str]:
    # GAT is omitted on IMDB-BINARY, which has no node features, as the paper does
    return [m for m in models if not (m == "gat" and name == "IMDB-BINARY")]


def _probe(method: str, ds) -> tuple[dict, str, dict]:
    from ..baselines import SizeOnly, WLKernel
    from ..training import Metric

    est = (SizeOnly() if method == "size-only" else WLKernel()).fit(ds)
    metric = Metric(ds.meta["name"], ds.num_classes, ds.meta["kind"], num_tasks=ds.meta.get("num_tasks"))
    y = ds.y.numpy() if ds.meta.get("num_tasks") else ds.y.view(-1).numpy()
    te, va = ds.split["test"].numpy(), ds.split["valid"].numpy()
    test_m = metric(y[te], est.logits(te))
    val = metric(y[va], est.logits(va))[metric.name]
    run = {"seed": None, "best_epoch": 0, "val": val, "test": test_m[metric.name], "test_metrics": test_m,
           "train_seconds": est.seconds_, "eval_seconds": 0.0, "epochs_run": 0, "val_last": val,
           "test_last": test_m[metric.name], "test_last_metrics": test_m}
    return run, metric.name, {"params": est.best_params_}


def make_split(name: str, o: Options, si: int, split: dict | None, tmp: Path, log) -> dict:
    """Every training set and probe of split ``si`` (what :func:`collect_sets` collects), its messages sent to
    ``log``."""
    from ..training import check_evaluable

    ds = load(name, o.root, split)
    check_evaluable(ds)
    ctx = SplitContext(name, si, ds, tmp, o.quick, o.budgets, log, proto=o.proto, fractions=o.fractions,
                       degrees=o.degrees, roots=o.roots, max_roots=o.max_roots, hops=o.hops,
                       progress=o.progress)
    sets = make_sets(ctx, o.methods)
    probes = {(method, si): _probe(method, ds) for method in PROBES if method in o.methods}
    return {"full_size": ctx.full_size, "sets": sets, "errors": ctx.errors, "probes": probes}


def split_task(args: tuple) -> dict:
    """:func:`make_split` in a worker: its messages come back with its sets, to be printed in split order. One
    BLAS/OpenMP thread, as torch has in a worker: two workers with a pool of threads each on two cores made PROTEINS's
    ten folds several times slower than one process making them in order (``benchmarks/set_making.py`` without this
    limit)."""
    from threadpoolctl import threadpool_limits

    lines: list[str] = []
    with threadpool_limits(1):
        return make_split(*args, lines.append) | {"log": lines}


def collect_sets(name: str, runner, tmp: Path, o: Options, splits: list, col: Collected) -> None:
    """The splits' sets, on the training workers when there are several splits (they are independent, and the
    workers would otherwise wait), in split order either way."""
    if runner.pool is None or len(splits) == 1:
        outs = (make_split(name, o, si, split, tmp, o.log) for si, split in enumerate(splits))
    else:
        # what crosses to a worker must pickle; its messages come back as lines, and its steps would interleave
        # with the other worker's (the splits' own bar keeps the log going)
        quiet = replace(o, log=None, progress=False)
        outs = runner.imap([(name, quiet, si, split, tmp) for si, split in enumerate(splits)], split_task)
    with Progress(len(splits), f"[{name}] training sets", "split", enabled=o.progress and len(splits) > 1) as bar:
        for out in outs:
            for line in out.get("log", ()):
                o.log(line)
            col.full_sizes.append(out["full_size"])
            col.sets += out["sets"]
            col.errors.update(out["errors"])
            col.probes.update(out["probes"])
            bar.update(1)


def _task(name: str, o: Options, split: dict | None, model: str, seed: int, config, method: str,
          s: TrainingSet | None = None, permute: bool = False) -> dict:
    return {"dataset": name, "root": None if o.root is None else str(o.root), "split": split, "model": model,
            "seed": seed, "config": config, "method": method, "path": s.path if s else None,
            "k": s.k if s else None, "permute": permute, "cache_dir": o.cache_dir,
            "refresh": o.refresh}


def _wave(name: str, runner, tasks: list, keys: list, col: Collected, o: Options, what: str) -> None:
    with Progress(len(tasks), f"[{name}] {what}", "run", enabled=o.progress) as bar:
        for key, out in zip(keys, runner.imap(tasks)):
            col.add(key[:-1], key[-1], out)
            bar.update(1)


def run_dataset(name: str, runner, tmp: Path, o: Options) -> Collected:
    """Make every training set of ``name`` and train every run (cached runs are read, not trained)."""
    from ..training import TrainConfig
    from ..workflows.select import best_by_validation

    unknown = [m for m in o.methods if m not in KNOWN]
    if unknown:
        raise MirageError(f"unknown method(s) {unknown}; known: {', '.join(KNOWN)}")
    splits = splits_of(name, o.root, o.folds, o.node_attributes, o.degree_bins, o.split_column)
    seeds = o.seeds[:o.fold_seeds] if len(splits) > 1 and o.fold_seeds else o.seeds
    models = models_of(o.models, name)
    col = Collected()
    col.seeds, col.splits, col.models = seeds, splits, models
    collect_sets(name, runner, tmp, o, splits, col)
    o.log(f"[{name}] {len(splits)} split(s), {len(col.sets)} training sets made; training {len(models)} GNN(s) x "
          f"{len(seeds)} seed(s)")
    dist_cfg = TrainConfig(epochs=o.epochs, eval_every=1, readout=o.readout, select_after=o.select_after)
    full_seeds = seeds[:o.full_seeds] if o.full_seeds else seeds
    select = full_seeds[:FULL_SELECT_SEEDS]
    recipes = {k: replace(dist_cfg, **TRAIN_RECIPES[r]) for k, r in o.recipe_keys().items()}
    tasks, keys = [], []
    for model in models:
        for si, split in enumerate(splits):
            if "full" in o.methods:
                for recipe in FULL_RECIPES:
                    cfg = o.full_config(recipe)
                    for seed in select:
                        tasks.append(_task(name, o, split, model, seed, cfg, "full"))
                        keys.append((model, "full", None, si, None, recipe, seed))
            for s in (s for s in col.sets if s.split == si):
                for rk, cfg in recipes.items():
                    for seed in seeds:
                        tasks.append(_task(name, o, split, model, seed, cfg, s.method, s))
                        keys.append((model, s.method, s.budget, si, s.step, rk, seed))
    _wave(name, runner, tasks, keys, col, o, "training runs")
    tasks, keys = [], []
    for model in models:
        for si, split in enumerate(splits):
            if "full" in o.methods:
                cand = {r: [run["val"] for _, run, _ in col.runs.get((model, "full", None, si, None, r), [])]
                        for r in FULL_RECIPES}
                recipe = col.chosen[(model, "full", si)] = best_by_validation(cand)
                cfg = o.full_config(recipe)
                for seed in full_seeds[len(select):]:
                    tasks.append(_task(name, o, split, model, seed, cfg, "full"))
                    keys.append((model, "full", None, si, None, recipe, seed))
            _choose_sets(col, model, si, list(recipes))
            if "permuted" not in o.methods:
                continue
            for s in (s for s in col.sets if s.split == si):
                if s.method == "mirage-paper" and s.step != col.chosen[(model, "mirage-paper", si)]:
                    continue
                for rk, cfg in recipes.items():
                    for seed in seeds:
                        tasks.append(_task(name, o, split, model, seed, cfg, s.method, s, permute=True))
                        keys.append((model, s.method + "~permuted", s.budget, si, s.step, rk, seed))
    _wave(name, runner, tasks, keys, col, o, "chosen recipes and controls")
    if len(recipes) > 1:
        for model in models:
            for si in range(len(splits)):
                if o.recipe_rule == "margin" and "permuted" in o.methods:
                    _choose_by_margin(col, model, si, list(recipes))
                else:
                    _choose_sets(col, model, si, list(recipes), "~permuted")
    col.seeds, col.splits, col.models = seeds, splits, models
    return col


def _mean_val(col: Collected, key: tuple) -> float:
    vals = [run["val"] for _, run, _ in col.runs.get(key, [])]
    return sum(vals) / len(vals) if vals else float("-inf")


def _choose_by_margin(col: Collected, model: str, si: int, recipes: list) -> None:
    """Per distilled method and budget of split ``si``: the recipe whose set's mean validation metric exceeds its
    permuted control's the most (ties: the first recipe), at the step already chosen; the set and its control are
    then both read under it (``chosen[(model, method[~permuted], si, "recipe", budget)]``)."""
    for method, budget in sorted({(s.method, s.budget) for s in col.sets if s.split == si},
                                 key=lambda c: (c[0], c[1] or 0)):
        step = col.chosen.get((model, method, si)) if method == "mirage-paper" else \
            next((s.step for s in col.sets if s.split == si and s.method == method and s.budget == budget), None)
        margins = {rk: _mean_val(col, (model, method, budget, si, step, rk))
                   - _mean_val(col, (model, method + "~permuted", budget, si, step, rk)) for rk in recipes}
        rk = max(recipes, key=lambda r: margins[r])  # max keeps the first of equal margins
        col.chosen[(model, method, si, "recipe", budget)] = col.chosen[(model, method + "~permuted", si, "recipe",
                                                                        budget)] = rk


def _choose_sets(col: Collected, model: str, si: int, recipes: list, suffix: str = "") -> None:
    """Per distilled method and budget (``suffix`` "~permuted": its control) of split ``si``: the (step, recipe) with
    the best mean validation metric; records a preset's step as ``chosen[(model, method, si)]`` and, with several
    recipes, the recipe as ``chosen[(model, method, si, "recipe", budget)]``."""
    from ..workflows.select import best_by_validation

    for method, budget in sorted({(s.method, s.budget) for s in col.sets if s.split == si},
                                 key=lambda c: (c[0], c[1] or 0)):
        name = method + suffix
        cand = {(step, rk): [run["val"] for _, run, _ in items]
                for (m, meth, b, sj, step, rk), items in col.runs.items()
                if m == model and meth == name and b == budget and sj == si}
        if suffix and method == "mirage-paper":  # the control was trained at the set's chosen step only
            cand = {k: v for k, v in cand.items() if k[0] == col.chosen.get((model, method, si))}
        if not cand:
            continue
        steps = list(dict.fromkeys(s.step for s in col.sets if s.split == si and s.method == method))
        order = sorted(cand, key=lambda k: (steps.index(k[0]) if k[0] in steps else len(steps), recipes.index(k[1])))
        step, rk = best_by_validation({k: cand[k] for k in order})  # ties: the first step, then the first recipe
        if method == "mirage-paper" and not suffix:
            col.chosen[(model, method, si)] = step
        if len(recipes) > 1:
            col.chosen[(model, name, si, "recipe", budget)] = rk
