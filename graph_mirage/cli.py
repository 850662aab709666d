"""The ``mirage`` command line: datasets, distill, train, run, bench, inspect.

Every user error ends with exactly one line ``mirage: error: ...`` on stderr and exit status 2 (130 when
interrupted), never a traceback, and leaves no new or partial file at the output path.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import sys
import time
import warnings
from pathlib import Path
from typing import Sequence

from .errors import MirageError

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``mirage: error:`` line (the usage is in ``--help``)."""

    def error(self, message: str):  # noqa: D102
        print(f"mirage: error: {self.prog.replace('mirage ', '', 1) + ': ' if ' ' in self.prog else ''}{message} "
              f"(see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def _int(low: int):
    def parse(s: str) -> int:
        try:
            v = int(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {s!r}") from None
        if v < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {v}")
        return v

    return parse


def _int_or_auto(low: int):
    parse_int = _int(low)

    def parse(s: str):
        return "auto" if s == "auto" else parse_int(s)

    return parse


def _float(low: float, high: float | None = None, low_open: bool = False, high_open: bool = False):
    def parse(s: str) -> float:
        try:
            v = float(s)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {s!r}") from None
        bad = not math.isfinite(v) or v < low or (low_open and v == low) or (
            high is not None and (v > high or (high_open and v == high)))
        if bad:
            rng = f"{'(' if low_open else '['}{low}, {high if high is not None else 'inf'}{')' if high_open else ']'}"
            raise argparse.ArgumentTypeError(f"must be in {rng}, got {s}")
        return v

    return parse


# ----------------------------------------------------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------------------------------------------------
def _progress(args) -> bool:
    """Progress for long work: a bar on a terminal, plain lines otherwise; none with --quiet or --json."""
    return not getattr(args, "quiet", False) and not getattr(args, "json", False)


def _say(args, *msg) -> None:
    if not getattr(args, "quiet", False):
        print(*msg, file=sys.stderr if getattr(args, "json", False) else sys.stdout, flush=True)


def _load(args, name: str | None = None):
    from .data import load_dataset

    return load_dataset(name or args.dataset, args.root, seed=args.split_seed, stratify=args.stratify,
                        progress=_progress(args), folds=args.folds, fold=args.fold)


def _threads(args) -> None:
    import torch

    torch.set_num_threads(args.threads)


def parse_support(values: Sequence[str] | None):
    """``0.05`` (relative: a fraction in (0, 1] of the class's graphs), ``25`` (absolute: a count of graphs), or per
    class ``0:0.05 1:25`` -> Mirage's ``min_support``. A value with a decimal point is relative, an integer is a
    count: ``1`` means one graph, ``1.0`` all graphs."""
    if not values:
        return None

    def number(s: str):
        try:
            return int(s)
        except ValueError:
            try:
                v = float(s)
            except ValueError:
                raise MirageError(f"--support {s!r}: expected a fraction like 0.05 (of the class's graphs), a count "
                                  f"of graphs like 25, or CLASS:VALUE") from None
            if not (math.isfinite(v) and 0 < v <= 1):
                raise MirageError(f"--support {s!r}: a value with a decimal point is a fraction of the class's "
                                  f"graphs and must be in (0, 1]; write an integer for a count of graphs")
            return v

    if all(":" in v for v in values):
        out = {}
        for v in values:
            c, x = v.split(":", 1)
            try:
                out[int(c)] = number(x)
            except ValueError:
                raise MirageError(f"--support {v!r}: the class before ':' must be an integer") from None
        return out
    if len(values) == 1:
        return number(values[0])
    raise MirageError(f"--support {' '.join(values)}: give one value for all classes, or CLASS:VALUE for each class")


def _fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


# ----------------------------------------------------------------------------------------------------------------------
# commands
# ----------------------------------------------------------------------------------------------------------------------
def cmd_datasets(args) -> int:
    from .data import DATASETS, dataset_stats, default_root, find_raw, resolve_spec

    root = Path(args.root) if args.root else default_root()
    names = [resolve_spec(args.name, root).name] if args.name else list(DATASETS)
    rows = []
    for name in names:
        spec = resolve_spec(name, root)
        found = find_raw(spec, root)
        row = {"name": spec.name, "kind": spec.kind, "description": spec.description, "in_paper": spec.in_paper,
               "found": found is not None, "path": str(found) if found else None}
        if found is not None and (args.name or args.stats):
            row.update(dataset_stats(_load(args, spec.name)))
        rows.append(row)
    if args.json:
        print(json.dumps(rows[0] if args.name else rows, indent=1))
        return 0
    if args.name:
        for k, v in rows[0].items():
            print(f"{k:>22}: {v}")
        return 0
    print(f"data root: {root}")
    header = f"{'dataset':<18} {'kind':<10} {'found':<6} description"
    if args.stats:
        header += "  [graphs, classes, avg nodes/edges, split]"
    print(header)
    for r in rows:
        line = f"{r['name']:<18} {r['kind']:<10} {'yes' if r['found'] else 'no':<6} {r['description']}"
        if args.stats and r["found"]:
            line += (f"  [{r['graphs']}, {r['classes']}, {r['avg_nodes']}/{r['avg_edges']}, "
                     f"{r['split']['train']}/{r['split']['valid']}/{r['split']['test']}]")
        print(line)
    return 0


# options that only the itemset form (the paper's algorithm) has, with their defaults there
ITEMSET_DEFAULTS = {"support": None, "itemsets": "closed", "overlap": 1.0, "min_count": 2, "max_itemset_size": None,
                    "backend": "pyfim", "rank": "margin", "context": 0}


def _itemset_flags(args) -> list[str]:
    given = [k for k in ITEMSET_DEFAULTS if getattr(args, k) is not None]
    if isinstance(args.budget, int):
        given.insert(0, "budget")
    return [f"--{k.replace('_', '-')}" for k in given]


def _make_mirage(args, spec_hops: int):
    """The itemset form when an itemset option is given, else the automatic settings (``--hops``, ``--max-bytes``
    and ``--readout`` fix those dimensions)."""
    from .distill import Mirage

    if not _itemset_flags(args):
        return Mirage(hops="auto" if args.hops is None else args.hops, budget="auto", max_bytes=args.max_bytes,
                      readout=args.distill_readout)
    if args.budget == "auto":
        raise MirageError(f"--budget auto chooses prototypes automatically; drop {', '.join(_itemset_flags(args))} "
                          f"or give --budget N")
    opt = {k: (v if getattr(args, k) is None else getattr(args, k)) for k, v in ITEMSET_DEFAULTS.items()}
    support = parse_support(opt["support"])
    budget = args.budget
    if budget is None and support is None and args.max_bytes is None:
        budget = 10
    return Mirage(hops=spec_hops if args.hops is None else args.hops, budget=budget, max_bytes=args.max_bytes,
                  min_support=support, itemsets=opt["itemsets"],
                  overlap=None if opt["overlap"] <= 0 else opt["overlap"],
                  min_count=opt["min_count"], max_itemset_size=opt["max_itemset_size"], max_nodes=args.max_nodes,
                  backend=opt["backend"], rank=opt["rank"], context=opt["context"],
                  readout=args.distill_readout or "sum", max_sets=args.max_sets,
                  mining_memory=int(args.mining_memory * 2 ** 30), mining_seconds=args.mining_seconds,
                  progress=_progress(args) and sys.stderr.isatty())


def _explicit_distill_flags(args) -> list[str]:
    given = _itemset_flags(args) + [f"--{k.replace('_', '-')}" for k in ("hops", "max_bytes")
                                    if getattr(args, k) is not None]
    return given + (["--budget"] if args.budget == "auto" else [])


def distil(args, ds):
    """Run Mirage on the training split of ``ds`` as the arguments say; returns (estimator, summary dict)."""
    t0 = time.perf_counter()
    extra = {}
    if getattr(args, "preset", None):
        from .presets import select_step
        from .training import TrainConfig

        preset = _preset(args, ds.name)
        if args.step is not None or preset.steps == 1:
            mirage = preset.mirage(args.step or 0, progress=_progress(args) and sys.stderr.isatty())
            mirage.fit(ds[ds.split["train"]])
            extra = {"preset": args.preset, "step": args.step or 0}
        else:
            _say(args, f"{ds.name}: the {args.preset} preset has {preset.steps} threshold steps; choosing one on the "
                       f"validation split ({args.select_model}, {args.select_seeds} seed(s) per step)")
            step, scores, mirage = select_step(ds, preset, model=args.select_model,
                                               seeds=range(args.select_seeds), config=TrainConfig(),
                                               log=lambda m: _say(args, "  " + m))
            extra = {"preset": args.preset, "step": step, "step_scores": scores,
                     "step_selected_by": f"mean validation {args.select_model}, {args.select_seeds} seed(s)"}
        mirage.distilled_.meta.update(extra)
    else:
        spec_hops = int(ds.meta.get("hops", 2))
        mirage = _make_mirage(args, spec_hops)
        if mirage.is_auto:
            _say(args, f"{ds.name}: choosing the settings on the validation split ({mirage.hops} hops, prototypes "
                       f"per class and readout scored by a short GIN training on each candidate)")
            mirage.fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]], log=lambda m: _say(args, "  " + m))
            extra = {"method": "mirage-auto", "settings": mirage.settings_,
                     "candidates": mirage.auto_["candidates"], "rule": mirage.auto_["rule"]}
        else:
            mirage.fit(ds[ds.split["train"]])
            extra = {"method": "mirage"}
    return mirage, _summary(mirage, ds.name, ds.num_classes, time.perf_counter() - t0, extra)


