"""``mirage bench``: methods x datasets x GNNs, each distilled set beside its controls, with intervals.

Methods are looked up by name (:mod:`.methods`); every training run is cached (:mod:`.runs`), so a table is run once
and re-read after any change that leaves its inputs alone; a dataset's runs happen in two waves so that choices made
on validation (a preset's threshold step, the full-data recipe) are made before the runs that depend on them
(:mod:`.schedule`); rows carry 95 % intervals over seeds or folds and paired comparisons (:mod:`.rows`); the Markdown
is :mod:`.tables`. Protocol: test metric at the epoch with the best validation metric (and at the last epoch), over
every run; folds for TU datasets with ``--folds`` (Errica et al. 2020), OGB datasets keep their scaffold split.
Results go to ``--out`` as ``NAME.json`` and ``NAME.md``.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from .._process import train_workers
from ..errors import MirageError


def run(datasets, opts, jobs: int = 1, on_dataset=None) -> list[dict]:
    """Every dataset's rows (:func:`.rows.build_rows`), calling ``on_dataset(rows so far)`` after each dataset."""
    from ..data.registry import is_csv_path
    from .rows import build_rows
    from .runs import Runner
    from .schedule import run_dataset

    rows: list[dict] = []
    runner = Runner(jobs)
    try:
        with tempfile.TemporaryDirectory(prefix="mirage-bench-") as tmp:
            for name in datasets:
                shown = Path(name).name if is_csv_path(name) else name  # a user's file by its name, as its sets say
                rows.extend(build_rows(shown, run_dataset(name, runner, Path(tmp), opts)))
                if on_dataset:
                    on_dataset(rows)
    finally:
        runner.close()
    return rows


def _log(quiet: bool):
    from ..progress import spoke

    def log(*a) -> None:
        spoke()  # the benchmark's own lines replace the "loading libraries and data" heartbeat from here
        print(*a, flush=True)

    return (lambda *a: None) if quiet else log


def default_name(quick: bool) -> str:
    """The output stem of a bench without ``--name``: no committed table's (``benchmarks/results`` is the default
    directory, and a user's run there must not overwrite the tables a page is written from)."""
    return "quick" if quick else "bench"


def outputs(out: str, name: str | None, default: str) -> tuple[Path, Path]:
    """The JSON and Markdown files a table goes to, refused before any run when they cannot be written: ``out``
    ending in ``.json`` is the JSON file itself (the Markdown beside it, ``.md``); otherwise a directory for
    ``NAME.json`` and ``NAME.md`` (``name``, else ``default``)."""
    from ..fileio import check_output, check_writable_directory

    path = Path(out)
    if path.suffix.lower() == ".json":
        if name is not None:
            raise MirageError(f"--out {out} names the results file; give --name only with an output directory")
        check_output(path, "results file")
        return path, check_output(path.with_suffix(".md"), "results file")
    check_writable_directory(path)
    stem = name or default
    return path / f"{stem}.json", path / f"{stem}.md"


def _check_select_after(select_after: int | None, epochs: int, quick: bool) -> None:
    """Refuse a warm-up longer than the distilled sets' or full data's epochs before anything is trained."""
    from .runs import full_config

    full = full_config("plain", None, 1, quick).epochs
    if select_after is not None and select_after > min(epochs, full):
        raise MirageError(f"--select-after {select_after} leaves no epoch to choose: the distilled sets train "
                          f"{epochs} epochs and full data at most {full}")


def _check_split_column(datasets: list[str], root, column: str) -> None:
    """Refuse ``--split-col`` where no dataset is a CSV file, and a CSV whose split column is missing or bad, before
    anything trains (loading reads and checks the file; its graphs are cached for the runs)."""
    from ..data import load_dataset
    from ..data.registry import resolve_spec

    csvs = [name for name in datasets if resolve_spec(name, root).kind == "csv"]
    if not csvs:
        raise MirageError(f"--split-col names a CSV file's split column; none of the datasets is a CSV file "
                          f"({', '.join(datasets)})")
    for name in csvs:
        load_dataset(name, root, split_column=column)


def _check_degree_bins(datasets: list[str], root, how: str) -> None:
    """Refuse, before anything is trained, a dataset that ``--degree-bins`` cannot apply to (its nodes have labels of
    their own): each is loaded once, as its turn would load it."""
    import warnings

    from ..data import load_dataset

    for name in datasets:
        with warnings.catch_warnings():  # its own messages come again when its turn loads it
            warnings.simplefilter("ignore")
            load_dataset(name, root, degree_bins=how)


def _check_names(datasets: list, models: list, root) -> None:
    """Unknown GNNs and datasets, refused before PyTorch is imported."""
    from ..config.defaults import MODELS
    from ..data.registry import resolve_spec

    bad = [m for m in models if m not in MODELS]
    if bad:
        raise MirageError(f"unknown model(s) {bad}; known: {', '.join(MODELS)}")
    for name in datasets:
        resolve_spec(name, root)


