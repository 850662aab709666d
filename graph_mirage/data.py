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

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from .errors import DatasetError

CACHE_VERSION = 1


# ----------------------------------------------------------------------------------------------------------------------
# Registry: datasets are configuration, not code.
# ----------------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DatasetSpec:
    """What graph-mirage knows about a dataset name."""

    name: str
    kind: str  # "tu", "ogb" or "synthetic"
    description: str
    csv: str | None = None  # MoleculeNet CSV under ROOT/molecules, for OGB datasets
    smiles_column: str | None = None
    label_column: str | None = None
    hops: int = 2  # default tree depth / GNN layers (2 measured best on ogbg-molbace: see README)
    in_paper: bool = False


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec("synthetic-motifs", "synthetic", "built-in: random trees with a planted clique, star or wheel"),
        DatasetSpec("ogbg-molhiv", "ogb", "HIV inhibition (41,127 molecules)", "HIV.csv.gz", "smiles",
                    "HIV_active", in_paper=True),
        DatasetSpec("ogbg-molbace", "ogb", "BACE-1 inhibition (1,513 molecules)", "bace.csv.gz", "mol", "Class",
                    in_paper=True),
        DatasetSpec("ogbg-molbbbp", "ogb", "blood-brain barrier penetration (2,039 molecules)", "BBBP.csv.gz",
                    "smiles", "p_np", in_paper=True),
        DatasetSpec("NCI1", "tu", "anti-cancer screen (4,110 molecules)", in_paper=True),
        DatasetSpec("DD", "tu", "enzyme vs non-enzyme proteins (1,178)", in_paper=True),
        DatasetSpec("IMDB-BINARY", "tu", "movie collaboration ego-networks (1,000), no node labels", in_paper=True),
        DatasetSpec("MUTAG", "tu", "mutagenic aromatic nitro compounds (188)"),
        DatasetSpec("PROTEINS", "tu", "enzyme vs non-enzyme proteins (1,113)"),
        DatasetSpec("NCI109", "tu", "anti-cancer screen (4,127 molecules)"),
        DatasetSpec("ENZYMES", "tu", "enzyme classes (600, 6 classes)"),
        DatasetSpec("PTC_MR", "tu", "carcinogenicity in male rats (344)"),
        DatasetSpec("IMDB-MULTI", "tu", "movie collaboration ego-networks (1,500, 3 classes)"),
        DatasetSpec("REDDIT-BINARY", "tu", "discussion threads (2,000)"),
        DatasetSpec("COLLAB", "tu", "scientific collaboration ego-networks (5,000, 3 classes)"),
    ]
}


def default_root() -> Path:
    """The data root: ``MIRAGE_DATA`` or ``~/.cache/graph-mirage/data``."""
    env = os.environ.get("MIRAGE_DATA")
    return Path(env).expanduser() if env else _user_cache() / "data"


def default_cache() -> Path:
    """Where processed graphs go: ``MIRAGE_CACHE`` or ``~/.cache/graph-mirage/processed``."""
    env = os.environ.get("MIRAGE_CACHE")
    return Path(env).expanduser() if env else _user_cache() / "processed"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "graph-mirage"


def resolve_spec(name: str, root: str | os.PathLike | None = None) -> DatasetSpec:
    """The spec of ``name``; any other TU dataset present under ``ROOT/TUDataset`` is accepted too."""
    if name in DATASETS:
        return DATASETS[name]
    lowered = {k.lower(): k for k in DATASETS}
    if name.lower() in lowered:
        return DATASETS[lowered[name.lower()]]
    root = Path(root) if root is not None else default_root()
    if (root / "TUDataset" / name / "raw" / f"{name}_A.txt").is_file():
        return DatasetSpec(name, "tu", "TU dataset found under the data root")
    raise DatasetError(
        f"unknown dataset {name!r}; known: {', '.join(DATASETS)} "
        f"(any other TU dataset works once its raw files are in ROOT/TUDataset/{name}/raw)"
    )