def _summary(mirage, name: str, num_classes: int, seconds: float, extra: dict) -> dict:
    import numpy as np

    if not mirage.is_auto:
        extra = {**extra, "thresholds": {str(c): v for c, v in mirage.thresholds_.items()},
                 "itemsets": sum(len(v) for v in mirage.itemsets_.values())}
    d = mirage.distilled_
    s = d.summary()
    y = d._data.y.view(-1).numpy()
    return {"dataset": name, "hops": int(d.meta["hops"]), "classes": num_classes, **s,
            "full_bytes": d.meta["full_bytes"], "compression": round(d.meta["full_bytes"] / s["bytes"], 2),
            "size_fraction": round(s["bytes"] / d.meta["full_bytes"], 6), "seconds": round(seconds, 4),
            "trees_unique": mirage.n_trees_, "readout": d.meta["readout"],
            "per_class": {str(int(c)): int((y == c).sum()) for c in np.unique(y)}, **extra}


def _preset(args, name: str):
    """``--preset``'s settings for dataset ``name``, refused beside flags that would change them."""
    from .presets import distill_preset

    clash = _explicit_distill_flags(args)
    if clash:
        raise MirageError(f"--preset {args.preset} sets the distillation itself; drop {', '.join(clash)}")
    return distill_preset(name, args.preset)


