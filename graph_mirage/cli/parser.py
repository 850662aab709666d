"""The ``mirage`` argument parser. It imports only configuration, so ``mirage --help`` and every argument error answer
in a fraction of a second, before PyTorch is imported."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from ..config.defaults import (
    AUTO_HOPS,
    AUTO_JOBS,
    AUTO_JOBS_MIN_GRAPHS,
    AUTO_PER_CLASS,
    BACKENDS,
    DEFAULT_BUDGET,
    DEFAULT_READOUT,
    DEGREE_BINS,
    ENGINES,
    MAX_SETS,
    MIN_COUNT,
    MINING_MEMORY,
    MINING_SECONDS,
    MODELS,
    PRESETS,
    RANKS,
    READOUTS,
    ROOTS,
    SPARK_DRIVER_ROWS,
    SUPPORT_MODES,
    TARGETS,
)
from .types import bytes_or_share, int_or_auto, number, positive

if TYPE_CHECKING:
    from typing import NoReturn

EXIT_USAGE = 2


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one ``mirage: error:`` line (the usage is in ``--help``)."""

    def error(self, message: str) -> NoReturn:  # noqa: D102
        print(f"mirage: error: {self.prog.replace('mirage ', '', 1) + ': ' if ' ' in self.prog else ''}{message} "
              f"(see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_USAGE)


def data_args(sp, positional: bool = True) -> None:
    if positional:
        sp.add_argument("dataset", help="dataset name, a CSV file of SMILES and labels, or a directory in the "
                                        "Parquet layout (see `mirage datasets`)")
    sp.add_argument("--root", default=None, help="data root (default: $MIRAGE_DATA or ~/.cache/graph-mirage/data)")
    sp.add_argument("--split-seed", type=positive(0), default=0,
                    help="seed of the random 80/10/10 split or of the folds (TU datasets)")
    sp.add_argument("--stratify", action="store_true", help="stratified random split")
    sp.add_argument("--folds", type=positive(2), default=None,
                    help="stratified k-fold cross-validation with a 10%% inner validation holdout (Errica et al. "
                         "2020) instead of the random split; datasets with an official split keep it")
    sp.add_argument("--fold", type=positive(0), default=0, help="which fold is the test set (with --folds; default 0)")
    sp.add_argument("--node-attributes", action="store_true",
                    help="use a TU dataset's continuous node attributes (NAME_node_attributes.txt) beside its labels, "
                         "in distilling and training (off by default, as in PyG's TUDataset)")
    sp.add_argument("--degree-bins", choices=list(DEGREE_BINS), default=None,
                    help="a dataset without node labels gets its degrees binned as labels (log2: 0, 1, 2-3, 4-7, ...) "
                         "instead of the degrees themselves, in distilling and training (docs/user-guide.md)")
    csv_args(sp)
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.add_argument("--quiet", "-q", action="store_true", help="no progress or messages")


def csv_args(sp) -> None:
    g = sp.add_argument_group("a CSV file of molecules (DATASET ends in .csv or .csv.gz)")
    g.add_argument("--smiles-col", default=None, metavar="NAME",
                   help="the SMILES column (default: the column named smiles, in any case)")
    g.add_argument("--label-cols", nargs="+", default=None, metavar="NAME",
                   help="label columns: one is a classification task (integer classes), several are binary tasks "
                        "(0/1, an empty cell a missing label); default: every other column")
    g.add_argument("--split-col", default=None, metavar="NAME",
                   help="a column of train/valid/test (default: Bemis-Murcko scaffold split 80/10/10, seeded by "
                        "--split-seed; 0 is OGB's deterministic order)")


def distill_args(sp) -> None:
    sp.add_argument("--preset", choices=PRESETS, default=None,
                    help="the authors' released settings for this dataset (hops, thresholds, filter; docs)")
    sp.add_argument("--step", type=positive(0), default=None,
                    help="with --preset: this threshold step instead of choosing one on the validation split")
    sp.add_argument("--select-model", choices=MODELS, default="gin", type=str.lower,
                    help="with --preset and threshold steps: the GNN that scores each step (default gin)")
    sp.add_argument("--select-seeds", type=positive(1), default=3, help="seeds per step when choosing (default 3)")
    sp.add_argument("--hops", type=positive(1), default=None,
                    help=f"tree depth L (default: chosen among {', '.join(map(str, AUTO_HOPS))} on the validation "
                         f"split; with an itemset option, 2)")
    g = sp.add_mutually_exclusive_group()
    g.add_argument("--budget", type=int_or_auto(1), default=None,
                   help=f"itemset form: distilled graphs per class (default {DEFAULT_BUDGET} when an itemset option "
                        f"is given); auto: the automatic settings (the default: prototypes per class chosen among "
                        f"{', '.join(map(str, AUTO_PER_CLASS))})")
    g.add_argument("--max-bytes", type=bytes_or_share, default=None, metavar="B|P%",
                   help="size cap of the distilled set in bytes, or P%% of the training split's bytes (automatic "
                        "settings: default 1 %% per decision boundary, K - 1 of them for K classes (at most 4), at "
                        "least 5 average graphs per class; a percentage given is of all the bytes; only there)")
    g.add_argument("--support", nargs="+", default=None, metavar="S",
                   help="explicit thresholds: 0.05 (a fraction of each class's graphs), 25 (a count of graphs) or "
                        "CLASS:VALUE ...; a set that is not smaller than the training split is refused")
    sp.add_argument("--itemsets", choices=TARGETS, default=None, help="which frequent sets (default closed)")
    sp.add_argument("--overlap", type=number(-math.inf), default=None,
                    help="drop a set whose support in another class reaches OVERLAP x its class threshold "
                         "(<= 0 keeps all; default 1)")
    sp.add_argument("--min-count", type=positive(1), default=None,
                    help=f"lowest absolute support searched (default {MIN_COUNT})")
    sp.add_argument("--max-itemset-size", type=positive(1), default=None, help="most trees in one distilled graph")
    sp.add_argument("--max-nodes", type=positive(1), default=100_000, help="refuse larger distilled graphs")
    sp.add_argument("--max-sets", type=positive(1), default=None,
                    help=f"itemset form: most frequent sets one mining call may return (default {MAX_SETS})")
    sp.add_argument("--mining-memory", type=number(0, low_open=True), default=None, metavar="GIB",
                    help=f"itemset form: memory one mining call may use, in GiB (default {MINING_MEMORY // 2 ** 30})")
    sp.add_argument("--mining-seconds", type=number(0, low_open=True), default=None,
                    help=f"itemset form: seconds one mining call may take (default {MINING_SECONDS:.0f})")
    sp.add_argument("--backend", choices=BACKENDS, default=None, help="FP-growth implementation (default pyfim)")
    sp.add_argument("--rank", choices=RANKS, default=None, help="order of the sets a budget keeps (default margin)")
    sp.add_argument("--context", type=positive(0), default=None,
                    help="add each class's N most frequent trees to its distilled graphs (0: off, as the paper)")
    sp.add_argument("--degrees", action=argparse.BooleanOptionalAction, default=None,
                    help="automatic default: the prototypes' leaves carry their real degrees, for GCN's "
                         "normalisation (default: in a tree bank, where they cost 1-13 %% more bytes; --degrees alone: "
                         "each prototype its own DAG with them; --no-degrees: never; docs/results/leaf-degrees.md)")
    sp.add_argument("--bank", action=argparse.BooleanOptionalAction, default=None,
                    help="automatic default: the prototypes store their trees once, in one tree bank (file format "
                         "version 2), so about ten times as many fit the byte cap; the default on one task, not across "
                         "tasks, with --degrees (--bank --degrees: both) or with continuous node attributes "
                         "(--no-bank: each prototype its own DAG; docs/user-guide.md)")
    sp.add_argument("--roots", choices=ROOTS, default="top",
                    help="automatic default: a prototype's roots are its most frequent trees (top, the default; "
                         "even-ties: where the cut falls among equally frequent trees, those kept are spread over "
                         "them rather than the lowest ids), trees at evenly spaced quantiles of its nodes (sampled: "
                         "rare trees keep their share) or the most frequent trees of each root label, weighted so "
                         "that its node labels are its cluster's exactly (by-label; docs/user-guide.md)")
    sp.add_argument("--max-roots", type=positive(1), default=None, metavar="N",
                    help="automatic default: most trees (roots) per prototype (default 32; graphs with many distinct "
                         "trees, such as DD's, need more to be covered; more bytes)")


def train_args(sp, seeds: int) -> None:
    sp.add_argument("--model", choices=MODELS, default="gin", type=str.lower, help="GNN (default gin)")
    sp.add_argument("--train-preset", choices=PRESETS, default=None,
                    help="the authors' training recipe for this dataset and GNN (docs); flags given override it")
    sp.add_argument("--seeds", type=positive(1), default=seeds, help=f"number of seeds, 0..N-1 (default {seeds})")
    sp.add_argument("--epochs", type=positive(1), default=None, help="epochs (default 100)")
    sp.add_argument("--patience", type=positive(1), default=None,
                    help="stop after this many evaluations without a better validation metric (default: never)")
    sp.add_argument("--eval-every", type=positive(1), default=None, help="evaluate every N epochs (default 1)")
    sp.add_argument("--select-after", type=positive(1), default=None, metavar="N",
                    help="choose the epoch on validation only from epoch N on; patience counts from there (default "
                         "1: any epoch; docs/results: selecting after a warm-up)")
    sp.add_argument("--lr", type=number(0, low_open=True), default=None, help="learning rate (default 1e-3)")
    sp.add_argument("--weight-decay", type=number(0), default=None, help="weight decay (default 0)")
    sp.add_argument("--batch-size", type=positive(1), default=None, help="graphs per batch (default 32)")
    sp.add_argument("--hidden", type=positive(1), default=None, help="hidden size (default 64)")
    sp.add_argument("--dropout", type=number(0, 1, high_open=True), default=None, help="dropout (default 0)")
    sp.add_argument("--root-dropout", type=number(0, 1, high_open=True), default=None, metavar="P",
                    help="while training, each readout pools each root (computation tree) with probability 1 - P "
                         "(default 0: all; docs/user-guide.md)")
    sp.add_argument("--mixup", type=number(0, None), default=None, metavar="A",
                    help="while training, the head reads mixes of two graphs' pooled embeddings against both "
                         "targets, the mix ~ Beta(A, A) (default 0: off; measured lower on NCI1: docs/user-guide.md)")
    sp.add_argument("--ema", type=number(0, 1, high_open=True), default=None, metavar="D",
                    help="validate, choose and test a moving average of the weights, decay D per epoch (default 0: "
                         "off; docs/user-guide.md)")
    sp.add_argument("--layers", type=positive(1), default=None, help="GNN layers (default: the distillation hops)")
    sp.add_argument("--readout", choices=list(READOUTS), default=None,
                    help=f"pooling of the roots (distilled) / all nodes (real graphs) (default: what the "
                         f"distilled set records, else {DEFAULT_READOUT})")
    sp.add_argument("--weighting", choices=SUPPORT_MODES, default="none",
                    help="use distilled graphs' supports: none, loss (weighted loss; per task and label on a "
                         "multi-task set) or sample (single-task sets)")
    sp.add_argument("--no-prior-correction", action="store_true",
                    help="decide with the distilled set's own class balance instead of the training split's "
                         "(default: logit adjustment to the training split's class shares; docs)")
    sp.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    sp.add_argument("--threads", type=positive(1), default=1,
                    help="torch threads (default 1: small GNNs are Python-bound, and one thread is fastest when "
                         "anything else runs; docs)")


def build_parser() -> argparse.ArgumentParser:
    from .._version import __version__

    p = Parser(prog="mirage", description="Model-agnostic graph dataset distillation (Mirage).")
    p.add_argument("--version", action="version", version=f"graph-mirage {__version__}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for add in (_datasets, _distill, _condense, _export, _train, _run, _search, _bench, _inspect):
        add(sub)
    return p


def _datasets(sub) -> None:
    from .commands import cmd_datasets

    sp = sub.add_parser("datasets", help="list known datasets and their statistics")
    sp.add_argument("name", nargs="?", default=None)
    data_args(sp, positional=False)
    sp.add_argument("--stats", action="store_true", help="load every dataset found and show its statistics")
    sp.set_defaults(func=cmd_datasets)


def _distill(sub) -> None:
    from .commands import cmd_distill

    sp = sub.add_parser("distill", help="distil a dataset's training split into a small file")
    data_args(sp)
    distill_args(sp)
    sp.add_argument("--readout", dest="distill_readout", choices=READOUTS, default=None,
                    help="the readout recorded for training on this set (default sum, the authors')")
    sp.add_argument("--out", "-o", default=None, help="output .npz (default DATASET-mirage.npz)")
    sp.add_argument("--threads", type=positive(1), default=1,
                    help="torch threads while distilling (default 1; a preset's step selection trains GNNs)")
    sp.add_argument("--jobs", type=positive(1), default=None,
                    help=f"worker processes for the automatic default's k-means (default: one per core, at most "
                         f"{AUTO_JOBS}, on a training split of {AUTO_JOBS_MIN_GRAPHS:,} graphs or more, where they "
                         f"save a third of the time on 2 cores; none below, where starting them costs a second); the "
                         f"same file for any number")
    sp.add_argument("--engine", choices=ENGINES, default="memory",
                    help="memory (default) or spark: trees and transactions on a Spark cluster, reading DATASET's "
                         "Parquet layout (a directory from `mirage export`, or a named dataset exported once); the "
                         "itemset form only (no settings: its default budget), with the same artifact as memory")
    sp.add_argument("--spark-master", default="local[*]", metavar="URL",
                    help="with --engine spark: the master URL (default local[*]; spark://HOST:7077, yarn, ...)")
    sp.add_argument("--spark-partitions", type=positive(1), default=8, metavar="N",
                    help="with --engine spark: shuffle partitions (default 8; about 2-3 per executor core)")
    sp.add_argument("--spark-driver-memory", default=None, metavar="SIZE",
                    help="with --engine spark: spark.driver.memory, e.g. 8g (local mode runs the executors in the "
                         "driver JVM)")
    sp.add_argument("--spark-checkpoint-dir", default=None, metavar="DIR",
                    help="with --engine spark on a cluster: where stage results are checkpointed, so that a lost "
                         "worker costs a retry (default a temporary directory on this machine; on several machines "
                         "give a shared one, e.g. hdfs://...)")
    sp.add_argument("--spark-driver-rows", type=positive(0), default=SPARK_DRIVER_ROWS, metavar="N",
                    help=f"with --engine spark: a WL round with at most N distinct signatures (summed over the part "
                         f"files) is ranked on the driver, larger ones on the cluster (default {SPARK_DRIVER_ROWS:,}; "
                         f"0: every round on the cluster); the same tree ids either way")
    sp.set_defaults(func=cmd_distill)


def _condense(sub) -> None:
    from .commands import cmd_condense

    sp = sub.add_parser("condense", help="a learned baseline (DosCond or KiDD) at its authors' settings, as a "
                                         "distilled-set file (slow: it trains on the full split)")
    data_args(sp)
    sp.add_argument("--method", choices=("doscond", "kidd"), required=True, type=str.lower,
                    help="doscond (one-step gradient matching, GCN) or kidd (kernel ridge regression, LiteGNTK)")
    sp.add_argument("--graphs-per-class", type=positive(1), default=None,
                    help="synthetic graphs per class (default: the authors' scripts, DosCond 1, KiDD 10)")
    sp.add_argument("--steps", type=positive(1), default=None,
                    help="optimisation steps (default: the authors', DosCond 1000, KiDD 300)")
    sp.add_argument("--seed", type=positive(0), default=0, help="seed (default 0)")
    sp.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N")
    sp.add_argument("--threads", type=positive(1), default=1, help="torch threads (default 1)")
    sp.add_argument("--out", "-o", default=None, help="output .npz (default DATASET-METHOD.npz)")
    sp.set_defaults(func=cmd_condense)


def _export(sub) -> None:
    from .commands import cmd_export

    sp = sub.add_parser("export", help="write a dataset, or a distilled-set file (.npz), as Parquet tables "
                                       "(graphs, nodes, edges; docs/file-format.md)")
    data_args(sp)
    sp.add_argument("--parquet", required=True, metavar="DIR", help="output directory (new or empty)")
    sp.add_argument("--graphs-per-file", type=positive(1), default=100_000,
                    help="graphs per Parquet part file (default 100000); a file never splits a graph")
    sp.set_defaults(func=cmd_export)


def _train(sub) -> None:
    from .commands import cmd_train

    sp = sub.add_parser("train", help="train a GNN on a distilled set or the full split, test on real graphs")
    data_args(sp)
    src = sp.add_mutually_exclusive_group(required=True)
    src.add_argument("--distilled", default=None, help="a file written by `mirage distill`")
    src.add_argument("--full", action="store_true", help="train on the full training split")
    train_args(sp, seeds=5)
    sp.add_argument("--paper-protocol", action="store_true",
                    help="also report the authors' protocol: mean of the 5 best runs by validation")
    _control_arg(sp)
    _choose_lr_arg(sp)
    sp.set_defaults(func=cmd_train)


def _choose_lr_arg(sp) -> None:
    sp.add_argument("--choose-lr", type=number(0, low_open=True), nargs="+", default=None, metavar="LR",
                    help="train the distilled set and its control at each learning rate and keep the one whose set "
                         "scores most above its control on validation (e.g. --choose-lr 0.001 0.01; worth it on sets "
                         "of several classes: docs/user-guide.md)")


def _control_arg(sp) -> None:
    sp.add_argument("--no-control", action="store_true",
                    help="do not train the distilled set's permuted-label control beside it (by default the same set "
                         "with its labels permuted is trained with the same recipe and seeds, and the set's margin "
                         "over it is reported with a paired 95%% interval: what the set teaches beyond what epoch "
                         "selection on the validation split gives for free)")


def _run(sub) -> None:
    from .commands import cmd_run

    sp = sub.add_parser("run", help="main job: distil, train on it and on the full split, compare")
    sp.add_argument("dataset", nargs="?", default="synthetic-motifs")
    data_args(sp, positional=False)
    distill_args(sp)
    train_args(sp, seeds=3)
    sp.set_defaults(distill_readout=None)
    sp.add_argument("--full-epochs", type=positive(1), default=None,
                    help="epochs of full-data training (default --epochs)")
    sp.add_argument("--no-full", action="store_true", help="skip full-data training")
    _control_arg(sp)
    _choose_lr_arg(sp)
    sp.add_argument("--out", "-o", default=None, help="also save the distilled set")
    sp.set_defaults(func=cmd_run)


def _search(sub) -> None:
    from .commands import cmd_search

    sp = sub.add_parser("search", help="model search: train every configuration of a space on a distilled set (or "
                                       "the full split), rank them on the real validation split")
    data_args(sp)
    src = sp.add_mutually_exclusive_group()
    src.add_argument("--distilled", default=None,
                     help="a file written by `mirage distill` (default: distil with the default settings first, "
                          "counted in the time)")
    src.add_argument("--full", action="store_true", help="search on the full training split instead")
    sp.add_argument("--set-bytes", type=bytes_or_share, default=None, metavar="B|P%",
                    help="the size cap of the set the search distils first (without --distilled), in bytes or P%% of "
                         "the training split's bytes (default: the default's 1 %%; on NCI1 a 5 %% tree bank at two "
                         "hops ranked 64 configurations at Spearman 0.82, the 1 %% set at 0.14: docs/search.md)")
    sp.add_argument("--space", default=None, metavar="FILE",
                    help="a JSON or YAML search space (docs/search.md; default: GCN, GAT, GIN, GraphSAGE x layers "
                         "1..hops x hidden 32, 64 x dropout 0, 0.5 x lr 1e-3, 1e-2)")
    sp.add_argument("--seeds", type=positive(1), default=1,
                    help="seeds per configuration (default 1; 2 or more also measure how alike the seeds rank the "
                         "configurations, and what that allows: docs/search.md)")
    sp.add_argument("--epochs", type=positive(1), default=None,
                    help="epochs per run (default 100 on a set; 200 with early stopping on the full split)")
    sp.add_argument("--patience", type=positive(1), default=None,
                    help="stop a run after N epochs without a better validation score (default: never on a set; 25 "
                         "on the full split)")
    sp.add_argument("--eval-every", type=positive(1), default=1,
                    help="score the validation split every N epochs; the epoch is chosen among those (default 1)")
    sp.add_argument("--select-after", type=positive(1), default=1, metavar="N",
                    help="choose each run's epoch on validation only from epoch N on; patience counts from there "
                         "(default 1: any epoch; docs/results: selecting after a warm-up)")
    sp.add_argument("--root-dropout", type=number(0, 1, high_open=True), default=0.0, metavar="P",
                    help="each run's readout pools each root with probability 1 - P while training (default 0: "
                         "all; not with --confirm)")
    sp.add_argument("--jobs", type=positive(1), default=None,
                    help="worker processes, one torch thread each (default: one per core, at most 8, as mirage "
                         "bench; 1 with --device cuda)")
    sp.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (with --jobs 1)")
    sp.add_argument("--versus", default=None, metavar="FILE",
                    help="a search record (--out) of the same dataset and space, e.g. the full split's (--full --out "
                         "FILE): report how faithfully this search ranks the configurations against it (Spearman, "
                         "Kendall, top-1 regret, top-5 overlap with intervals)")
    sp.add_argument("--confirm", type=positive(1), default=None, metavar="K",
                    help="then train the K configurations the set ranks best on the full training split and choose "
                         "among them by its validation split (screen on the set, confirm on the data; "
                         "docs/search.md)")
    sp.add_argument("--top", type=positive(1), default=10, help="configurations printed (default 10)")
    sp.add_argument("--out", "-o", default=None, help="write every configuration's scores as JSON")
    sp.add_argument("--cache-dir", default=None, metavar="DIR",
                    help="keep every finished run in DIR (one JSON file per configuration and seed, the format of "
                         "`mirage bench`'s run cache): a search run again reads them, so an interrupted search "
                         "resumes and more --seeds train only the new seeds (default: no cache)")
    sp.set_defaults(func=cmd_search)


def _bench(sub) -> None:
    from .bench_args import add_bench_args
    from .commands import cmd_bench

    sp = sub.add_parser("bench", help="the benchmark: methods x datasets x GNNs with controls and intervals (docs)")
    add_bench_args(sp)
    sp.set_defaults(func=cmd_bench)


def _inspect(sub) -> None:
    from .commands import cmd_inspect

    sp = sub.add_parser("inspect", help="what a distilled set holds; with --out an HTML report: plots, tree drawings, "
                                           "tables")
    sp.add_argument("file")
    sp.add_argument("--out", "-o", default=None, help="write the HTML report into this directory (default: print a "
                                                         "summary of the file)")
    sp.add_argument("--json", action="store_true", help="the summary as JSON (without --out)")
    sp.add_argument("--results", default=None, help="a benchmark result JSON, for the accuracy-vs-size plot")
    sp.add_argument("--quiet", "-q", action="store_true")
    sp.set_defaults(func=cmd_inspect)
