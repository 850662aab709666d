"""The settings of each workflow, as plain dataclasses checked before any work starts.

The command line builds them from its arguments and Python users build them directly; every check that needs no
computation (option ranges and combinations, the output path) is made by :meth:`check` here, before a dataset is
loaded or a model trained. Importing this module imports nothing heavy.

Example:
    >>> s = DistillSettings(DataSettings("MUTAG"), budget=10)
    >>> s.mode
    'itemset'
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING

from ..config.defaults import (
    BACKENDS,
    DEFAULT_BUDGET,
    ENGINES,
    MODELS,
    PRESETS,
    RANKS,
    READOUTS,
    ROOTS,
    SPARK_DRIVER_ROWS,
    SUPPORT_MODES,
    TARGETS,
)
from ..errors import MirageError, ParameterError
from ..fileio import check_output  # noqa: F401 - the workflows' output check

if TYPE_CHECKING:
    from ..data import GraphDataset
    from ..mining import MiningLimits
    from ..training import TrainConfig

MAX_HOPS = 8  # computation trees grow as degree^hops; deeper sets are larger than the data they distil


def _int(name: str, v, low: int = 1, allow_none: bool = True) -> None:
    if v is None and allow_none:
        return
    if isinstance(v, bool) or not isinstance(v, int) or v < low:
        raise ParameterError(f"{name} must be an integer >= {low}, got {v!r}")


def _number(name: str, v, low: float = 0.0, low_open: bool = True) -> None:
    if v is None:
        return
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v < low or (
            low_open and v == low):
        raise ParameterError(f"{name} must be a number {'>' if low_open else '>='} {low}, got {v!r}")


def _choice(name: str, v, options) -> None:
    if v is not None and v not in options:
        raise ParameterError(f"{name} must be one of {', '.join(map(str, options))}, got {v!r}")


@dataclass
class DataSettings:
    """Which dataset and split (see :func:`graph_mirage.load_dataset`)."""

    dataset: str
    root: str | None = None
    split_seed: int = 0
    stratify: bool = False
    folds: int | None = None
    fold: int = 0
    smiles_column: str | None = None
    label_columns: tuple[str, ...] | None = None
    split_column: str | None = None
    node_attributes: bool = False
    degree_bins: str | None = None

    def check(self) -> None:
        from ..data.degrees import check_degree_bins
        from ..data.registry import is_csv_path

        if not isinstance(self.dataset, str) or not self.dataset:
            raise ParameterError(f"dataset must be a name or a path, got {self.dataset!r}")
        given = [f for f, v in (("--smiles-col", self.smiles_column), ("--label-cols", self.label_columns),
                                ("--split-col", self.split_column)) if v is not None]
        if given and not is_csv_path(self.dataset):
            raise ParameterError(f"{', '.join(given)} apply to a CSV file of SMILES and labels (*.csv, *.csv.gz), "
                                 f"not to {self.dataset}")
        _int("split_seed", self.split_seed, 0, allow_none=False)
        _int("folds", self.folds, 2)
        _int("fold", self.fold, 0, allow_none=False)
        if self.folds is None and self.fold:
            raise ParameterError(f"--fold {self.fold} picks a test fold of cross-validation: give --folds K too")
        if self.folds is not None and self.fold >= self.folds:
            raise ParameterError(f"fold must be in 0..{self.folds - 1}, got {self.fold}")
        check_degree_bins(self.degree_bins)
        from ..data.registry import resolve_spec

        resolve_spec(self.dataset, self.root)  # an unknown name or a missing file, before any heavy import

    def check_set(self, path: str) -> None:
        """Refuse the distilled-set file ``path`` when it was made from another dataset — before PyTorch is imported
        or the dataset loaded — for a dataset known by name (the name a loaded copy has; a set of another source is
        checked once its dataset is loaded). The caller has checked that ``path`` is a distilled-set file."""
        from ..config.datasets import DATASETS
        from ..data.registry import resolve_spec
        from ..fileio import check_source, distilled_file_meta

        name = resolve_spec(self.dataset, self.root).name
        meta = distilled_file_meta(path)
        if name in DATASETS and meta is not None:
            check_source(meta, name, path)

    def load(self, progress: bool = False) -> GraphDataset:
        from ..data import load_dataset

        return load_dataset(self.dataset, self.root, seed=self.split_seed, stratify=self.stratify,
                            progress=progress, folds=self.folds, fold=self.fold, node_attributes=self.node_attributes,
                            degree_bins=self.degree_bins, **self.columns())

    def columns(self) -> dict:
        """The CSV column options given (none for other datasets)."""
        cols = {"smiles_column": self.smiles_column, "label_columns": self.label_columns,
                "split_column": self.split_column}
        return {k: (list(v) if k == "label_columns" else v) for k, v in cols.items() if v is not None}


@dataclass
class SparkSettings:
    """Where and how the Spark engine runs."""

    master: str = "local[*]"
    partitions: int = 8
    driver_memory: str | None = None
    checkpoint_dir: str | None = None
    driver_rows: int = SPARK_DRIVER_ROWS


# the itemset form's options (the paper's algorithm): given any of them, ``mirage distill`` runs Mirage, not the
# automatic default
ITEMSET_OPTIONS = ("support", "itemsets", "overlap", "min_count", "max_itemset_size", "backend", "rank", "context")


@dataclass
class DistillSettings:
    """What ``mirage distill`` does: the automatic default, the paper's itemset form, or a preset.

    ``mode`` follows from what is given: a ``preset``; else the itemset form when ``budget`` (an integer) or any of
    :data:`ITEMSET_OPTIONS` is given, or with the Spark engine (its default budget, :data:`DEFAULT_BUDGET`); else the
    automatic settings (``hops`` and ``max_bytes`` then fix those dimensions of the search). Options left None take
    the distiller's own defaults.
    """

    data: DataSettings
    preset: str | None = None
    step: int | None = None
    select_model: str = "gin"
    select_seeds: int = 3
    hops: int | None = None
    budget: int | str | None = None
    max_bytes: int | None = None
    max_fraction: float | None = None  # the automatic settings' cap as a share of the training split's bytes
    support: tuple[str, ...] | None = None
    itemsets: str | None = None
    overlap: float | None = None
    min_count: int | None = None
    max_itemset_size: int | None = None
    max_nodes: int = 100_000
    max_sets: int | None = None
    mining_memory: float | None = None  # GiB
    mining_seconds: float | None = None
    backend: str | None = None
    rank: str | None = None
    context: int | None = None
    readout: str | None = None
    out: str | None = None
    engine: str = "memory"
    spark: SparkSettings = field(default_factory=SparkSettings)
    threads: int = 1
    jobs: int | None = None  # worker processes for the automatic default's k-means (None: distill_jobs's choice)
    degrees: bool | None = None  # the automatic default's leaves carry their real degrees (None: AutoPrototypes' own)
    bank: bool | None = None  # the automatic default's prototypes share one tree bank (None: its own choice)
    roots: str = "top"  # how the automatic default's prototypes choose their roots (TreePrototypes(roots=...))
    max_roots: int | None = None  # the automatic default's most roots per prototype (None: AutoPrototypes' own)

    @property
    def itemset_flags(self) -> list[str]:
        given = [k for k in ITEMSET_OPTIONS if getattr(self, k) is not None]
        return (["budget"] if isinstance(self.budget, int) else []) + given

    @property
    def mode(self) -> str:
        if self.preset:
            return "preset"
        if self.itemset_flags or self.engine == "spark":
            return "itemset"
        return "auto"

    def check(self) -> None:
        """Every check that needs no data: ranges, choices and combinations of the options, the output path."""
        self.data.check()
        _choice("preset", self.preset, PRESETS)
        _choice("select_model", self.select_model, MODELS)
        _choice("itemsets", self.itemsets, TARGETS)
        _choice("backend", self.backend, BACKENDS)
        _choice("rank", self.rank, RANKS)
        _choice("readout", self.readout, READOUTS)
        _choice("engine", self.engine, ENGINES)
        _choice("roots", self.roots, ROOTS)
        for name, low in (("step", 0), ("min_count", 1), ("max_itemset_size", 1), ("max_nodes", 1),
                          ("max_sets", 1), ("context", 0), ("max_bytes", 1), ("threads", 1), ("select_seeds", 1),
                          ("max_roots", 1), ("jobs", 1)):
            _int(name, getattr(self, name), low)
        _int("hops", self.hops, 1)
        if self.max_fraction is not None and (isinstance(self.max_fraction, bool) or not isinstance(
                self.max_fraction, (int, float)) or not 0 < self.max_fraction <= 1):
            raise ParameterError(f"max_fraction must be a share in (0, 1], got {self.max_fraction!r}")
        if self.hops is not None and self.hops > MAX_HOPS:
            raise ParameterError(f"hops must be at most {MAX_HOPS} (computation trees grow as degree^hops: deeper "
                                 f"sets are larger than the graphs they distil), got {self.hops}")
        if self.budget is not None and self.budget != "auto":
            _int("budget", self.budget, 1)
        _number("mining_memory", self.mining_memory)
        _number("mining_seconds", self.mining_seconds)
        if self.overlap is not None and (isinstance(self.overlap, bool) or not isinstance(self.overlap, (int, float))
                                         or not math.isfinite(self.overlap)):
            raise ParameterError(f"overlap must be a number, got {self.overlap!r}")
        self._check_combinations()
        if self.support is not None:
            parse_support(self.support)
        if self.out is not None:
            check_output(self.out)

    def _check_combinations(self) -> None:
        given = [n for n in ("budget", "max_bytes", "max_fraction", "support") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ParameterError(f"give one of budget, max_bytes and support, not {' and '.join(given)}")
        if self.max_fraction is not None and self.mode != "auto":
            raise MirageError("a share of the training bytes (--max-bytes P%) caps the automatic settings only; give "
                              f"{'the preset no cap' if self.preset else 'the itemset form a number of bytes'}")
        if self.preset:
            clash = self.itemset_flags + [k for k in ("hops", "max_bytes") if getattr(self, k) is not None] + (
                ["budget"] if self.budget == "auto" else [])
            if clash:
                raise MirageError(f"the {self.preset} preset sets the distillation itself; drop {', '.join(clash)}")
        elif self.step is not None:
            raise ParameterError("step chooses a preset's threshold step; give a preset with it")
        if self.budget == "auto" and self.itemset_flags:
            raise MirageError(f"budget 'auto' chooses prototypes automatically; drop {', '.join(self.itemset_flags)} "
                              f"or give an integer budget")
        for flag in ("degrees", "bank", "roots", "max_roots", "jobs"):
            if ((self.jobs or 1) > 1 if flag == "jobs" else getattr(self, flag) not in (False, None, "top")) \
                    and self.mode != "auto":
                raise MirageError(f"{flag} applies to the automatic default's prototypes; drop "
                                  f"--{flag.replace('_', '-')} or "
                                  f"{'--preset' if self.preset else 'the itemset options'}")
        if self.engine == "spark" and self.budget == "auto":
            raise MirageError("the Spark engine runs the itemset form (no automatic settings); give an integer budget, "
                              "support or max_bytes instead of budget 'auto'")
        if self.engine == "spark" and self.data.node_attributes:
            raise MirageError("the Spark engine reads categorical node features only; drop --node-attributes or "
                              "distil in memory (--engine memory)")
        if self.engine == "spark" and self.data.degree_bins:
            raise MirageError("the Spark engine reads the dataset's own node labels; drop --degree-bins or distil in "
                              "memory (--engine memory)")

    def mining_limits(self) -> MiningLimits:
        from ..mining import MiningLimits

        given = {"backend": self.backend, "min_count": self.min_count, "max_itemset_size": self.max_itemset_size,
                 "max_sets": self.max_sets, "seconds": self.mining_seconds,
                 "memory": None if self.mining_memory is None else int(self.mining_memory * 2 ** 30)}
        return MiningLimits(**{k: v for k, v in given.items() if v is not None})

    def itemset_params(self) -> dict:
        """Keyword arguments of :class:`graph_mirage.Mirage` for the itemset form (with the Spark engine and no
        budget given: :data:`DEFAULT_BUDGET`)."""
        budget = self.budget if isinstance(self.budget, int) else None
        support = parse_support(self.support)
        if budget is None and support is None and self.max_bytes is None:
            budget = DEFAULT_BUDGET
        params = {"budget": budget, "max_bytes": self.max_bytes, "min_support": support,
                  "max_nodes": self.max_nodes, "mining": self.mining_limits()}
        for name in ("hops", "itemsets", "rank", "context", "readout"):
            if getattr(self, name) is not None:
                params[name] = getattr(self, name)
        if self.overlap is not None:
            params["overlap"] = None if self.overlap <= 0 else float(self.overlap)
        return params

    def replace(self, **changes) -> "DistillSettings":
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return DistillSettings(**values)


def parse_support(values) -> float | int | dict | None:
    """``0.05`` (relative: a fraction in (0, 1] of the class's graphs), ``25`` (absolute: a count of graphs), or per
    class ``0:0.05 1:25`` -> Mirage's ``min_support``. A value with a decimal point is relative, an integer is a
    count: ``1`` means one graph, ``1.0`` all graphs."""
    if not values:
        return None
    values = [str(v) for v in values]

    def number(s: str):
        try:
            count = int(s)
        except ValueError:
            count = None
        if count is not None:
            if count < 1:
                raise MirageError(f"support {s!r}: a count of graphs must be >= 1 (an absolute support threshold)")
            return count
        try:
            v = float(s)
        except ValueError:
            raise MirageError(f"support {s!r}: expected a fraction like 0.05 (of the class's graphs), a count of "
                              f"graphs like 25, or CLASS:VALUE") from None
        if not (math.isfinite(v) and 0 < v <= 1):
            raise MirageError(f"support {s!r}: a value with a decimal point is a fraction of the class's graphs and "
                              f"must be in (0, 1]; write an integer for a count of graphs")
        return v

    if all(":" in v for v in values):
        out = {}
        for v in values:
            c, x = v.split(":", 1)
            try:
                out[int(c)] = number(x)
            except ValueError:
                raise MirageError(f"support {v!r}: the class before ':' must be an integer") from None
        return out
    if len(values) == 1:
        return number(values[0])
    raise MirageError(f"support {' '.join(values)}: give one value for all classes, or CLASS:VALUE for each class")


@dataclass
class TrainSettings:
    """How ``mirage train`` and ``mirage run`` train: the GNN, its recipe (None: the defaults, or the
    ``train_preset``'s), seeds and threads."""

    model: str = "gin"
    seeds: int = 5
    train_preset: str | None = None
    epochs: int | None = None
    patience: int | None = None
    eval_every: int | None = None
    lr: float | None = None
    weight_decay: float | None = None
    batch_size: int | None = None
    hidden: int | None = None
    dropout: float | None = None
    root_dropout: float | None = None
    mixup: float | None = None
    ema: float | None = None
    layers: int | None = None
    readout: str | None = None
    weighting: str = "none"
    prior_correction: bool = True
    device: str = "cpu"
    threads: int = 1
    paper_protocol: bool = False
    select_after: int | None = None
    control: bool = True  # a distilled set is trained beside its permuted-label control too
    choose_lr: tuple[float, ...] | None = None  # learning rates a distilled set chooses among by its margin

    def check(self) -> None:
        from ..training.config import check_device_name, check_ema, check_mixup, check_root_dropout

        _choice("model", self.model, MODELS)
        _choice("train_preset", self.train_preset, PRESETS)
        _choice("readout", self.readout, READOUTS)
        _choice("weighting", self.weighting, SUPPORT_MODES)
        for name in ("seeds", "epochs", "patience", "eval_every", "batch_size", "hidden", "layers", "threads",
                     "select_after"):
            _int(name, getattr(self, name), 1)
        _number("lr", self.lr)
        self.check_choose_lr()
        _number("weight_decay", self.weight_decay, low_open=False)
        if self.dropout is not None and not (isinstance(self.dropout, (int, float)) and 0 <= self.dropout < 1):
            raise ParameterError(f"dropout must be in [0, 1), got {self.dropout!r}")
        check_root_dropout(self.root_dropout)
        check_mixup(self.mixup)
        check_ema(self.ema)
        self.check_select_after(self.epochs)
        check_device_name(self.device)

    def check_choose_lr(self) -> None:
        """``choose_lr``: two learning rates or more, each > 0, not beside ``lr``, and with the control (the choice
        reads the set's margin over it)."""
        if self.choose_lr is None:
            return
        rates = tuple(self.choose_lr)
        for v in rates:
            _number("choose_lr", v)
        if len(set(rates)) < 2:
            raise ParameterError(f"--choose-lr needs two learning rates or more to choose among, got {list(rates)}")
        if self.lr is not None:
            raise ParameterError("--choose-lr chooses the learning rate: give it or --lr, not both")
        if not self.control:
            raise ParameterError("--choose-lr chooses by the set's margin over its permuted control on validation: "
                                 "drop --no-control")

    def lr_configs(self, dataset: str) -> dict:
        """``choose_lr``'s candidates: :meth:`config` at each learning rate, by name (``"lr 0.01"``)."""
        from dataclasses import replace

        base = self.config(dataset)
        return {f"lr {v:g}": replace(base, lr=float(v)) for v in dict.fromkeys(self.choose_lr or ())}

    def check_select_after(self, epochs: int | None) -> None:
        """Refuse a warm-up that leaves no epoch to choose among ``epochs`` (None: the default's, unless a training
        preset sets them)."""
        from ..training.config import TrainConfig, check_select_after

        if epochs is None and self.train_preset:
            return  # the preset's epochs are known with the dataset; TrainConfig refuses then
        check_select_after(self.select_after, epochs or TrainConfig.epochs)

    def config(self, dataset: str) -> TrainConfig:
        """The :class:`~graph_mirage.training.TrainConfig`: the given values over the preset's or the defaults."""
        from ..training.config import TrainConfig

        given = {k: getattr(self, k) for k in ("epochs", "lr", "batch_size", "hidden", "dropout", "weight_decay",
                                               "patience", "eval_every", "readout", "select_after", "root_dropout",
                                               "mixup", "ema")
                 if getattr(self, k) is not None}
        if self.layers is not None:
            given["num_layers"] = self.layers
        given.update(support=self.weighting, device=self.device, prior_correction=self.prior_correction)
        if self.train_preset:
            from ..config.presets import paper_train_config

            return paper_train_config(dataset, self.model, self.train_preset, **given)
        return TrainConfig(**given)
