"""graph-mirage: model-agnostic graph dataset distillation for graph classification (Mirage, ICLR 2024).

Example:
    >>> from graph_mirage import AutoPrototypes, Mirage, load_dataset
    >>> ds = load_dataset("synthetic-motifs")
    >>> distilled = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_
    >>> paper = Mirage(hops=2, budget=4).fit(ds[ds.split["train"]]).distilled_      # the paper's itemset form
    >>> distilled.save("synthetic.npz")  # doctest: +SKIP
"""

from ._lazy import lazy
from ._version import __version__
from .errors import ArtifactError, BudgetError, DatasetError, MirageError, ParameterError  # noqa: F401

# Public names load their module on first use (PEP 562), so that importing a light module such as
# graph_mirage.mining (in the bounded miner worker, graph_mirage._miner) does not import torch and PyG.
_LAZY = {"DATASETS": ".config.datasets", "GraphDataset": ".data", "dataset_stats": ".data", "load_dataset": ".data",
         "Mirage": ".distill", "MiningLimits": ".mining", "DistilledDataset": ".distilled",
         "TreePrototypes": ".prototypes", "AutoPrototypes": ".auto"}

__all__ = ["DATASETS", "AutoPrototypes", "GraphDataset", "DistilledDataset", "Mirage", "MiningLimits", "TreePrototypes",
           "load_dataset", "dataset_stats", "MirageError", "DatasetError", "BudgetError", "ArtifactError",
           "ParameterError", "__version__"]


__getattr__, __dir__ = lazy(__name__, _LAZY, __all__)