# ----------------------------------------------------------------------------------------------------------------------
# The dataset object
# ----------------------------------------------------------------------------------------------------------------------
class GraphDataset(InMemoryDataset):
    """An in-memory PyG dataset with its split and label vocabularies.

    Args:
        data_list: the graphs (see the module docstring for their layout).
        meta: ``name``, ``kind``, ``num_classes``, ``node_vocab`` and ``edge_vocab`` (per-column vocabulary sizes of
            ``x`` and ``edge_attr``), ``split_kind`` and ``split_seed``, and anything else worth keeping.
        split: ``{"train": LongTensor, "valid": LongTensor, "test": LongTensor}``.

    Indexing with a tensor of indices gives a subset that keeps ``meta`` (``ds[ds.split["train"]]``).
    """

    def __init__(self, data_list: Sequence[Data] | None = None, meta: dict | None = None,
                 split: dict[str, torch.Tensor] | None = None, *, _collated=None) -> None:
        super().__init__(None)
        if _collated is not None:
            self._data, self.slices = _collated
        else:
            if not data_list:
                raise DatasetError(f"dataset {(meta or {}).get('name', '?')!r} is empty: it has no graphs")
            self._data, self.slices = self.collate(list(data_list))
        self.meta = dict(meta or {})
        self.split = {k: torch.as_tensor(v, dtype=torch.long) for k, v in (split or {}).items()}

    @property
    def name(self) -> str:
        return self.meta.get("name", "?")

    @property
    def num_classes(self) -> int:  # from the whole dataset, also for a subset
        return int(self.meta["num_classes"])

    def get_idx_split(self) -> dict[str, torch.Tensor]:
        """OGB-style access to the split."""
        return self.split

    def flat(self) -> "FlatGraphs":
        """All graphs of this (possibly indexed) dataset as one disjoint union, in numpy (no per-graph copies)."""
        return FlatGraphs.from_dataset(self)

    def __repr__(self) -> str:
        return f"GraphDataset({self.name}, {len(self)})"


@dataclass
class FlatGraphs:
    """A set of graphs as one disjoint union, the input of the vectorised tree stage.

    Attributes:
        x: ``[N, F]`` int64 node features; edge_index: ``[2, E]`` global node ids; edge_attr: ``[E, Fe]``;
        y: ``[G]``; node_ptr: ``[G+1]`` and edge_ptr: ``[G+1]`` offsets of each graph's nodes and edges.
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    y: np.ndarray
    node_ptr: np.ndarray
    edge_ptr: np.ndarray

    @property
    def num_graphs(self) -> int:
        return len(self.y)

    @property
    def graph_of_node(self) -> np.ndarray:
        return np.repeat(np.arange(self.num_graphs), np.diff(self.node_ptr))

    @classmethod
    def from_dataset(cls, ds: InMemoryDataset) -> "FlatGraphs":
        data, slices = ds._data, ds.slices
        idx = np.asarray(ds.indices() if ds._indices is not None else range(len(ds)), dtype=np.int64)
        ns, es = slices["x"].numpy(), slices["edge_index"].numpy()
        node_pos, node_ptr = _ranges(ns[idx], ns[idx + 1] - ns[idx])
        edge_pos, edge_ptr = _ranges(es[idx], es[idx + 1] - es[idx])
        x = data.x.numpy()[node_pos]
        ei = data.edge_index.numpy()[:, edge_pos]  # local ids (InMemoryDataset does not increment)
        ei = ei + np.repeat(node_ptr[:-1], np.diff(edge_ptr))[None, :]
        ea = data.edge_attr.numpy()[edge_pos]
        y = data.y.view(-1).numpy()[idx]
        return cls(x, ei, ea, y, node_ptr, edge_ptr)

    @classmethod
    def from_data_list(cls, graphs: Iterable[Data]) -> "FlatGraphs":
        graphs = list(graphs)
        if not graphs:
            raise DatasetError("no graphs given: the graph list is empty")
        if isinstance(graphs[0], InMemoryDataset):
            raise TypeError("pass the dataset itself, not a list of datasets")
        n = np.array([g.num_nodes for g in graphs])
        m = np.array([g.edge_index.size(1) for g in graphs])
        node_ptr = np.concatenate([[0], np.cumsum(n)])
        edge_ptr = np.concatenate([[0], np.cumsum(m)])
        x = np.concatenate([_as_2d(g.x, g.num_nodes) for g in graphs])
        ei = np.concatenate([g.edge_index.numpy() + node_ptr[i] for i, g in enumerate(graphs)], axis=1)
        ea = np.concatenate([_as_2d(g.edge_attr, g.edge_index.size(1)) for g in graphs])
        y = np.array([int(g.y.view(-1)[0]) for g in graphs])
        return cls(x.astype(np.int64), ei.astype(np.int64), ea.astype(np.int64), y, node_ptr, edge_ptr)


def as_flat(graphs) -> FlatGraphs:
    """A :class:`FlatGraphs` view of a dataset, a list of ``Data``, or a ``FlatGraphs``."""
    if isinstance(graphs, FlatGraphs):
        return graphs
    if isinstance(graphs, InMemoryDataset) and "x" in graphs.slices and graphs._data.edge_attr is not None:
        return FlatGraphs.from_dataset(graphs)
    return FlatGraphs.from_data_list(graphs)


def _as_2d(t: torch.Tensor | None, n: int) -> np.ndarray:
    if t is None:
        return np.zeros((n, 1), dtype=np.int64)
    a = t.numpy()
    return a.reshape(n, -1)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, s + l)`` for each pair, and the offsets of each range in the result."""
    ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    pos = np.arange(ptr[-1], dtype=np.int64) + np.repeat(starts - ptr[:-1], lens)
    return pos, ptr