def _check_recipe_rule(rule: str, recipes: list | None, methods) -> None:
    """``--recipe-rule margin`` reads each set's permuted control: it needs two recipes or more and the control."""
    if rule == "score":
        return
    if len(set(recipes or ["plain"])) < 2:
        raise MirageError("--recipe-rule margin chooses among --recipes: give two or more")
    if "permuted" not in methods:
        raise MirageError("--recipe-rule margin reads each set's permuted control: add 'permuted' to --methods")


def main_from_args(args) -> int:
    """``mirage bench`` with parsed arguments (:func:`graph_mirage.cli.bench_args.add_bench_args`)."""
    from ..config.defaults import BENCH_DATASETS as ALL_DATASETS
    from ..config.defaults import BENCH_DEFAULT_METHODS as DEFAULT_METHODS
    from ..fileio import atomic_write_text
    from .tables import markdown, merge

    quick = args.quick
    json_path, md_path = outputs(args.out, args.name, default_name(quick and not args.merge))
    if args.merge:
        merge(args.merge, json_path, md_path)
        _log(args.quiet)(md_path.read_text())
        return 0
    datasets = args.datasets or (["MUTAG", "ogbg-molbace"] if quick else list(ALL_DATASETS))
    models = args.models or (["gin"] if quick else ["gcn", "gat", "gin"])
    _check_names(datasets, models, args.root)
    if args.split_col is not None:
        _check_split_column(datasets, args.root, args.split_col)
    epochs = args.epochs or (50 if quick else 100)  # on a distilled set
    _check_select_after(args.select_after, epochs, quick)
    _check_recipe_rule(args.recipe_rule, args.recipes, args.methods or DEFAULT_METHODS)
    if args.degree_bins:
        _check_degree_bins(datasets, args.root, args.degree_bins)
    import torch

    from .schedule import Options

    torch.set_num_threads(1)  # this process distils; the workers train
    seeds = list(range(args.seeds if args.seeds is not None else (2 if quick else 10)))
    methods = tuple(args.methods or DEFAULT_METHODS)
    jobs = train_workers(args.jobs)
    log = _log(args.quiet)
    opts = Options(models=models, seeds=seeds, budgets=args.budgets or [10], methods=methods, root=args.root,
                   quick=quick, progress=not args.quiet, log=log, folds=args.folds, fold_seeds=args.fold_seeds,
                   full_seeds=args.full_seeds, readout=args.readout, epochs=epochs,
                   cache_dir=None if quick or not args.cache_dir else args.cache_dir, refresh=args.refresh,
                   proto=None if args.proto is None else {"hops": args.proto[0], "per_class": args.proto[1]},
                   node_attributes=args.node_attributes, degree_bins=args.degree_bins, fractions=args.fractions,
                   split_column=args.split_col,
                   degrees=args.degrees, roots=args.roots, max_roots=args.max_roots,
                   recipes=tuple(dict.fromkeys(args.recipes or ["plain"])), recipe_rule=args.recipe_rule,
                   select_after=args.select_after or 1,
                   full_layers=args.full_layers,
                   hops=None if args.hops is None else tuple(args.hops))
    t0 = time.perf_counter()
    header = {"command": "mirage bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]),
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, {jobs} training "
                         f"process{'es' if jobs > 1 else ''} (1 torch thread each), torch {torch.__version__} "
                         f"({torch.backends.cpu.get_cpu_capability()} kernels)",
              "seeds": seeds, "folds": args.folds, "fold_seeds": args.fold_seeds, "full_seeds": args.full_seeds,
              "budgets": opts.budgets, "proto": opts.proto, "node_attributes": opts.node_attributes,
              "fractions": opts.fractions, **({"degrees": opts.degrees} if opts.degrees is not None else {}),
              **({"degree_bins": opts.degree_bins} if opts.degree_bins else {}),
              **({"split_column": opts.split_column} if opts.split_column else {}),
              **({"roots": opts.roots} if opts.roots != "top" else {}),
              **({"max_roots": opts.max_roots} if opts.max_roots is not None else {}),
              **({"recipes": list(opts.recipes)} if opts.recipes != ("plain",) else {}),
              **({"recipe_rule": opts.recipe_rule} if opts.recipe_rule != "score" else {}),
              **({"select_after": opts.select_after} if opts.select_after != 1 else {}),
              **({"full_layers": opts.full_layers} if opts.full_layers is not None else {}),
              **({"hops": list(opts.hops)} if opts.hops is not None else {}),
              "methods": list(methods), "readout": args.readout or "recorded/sum",
              "complete": False}

    def save(rows):  # after every dataset: an interrupted run keeps what it measured, marked incomplete
        header["seconds"] = time.perf_counter() - t0
        atomic_write_text(json_path, json.dumps({"header": header, "rows": rows}, indent=1))

    rows = run(datasets, opts, jobs, on_dataset=save)
    header["complete"] = True
    save(rows)
    md = markdown(rows, header)
    atomic_write_text(md_path, md)
    log("\n" + md)
    log(f"wrote {json_path} and {md_path}")
    return 0