def _spark_mirage(args, name: str, spec_hops: int):
    """The itemset form for the Spark engine: a preset step, the itemset flags, or the default budget (10)."""
    if args.preset:
        preset = _preset(args, name)
        if args.step is None and preset.steps > 1:
            raise MirageError(f"--engine spark: the {args.preset} preset has {preset.steps} threshold steps, chosen by "
                              f"training GNNs on the validation split; give --step 0..{preset.steps - 1}")
        return preset.mirage(args.step or 0), {"preset": args.preset, "step": args.step or 0}
    if args.budget == "auto":
        raise MirageError("--engine spark runs the itemset form (no model training); give --budget N, --support or "
                          "--max-bytes instead of --budget auto")
    if not _itemset_flags(args) and args.max_bytes is None:
        args.budget = 10  # the itemset form's default budget
    return _make_mirage(args, spec_hops), {}


def _parquet_of(args) -> tuple[Path, dict]:
    """A named dataset in the Parquet layout, exported once into the processed-data cache (keyed by its split
    options)."""
    from .data import export_parquet
    from .data.parquet import is_parquet_dir, read_layout_meta
    from .data.registry import default_cache

    ds = _load(args)
    key = f"{ds.name.replace(':', '-')}-split{args.split_seed}{'s' if args.stratify else ''}" + \
        (f"-folds{args.folds}.{args.fold}" if args.folds else "")
    path = default_cache() / "parquet" / key
    if not is_parquet_dir(path):
        _say(args, f"{ds.name}: writing it once in the Parquet layout for Spark -> {path}")
        if path.exists():
            import shutil

            shutil.rmtree(path)
        export_parquet(ds, path)
    return path, read_layout_meta(path)


