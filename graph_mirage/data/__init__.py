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

One source class per kind reads them (:mod:`.sources`). The root is only read. Processed graphs are cached in
``MIRAGE_CACHE`` (default ``~/.cache/graph-mirage``), written atomically so an interrupted run leaves nothing
half-written, and under a lock so that two processes needing it at once process it once. Names load their module on
first use: importing :mod:`graph_mirage.data.registry` (what the command line needs to list datasets) does not
import PyTorch.

Example:
    >>> ds = load_dataset("synthetic-motifs")
    >>> train = ds[ds.split["train"]]
    >>> train[0]
    Data(x=[...], edge_index=[2, ...], edge_attr=[..., 1], y=[1])
"""

from .._lazy import lazy

_LAZY = {
    "FlatGraphs": ".graphs", "GraphDataset": ".graphs", "Graphs": ".graphs", "as_flat": ".graphs",
    "classes_of": ".graphs", "dataset_from_flat": ".graphs", "dataset_stats": ".graphs", "export_parquet": ".parquet",
    "read_parquet": ".parquet", "make_synthetic_molecules": ".synthetic_molecules", "load_dataset": ".loading",
    "cached_meta": ".loading", "default_cache": ".registry", "default_root": ".registry", "resolve_spec": ".registry",
    "fold_split": ".splits", "random_split": ".splits", "scaffold_split": ".splits", "validate_tu_raw": ".tu",
    "read_molecule_csv": ".csvdata", "build_molecule_graphs": ".csvdata", "source_for": ".sources",
    "DATASETS": "..config.datasets", "DatasetSpec": "..config.datasets",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy(__name__, _LAZY)
