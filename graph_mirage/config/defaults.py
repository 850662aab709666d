"""Names and defaults shared by the library and the command line (no heavy imports)."""

from __future__ import annotations

DEFAULT_HOPS = 2  # tree depth = GNN layers, when nothing else says (2 measured best on ogbg-molbace: docs/results)
DEFAULT_BUDGET = 10  # Mirage's budget search: distilled graphs per class when no other budget is given
SPARK_DRIVER_ROWS = 300_000  # WL rounds with at most this many signatures (all parts) are ranked on the Spark driver
SPARK_EXECUTOR_WAIT = 120  # seconds for a first executor on a standalone master (env MIRAGE_SPARK_EXECUTOR_WAIT)
FLOOR_TREES = 32  # the Spark engine's first support floor covers this many trees per graph of the budget

MODELS = ("gcn", "gat", "gin", "gine", "sage")
READOUTS = ("mean", "sum", "max")
DEFAULT_READOUT = "sum"  # the authors' global_add_pool over the roots
SUPPORT_MODES = ("none", "loss", "sample")

TARGETS = ("all", "closed", "maximal")  # which frequent tree sets
BACKENDS = ("pyfim", "mlxtend")  # FP-growth implementations
RANKS = ("margin", "support", "size")  # order of the sets a budget keeps

PRESETS = ("paper",)
ENGINES = ("memory", "spark")

# Mirage's itemset form: the lowest support its budget search tries, and the limits of one mining call
MIN_COUNT = 2
MAX_SETS = 1_000_000
MINING_MEMORY = 4 * 2 ** 30  # bytes
MINING_SECONDS = 600.0

# graph-mirage's default distiller (AutoPrototypes): the grid it chooses from
AUTO_HOPS = (1, 2, 3)
AUTO_PER_CLASS = (1, 2, 5, 10, 20)
AUTO_BANK_PER_CLASS = (1, 2, 5, 10, 20, 50, 100, 200)  # with a tree bank (--bank) ten times as many prototypes fit
# whether the default's prototypes share one tree bank when not told (bank=None): on one task yes (measured on 9
# datasets, 10 seeds: level or better with every GNN, docs/results/README.md), not across tasks, where one
# bank's cap took more prototypes per task and scored lower on ogbg-moltox21; degrees=True alone keeps its own DAGs, and
# continuous node attributes would be one mean per tree in a bank (AutoPrototypes.uses_bank)
AUTO_BANK = True
# whether the default's leaves carry their real degrees when not told (degrees=None): in a tree bank yes (GCN's exact
# normalisation at depth 1; measured on 9 datasets, 10 seeds: GCN level or better, above on PROTEINS and IMDB-BINARY,
# macro ROC-AUC 55 -> 65 on three classes; GAT and GIN read the same numbers; 1-13 % more bytes,
# docs/results/leaf-degrees.md), not in prototypes with their own DAGs, where the degrees cost up to 3.2x the bytes
AUTO_DEGREES_IN_BANK = True
AUTO_BANK_TASKS = False
AUTO_MAX_FRACTION = 0.01  # byte cap (max_fraction="auto"): 1 % of the training split per decision boundary ...
AUTO_MIN_GRAPHS = 5  # ... or this many average training graphs per class, whichever is larger
# K classes have K - 1 decision boundaries; the cap grows with them up to this many (5 classes, the most measured:
# BACE's potency classes, docs/results/README.md); more classes share it: 37 classes are not kept at 36 % of the bytes
AUTO_MAX_BOUNDARIES = 4
# the bytes sweep (mirage bench --fractions): the default's grid grows to sets this large per class
SWEEP_PER_CLASS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
# how a prototype chooses its roots (TreePrototypes(roots=...)); the first is the default
ROOTS = ("top", "sampled", "even-ties", "by-label")
# mirage distill without --jobs: k-means on worker processes (at most this many) for a training split of at least
# this many graphs (ogbg-molhiv: 22.9 s -> 17.1 s end to end on 2 cores); below, starting them costs more than they
# save (NCI1: 4.4 s -> 5.3 s; benchmarks/results/auto_speed.json). The same file either way.
AUTO_JOBS = 4
AUTO_JOBS_MIN_GRAPHS = 10_000
# mirage bench and mirage search without --jobs: one training worker per core (one torch thread each), at most this many
TRAIN_JOBS = 8
KMEANS_SAMPLE = 4096  # prototypes: k-means fitted on at most this many graphs of a class, then all assigned

# a run on a distilled set that its validation split stops at one of the first epochs is a barely trained model, which
# orders graphs mostly by size (docs/results/README.md, "Early epochs"; benchmarks/size_drift.py): mirage train and
# run say so when most runs do
EARLY_EPOCHS = 3

# binned degrees as the node labels of datasets without them (load_dataset(degree_bins=...), --degree-bins)
DEGREE_BINS = ("log2",)

# the benchmark (mirage bench): its datasets and default methods (graph_mirage.bench.methods describes each)
# training recipes the benchmark chooses between on validation: plain and regularised always for full data, any of
# them for distilled sets with --recipes. high-lr: on DD a model trained on the default's set at Adam's 1e-3 is best at
# epochs 1-5, while it still orders graphs by size as initialised, and loses that order as it fits the prototypes;
# at 1e-2 it keeps it (docs/results/README.md, "A higher learning rate on DD"). drop-roots: each readout pools a
# random 70 % of a graph's roots while training (TrainConfig.root_dropout), variations of each prototype. mixup: the
# head reads mixes of two graphs' pooled embeddings, lam ~ Beta(1, 1), against both targets (TrainConfig.mixup).
# ema: the epoch is chosen, and tested, on a moving average of the weights (decay 0.8 per epoch: about 5 epochs)
TRAIN_RECIPES = {"plain": {}, "regularised": {"dropout": 0.5, "weight_decay": 1e-4}, "high-lr": {"lr": 1e-2},
                 "drop-roots": {"root_dropout": 0.3}, "mixup": {"mixup": 1.0}, "ema": {"ema": 0.8},
                 "support-loss": {"support": "loss"}}
FULL_DATA_RECIPES = ("plain", "regularised")
# how the bench chooses among several distilled-set recipes: each set's validation score, or its margin over its
# permuted control there (a faster optimiser lifts a binary set's control as much as the set: docs/results)
RECIPE_RULES = ("score", "margin")
BENCH_DATASETS = ("MUTAG", "ogbg-molbace", "ogbg-molbbbp", "PROTEINS", "NCI1", "IMDB-BINARY", "DD", "ogbg-molhiv")
BENCH_METHODS = ("full", "mirage-paper", "mirage-auto", "mirage-bank", "mirage-plain", "mirage-proto", "doscond",
                 "kidd", "herding-bytes", "random-bytes", "mirage", "herding", "random", "size-only", "wl-kernel",
                 "permuted")
BENCH_DEFAULT_METHODS = ("full", "mirage-paper", "mirage-auto", "herding-bytes", "random-bytes", "size-only",
                         "wl-kernel", "permuted")
