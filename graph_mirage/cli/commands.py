"""The ``mirage`` commands: each parses its arguments into settings, calls one workflow
(:mod:`graph_mirage.workflows`) and prints. Heavy modules are imported only after the settings passed their checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from ..errors import ParameterError
from ..progress import spoke
from ..workflows.settings import DataSettings, DistillSettings, SparkSettings, TrainSettings
from .output import (
    choice_lines,
    describe_lines,
    fmt_bytes,
    fmt_per,
    margin_line,
    print_run,
    print_search,
    result_line,
    without_runs,
)


def progress_on(args) -> bool:
    """Progress for long work: a bar on a terminal, plain lines otherwise; none with --quiet or --json."""
    return not getattr(args, "quiet", False) and not getattr(args, "json", False)


def say(args, *msg) -> None:
    if not getattr(args, "quiet", False):
        spoke()
        print(*msg, file=sys.stderr if getattr(args, "json", False) else sys.stdout, flush=True)


def data_settings(args, name: str | None = None) -> DataSettings:
    return DataSettings(name or args.dataset, args.root, args.split_seed, args.stratify, args.folds, args.fold,
                        getattr(args, "smiles_col", None),
                        tuple(args.label_cols) if getattr(args, "label_cols", None) else None,
                        getattr(args, "split_col", None), getattr(args, "node_attributes", False),
                        getattr(args, "degree_bins", None))


def byte_cap(value) -> dict:
    """``--max-bytes`` / ``--set-bytes`` as settings: a byte count is ``max_bytes``, ``P%`` is ``max_fraction``."""
    from .types import Share

    if value is None:
        return {}
    return {"max_fraction": float(value)} if isinstance(value, Share) else {"max_bytes": value}


def distill_settings(args, out: str | None) -> DistillSettings:
    return DistillSettings(
        data_settings(args), preset=args.preset, step=args.step, select_model=args.select_model,
        select_seeds=args.select_seeds, hops=args.hops, budget=args.budget, **byte_cap(args.max_bytes),
        support=tuple(args.support) if args.support else None, itemsets=args.itemsets, overlap=args.overlap,
        min_count=args.min_count, max_itemset_size=args.max_itemset_size, max_nodes=args.max_nodes,
        max_sets=args.max_sets, mining_memory=args.mining_memory, mining_seconds=args.mining_seconds,
        backend=args.backend, rank=args.rank, context=args.context, readout=args.distill_readout, out=out,
        engine=getattr(args, "engine", "memory"),
        spark=SparkSettings(getattr(args, "spark_master", "local[*]"), getattr(args, "spark_partitions", 8),
                            getattr(args, "spark_driver_memory", None), getattr(args, "spark_checkpoint_dir", None),
                            getattr(args, "spark_driver_rows", SparkSettings.driver_rows)),
        threads=args.threads, jobs=getattr(args, "jobs", None), degrees=getattr(args, "degrees", None),
        bank=getattr(args, "bank", None), roots=getattr(args, "roots", "top"),
        max_roots=getattr(args, "max_roots", None))


def train_settings(args) -> TrainSettings:
    return TrainSettings(model=args.model, seeds=args.seeds, train_preset=args.train_preset, epochs=args.epochs,
                         patience=args.patience, eval_every=args.eval_every, lr=args.lr,
                         weight_decay=args.weight_decay, batch_size=args.batch_size, hidden=args.hidden,
                         dropout=args.dropout, root_dropout=args.root_dropout, mixup=args.mixup,
                         ema=args.ema, layers=args.layers,
                         readout=args.readout, weighting=args.weighting,
                         prior_correction=not args.no_prior_correction, device=args.device, threads=args.threads,
                         paper_protocol=getattr(args, "paper_protocol", False),
                         select_after=getattr(args, "select_after", None),
                         control=not getattr(args, "no_control", False),
                         choose_lr=tuple(args.choose_lr) if getattr(args, "choose_lr", None) else None)


def default_out(dataset: str, root, suffix: str) -> str:
    """``DATASET-SUFFIX.npz`` in the working directory (a ``:`` of a generated name becomes ``-``)."""
    from ..data.parquet import is_parquet_dir
    from ..data.registry import resolve_spec

    name = Path(dataset).name if is_parquet_dir(dataset) else resolve_spec(dataset, root).name
    for ext in (".gz", ".csv"):  # my_molecules.csv.gz -> my_molecules-auto.npz
        name = name[: -len(ext)] if name.lower().endswith(ext) else name
    return f"{name.replace(':', '-')}-{suffix}.npz"


# ----------------------------------------------------------------------------------------------------------------------
def cmd_datasets(args) -> int:
    from .datasets import show_datasets

    return show_datasets(args, data_settings(args, args.name or "synthetic-motifs"))


def cmd_distill(args) -> int:
    from ..workflows.distill import check_distill

    s = distill_settings(args, None)
    s.check()  # option errors first, then the output path
    s.out = args.out or default_out(args.dataset, args.root, "mirage")
    check_distill(s)
    from ..workflows.distill import distill

    outcome = distill(s, log=lambda m: say(args, m), progress=progress_on(args))
    summary = outcome.summary
    if args.json:
        print(json.dumps(summary))
    else:
        per = "informing each task" if summary.get("tasks") else "per class"
        trees = f"{summary['trees_unique']} distinct " if summary["trees_unique"] is not None else ""
        say(args, f"{summary['dataset']}: {summary['graphs']} distilled graphs ({fmt_per(summary['per_class'], per)}), "
                  f"{summary['nodes']} nodes, {fmt_bytes(summary['bytes'])} vs {fmt_bytes(summary['full_bytes'])} "
                  f"full training split ({summary['compression']}x smaller), {trees}{summary['hops']}-hop trees, "
                  f"{summary['readout']} readout, {summary['seconds']:.2f} s -> {summary['out']}")
    return 0


def cmd_condense(args) -> int:
    from ..workflows.files import CondenseSettings, condense

    s = CondenseSettings(data_settings(args), args.method, args.graphs_per_class, args.steps, args.seed, args.device,
                         args.threads, None)
    s.check()
    s.out = args.out or default_out(args.dataset, args.root, args.method)
    s.check()
    est = condense(s, progress=progress_on(args))
    d = est.distilled_
    size = d.summary()
    summary = {"dataset": d.meta["dataset"], "method": args.method, "graphs": size["graphs"], "nodes": size["nodes"],
               "bytes": size["bytes"], "full_bytes": d.meta["full_bytes"], "seconds": est.seconds_,
               "distilled_with": d.meta["distilled_with"], "settings": d.meta["params"], "out": str(s.out)}
    if args.json:
        print(json.dumps(summary))
    else:
        say(args, f"{summary['dataset']}: {args.method} made {size['graphs']} graphs ({size['nodes']} nodes, "
                  f"{fmt_bytes(size['bytes'])} vs {fmt_bytes(d.meta['full_bytes'])} full) for "
                  f"{d.meta['distilled_with']} in {est.seconds_:.1f} s -> {s.out}")
    return 0


def cmd_export(args) -> int:
    from ..workflows.files import export

    summary = export(args.dataset, args.parquet, data=data_settings(args), graphs_per_file=args.graphs_per_file,
                     progress=progress_on(args))
    if args.json:
        print(json.dumps(summary))
    elif summary["content"] == "distilled":
        say(args, f"{summary['source']}: {summary['graphs']:,} distilled graphs written as Parquet tables (graphs/, "
                  f"nodes/, edges/) -> {summary['out']}")
    else:
        say(args, f"{summary['dataset']}: {summary['graphs']:,} graphs written as Parquet tables (graphs/, nodes/, "
                  f"edges/) -> {summary['out']}")
    return 0


def cmd_train(args) -> int:
    from ..workflows.train import check_train

    data, t = data_settings(args), train_settings(args)
    check_train(data, t, args.distilled)
    from ..workflows.train import train

    result = train(data, t, args.distilled, progress=progress_on(args))
    if args.json:
        print(json.dumps(without_runs(result)))
        return 0
    if "choice" in result:
        say(args, choice_lines(result["choice"]))
    say(args, result_line(result))
    if "control" in result:
        say(args, margin_line(result))
    return 0


def cmd_run(args) -> int:
    from ..workflows.train import run

    s, t = distill_settings(args, args.out), train_settings(args)
    outcome = run(s, t, full=not args.no_full, full_epochs=args.full_epochs, log=lambda m: say(args, m),
                  progress=progress_on(args))
    if args.json:
        print(json.dumps({"distill": outcome.distilled.summary, "distilled": without_runs(outcome.on_set),
                          "full": without_runs(outcome.full)}))
        return 0
    print_run(outcome, t.seeds)
    return 0


def cmd_search(args) -> int:
    from ..workflows.search import SearchSettings

    s = SearchSettings(data_settings(args), args.distilled, args.full, args.space, args.seeds, args.epochs, args.jobs,
                       args.device, args.out, patience=args.patience,
                       eval_every=args.eval_every, cache_dir=args.cache_dir, confirm=args.confirm,
                       select_after=args.select_after, root_dropout=args.root_dropout, versus=args.versus,
                       **{f"set_{k}": v for k, v in byte_cap(args.set_bytes).items()})
    s.check()  # the space, the file and the output path before the dataset is loaded
    from ..workflows.search import search

    outcome = search(s, log=lambda m: say(args, m), progress=progress_on(args))
    record = outcome.record()
    if args.json:
        print(json.dumps(record, default=float))
        return 0
    print_search(outcome, args.top)
    return 0


def cmd_bench(args) -> int:
    from ..bench import main_from_args

    return main_from_args(args)


def cmd_inspect(args) -> int:
    from ..workflows.files import describe, inspect

    if args.out is None:
        if args.results:
            raise ParameterError("--results goes into the HTML report: give --out DIR with it")
        info = describe(args.file)
        print(json.dumps(info) if args.json else describe_lines(info))
        return 0
    if args.json:
        raise ParameterError("--json prints the file's summary: leave out --out")
    out = inspect(args.file, args.out, results=args.results)
    say(args, f"report written to {out}")
    return 0
