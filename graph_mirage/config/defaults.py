"""Names and defaults shared by the library and the command line (no heavy imports)."""

from __future__ import annotations

DEFAULT_HOPS = 2  # tree depth = GNN layers, when nothing else says (2 measured best on ogbg-molbace: docs/results)
DEFAULT_BUDGET = 10  # Mirage's budget search: distilled graphs per class when no other budget is given

MODELS = ("gcn", "gat", "gin", "gine", "sage")
READOUTS = ("mean", "sum", "max")
DEFAULT_READOUT = "sum"  # the authors' global_add_pool over the roots
SUPPORT_MODES = ("none", "loss", "sample")

TARGETS = ("all", "closed", "maximal")  # which frequent tree sets
BACKENDS = ("pyfim", "mlxtend")  # FP-growth implementations
RANKS = ("margin", "support", "size")  # order of the sets a budget keeps

PRESETS = ("paper",)
ENGINES = ("memory", "spark")
