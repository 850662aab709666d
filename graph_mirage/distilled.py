"""The distilled set: a PyG dataset of tree-union graphs, its size measure, and a safe file format.

File format (``.npz``, read with ``allow_pickle=False``; no pickle anywhere):

=================  =========================  ========================================================
array              dtype / shape              meaning
=================  =========================  ========================================================
``x``              int64 ``[N, F]``           categorical node features of all graphs, concatenated
``edge_index``     int64 ``[2, E]``           child -> parent edges, node ids local to each graph
``edge_attr``      int64 ``[E, Fe]``          categorical edge features
``root_mask``      bool ``[N]``               True at tree roots (the only nodes a readout pools)
``y``              int64 ``[G]``              class of each graph
``weight``         float32 ``[G]``            support of each graph's itemset (absolute count)
``node_ptr``       int64 ``[G+1]``            offsets of each graph's nodes
``edge_ptr``       int64 ``[G+1]``            offsets of each graph's edges
``tree_freq``      int64 ``[T]``              per class, tree-occurrence counts sorted descending ...
``tree_freq_ptr``  int64 ``[C+1]``            ... with per-class offsets (for rank-frequency plots)
``root_weight``    float32 ``[N]``            optional: occurrences each root stands for (weighted readout)
``x_soft``         float32 ``[N, D]``         optional: learned continuous node features (DosCond, KiDD), one
                                              block per categorical column, D = sum(node_vocab); ``x`` then
                                              holds each block's argmax
``x_cont``         float32 ``[N, D]``         optional: continuous node attributes (a dataset loaded with
                                              them, ``meta["node_attributes"] = D``)
``y_tasks``        float32 ``[G, T]``         optional (multi-task sets): each graph's binary label per task,
                                              NaN where it does not inform a task; ``y`` then holds the label
                                              of the one task it informs (-1 for several)
``meta``           uint8 ``[M]``              UTF-8 JSON: format, version, dataset, split, hops,
                                              thresholds, budget, supports, itemsets, sizes, checksum
=================  =========================  ========================================================

A set with a tree bank (:mod:`graph_mirage.bank`) is written as format version 2: ``x``, ``edge_index``,
``edge_attr`` (and ``x_cont``) hold the bank, ``bank_roots`` ``[R]``, ``root_ptr`` ``[G+1]`` and ``root_weight``
``[R]`` each prototype's roots and their weights, with ``y``, ``weight``, the tree frequencies (and ``y_tasks``) as
above (no ``node_ptr``, ``edge_ptr``, ``root_mask``: a prototype is the part of the bank its roots reach).

``meta["checksum"]`` is the SHA-256 of every other array's dtype, shape and bytes, so a truncated or edited file is
refused. Files are written atomically (temporary file, then rename) with fixed zip timestamps: the same inputs give
a byte-identical file.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from .bank import BANK_ARRAYS, TreeBank, bank_graphs
from .data.splits import describe_split, same_split, split_identity
from .errors import ArtifactError
from .fileio import atomic_write_bytes, check_distilled_file
from .trees import as_rows

FORMAT = "graph-mirage-distilled"
FORMAT_VERSION = 1
BANK_FORMAT_VERSION = 2  # a set with a tree bank (graph_mirage.bank): the bank's arrays instead of each graph's
BANK_COMMON = ("y", "weight", "tree_freq", "tree_freq_ptr")  # the arrays of version 1 a bank file has too
BANK_OPTIONAL = ("y_tasks", "x_cont")
ARRAYS = ("x", "edge_index", "edge_attr", "root_mask", "y", "weight", "node_ptr", "edge_ptr", "tree_freq",
          "tree_freq_ptr")
OPTIONAL_ARRAYS = ("root_weight", "x_soft", "y_tasks", "x_cont")  # written only where used (no root_weight: 1 per root)
COMPAT_KEYS = ("dataset", "num_classes", "node_vocab", "edge_vocab", "encoder")


class DistilledDataset(InMemoryDataset):
    """A distilled training set, usable directly as a PyG dataset.

    Each graph has ``x [n, F]``, ``edge_index [2, m]`` (child -> parent), ``edge_attr [m, Fe]``, ``root_mask [n]``,
    ``y [1]`` and ``weight [1]`` (its support), and optionally ``root_weight [n]`` (how many occurrences of its tree
    each root stands for; the readout weights the roots by it) and ``x_soft [n, D]`` (learned continuous features that
    the encoders read instead of ``x``). ``meta`` records where it came from.

    Example:
        >>> from torch_geometric.loader import DataLoader
        >>> distilled = Mirage(hops=2, budget=5).fit(train).distilled_      # doctest: +SKIP
        >>> batch = next(iter(DataLoader(distilled, batch_size=8)))          # doctest: +SKIP
        >>> distilled.save("set.npz"); DistilledDataset.load("set.npz")      # doctest: +SKIP
    """

    def __init__(self, data_list: Sequence[Data], meta: dict, tree_freq: Sequence[np.ndarray] = (),
                 bank: "TreeBank | None" = None) -> None:
        super().__init__(None)
        if not data_list:
            raise ArtifactError("a distilled set needs at least one graph")
        if bank is not None and bank.num_graphs != len(data_list):
            raise ArtifactError(f"a tree bank of {bank.num_graphs} prototypes cannot store {len(data_list)} graphs")
        self._data, self.slices = self.collate(list(data_list))
        self.meta = dict(meta)
        self.tree_freq = [np.asarray(f, dtype=np.int64) for f in tree_freq]
        self.bank = bank  # the stored form of prototypes that share their trees (graph_mirage.bank), or None

    @property
    def num_classes(self) -> int:
        return int(self.meta["num_classes"])

    def storage(self) -> Data:
        """The collated graphs of the whole set (all of them) with :attr:`slices`."""
        return self._data

    def nbytes(self) -> int:
        """Bytes a GNN needs: node features, edge index, edge features, root mask, labels, weights (a set with a
        :attr:`bank`: the bank, each graph's root ids and weights, labels, weights — what its file stores)."""
        d = self._data
        if self.bank is not None:  # the bank once, each graph's roots and weights, labels and supports
            return self.bank.nbytes() + sum(t.numel() * t.element_size() for t in (d.y, d.weight))
        soft = getattr(d, "x_soft", None)
        x = d.x if soft is None else soft  # a GNN reads the learned features instead of the labels
        n = sum(t.numel() * t.element_size() for t in (x, d.edge_index, d.edge_attr, d.root_mask, d.y, d.weight))
        if getattr(d, "x_cont", None) is not None:
            n += d.x_cont.numel() * d.x_cont.element_size()
        if getattr(d, "root_weight", None) is not None:  # one float32 per root
            n += 4 * int(d.root_mask.sum())
        return int(n)

    def summary(self) -> dict:
        d = self._data
        return {"graphs": len(self), "nodes": int(d.x.size(0)), "edges": int(d.edge_index.size(1)),
                "bytes": self.nbytes()}

    def per_label(self, class_names: Sequence | None = None) -> dict[str, int]:
        """Graphs per class (keyed by ``class_names[c]`` where given, else the class number), or for a multi-task set
        the graphs that inform each task (keyed by the task's name)."""
        if self.meta.get("num_tasks"):
            y = self._data.y.numpy()
            return {t: int((~np.isnan(y[:, j])).sum()) for j, t in enumerate(self.meta["tasks"])}
        y = self._data.y.view(-1).numpy()
        name_of = (lambda c: str(class_names[int(c)])) if class_names else (lambda c: str(int(c)))
        return {name_of(c): int((y == c).sum()) for c in np.unique(y)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the set to ``path`` (``.npz``), atomically; returns the path."""
        return save_distilled(self, path)

    @classmethod
    def load(cls, path: str | os.PathLike) -> "DistilledDataset":
        """Read a set written by :meth:`save`; raises :class:`ArtifactError` for anything else."""
        return load_distilled(path)

    def __repr__(self) -> str:
        return f"DistilledDataset({self.meta.get('dataset', '?')}, {self.meta.get('method', '?')}, {len(self)})"


def full_bytes(x: np.ndarray, edge_index: np.ndarray, edge_attr: np.ndarray, y: np.ndarray,
               x_cont: np.ndarray | None = None) -> int:
    """The same size measure on real graphs (no root mask or weights), at their stored dtypes; labels count as int64
    (never cast: several tasks' labels are floats with NaN where missing); continuous node attributes as stored."""
    extra = 0 if x_cont is None else x_cont.nbytes
    return int(x.nbytes + edge_index.nbytes + edge_attr.nbytes + np.asarray(y).size * np.dtype(np.int64).itemsize
               + extra)


def flat_bytes(flat) -> int:
    """:func:`full_bytes` of a :class:`~graph_mirage.data.FlatGraphs` (its continuous attributes included)."""
    return full_bytes(flat.x, flat.edge_index, flat.edge_attr, flat.y, flat.x_cont)


def source_meta(source: dict, flat) -> dict:
    """The part of a distilled set's ``meta`` that describes the training split it came from.

    Args:
        source: the dataset's ``meta`` (may be empty for a plain list of graphs: vocabularies are then read off the
            data).
        flat: the training graphs as :class:`~graph_mirage.data.FlatGraphs`.
    """
    num_classes = int(source.get("num_classes", int(flat.y.max()) + 1))
    # the vocabularies are read off the data only where the dataset does not give them (a full pass over the nodes)
    node_vocab = None if "node_vocab" in source else (flat.x.max(0) + 1).tolist()
    edge_vocab = None if "edge_vocab" in source else (
        (flat.edge_attr.max(0) + 1).tolist() if len(flat.edge_attr) else [1] * flat.edge_attr.shape[1])  # no edges
    return split_meta(source, num_classes=num_classes, node_vocab=node_vocab, edge_vocab=edge_vocab,
                      graphs=int(flat.num_graphs),
                      nodes=int(len(flat.x)), full_bytes=flat_bytes(flat),
                      class_counts=np.bincount(np.asarray(flat.y), minlength=num_classes).tolist())


def split_meta(source: dict, *, num_classes: int, node_vocab: list | None, edge_vocab: list | None, graphs: int,
               nodes: int, full_bytes: int, class_counts: list) -> dict:
    """:func:`source_meta` from counts an engine computed (the Spark engine never holds the arrays); ``source``'s
    own class count and vocabularies take precedence over the ones given.

    ``class_counts`` (training graphs per class) is what a trainer needs to decide for the data's class balance
    rather than the distilled set's (``meta["class_counts"]``; see ``TrainConfig.prior_correction``). ``class_names``
    (class 0, 1, ...) is recorded where the source names its classes (``source["label_values"]`` holding names: a
    CSV's label column of names; a column of numbers is named by them)."""
    return {
        "dataset": source.get("name", "custom"),
        "num_classes": int(source.get("num_classes", num_classes)),
        "node_vocab": source.get("node_vocab", node_vocab),
        "edge_vocab": source.get("edge_vocab", edge_vocab),
        "encoder": source.get("encoder", "embedding"),
        "split_kind": source.get("split_kind"),
        "split_seed": source.get("split_seed"),
        **split_identity(source),
        **({"source_content": content_digest(source)} if source.get("content_key") else {}),
        "train_graphs": int(graphs),
        "class_counts": [int(c) for c in class_counts],
        "train_nodes": int(nodes),
        "full_bytes": int(full_bytes),
    } | ({k: source[k] for k in ("node_attributes", "node_attributes_centre", "node_attributes_scale") if k in source}
         if source.get("node_attributes") else {}) | (
        {"degree_bins": source["degree_bins"]} if source.get("degree_bins") else {}) | (
        # a CSV whose label column names its classes: the names travel with the set, for reports and outside code
        {"class_names": list(source["label_values"])}
        if any(isinstance(v, str) for v in source.get("label_values") or ()) else {})


def content_digest(dataset_meta: dict) -> str:
    """A short digest of a dataset's ``content_key`` (a user's CSV: its bytes, columns and split options; graphs
    given in Python: their arrays and split): recorded by a set made from it as ``source_content``."""
    return hashlib.sha256(str(dataset_meta["content_key"]).encode()).hexdigest()[:16]


def check_compatible(meta: dict, dataset_meta: dict, path: str | os.PathLike = "the distilled set") -> None:
    """Refuse a distilled set made from another dataset, from another split of it (whose training graphs would be
    tested on), or with other label vocabularies."""
    from .fileio import check_source

    check_source(meta, dataset_meta.get("name"), path)
    if (meta.get("num_tasks") or 1) != (dataset_meta.get("num_tasks") or 1):
        kind = "multi-task" if meta.get("num_tasks") else "single-task"
        raise ArtifactError(f"{path} has {meta.get('num_tasks') or 1} task(s) but {dataset_meta.get('name')} has "
                            f"{dataset_meta.get('num_tasks') or 1}: a {kind} set cannot train on it; distil this "
                            f"dataset")
    if not same_split(meta, dataset_meta):  # its validation and test graphs would hold the set's training graphs
        raise ArtifactError(f"{path} was distilled from the training graphs of the split {describe_split(meta)}, but "
                            f"{dataset_meta.get('name')} is loaded with the split {describe_split(dataset_meta)}: "
                            f"its test graphs would include the set's own; load the dataset with the set's split")
    mine, theirs = int(meta.get("node_attributes") or 0), int(dataset_meta.get("node_attributes") or 0)
    if mine != theirs:
        how = ("load the dataset with its continuous node attributes (--node-attributes, "
               "load_dataset(..., node_attributes=True))" if mine else "distil it again from the dataset as loaded")
        raise ArtifactError(f"{path} has {mine} continuous node attribute(s) but {dataset_meta.get('name')} was "
                            f"loaded with {theirs}; {how}")
    mine, theirs = meta.get("degree_bins"), dataset_meta.get("degree_bins")
    if mine != theirs:
        what = {None: "the degrees themselves"} | {b: f"{b}-binned degrees" for b in (mine, theirs) if b}
        how = f"load it with --degree-bins {mine} (load_dataset(..., degree_bins={mine!r}))" if mine else \
            "load it without --degree-bins"
        raise ArtifactError(f"{path} was distilled with {what[mine]} as node labels but {dataset_meta.get('name')} "
                            f"is loaded with {what[theirs]}; {how}")
    for key, dkey in (("num_classes", "num_classes"), ("node_vocab", "node_vocab"), ("edge_vocab", "edge_vocab"),
                      ("encoder", "encoder")):
        if list(np.atleast_1d(meta.get(key))) != list(np.atleast_1d(dataset_meta.get(dkey))):
            raise ArtifactError(f"{path} has {key}={meta.get(key)} but {dataset_meta.get('name')} has "
                                f"{dataset_meta.get(dkey)}: the label vocabularies differ; distil it again from "
                                f"this copy of the dataset")
    names, their_names = meta.get("class_names"), dataset_meta.get("label_values")
    if names and their_names and names != list(their_names):
        raise ArtifactError(f"{path} names its classes {names} but {dataset_meta.get('name')} has {their_names}: "
                            f"class numbers would mean other classes; distil this file")
    if meta.get("source_content") and dataset_meta.get("content_key") and \
            meta["source_content"] != content_digest(dataset_meta):  # a user's file, edited since: its split moved too
        raise ArtifactError(f"{path} was distilled from another version of {dataset_meta.get('name')} (its graphs, "
                            f"columns or split changed since); distil this version")


# ----------------------------------------------------------------------------------------------------------------------
# File format
# ----------------------------------------------------------------------------------------------------------------------
def distilled_arrays(ds: DistilledDataset) -> dict[str, np.ndarray]:
    """The arrays of the file format (the table above; ``meta`` aside) of a distilled set."""
    d, s = ds.storage(), ds.slices
    out = {
        "x": d.x.numpy().astype(np.int64),
        "edge_index": d.edge_index.numpy().astype(np.int64),
        "edge_attr": as_rows(d.edge_attr.numpy().astype(np.int64), d.edge_index.size(1)),
        "root_mask": d.root_mask.numpy().astype(bool),
        "node_ptr": s["x"].numpy().astype(np.int64),
        "edge_ptr": s["edge_index"].numpy().astype(np.int64),
    } | _graph_arrays(ds)
    for name in ("root_weight", "x_soft", "x_cont"):  # written only where the set has them
        if getattr(d, name, None) is not None:
            out[name] = getattr(d, name).numpy().astype(np.float32)
    return out


def _graph_arrays(ds: DistilledDataset) -> dict[str, np.ndarray]:
    """The arrays of either layout that describe graphs, not nodes or edges (:data:`BANK_COMMON`)."""
    d = ds.storage()
    freq = ds.tree_freq or [np.zeros(0, dtype=np.int64)]
    out = {"y": _single_labels(d.y).astype(np.int64), "weight": d.weight.view(-1).numpy().astype(np.float32),
           "tree_freq": np.concatenate(freq).astype(np.int64),
           "tree_freq_ptr": np.concatenate([[0], np.cumsum([len(f) for f in freq])]).astype(np.int64)}
    if _multitask(d.y):
        out["y_tasks"] = d.y.numpy().astype(np.float32)
    return out


def _multitask(y) -> bool:
    return y.dim() == 2 and y.is_floating_point()


def _single_labels(y) -> np.ndarray:
    """``y`` of the file: the classes, or for several tasks the label of the one task a graph informs (-1: several)."""
    if not _multitask(y):
        return y.view(-1).numpy()
    a = y.numpy()
    known = ~np.isnan(a)
    one = known.sum(1) == 1
    out = np.full(len(a), -1, dtype=np.int64)
    out[one] = np.nan_to_num(a[one]).sum(1).astype(np.int64)
    return out


def _names(arrays: dict[str, np.ndarray]) -> list[str]:
    """The arrays of a file in their order: the bank's layout when ``bank_roots`` is there, else version 1's."""
    if "bank_roots" in arrays:
        return [*BANK_ARRAYS, *BANK_COMMON, *(a for a in BANK_OPTIONAL if a in arrays)]
    return [*ARRAYS, *(a for a in OPTIONAL_ARRAYS if a in arrays)]


def _checksum(arrays: dict[str, np.ndarray]) -> str:
    h = hashlib.sha256()
    for name in _names(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def bank_file_arrays(ds: DistilledDataset) -> dict[str, np.ndarray]:
    """The arrays of a set with a tree bank (format version 2): the bank's, each graph's root weights, and the
    per-graph arrays of version 1 that do not describe nodes or edges."""
    d, s, bank = ds.storage(), ds.slices, ds.bank
    starts = s["x"].numpy()[:-1]
    counts = np.diff(bank.root_ptr)
    at = np.repeat(starts - bank.root_ptr[:-1], counts) + np.arange(len(bank.roots))  # each graph's roots come first
    return bank.arrays(d.root_weight.numpy()[at]) | _graph_arrays(ds)


def save_distilled(ds: DistilledDataset, path: str | os.PathLike) -> Path:
    from ._version import __version__

    path = Path(path)
    arrays = distilled_arrays(ds) if ds.bank is None else bank_file_arrays(ds)
    version = FORMAT_VERSION if ds.bank is None else BANK_FORMAT_VERSION
    meta = dict(ds.meta, format=FORMAT, format_version=version, package_version=__version__,
                checksum=_checksum(arrays))
    arrays["meta"] = np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in (*_names(arrays), "meta"):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))  # reproducible bytes
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())
    atomic_write_bytes(path, out.getvalue(), "distilled-set file")
    return path


def _read(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """The meta and the arrays of a distilled-set file, checked for format, version, completeness and checksum."""
    try:
        with np.load(path, allow_pickle=False) as z:
            names = set(z.files)
            if "meta" not in names:
                raise ArtifactError(f"{path} is damaged or is not a graph-mirage distilled set (it has no meta "
                                    f"entry)")
            meta = json.loads(bytes(z["meta"]).decode())
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise ArtifactError(f"{path} is not a graph-mirage distilled set (format "
                                    f"{meta.get('format') if isinstance(meta, dict) else '?'!r})")
            version = meta.get("format_version")
            if version not in (FORMAT_VERSION, BANK_FORMAT_VERSION):
                raise ArtifactError(f"{path} has format version {version}, this graph-mirage reads versions "
                                    f"{FORMAT_VERSION} and {BANK_FORMAT_VERSION}; distil it again with this version")
            required = ARRAYS if version == FORMAT_VERSION else (*BANK_ARRAYS, *BANK_COMMON)
            missing = [a for a in required if a not in names]
            if missing:
                raise ArtifactError(f"{path} is incomplete (missing {', '.join(missing)}); distil it again")
            optional = OPTIONAL_ARRAYS if version == FORMAT_VERSION else BANK_OPTIONAL
            arrays = {a: z[a] for a in (*required, *(a for a in optional if a in names))}
    except ArtifactError:
        raise
    except Exception as e:  # noqa: BLE001 - zlib, zipfile, numpy and json all signal damage differently
        raise ArtifactError(f"{path} is damaged: it cannot be read ({type(e).__name__}); distil it again") from None
    if _checksum(arrays) != meta.get("checksum"):
        raise ArtifactError(f"{path} failed its checksum: the file was modified or damaged; distil it again")
    return meta, arrays


def _graphs(arrays: dict[str, np.ndarray]) -> list[Data]:
    """The graphs of a version-1 file's arrays."""
    graphs = []
    npt, ept = arrays["node_ptr"], arrays["edge_ptr"]
    rw = arrays.get("root_weight")
    if rw is not None and rw.shape != arrays["root_mask"].shape:
        raise ValueError("root_weight does not match root_mask")
    xs = arrays.get("x_soft")
    if xs is not None and (xs.ndim != 2 or len(xs) != len(arrays["x"])):
        raise ValueError("x_soft does not match x")
    yt = arrays.get("y_tasks")
    if yt is not None and (yt.ndim != 2 or len(yt) != len(arrays["y"])):
        raise ValueError("y_tasks does not match y")
    xc = arrays.get("x_cont")
    if xc is not None and (xc.ndim != 2 or len(xc) != len(arrays["x"])):
        raise ValueError("x_cont does not match x")
    for g in range(len(arrays["y"])):
        a, b, c, d = npt[g], npt[g + 1], ept[g], ept[g + 1]
        extra = {} if rw is None else {"root_weight": torch.from_numpy(rw[a:b].copy())}
        if xs is not None:
            extra["x_soft"] = torch.from_numpy(xs[a:b].copy())
        if xc is not None:
            extra["x_cont"] = torch.from_numpy(xc[a:b].copy())
        graphs.append(Data(**extra, x=torch.from_numpy(arrays["x"][a:b].copy()),
                           edge_index=torch.from_numpy(arrays["edge_index"][:, c:d].copy()),
                           edge_attr=torch.from_numpy(arrays["edge_attr"][c:d].copy()),
                           root_mask=torch.from_numpy(arrays["root_mask"][a:b].copy()),
                           y=torch.tensor([int(arrays["y"][g])]) if yt is None else
                           torch.from_numpy(yt[g:g + 1].copy()),
                           weight=torch.tensor([float(arrays["weight"][g])])))
    return graphs


def load_distilled(path: str | os.PathLike) -> DistilledDataset:
    path = check_distilled_file(path)
    meta, arrays = _read(path)
    try:
        bank = None
        if "bank_roots" in arrays:
            bank = TreeBank.from_arrays(arrays)
            if len(arrays["y"]) != bank.num_graphs or len(arrays["weight"]) != bank.num_graphs:
                raise ValueError("y does not match the prototypes")
            yt = arrays.get("y_tasks")
            if yt is not None and (yt.ndim != 2 or len(yt) != bank.num_graphs):
                raise ValueError("y_tasks does not match y")
            graphs = bank_graphs(bank, arrays["root_weight"])
            for i, (g, y, w) in enumerate(zip(graphs, arrays["y"], arrays["weight"])):
                g.y = torch.tensor([int(y)]) if yt is None else torch.from_numpy(yt[i:i + 1].copy())
                g.weight = torch.tensor([float(w)])
        else:
            graphs = _graphs(arrays)
        fptr = arrays["tree_freq_ptr"]
        freq = [arrays["tree_freq"][fptr[i]:fptr[i + 1]] for i in range(len(fptr) - 1)]
    except (IndexError, ValueError, TypeError, RuntimeError) as e:
        raise ArtifactError(f"{path} is inconsistent ({type(e).__name__}: its offsets do not match its arrays); "
                            f"distil it again") from None
    for k in ("format", "format_version", "checksum"):
        meta.pop(k, None)
    return DistilledDataset(graphs, meta, freq, bank)