# ----------------------------------------------------------------------------------------------------------------------
# Public entry points
# ----------------------------------------------------------------------------------------------------------------------
def load_dataset(name: str, root: str | os.PathLike | None = None, *, seed: int = 0, stratify: bool = False,
                 cache_dir: str | os.PathLike | None = None, download: bool | None = None,
                 progress: bool = False) -> GraphDataset:
    """Load a dataset by name, with its split.

    Args:
        name: a name from :data:`DATASETS`, or any TU dataset whose raw files are under ``ROOT/TUDataset``.
        root: the data root (``MIRAGE_DATA``, else ``~/.cache/graph-mirage/data``). It is only read.
        seed: seed of the random 80/10/10 split (TU and synthetic datasets). OGB datasets use the scaffold split.
        stratify: keep class proportions in each part of a random split.
        cache_dir: where processed graphs are cached (``MIRAGE_CACHE``, else ``~/.cache/graph-mirage/processed``).
        download: fetch missing TU/OGB files from the internet (default: unless ``MIRAGE_OFFLINE=1``).
        progress: show a progress bar while featurising molecules.

    Raises:
        DatasetError: with a one-line message for an unknown name, missing or malformed files, or an empty dataset.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache()
    if download is None:
        download = os.environ.get("MIRAGE_OFFLINE", "") in ("", "0")
    spec = resolve_spec(name, root)
    if spec.kind == "synthetic":
        from .synthetic import make_synthetic_motifs

        graphs = make_synthetic_motifs(seed=0)
        meta = _meta(spec, graphs, source="generated (seed 0)")
        ds = GraphDataset(graphs, meta)
    else:
        ds = _load_cached(spec, root, cache, download, progress)
        if ds.meta.get("skipped"):  # on every load, cached or not: no silent data loss
            warnings.warn(f"{spec.name}: skipped {ds.meta['skipped']} of {ds.meta['rows']} SMILES that RDKit cannot "
                          f"parse (OGB has no such rows)", stacklevel=2)
    ds.meta["hops"] = spec.hops  # configuration, not data: never taken from an older cache
    if ds.meta["split_kind"] == "random":
        ds.split = random_split(ds._data.y.view(-1).numpy(), seed=seed, stratify=stratify)
        ds.meta.update(split_seed=seed, split_stratified=stratify)
    return ds


def random_split(y: np.ndarray, seed: int = 0, stratify: bool = False,
                 fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)) -> dict[str, torch.Tensor]:
    """A reproducible random train/valid/test split of ``len(y)`` graphs (the paper's 80/10/10 by default).

    With ``stratify`` each class is split separately, so each part keeps the class proportions.
    """
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts: dict[str, list] = {"train": [], "valid": [], "test": []}
    for g in groups:
        g = rng.permutation(g)
        n_train = int(round(fractions[0] * len(g)))
        n_valid = int(round(fractions[1] * len(g)))
        parts["train"].append(g[:n_train])
        parts["valid"].append(g[n_train:n_train + n_valid])
        parts["test"].append(g[n_train + n_valid:])
    return {k: torch.from_numpy(np.sort(np.concatenate(v))) for k, v in parts.items()}


def scaffold_split(smiles: Sequence[str], fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
                   ) -> dict[str, torch.Tensor]:
    """Deterministic Bemis–Murcko scaffold split, as OGB and DeepChem make it.

    Molecules are grouped by scaffold (RDKit, chirality included); groups are sorted by size, largest first (ties:
    earliest first member), and filled into train until it would pass 80 %, then valid, then test. No scaffold is
    in two parts.
    """
    from rdkit import RDLogger
    from rdkit.Chem.Scaffolds import MurckoScaffold

    groups: dict[str, list[int]] = {}
    RDLogger.DisableLog("rdApp.*")
    try:
        for i, s in enumerate(smiles):
            scaffold = MurckoScaffold.MurckoScaffoldSmiles(smiles=s, includeChirality=True)
            groups.setdefault(scaffold, []).append(i)
    finally:
        RDLogger.EnableLog("rdApp.*")
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    n = len(smiles)
    train_cut, valid_cut = fractions[0] * n, (fractions[0] + fractions[1]) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for g in ordered:
        if len(train) + len(g) > train_cut:
            if len(train) + len(valid) + len(g) > valid_cut:
                test += g
            else:
                valid += g
        else:
            train += g
    return {k: torch.tensor(sorted(v), dtype=torch.long) for k, v in
            (("train", train), ("valid", valid), ("test", test))}


def dataset_stats(ds: GraphDataset) -> dict:
    """The statistics ``mirage datasets`` shows."""
    data, slices = ds._data, ds.slices
    y = data.y.view(-1).numpy()
    n_nodes = np.diff(slices["x"].numpy())
    n_edges = np.diff(slices["edge_index"].numpy())
    classes, counts = np.unique(y, return_counts=True)
    x = data.x.numpy()
    ea = data.edge_attr.numpy()
    return {
        "name": ds.name,
        "kind": ds.meta["kind"],
        "graphs": int(len(y)),
        "classes": int(ds.num_classes),
        "class_counts": {str(int(c)): int(k) for c, k in zip(classes, counts)},
        "avg_nodes": round(float(n_nodes.mean()), 2),
        "avg_edges": round(float(n_edges.mean()) / 2, 2),  # undirected, as TU and OGB report
        "node_labels": int(len(np.unique(x, axis=0))),
        "edge_labels": int(len(np.unique(ea, axis=0))),
        "node_feature_columns": int(x.shape[1]),
        "edge_feature_columns": int(ea.shape[1]),
        "split": {k: int(len(v)) for k, v in ds.split.items()},
        "split_kind": ds.meta["split_kind"],
        "source": ds.meta.get("source", ""),
        "skipped": int(ds.meta.get("skipped", 0)),
    }


def find_raw(spec: DatasetSpec, root: Path) -> Path | None:
    """The raw source of ``spec`` under ``root`` that :func:`load_dataset` would use, or None."""
    if spec.kind == "synthetic":
        return Path("<generated>")
    if spec.kind == "tu":
        raw = root / "TUDataset" / spec.name / "raw"
        return raw if (raw / f"{spec.name}_A.txt").is_file() else None
    ogb_dir = root / "ogb" / spec.name.replace("-", "_")
    if (ogb_dir / "raw" / "edge.csv.gz").is_file():
        return ogb_dir
    csv = root / "molecules" / spec.csv
    if csv.is_file():
        return csv
    if csv.with_suffix("").is_file():  # an uncompressed CSV
        return csv.with_suffix("")
    return None


# ----------------------------------------------------------------------------------------------------------------------
# Caching
# ----------------------------------------------------------------------------------------------------------------------
def _load_cached(spec: DatasetSpec, root: Path, cache: Path, download: bool, progress: bool) -> GraphDataset:
    source = find_raw(spec, root)
    key = _source_key(spec, source)
    target = cache / spec.name / key
    if (target / "meta.json").is_file():
        return _read_cache(target)
    if source is None and not download:
        raise DatasetError(_missing_message(spec, root))
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}-", dir=_mkdir(cache)) as tmp:
        tmp = Path(tmp)
        if spec.kind == "tu":
            graphs, meta, split = _build_tu(spec, root, source, tmp / "work")
        elif source is not None and source.is_dir():
            graphs, meta, split = _build_ogb_files(spec, source, tmp / "work")
        elif source is not None:
            graphs, meta, split = _build_from_smiles(spec, source, progress)
        else:
            graphs, meta, split = _download_ogb(spec, root)
        ds = GraphDataset(graphs, meta, split)
        out = tmp / "out"
        out.mkdir()
        torch.save({"data": ds._data.to_dict(), "slices": ds.slices,
                    "split": ds.split}, out / "data.pt")
        (out / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(out, target)  # atomic: a reader sees the whole cache or none
        except OSError:
            if not (target / "meta.json").is_file():  # a concurrent writer won, otherwise re-raise
                raise
    return ds


def _read_cache(target: Path) -> GraphDataset:
    meta = json.loads((target / "meta.json").read_text())
    blob = torch.load(target / "data.pt", weights_only=True)
    data = Data.from_dict(blob["data"])
    return GraphDataset(meta=meta, split=blob["split"], _collated=(data, blob["slices"]))


def _source_key(spec: DatasetSpec, source: Path | None) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION}:{spec.name}".encode())
    if source is not None:
        files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
        for p in files:
            st = p.stat()
            h.update(f"{p.relative_to(source.parent)}:{st.st_size}:{st.st_mtime_ns}".encode())
    else:
        h.update(b"download")
    return h.hexdigest()[:16]


def _mkdir(p: Path) -> Path:
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"cannot create the cache directory {p} ({e.strerror}); set MIRAGE_CACHE to a writable "
                           f"directory") from None
    return p


def _missing_message(spec: DatasetSpec, root: Path) -> str:
    if spec.kind == "tu":
        where = f"{root}/TUDataset/{spec.name}/raw/{spec.name}_A.txt"
    else:
        where = f"{root}/ogb/{spec.name.replace('-', '_')}/ or {root}/molecules/{spec.csv}"
    return (f"raw files for {spec.name} not found: looked for {where}; point --root (or MIRAGE_DATA) at the "
            f"directory that holds them, or allow downloading (unset MIRAGE_OFFLINE)")


def _meta(spec: DatasetSpec, graphs: Sequence[Data], **extra) -> dict:
    x = torch.cat([g.x for g in graphs])
    ea = torch.cat([g.edge_attr for g in graphs])
    ys = torch.cat([g.y.view(-1) for g in graphs])
    num_classes = int(ys.max()) + 1
    kind = spec.kind
    meta = {
        "name": spec.name,
        "kind": kind,
        "num_classes": num_classes,
        "node_vocab": (x.max(0).values + 1).tolist() if len(x) else [1],
        "edge_vocab": (ea.max(0).values + 1).tolist() if len(ea) else [1],
        "split_kind": "scaffold" if kind == "ogb" else "random",
        "encoder": "ogb" if kind == "ogb" else "embedding",
        "hops": spec.hops,
    }
    if kind == "ogb":  # OGB's encoders fix the vocabulary, whatever this dataset happens to contain
        from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims

        meta["node_vocab"], meta["edge_vocab"] = get_atom_feature_dims(), get_bond_feature_dims()
    meta.update(extra)
    return meta


# ----------------------------------------------------------------------------------------------------------------------
# TU datasets
# ----------------------------------------------------------------------------------------------------------------------
def _build_tu(spec: DatasetSpec, root: Path, raw: Path | None, work: Path):
    from torch_geometric.datasets import TUDataset

    name = spec.name
    tu_root = work / "TUDataset"
    if raw is not None:
        validate_tu_raw(raw, name)
        (tu_root / name / "raw").mkdir(parents=True)
        for f in raw.iterdir():  # link, not copy: the root stays read-only and untouched
            os.symlink(f.resolve(), tu_root / name / "raw" / f.name)
        source = str(raw)
    else:
        source = "downloaded by torch_geometric"
    try:
        with _quiet():
            tu = TUDataset(str(tu_root), name)
    except DatasetError:
        raise
    except Exception as e:  # noqa: BLE001 - a failed download or a file PyG cannot read
        if raw is None:
            raise DatasetError(_missing_message(spec, root) + f" (download failed: {type(e).__name__})") from None
        raise DatasetError(f"{name}: torch_geometric could not read {raw}: {e}") from None
    if raw is None:  # keep what was downloaded, in the root, for next time
        _keep_download(tu_root / name / "raw", root / "TUDataset" / name / "raw")
    n_labels = tu.num_node_labels
    n_edge_labels = tu.num_edge_labels
    graphs = []
    for g in tu:
        if n_labels > 0:
            x = g.x[:, -n_labels:].argmax(1, keepdim=True)
        else:  # no node labels: the degree is the label, as the paper does
            x = torch.bincount(g.edge_index[0], minlength=g.num_nodes).view(-1, 1)
        if n_edge_labels > 0 and g.edge_attr is not None:
            ea = g.edge_attr[:, -n_edge_labels:].argmax(1, keepdim=True)
        else:
            ea = torch.zeros(g.edge_index.size(1), 1, dtype=torch.long)
        graphs.append(Data(x=x.long(), edge_index=g.edge_index, edge_attr=ea.long(), y=g.y.view(-1).long()))
    if not graphs:
        raise DatasetError(f"dataset {name!r} is empty: {raw} holds no graphs")
    # TU class labels can be -1/1 or 1/2: map them to 0..C-1 in sorted order (PyG already does for most files)
    ys = torch.cat([g.y for g in graphs])
    uniq = torch.unique(ys)
    if uniq.min() < 0 or uniq.max() >= len(uniq):
        remap = {int(v): i for i, v in enumerate(uniq.tolist())}
        for g in graphs:
            g.y = torch.tensor([remap[int(g.y)]])
    meta = _meta(spec, graphs, source=source, node_label_source="TU node label" if n_labels else "node degree",
                 edge_label_source="TU edge label" if n_edge_labels else "constant")
    return graphs, meta, {}


def _keep_download(src: Path, dst: Path) -> None:
    try:
        dst.mkdir(parents=True, exist_ok=True)
        for f in src.iterdir():
            shutil.copy2(f, dst / f.name)
    except OSError:
        pass  # a read-only root: the processed cache is enough


def validate_tu_raw(raw: Path, name: str) -> None:
    """Check TU raw files before PyG reads them, so bad files give one clear line instead of a crash.

    Checks column counts, integer fields, node ids in range, a sorted graph indicator without gaps, edges inside one
    graph, and that label files have one row per node, edge or graph.
    """
    raw = Path(raw)

    def path(kind: str) -> Path:
        return raw / f"{name}_{kind}.txt"

    for kind in ("A", "graph_indicator", "graph_labels"):
        if not path(kind).is_file():
            raise DatasetError(f"{name}: missing raw file {path(kind)}; a TU dataset needs {name}_A.txt, "
                               f"{name}_graph_indicator.txt and {name}_graph_labels.txt")
    gi = _read_int_table(path("graph_indicator"), 1)[:, 0]
    if len(gi) == 0:
        raise DatasetError(f"dataset {name!r} is empty: {path('graph_indicator')} has no rows")
    if np.any(np.diff(gi) < 0):
        line = int(np.flatnonzero(np.diff(gi) < 0)[0]) + 2
        raise DatasetError(f"{path('graph_indicator')} line {line}: graph ids must be sorted (nodes of a graph "
                           f"contiguous); fix the file or re-download it")
    if gi[0] != 1 or np.any(np.diff(gi) > 1):
        bad = int(np.flatnonzero(np.diff(gi) > 1)[0]) + 2 if gi[0] == 1 else 1
        raise DatasetError(f"{path('graph_indicator')} line {bad}: graph ids must run 1, 2, 3, ... without gaps; "
                           f"fix the file or re-download it")
    n_nodes, n_graphs = len(gi), int(gi[-1])
    a = _read_int_table(path("A"), 2)
    if a.size and (a.min() < 1 or a.max() > n_nodes):
        line = int(np.flatnonzero((a < 1).any(1) | (a > n_nodes).any(1))[0]) + 1
        raise DatasetError(f"{path('A')} line {line}: node id out of range 1..{n_nodes} (the graph indicator has "
                           f"{n_nodes} rows)")
    if a.size and np.any(gi[a[:, 0] - 1] != gi[a[:, 1] - 1]):
        line = int(np.flatnonzero(gi[a[:, 0] - 1] != gi[a[:, 1] - 1])[0]) + 1
        raise DatasetError(f"{path('A')} line {line}: the edge joins nodes of two different graphs")
    expected = {"graph_labels": n_graphs, "node_labels": n_nodes, "edge_labels": len(a),
                "node_attributes": n_nodes, "edge_attributes": len(a), "graph_attributes": n_graphs}
    for kind, n in expected.items():
        p = path(kind)
        if not p.is_file():
            continue
        rows = _read_table(p, integer=kind.endswith("labels"))
        if len(rows) != n:
            what = kind.split("_")[0]
            raise DatasetError(f"{p} has {len(rows)} rows but the dataset has {n} {what}s; the files do not belong "
                               f"together")


def _read_int_table(path: Path, ncols: int | None) -> np.ndarray:
    return _read_table(path, integer=True, ncols=ncols).astype(np.int64)


def _read_table(path: Path, integer: bool, ncols: int | None = None) -> np.ndarray:
    """Parse a comma-separated numeric file fast, or name the first bad line."""
    import pandas as pd

    try:
        df = pd.read_csv(path, header=None, sep=",", skipinitialspace=True, dtype=np.float64,
                         skip_blank_lines=True, engine="c")
        arr = df.to_numpy()
        ok = (ncols is None or arr.shape[1] == ncols) and not np.isnan(arr).any()
        if ok and integer:
            ok = bool(np.all(arr == np.round(arr)))
        if ok:
            return arr
    except pd.errors.EmptyDataError:
        return np.zeros((0, ncols or 1))
    except (ValueError, pd.errors.ParserError):
        pass
    _raise_bad_line(path, integer, ncols)
    raise AssertionError("unreachable")


def _raise_bad_line(path: Path, integer: bool, ncols: int | None) -> None:
    width = ncols
    with open(path, encoding="utf-8", errors="replace") as f:
        for i, line in enumerate(f, 1):
            if not line.strip():
                continue
            fields = [s.strip() for s in line.split(",")]
            width = width or len(fields)
            if len(fields) != width:
                raise DatasetError(f"{path} line {i}: expected {width} comma-separated fields, found {len(fields)}")
            for s in fields:
                try:
                    int(s) if integer else float(s)
                except ValueError:
                    kind = "an integer" if integer else "a number"
                    raise DatasetError(f"{path} line {i}: {s!r} is not {kind}") from None
    raise DatasetError(f"{path}: could not be parsed as a {'integer' if integer else 'numeric'} table")


# ----------------------------------------------------------------------------------------------------------------------
# OGB molecules
# ----------------------------------------------------------------------------------------------------------------------
@contextlib.contextmanager
def _quiet():
    """Hide the progress chatter PyG and OGB print while processing (errors still propagate)."""
    sink = io.StringIO()
    with contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _ogb_safe_globals():
    from torch_geometric.data.data import DataEdgeAttr, DataTensorAttr
    from torch_geometric.data.storage import GlobalStorage

    # OGB 1.3.6 calls torch.load with the weights_only default of torch >= 2.6; allow PyG's own classes only.
    return torch.serialization.safe_globals([DataEdgeAttr, DataTensorAttr, GlobalStorage])


def _build_ogb_files(spec: DatasetSpec, src: Path, work: Path):
    """Read OGB's own files with ``PygGraphPropPredDataset`` (processing into ``work``, never into the root)."""
    from ogb.graphproppred import PygGraphPropPredDataset

    dst = work / src.name
    dst.mkdir(parents=True)
    for f in src.iterdir():
        if f.name != "processed":
            os.symlink(f.resolve(), dst / f.name)
    if not (dst / "RELEASE_v1.txt").exists():  # OGB would otherwise ask on stdin
        (dst / "RELEASE_v1.txt").write_text("ogbg-mol* release v1\n")
    try:
        with _ogb_safe_globals(), _quiet():
            ogb_ds = PygGraphPropPredDataset(spec.name, root=str(work))
            split = ogb_ds.get_idx_split()
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{spec.name}: OGB could not read {src}: {type(e).__name__}: {e}") from None
    graphs = [Data(x=g.x.long(), edge_index=g.edge_index.long(), edge_attr=g.edge_attr.long(),
                   y=g.y.view(-1).long()) for g in ogb_ds]
    return graphs, _meta(spec, graphs, source=str(src)), {k: split[k] for k in ("train", "valid", "test")}


def _download_ogb(spec: DatasetSpec, root: Path):
    from ogb.graphproppred import PygGraphPropPredDataset

    try:
        with _ogb_safe_globals(), _quiet():
            PygGraphPropPredDataset(spec.name, root=str(root / "ogb"))
    except (Exception, SystemExit) as e:  # noqa: BLE001 - OGB calls exit() when a download is refused
        raise DatasetError(_missing_message(spec, root) + f" (download failed: {type(e).__name__})") from None
    src = root / "ogb" / spec.name.replace("-", "_")
    with tempfile.TemporaryDirectory() as tmp:
        return _build_ogb_files(spec, src, Path(tmp))


def read_smiles_csv(path: Path, smiles_column: str, label_column: str) -> tuple[list[str], np.ndarray]:
    """The SMILES strings and integer labels of a MoleculeNet CSV (gzipped or not)."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{path}: not a readable CSV file ({type(e).__name__}: {e})") from None
    for col, what in ((smiles_column, "SMILES"), (label_column, "label")):
        if col not in df.columns:
            raise DatasetError(f"{path} has no {what} column {col!r} (columns: {', '.join(map(str, df.columns))}); "
                               f"is this the right file?")
    df = df.dropna(subset=[smiles_column, label_column])
    if len(df) == 0:
        raise DatasetError(f"dataset in {path} is empty: no rows with both {smiles_column!r} and {label_column!r}")
    return df[smiles_column].astype(str).tolist(), df[label_column].to_numpy().astype(np.int64)


def _build_from_smiles(spec: DatasetSpec, csv: Path, progress: bool):
    """Build the OGB graphs from the MoleculeNet CSV with ``smiles2graph``, plus a scaffold split."""
    from ogb.utils import smiles2graph
    from rdkit import Chem, RDLogger

    smiles, labels = read_smiles_csv(csv, spec.smiles_column, spec.label_column)
    RDLogger.DisableLog("rdApp.*")
    graphs, kept, skipped = [], [], 0
    it = smiles
    if progress:
        from tqdm.auto import tqdm

        it = tqdm(smiles, desc=f"featurising {spec.name}", unit="mol", file=sys.stderr)
    for s, label in zip(it, labels):
        if Chem.MolFromSmiles(s) is None:
            skipped += 1
            continue
        g = smiles2graph(s)
        graphs.append(Data(x=torch.from_numpy(g["node_feat"]).long(),
                           edge_index=torch.from_numpy(g["edge_index"]).long(),
                           edge_attr=torch.from_numpy(g["edge_feat"]).long().view(-1, 3),
                           y=torch.tensor([int(label)])))
        kept.append(s)
    RDLogger.EnableLog("rdApp.*")
    if not graphs:
        raise DatasetError(f"dataset {spec.name!r} is empty: no SMILES in {csv} could be parsed")
    split = scaffold_split(kept)
    meta = _meta(spec, graphs, source=str(csv), skipped=skipped, rows=len(smiles),
                 split_note="Bemis-Murcko scaffold split 80/10/10")
    return graphs, meta, split

