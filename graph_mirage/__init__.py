"""graph-mirage: model-agnostic graph dataset distillation for graph classification (Mirage, ICLR 2024).

Example:
    >>> from graph_mirage import Mirage, load_dataset
    >>> ds = load_dataset("synthetic-motifs")
    >>> distilled = Mirage(hops=2, budget=4).fit(ds[ds.split["train"]]).distilled_
    >>> distilled.save("synthetic.npz")  # doctest: +SKIP
"""

__version__ = "0.2.0"

from .data import DATASETS, GraphDataset, dataset_stats, load_dataset  # noqa: E402
from .distill import Mirage  # noqa: E402
from .distilled import DistilledDataset  # noqa: E402
from .errors import ArtifactError, BudgetError, DatasetError, MirageError, ParameterError  # noqa: E402
from .prototypes import TreePrototypes  # noqa: E402

__all__ = ["DATASETS", "GraphDataset", "DistilledDataset", "Mirage", "TreePrototypes", "load_dataset",
           "dataset_stats", "MirageError", "DatasetError", "BudgetError", "ArtifactError", "ParameterError",
           "__version__"]
