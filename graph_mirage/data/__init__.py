"""Datasets by name, as PyG ``Data`` graphs with discrete node and edge labels and a reproducible split.

Every graph of every dataset has the same layout, so that the tree stage, the models and the artifact need no
per-dataset code:

* ``x``: ``LongTensor [num_nodes, F]``, categorical node features. For OGB molecules the 9 atom features of
  :func:`ogb.utils.smiles2graph`; for TU datasets one column, the TU node label (or the node degree when the dataset
  has no node labels, as in IMDB-BINARY). The *discrete node label* Mirage refines is the whole row.
* ``edge_index``: ``LongTensor [2, num_edges]``, both directions of every undirected edge.
* ``edge_attr``: ``LongTensor [num_edges, Fe]``, categorical edge features: OGB's 3 bond features, or one TU edge
  label column (constant 0 when the dataset has none).
* ``y``: ``LongTensor [1]``, the class.

Data root layout (that of ``../shared/datasets``; on a machine with internet TU and OGB files are downloaded into it)::

    ROOT/TUDataset/NAME/raw/NAME_*.txt      TU raw files, as torch_geometric.datasets.TUDataset expects
    ROOT/ogb/ogbg_molbace/...               OGB's own files (official scaffold split)
    ROOT/molecules/{HIV,bace,BBBP}.csv.gz   MoleculeNet CSVs (fallback for OGB datasets)

The root is only read. Processed graphs are cached in ``MIRAGE_CACHE`` (default ``~/.cache/graph-mirage``),
written atomically so an interrupted run leaves nothing half-written.

Example:
    >>> ds = load_dataset("synthetic-motifs")
    >>> train = ds[ds.split["train"]]
    >>> train[0]
    Data(x=[...], edge_index=[2, ...], edge_attr=[..., 1], y=[1])
"""

from .graphs import FlatGraphs, GraphDataset, as_flat, classes_of, dataset_from_flat, dataset_stats
from .parquet import export_parquet, read_parquet
from .synthetic_molecules import make_synthetic_molecules
from .loading import load_dataset
from .registry import DATASETS, DatasetSpec, default_cache, default_root, find_raw, resolve_spec
from .splits import fold_split, random_split, scaffold_split
from .tu import validate_tu_raw
from .molecules import read_smiles_csv

__all__ = ["DATASETS", "DatasetSpec", "FlatGraphs", "GraphDataset", "as_flat", "classes_of", "dataset_stats",
           "dataset_from_flat", "export_parquet", "read_parquet", "make_synthetic_molecules",
           "default_cache", "default_root", "find_raw", "fold_split", "load_dataset", "random_split", "read_smiles_csv",
           "resolve_spec", "scaffold_split", "validate_tu_raw"]