def distil_spark(args):
    """``mirage distill --engine spark``: the Spark engine on DATASET's Parquet layout; (estimator, summary)."""
    from .data.parquet import is_parquet_dir, read_layout_meta
    from .data.registry import resolve_spec
    from .spark_engine import distill_spark

    t0 = time.perf_counter()
    # settings are checked before any export or Spark start
    if is_parquet_dir(args.dataset):
        path, meta = Path(args.dataset), read_layout_meta(args.dataset)
        name = meta.get("name", "custom")
        mirage, extra = _spark_mirage(args, name, int(meta.get("hops", 2)))
    else:
        spec = resolve_spec(args.dataset, args.root)
        name = spec.name
        mirage, extra = _spark_mirage(args, name, spec.hops)
        path, meta = _parquet_of(args)
    mirage.progress = False
    _say(args, f"{name}: distilling on Spark ({args.spark_master}, {args.spark_partitions} shuffle "
               f"partitions; Spark's own log: graph-mirage-spark.log in the temporary directory)")
    distill_spark(path, mirage, master=args.spark_master, partitions=args.spark_partitions,
                  driver_memory=args.spark_driver_memory, progress=_progress(args))
    mirage.distilled_.meta.update(extra)
    extra = {"method": "mirage", "engine": "spark", "spark_master": args.spark_master,
             "stage_seconds": {k: round(v, 3) for k, v in mirage.seconds_.items()}, **extra}
    return mirage, _summary(mirage, name, int(meta.get("num_classes", 0)),
                            time.perf_counter() - t0, extra)


def cmd_distill(args) -> int:
    from .fileio import check_target

    if args.engine == "spark":
        from .data.parquet import is_parquet_dir

        name = Path(args.dataset).name if is_parquet_dir(args.dataset) else args.dataset.replace(":", "-")
        out = check_target(Path(args.out) if args.out else Path(f"{name}-mirage.npz"), "output file")
        mirage, summary = distil_spark(args)
        ds_name = summary["dataset"]
    else:
        ds = _load(args)
        ds_name = ds.name
        out = check_target(Path(args.out) if args.out else Path(f"{ds.name}-mirage.npz"), "output file")
        mirage, summary = distil(args, ds)
    mirage.distilled_.save(out)
    summary["out"] = str(out)
    if args.json:
        print(json.dumps(summary))
    else:
        _say(args, f"{ds_name}: {summary['graphs']} distilled graphs ({summary['per_class']} per class), "
                   f"{summary['nodes']} nodes, {_fmt_bytes(summary['bytes'])} vs {_fmt_bytes(summary['full_bytes'])} "
                   f"full training split ({summary['compression']}x smaller), {summary['trees_unique']} distinct "
                   f"{summary['hops']}-hop trees, {summary['readout']} readout, {summary['seconds']:.2f} s -> {out}")
    return 0


def cmd_condense(args) -> int:
    from .baselines import DosCond, KiDD
    from .fileio import check_target
    from .training import resolve_device

    resolve_device(args.device)
    _threads(args)
    ds = _load(args)
    out = check_target(Path(args.out) if args.out else Path(f"{ds.name}-{args.method}.npz"), "output file")
    kwargs = {"seed": args.seed, "device": args.device, "progress": _progress(args)}
    if args.graphs_per_class is not None:
        kwargs["graphs_per_class"] = args.graphs_per_class
    if args.steps is not None:
        kwargs["steps" if args.method == "doscond" else "updates"] = args.steps
    est = (DosCond if args.method == "doscond" else KiDD)(**kwargs).fit(ds[ds.split["train"]])
    d = est.distilled_
    d.save(out)
    s = d.summary()
    summary = {"dataset": ds.name, "method": args.method, "graphs": s["graphs"], "nodes": s["nodes"],
               "bytes": s["bytes"], "full_bytes": d.meta["full_bytes"], "seconds": est.seconds_,
               "distilled_with": d.meta["distilled_with"], "settings": d.meta["params"], "out": str(out)}
    if args.json:
        print(json.dumps(summary))
    else:
        _say(args, f"{ds.name}: {args.method} made {s['graphs']} graphs ({s['nodes']} nodes, {_fmt_bytes(s['bytes'])} "
                   f"vs {_fmt_bytes(d.meta['full_bytes'])} full) for {d.meta['distilled_with']} in "
                   f"{est.seconds_:.1f} s -> {out}")
    return 0


def cmd_export(args) -> int:
    from .data import export_parquet

    ds = _load(args)
    out = export_parquet(ds, args.parquet, graphs_per_file=args.graphs_per_file)
    summary = {"dataset": ds.name, "graphs": len(ds), "out": str(out), "layout": "graph-mirage-parquet v1"}
    if args.json:
        print(json.dumps(summary))
    else:
        _say(args, f"{ds.name}: {len(ds):,} graphs written as Parquet tables (graphs/, nodes/, edges/) -> {out}")
    return 0


