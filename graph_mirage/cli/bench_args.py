"""The arguments of ``mirage bench`` (shared with ``benchmarks/paper_table.py``); configuration imports only."""

from __future__ import annotations

import argparse

from ..config.defaults import (
    BENCH_DATASETS,
    BENCH_DEFAULT_METHODS,
    BENCH_METHODS,
    DEGREE_BINS,
    FULL_DATA_RECIPES,
    READOUTS,
    RECIPE_RULES,
    ROOTS,
    TRAIN_RECIPES,
)
from .types import number, positive

METHOD_NAMES, DEFAULT_METHODS, ALL_DATASETS = BENCH_METHODS, BENCH_DEFAULT_METHODS, BENCH_DATASETS


def add_bench_args(p) -> None:
    p.add_argument("--datasets", nargs="+", default=None, help=f"default: {' '.join(ALL_DATASETS)}")
    p.add_argument("--models", nargs="+", default=None, type=str.lower, help="default: gcn gat gin")
    p.add_argument("--seeds", type=positive(1), default=None, help="seeds 0..N-1 per split (default 10; quick 2)")
    p.add_argument("--folds", type=positive(2), default=None,
                   help="k-fold cross-validation (stratified, inner validation holdout) for TU datasets; OGB "
                        "datasets keep their scaffold split")
    p.add_argument("--fold-seeds", type=positive(1), default=None, help="seeds per fold with --folds (default --seeds)")
    p.add_argument("--full-seeds", type=positive(1), default=None,
                   help="at most this many full-data seeds per split (default: all; runs are cached)")
    p.add_argument("--budgets", nargs="+", type=positive(1), default=None,
                   help="graphs per class of the itemset form (methods mirage, herding, random; default 10)")
    p.add_argument("--fractions", nargs="+", type=number(0.0, 1.0, low_open=True), default=None, metavar="F",
                   help="the bytes sweep: mirage-auto, mirage-bank, mirage-plain, herding-bytes and random-bytes once "
                        "per fraction of the training split's bytes (e.g. 0.001 0.01 0.1)")
    p.add_argument("--node-attributes", action="store_true",
                   help="load TU datasets with their continuous node attributes (every method and GNN uses them)")
    p.add_argument("--split-col", default=None, metavar="COLUMN",
                   help="a CSV dataset's column of train / valid / test, for every method (default: a scaffold split)")
    p.add_argument("--degree-bins", choices=DEGREE_BINS, default=None,
                   help="datasets without node labels get their degrees binned as labels (log2: 0, 1, 2-3, 4-7, ...), "
                        "for every method, control and GNN; a dataset with node labels is refused")
    p.add_argument("--degrees", action=argparse.BooleanOptionalAction, default=None,
                   help="mirage-auto's, mirage-plain's and mirage-proto's prototypes carry their leaves' real degrees "
                        "(exact GCN normalisation at depth 1; mirage-auto: each prototype its own DAG; see "
                        "TreePrototypes); --no-degrees: never (default: as the default, in a tree bank only)")
    p.add_argument("--roots", choices=ROOTS, default="top",
                   help="how the mirage-auto/-bank/-plain and mirage-proto prototypes choose their roots (default "
                        "top; sampled, even-ties, by-label: see TreePrototypes)")
    p.add_argument("--hops", nargs="+", type=positive(1), default=None, metavar="L",
                   help="the depths the default's rule (mirage-auto/-bank/-plain) chooses among (default 1 2 3)")
    p.add_argument("--max-roots", type=positive(1), default=None, metavar="N",
                   help="most roots per prototype of mirage-auto/-bank/-plain and mirage-proto (default 32)")
    p.add_argument("--proto", nargs=2, type=positive(1), default=None, metavar=("HOPS", "PER_CLASS"),
                   help="the one setting of method mirage-proto (default 2 5), e.g. an earlier default's choice")
    p.add_argument("--methods", nargs="+", default=None, choices=METHOD_NAMES,
                   help=f"default: {' '.join(DEFAULT_METHODS)} (permuted: every distilled set again with its labels "
                        f"permuted, the control each cell is read against)")
    p.add_argument("--readout", choices=READOUTS, default=None,
                   help="readout of every GNN (default: what each set records, else sum)")
    p.add_argument("--epochs", type=positive(1), default=None, help="epochs on a distilled set (default 100)")
    p.add_argument("--full-layers", type=positive(1), default=None, metavar="L",
                   help="message-passing layers of the GNNs trained on full data (default 2): e.g. the depth of the "
                        "default's set, to read how much of its gap to full data is depth (docs/results)")
    p.add_argument("--select-after", type=positive(1), default=None, metavar="N",
                   help="every run (full data too) chooses its epoch on validation only from epoch N on, patience "
                        "counted from there (default 1: any epoch; docs/results: selecting after a warm-up)")
    p.add_argument("--recipes", nargs="+", choices=list(TRAIN_RECIPES), default=None,
                   help="training recipes of the distilled sets and their controls, each chosen per GNN, method and "
                        "split on validation (default: plain; full data always chooses between "
                        f"{' and '.join(FULL_DATA_RECIPES)}; "
                        + "; ".join(f"{k}: {v}" for k, v in TRAIN_RECIPES.items() if v) + ")")
    p.add_argument("--recipe-rule", choices=RECIPE_RULES, default="score",
                   help="how --recipes are chosen: by the set's own validation score (score, the default; each "
                        "control chooses its own), or by the set's margin over its permuted control on validation, "
                        "the control read under the set's recipe (margin; docs/results: choosing a set's learning "
                        "rate)")
    p.add_argument("--cache-dir", default="benchmarks/results/runs",
                   help="where every training run is cached as JSON, keyed by everything it depends on; a table "
                        "re-run reads it instead of training again ('' for none)")
    p.add_argument("--refresh", action="store_true",
                   help="re-run the cached runs of this table that were written before what a run records last "
                        "changed (e.g. decisions with the validation-fitted bias); others are read as they are")
    p.add_argument("--jobs", type=positive(1), default=None,
                   help="worker processes, one torch thread each: they make the sets of a dataset's splits (folds) "
                        "and train every run (default: CPU cores, at most 8)")
    p.add_argument("--quick", action="store_true", help="small slice: MUTAG and ogbg-molbace, GIN, 2 seeds")
    p.add_argument("--root", default=None, help="data root (default $MIRAGE_DATA)")
    p.add_argument("--out", default="benchmarks/results",
                   help="directory for NAME.json and NAME.md (default benchmarks/results, relative to the working "
                        "directory), or the results file itself, FILE.json (FILE.md beside it)")
    p.add_argument("--name", default=None, help="output file stem (default bench, or quick)")
    p.add_argument("--merge", nargs="+", default=None, metavar="JSON",
                   help="write one table (--name) from the rows of earlier result files instead of running")
    p.add_argument("--quiet", "-q", action="store_true")
