"""``distill``: a dataset's training split in, a distilled set (and a summary of it) out — the automatic default, the
paper's itemset form, a preset (with its threshold step chosen on validation), on either engine."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..errors import MirageError
from .settings import DistillSettings

if TYPE_CHECKING:
    from ..auto import AutoPrototypes
    from ..distill import Mirage
    from ..multitask import PerTask

Log = Callable[[str], None]


@dataclass
class DistillOutcome:
    """What :func:`distill` made: the fitted estimator, its distilled set, and the summary ``mirage distill --json``
    prints."""

    estimator: object
    distilled: object
    summary: dict


def _noop(_: str) -> None:
    pass


def distill_jobs(jobs: int | None, n_graphs: int | None) -> int:
    """Worker processes for the automatic default's k-means: ``jobs`` when given; else, for a training split of
    ``n_graphs`` >= :data:`~graph_mirage.config.defaults.AUTO_JOBS_MIN_GRAPHS`, one per available core up to
    :data:`~graph_mirage.config.defaults.AUTO_JOBS` (a large split's k-means dominates the time), and none below
    (starting workers costs more than they save). The file is the same for any number."""
    from .._process import usable_cores
    from ..config.defaults import AUTO_JOBS, AUTO_JOBS_MIN_GRAPHS

    if jobs is not None:
        return jobs
    if n_graphs is None or n_graphs < AUTO_JOBS_MIN_GRAPHS:
        return 1
    return max(1, min(AUTO_JOBS, usable_cores()))


def make_estimator(s: DistillSettings, n_graphs: int | None = None) -> AutoPrototypes | Mirage | PerTask:
    """The distiller the settings describe (no data needed): :class:`~graph_mirage.AutoPrototypes` for the automatic
    default, else a :class:`~graph_mirage.Mirage` (a preset's step 0 when the step is to be chosen); ``n_graphs``:
    the training split's size, when known (it decides the k-means workers when ``s.jobs`` is None)."""
    if s.mode == "preset":
        from ..distill import Mirage

        return Mirage.from_preset(s.data.dataset, s.preset, s.step or 0)
    if s.mode == "itemset":
        from ..distill import Mirage

        return Mirage(**s.itemset_params())
    from ..auto import AutoPrototypes

    kwargs = {}
    if s.hops is not None:
        kwargs["hops"] = s.hops
    if s.max_bytes is not None:
        kwargs["max_bytes"] = s.max_bytes
    if s.max_fraction is not None:
        kwargs["max_fraction"] = float(s.max_fraction)  # a share the user gives: of all the bytes, whatever the classes
    if s.readout is not None:
        kwargs["readout"] = s.readout
    if s.degrees is not None:
        kwargs["degrees"] = s.degrees
    if s.bank is not None:
        kwargs["bank"] = s.bank
    if s.roots != "top":
        kwargs["roots"] = s.roots
    if s.max_roots is not None:
        kwargs["max_roots"] = s.max_roots
    jobs = distill_jobs(s.jobs, n_graphs)
    if jobs > 1:
        kwargs["n_jobs"] = jobs
    return AutoPrototypes(**kwargs)


def check_distill(s: DistillSettings) -> None:
    """Every refusal :func:`distill` can make without the data, in one place (before a dataset is loaded)."""
    s.check()
    if s.mode == "preset":
        from ..config.presets import distill_preset
        from ..data.registry import resolve_spec

        preset = distill_preset(resolve_spec(s.data.dataset, s.data.root).name, s.preset)
        if s.step is not None:
            preset.thresholds(s.step)  # a step out of range fails here
        elif s.engine == "spark" and preset.steps > 1:
            raise MirageError(f"the Spark engine does not train GNNs: the {s.preset} preset has {preset.steps} "
                              f"threshold steps, chosen by training on the validation split; give a step "
                              f"0..{preset.steps - 1}")
    if s.engine == "spark" and multitask_source(s.data):
        raise MirageError(f"the Spark engine distils single-task datasets; {s.data.dataset} has several tasks: "
                          f"distil it in memory (without --engine spark)")
    if s.mode == "auto" and s.readout == "max":
        raise MirageError("the automatic default's prototypes are weighted for a sum or mean readout; give "
                          "readout sum or mean (or use the itemset form)")
    make_estimator(s).get_params()  # an estimator can be built from these settings


def multitask_source(data) -> int:
    """How many tasks ``data`` names when it is a multi-task dataset (0: one task, or not known before loading)."""
    from ..data.parquet import is_parquet_dir, read_layout_meta
    from ..data.registry import is_csv_path, resolve_spec

    if is_parquet_dir(data.dataset):
        return int(read_layout_meta(data.dataset).get("num_tasks") or 0)
    if is_csv_path(data.dataset):
        n = len(data.label_columns or ())
        return n if n > 1 else 0
    return len(resolve_spec(data.dataset, data.root).tasks or ())


def distill(s: DistillSettings, *, log: Log | None = None, progress: bool = False, dataset=None) -> DistillOutcome:
    """Distil the training split of ``s.data`` as ``s`` says (on Spark with ``s.engine == "spark"``).

    Args:
        s: the settings (checked first: nothing is loaded when they are wrong).
        log: called with one line per step worth telling (candidates scored, threshold steps, Spark stages).
        progress: progress bars / lines for the long phases.
        dataset: the already loaded dataset of ``s.data`` (None: load it).
    """
    log = log or _noop
    check_distill(s)
    if s.engine == "spark":
        return _distill_spark(s, log, progress)
    from ..training.config import torch_threads

    t0 = time.perf_counter()
    ds = dataset if dataset is not None else s.data.load(progress)
    if ds.unused_node_attributes and ds.meta.get("node_label_source") != "node degree":  # that case warns on load
        # the trees see only the categorical labels: a class told apart by its attributes would be lost unannounced
        log(f"{ds.name}: its nodes also carry {ds.unused_node_attributes} continuous attribute(s), not used "
            f"(--node-attributes uses them)")
    if s.mode == "auto" or (s.mode == "preset" and s.step is None):
        from ..training import check_evaluable

        check_evaluable(ds, parts=("valid",))  # the choice is scored there: refused now, not after the candidates
    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    with torch_threads(s.threads):
        if ds.meta.get("num_tasks"):
            est, extra = _multitask(s, ds, train, valid, log, progress)
        elif s.mode == "preset":
            est, extra = _preset(s, ds, log, progress)
        elif s.mode == "itemset":
            est, extra = make_estimator(s).fit(train, progress=progress), {"method": "mirage"}
        else:
            est = make_estimator(s, len(train))
            attributes = bool(ds.meta.get("node_attributes"))
            hops, per_class = est.grid(attributes)
            shared = est.uses_bank(attributes)
            bank = ", in one tree bank" if shared else ""
            if shared and est.leaf_degrees(shared):
                bank += " whose leaves carry their degrees"
            log(f"{ds.name}: choosing the settings on the validation split (hops {list(hops)}, prototypes per class "
                f"{list(per_class)}{bank}; each candidate scored in closed form)")
            est.fit(train, validation=valid, log=lambda m: log("  " + m))
            auto = est.distilled_.meta["auto"]
            extra = {"method": "mirage-auto", "settings": auto["settings"], "candidates": auto["candidates"],
                     "rule": auto["rule"]}
    est.distilled_.meta.update({k: v for k, v in extra.items() if k in ("preset", "step", "step_scores",
                                                                         "step_selected_by")})
    outcome = DistillOutcome(est, est.distilled_, summarise(est, ds.name, ds.num_classes,
                                                            time.perf_counter() - t0, extra,
                                                            ds.meta.get("label_values")))
    if s.out is not None:
        est.distilled_.save(s.out)
        outcome.summary["out"] = str(s.out)
    return outcome


def _multitask(s: DistillSettings, ds, train, valid, log: Log, progress: bool):
    """Several binary tasks: the distiller of the settings fitted task by task (:class:`~graph_mirage.multitask.
    PerTask`), one depth and budget for every task."""
    from ..multitask import PerTask

    if s.mode == "preset":
        from ..errors import MirageError

        raise MirageError(f"{ds.name} has {ds.meta['num_tasks']} tasks: the paper's presets are single-task; give the "
                          f"itemset form's options (a budget, support) or no settings")
    base = make_estimator(s, len(train))
    log(f"{ds.name}: {ds.meta['num_tasks']} tasks, distilled task by task with one setting for all"
        + (" (chosen on the validation split, each candidate scored in closed form)" if s.mode == "auto" else ""))
    est = PerTask(base).fit(train, validation=valid if s.mode == "auto" else None,
                            log=lambda m: log("  " + m), progress=progress)
    if s.mode == "auto":
        auto = est.distilled_.meta["auto"]
        return est, {"method": "mirage-auto", "settings": auto["settings"], "candidates": auto["candidates"],
                     "rule": auto["rule"]}
    return est, {"method": "mirage"}


def _preset(s: DistillSettings, ds, log: Log, progress: bool):
    from ..config.presets import distill_preset
    from ..distill import Mirage

    preset = distill_preset(ds.name, s.preset)
    if s.step is not None or preset.steps == 1:
        est = Mirage.from_preset(ds.name, s.preset, s.step or 0).fit(ds[ds.split["train"]], progress=progress)
        return est, {"method": "mirage", "preset": s.preset, "step": s.step or 0}
    from .select import select_step

    log(f"{ds.name}: the {s.preset} preset has {preset.steps} threshold steps; choosing one on the validation split "
        f"({s.select_model}, {s.select_seeds} seed(s) per step)")
    step, scores, est = select_step(ds, preset, model=s.select_model, seeds=range(s.select_seeds),
                                    log=lambda m: log("  " + m), progress=progress)
    return est, {"method": "mirage", "preset": s.preset, "step": step, "step_scores": scores,
                 "step_selected_by": f"mean validation {s.select_model}, {s.select_seeds} seed(s)"}


def summarise(est, name: str, num_classes: int, seconds: float, extra: dict, class_names: list | None = None) -> dict:
    """The summary of a distillation (what ``mirage distill --json`` prints); ``per_class`` is keyed by
    ``class_names`` (a CSV's own label values, class by class) where given, else by the class numbers."""
    if hasattr(est, "thresholds_"):
        extra = {**extra, "thresholds": {str(c): v for c, v in est.thresholds_.items()},
                 "itemsets": sum(len(v) for v in est.itemsets_.values())}
    d = est.distilled_
    s = d.summary()
    per = d.per_label(class_names)  # graphs per class, or informing each task
    trees = None if d.meta.get("num_tasks") else est.n_trees_
    return {"dataset": name, "hops": int(d.meta["hops"]), "classes": num_classes, **s,
            "full_bytes": d.meta["full_bytes"], "compression": round(d.meta["full_bytes"] / s["bytes"], 2),
            "size_fraction": round(s["bytes"] / d.meta["full_bytes"], 6), "seconds": round(seconds, 4),
            "trees_unique": trees, "readout": d.meta["readout"], "per_class": per, "tasks": d.meta.get("num_tasks"),
            **extra}


# ----------------------------------------------------------------------------------------------------------------------
# the Spark engine
# ----------------------------------------------------------------------------------------------------------------------
def parquet_of(s: DistillSettings, log: Log, progress: bool = False) -> Path:
    """A named dataset in the Parquet layout, exported once into the processed-data cache (keyed by its split
    options); a Parquet directory is itself."""
    from ..data import export_parquet
    from ..data.parquet import is_parquet_dir
    from ..data.registry import default_cache

    if is_parquet_dir(s.data.dataset):
        return Path(s.data.dataset)
    ds = s.data.load(progress)
    d = s.data
    key = f"{ds.name.replace(':', '-')}-split{d.split_seed}{'s' if d.stratify else ''}" + \
        (f"-folds{d.folds}.{d.fold}" if d.folds else "")
    path = default_cache() / "parquet" / key
    if not is_parquet_dir(path):
        log(f"{ds.name}: writing it once in the Parquet layout for Spark -> {path}")
        if path.exists():
            import shutil

            shutil.rmtree(path)
        export_parquet(ds, path)
    return path


def _distill_spark(s: DistillSettings, log: Log, progress: bool) -> DistillOutcome:
    from ..data.parquet import read_layout_meta
    from ..spark_engine import distill_spark

    t0 = time.perf_counter()
    est = make_estimator(s)
    path = parquet_of(s, log, progress)
    meta = read_layout_meta(path)
    name = meta.get("name", "custom")
    if s.mode == "itemset" and not s.itemset_flags and s.max_bytes is None:
        log(f"{name}: no settings given: the Spark engine runs the itemset form at its default budget "
            f"({est.budget} graphs per class)")
    log(f"{name}: distilling on Spark ({s.spark.master}, {s.spark.partitions} shuffle partitions; Spark's own log: "
        f"graph-mirage-spark.log in the temporary directory)")
    distill_spark(path, est, master=s.spark.master, partitions=s.spark.partitions,
                  driver_memory=s.spark.driver_memory, checkpoint_dir=s.spark.checkpoint_dir,
                  driver_rows=s.spark.driver_rows, progress=progress)
    extra = {"method": "mirage", "engine": "spark", "spark_master": s.spark.master,
             "spark_application": est.spark_["application"],
             "stage_seconds": {k: round(v, 3) for k, v in est.seconds_.items()}}
    if s.mode == "preset":
        extra.update(preset=s.preset, step=s.step or 0)
        est.distilled_.meta.update(preset=s.preset, step=s.step or 0)
    outcome = DistillOutcome(est, est.distilled_, summarise(est, name, int(meta.get("num_classes", 0)),
                                                            time.perf_counter() - t0, extra))
    if s.out is not None:
        est.distilled_.save(s.out)
        outcome.summary["out"] = str(s.out)
    return outcome