def _train_config(args, dataset: str | None = None, model: str | None = None):
    from .training import TrainConfig

    given = {k: getattr(args, k) for k in ("epochs", "lr", "batch_size", "hidden", "dropout", "weight_decay",
                                           "patience", "eval_every") if getattr(args, k) is not None}
    if args.layers is not None:
        given["num_layers"] = args.layers
    if args.readout is not None:
        given["readout"] = args.readout
    given.update(support=args.weighting, device=args.device)
    if getattr(args, "train_preset", None):
        from .presets import paper_train_config

        return paper_train_config(dataset, model, args.train_preset, **given)
    defaults = dict(epochs=100, lr=1e-3, batch_size=32, hidden=64, dropout=0.0, weight_decay=0.0, eval_every=1)
    return TrainConfig(**{**defaults, **given})


def cmd_train(args) -> int:
    from .distilled import DistilledDataset, check_compatible
    from .training import resolve_device, train_and_evaluate

    resolve_device(args.device)
    _threads(args)
    train_set = DistilledDataset.load(args.distilled) if args.distilled else None  # a bad file fails before loading
    ds = _load(args)
    if train_set is not None:
        check_compatible(train_set.meta, ds.meta, args.distilled)
    seeds = list(range(args.seeds))
    cfg = _train_config(args, ds.name, args.model)
    result = train_and_evaluate(ds, train_set, model=args.model, seeds=seeds, config=cfg,
                                paper_protocol=args.paper_protocol, progress=_progress(args))
    if args.json:
        result.pop("runs")
        print(json.dumps(result))
        return 0
    _say(args, _result_line(result))
    return 0


def _result_line(r: dict) -> str:
    line = (f"{r['dataset']} {r['model']} on {r['source']} ({r['train_graphs']} graphs, {r['readout']} readout): "
            f"test {r['metric']} {r['test_mean']:.4f} ± {r['test_std']:.4f} over seeds {r['seeds']} "
            f"(val {r['val_mean']:.4f}), {r['train_seconds']:.1f} s training + {r['eval_seconds']:.1f} s evaluation "
            f"per seed")
    if "paper_top5_test_mean" in r:
        line += (f"; authors' protocol (mean of 5 best of {len(r['seeds'])} by validation): "
                 f"{r['paper_top5_test_mean']:.4f} ± {r['paper_top5_test_std']:.4f}")
    return line


def cmd_run(args) -> int:
    """The main job: distil, train on the distilled set, train on the full split, compare."""
    from .fileio import check_target
    from .training import resolve_device, train_and_evaluate

    resolve_device(args.device)
    _threads(args)
    if args.out:
        check_target(args.out, "output file")
    ds = _load(args)
    mirage, summary = distil(args, ds)
    if args.out:
        mirage.distilled_.save(args.out)
    seeds = list(range(args.seeds))
    cfg = _train_config(args, ds.name, args.model)
    distilled = train_and_evaluate(ds, mirage.distilled_, model=args.model, seeds=seeds, config=cfg,
                                   progress=_progress(args))
    full = None
    if not args.no_full:
        from dataclasses import replace

        full = train_and_evaluate(ds, None, model=args.model, seeds=seeds,
                                  config=replace(cfg, epochs=args.full_epochs or cfg.epochs, support="none"),
                                  progress=_progress(args))
    if args.json:
        for r in (distilled, full):
            if r:
                r.pop("runs")
        print(json.dumps({"distill": summary, "distilled": distilled, "full": full}))
        return 0
    m = distilled["metric"]
    print(f"dataset {ds.name}: {len(ds)} graphs, split {len(ds.split['train'])}/{len(ds.split['valid'])}/"
          f"{len(ds.split['test'])}")
    how = (f"automatic settings: {summary['settings']['per_class']} prototype(s) per class" if "settings" in summary
           else "Mirage")
    print(f"distilled with {how} (hops={summary['hops']}) in {summary['seconds']:.2f} s: {summary['graphs']} graphs, "
          f"{summary['nodes']} nodes; {distilled['readout']} readout")
    print()
    print(f"{'training set':<14} {'graphs':>7} {'bytes':>10} {'size':>8}  test {m} (mean ± std, {len(seeds)} seeds)"
          f"  train s/run")
    rows = [("Mirage", distilled, summary["graphs"], summary["bytes"])]
    if full:
        rows.append(("full", full, len(ds.split["train"]), summary["full_bytes"]))
    for label, r, g, b in rows:
        print(f"{label:<14} {g:>7} {_fmt_bytes(b):>10} {b / summary['full_bytes']:>8.2%}  "
              f"{r['test_mean']:.4f} ± {r['test_std']:.4f}{'':>22}{r['train_seconds']:>8.1f}")
    print(f"\ncompression: the distilled set is {summary['compression']}x smaller than the training split")
    return 0


def cmd_bench(args) -> int:
    from .bench import main as bench_main

    return bench_main(args.bench_args)


def cmd_inspect(args) -> int:
    from .report import write_report

    out = write_report(args.file, args.out, results=args.results, dataset_root=args.root)
    _say(args, f"report written to {out}")
    return 0


# ----------------------------------------------------------------------------------------------------------------------
# parser
# ----------------------------------------------------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    from . import __version__
    from .distill import RANKS
    from .mining import BACKENDS, TARGETS
    from .models import MODELS, READOUTS
    from .presets import PRESETS
    from .training import DEFAULT_READOUT, SUPPORT_MODES

    p = _Parser(prog="mirage", description="Model-agnostic graph dataset distillation (Mirage).")
    p.add_argument("--version", action="version", version=f"graph-mirage {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    def data_args(sp, positional: bool = True):
        if positional:
            sp.add_argument("dataset", help="dataset name (see `mirage datasets`)")
        sp.add_argument("--root", default=None, help="data root (default: $MIRAGE_DATA or ~/.cache/graph-mirage/data)")
        sp.add_argument("--split-seed", type=_int(0), default=0,
                        help="seed of the random 80/10/10 split or of the folds (TU datasets)")
        sp.add_argument("--stratify", action="store_true", help="stratified random split")
        sp.add_argument("--folds", type=_int(2), default=None,
                        help="stratified k-fold cross-validation with a 10%% inner validation holdout (Errica et al. "
                             "2020) instead of the random split; datasets with an official split keep it")
        sp.add_argument("--fold", type=_int(0), default=0, help="which fold is the test set (with --folds; default 0)")
        sp.add_argument("--json", action="store_true", help="print one JSON object")
        sp.add_argument("--quiet", "-q", action="store_true", help="no progress or messages")

    def distill_args(sp):
        sp.add_argument("--preset", choices=PRESETS, default=None,
                        help="the authors' released settings for this dataset (hops, thresholds, filter; README)")
        sp.add_argument("--step", type=_int(0), default=None,
                        help="with --preset: this threshold step instead of choosing one on the validation split")
        sp.add_argument("--select-model", choices=MODELS, default="gin", type=str.lower,
                        help="with --preset and threshold steps: the GNN that scores each step (default gin)")
        sp.add_argument("--select-seeds", type=_int(1), default=3, help="seeds per step when choosing (default 3)")
        sp.add_argument("--hops", type=_int(1), default=None,
                        help="tree depth L (default: chosen on the validation split; with an itemset option, the "
                             "dataset's, 2)")
        g = sp.add_mutually_exclusive_group()
        g.add_argument("--budget", type=_int_or_auto(1), default=None,
                       help="itemset form: distilled graphs per class (default 10 when an itemset option is given); "
                            "auto: the automatic settings (the default)")
        g.add_argument("--max-bytes", type=_int(1), default=None,
                       help="size cap of the distilled set in bytes (automatic settings: default 1 %% of the "
                            "training split, at least 5 average graphs per class)")
        g.add_argument("--support", nargs="+", default=None, metavar="S",
                       help="explicit thresholds: 0.05 (a fraction of each class's graphs), 25 (a count of graphs) or "
                            "CLASS:VALUE ...; a set that is not smaller than the training split is refused")
        sp.add_argument("--itemsets", choices=TARGETS, default=None, help="which frequent sets (default closed)")
        sp.add_argument("--overlap", type=_float(-math.inf), default=None,
                        help="drop a set whose support in another class reaches OVERLAP x its class threshold "
                             "(<= 0 keeps all; default 1)")
        sp.add_argument("--min-count", type=_int(1), default=None, help="lowest absolute support searched (default 2)")
        sp.add_argument("--max-itemset-size", type=_int(1), default=None, help="most trees in one distilled graph")
        sp.add_argument("--max-nodes", type=_int(1), default=100_000, help="refuse larger distilled graphs")
        sp.add_argument("--max-sets", type=_int(1), default=1_000_000,
                        help="itemset form: most frequent sets one mining call may return (default 1000000)")
        sp.add_argument("--mining-memory", type=_float(0, low_open=True), default=4.0, metavar="GIB",
                        help="itemset form: memory one mining call may use, in GiB (default 4)")
        sp.add_argument("--mining-seconds", type=_float(0, low_open=True), default=600.0,
                        help="itemset form: seconds one mining call may take (default 600)")
        sp.add_argument("--backend", choices=BACKENDS, default=None, help="FP-growth implementation (default pyfim)")
        sp.add_argument("--rank", choices=RANKS, default=None, help="order of the sets a budget keeps (default margin)")
        sp.add_argument("--context", type=_int(0), default=None,
                        help="add each class's N most frequent trees to its distilled graphs (0: off, as the paper)")

    def train_args(sp, seeds: int):
        sp.add_argument("--model", choices=MODELS, default="gin", type=str.lower, help="GNN (default gin)")
        sp.add_argument("--train-preset", choices=PRESETS, default=None,
                        help="the authors' training recipe for this dataset and GNN (README); flags given override it")
        sp.add_argument("--seeds", type=_int(1), default=seeds, help=f"number of seeds, 0..N-1 (default {seeds})")
        sp.add_argument("--epochs", type=_int(1), default=None, help="epochs (default 100)")
        sp.add_argument("--patience", type=_int(1), default=None,
                        help="stop after this many evaluations without a better validation metric (default: never)")
        sp.add_argument("--eval-every", type=_int(1), default=None, help="evaluate every N epochs (default 1)")
        sp.add_argument("--lr", type=_float(0, low_open=True), default=None, help="learning rate (default 1e-3)")
        sp.add_argument("--weight-decay", type=_float(0), default=None, help="weight decay (default 0)")
        sp.add_argument("--batch-size", type=_int(1), default=None, help="graphs per batch (default 32)")
        sp.add_argument("--hidden", type=_int(1), default=None, help="hidden size (default 64)")
        sp.add_argument("--dropout", type=_float(0, 1, high_open=True), default=None, help="dropout (default 0)")
        sp.add_argument("--layers", type=_int(1), default=None, help="GNN layers (default: the distillation hops)")
        sp.add_argument("--readout", choices=list(READOUTS), default=None,
                        help=f"pooling of the roots (distilled) / all nodes (real graphs) (default: what the "
                             f"distilled set records, else {DEFAULT_READOUT})")
        sp.add_argument("--weighting", choices=SUPPORT_MODES, default="none",
                        help="use distilled graphs' supports: none, loss (weighted loss) or sample")
        sp.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
        sp.add_argument("--threads", type=_int(1), default=1,
                        help="torch threads (default 1: small GNNs are Python-bound, and one thread is fastest "
                             "when anything else runs; see README)")

    sp = sub.add_parser("datasets", help="list known datasets and their statistics")
    sp.add_argument("name", nargs="?", default=None)
    data_args(sp, positional=False)
    sp.add_argument("--stats", action="store_true", help="load every dataset found and show its statistics")
    sp.set_defaults(func=cmd_datasets)

    sp = sub.add_parser("distill", help="distil a dataset's training split into a small file")
    data_args(sp)
    distill_args(sp)
    sp.add_argument("--readout", dest="distill_readout", choices=("sum", "mean", "max"), default=None,
                    help="the readout recorded for training on this set (default sum, the authors')")
    sp.add_argument("--out", "-o", default=None, help="output .npz (default DATASET-mirage.npz)")
    sp.add_argument("--engine", choices=("memory", "spark"), default="memory",
                    help="memory (default) or spark: trees and transactions on a Spark cluster, reading DATASET's "
                         "Parquet layout (a directory from `mirage export`, or a named dataset exported once); the "
                         "itemset form only, with the same artifact as memory")
    sp.add_argument("--spark-master", default="local[*]", metavar="URL",
                    help="with --engine spark: the master URL (default local[*]; spark://HOST:7077, yarn, ...)")
    sp.add_argument("--spark-partitions", type=_int(1), default=8, metavar="N",
                    help="with --engine spark: shuffle partitions (default 8; about 2-3 per executor core)")
    sp.add_argument("--spark-driver-memory", default=None, metavar="SIZE",
                    help="with --engine spark: spark.driver.memory, e.g. 8g (local mode runs the executors in the "
                         "driver JVM)")
    sp.set_defaults(func=cmd_distill)

    sp = sub.add_parser("condense", help="a learned baseline (DosCond or KiDD) at its authors' settings, as a "
                                         "distilled-set file (slow: it trains on the full split)")
    data_args(sp)
    sp.add_argument("--method", choices=("doscond", "kidd"), required=True, type=str.lower,
                    help="doscond (one-step gradient matching, GCN) or kidd (kernel ridge regression, LiteGNTK)")
    sp.add_argument("--graphs-per-class", type=_int(1), default=None,
                    help="synthetic graphs per class (default: the authors' scripts, DosCond 1, KiDD 10)")
    sp.add_argument("--steps", type=_int(1), default=None,
                    help="optimisation steps (default: the authors', DosCond 1000, KiDD 300)")
    sp.add_argument("--seed", type=_int(0), default=0, help="seed (default 0)")
    sp.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    sp.add_argument("--threads", type=_int(1), default=1, help="torch threads (default 1)")
    sp.add_argument("--out", "-o", default=None, help="output .npz (default DATASET-METHOD.npz)")
    sp.set_defaults(func=cmd_condense)

    sp = sub.add_parser("export", help="write a dataset as Parquet tables (graphs, nodes, edges; README layout)")
    data_args(sp)
    sp.add_argument("--parquet", required=True, metavar="DIR", help="output directory (new or empty)")
    sp.add_argument("--graphs-per-file", type=_int(1), default=100_000,
                    help="graphs per Parquet part file (default 100000); a file never splits a graph")
    sp.set_defaults(func=cmd_export)

    sp = sub.add_parser("train", help="train a GNN on a distilled set or the full split, test on real graphs")
    data_args(sp)
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--distilled", default=None, help="a file written by `mirage distill`")
    src.add_argument("--full", action="store_true", help="train on the full training split")
    train_args(sp, seeds=5)
    sp.add_argument("--paper-protocol", action="store_true",
                    help="also report the authors' protocol: mean of the 5 best runs by validation")
    sp.set_defaults(func=cmd_train)

    sp = sub.add_parser("run", help="main job: distil, train on it and on the full split, compare")
    sp.add_argument("dataset", nargs="?", default="synthetic-motifs")
    data_args(sp, positional=False)
    distill_args(sp)
    train_args(sp, seeds=3)
    sp.set_defaults(distill_readout=None)
    sp.add_argument("--full-epochs", type=_int(1), default=None, help="epochs of full-data training (default --epochs)")
    sp.add_argument("--no-full", action="store_true", help="skip full-data training")
    sp.add_argument("--out", "-o", default=None, help="also save the distilled set")
    sp.set_defaults(func=cmd_run)

    sp = sub.add_parser("bench", help="the paper's table: methods x datasets x GNNs (see benchmarks/paper_table.py)",
                        add_help=False)
    sp.add_argument("bench_args", nargs=argparse.REMAINDER)
    sp.set_defaults(func=cmd_bench)

    sp = sub.add_parser("inspect", help="an HTML report of a distilled set: plots, tree drawings, tables")
    sp.add_argument("file")
    sp.add_argument("--out", "-o", required=True, help="output directory")
    sp.add_argument("--results", default=None, help="a benchmark result JSON, for the accuracy-vs-size plot")
    sp.add_argument("--root", default=None, help=argparse.SUPPRESS)
    sp.add_argument("--quiet", "-q", action="store_true")
    sp.set_defaults(func=cmd_inspect)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)

    def one_line_warning(message, category, filename, lineno, file=None, line=None):
        print(f"mirage: warning: {message}", file=sys.stderr)

    warnings.showwarning = one_line_warning
    # SIGTERM (kill, a scheduler's time limit) ends like Ctrl-C: cleanup runs, training workers are stopped
    signal.signal(signal.SIGTERM, _terminated)
    try:
        if argv[:1] == ["bench"]:  # the benchmark has its own parser (benchmarks/paper_table.py shares it)
            args = argparse.Namespace(func=cmd_bench, bench_args=argv[1:])
        else:
            args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except (MirageError, ValueError) as e:
        print(f"mirage: error: {_one_line(e)}", file=sys.stderr)
        return EXIT_USAGE
    except _Terminated:
        print("mirage: error: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("mirage: error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except MemoryError:
        print("mirage: error: out of memory; use a smaller dataset, fewer hops or a smaller budget", file=sys.stderr)
        return EXIT_USAGE
    except OSError as e:  # a file system refusing something the user asked for (read-only, full, permissions)
        where = f" {e.filename}" if getattr(e, "filename", None) else ""
        print(f"mirage: error: cannot access{where}: {e.strerror or type(e).__name__}", file=sys.stderr)
        return EXIT_USAGE


class _Terminated(KeyboardInterrupt):
    pass


def _terminated(signum, frame) -> None:
    raise _Terminated()


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split())


if __name__ == "__main__":
    sys.exit(main())
