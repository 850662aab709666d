"""The in-memory dataset (:class:`GraphDataset`), its flat numpy view (:class:`FlatGraphs`) and statistics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence, Union

import numpy as np
import torch
from torch_geometric.data import Data, InMemoryDataset

from ..errors import DatasetError


class GraphDataset(InMemoryDataset):
    """An in-memory PyG dataset with its split and label vocabularies.

    Args:
        data_list: the graphs (see the module docstring for their layout).
        meta: ``name``, ``kind``, ``num_classes``, ``node_vocab`` and ``edge_vocab`` (per-column vocabulary sizes of
            ``x`` and ``edge_attr``), ``split_kind`` and ``split_seed``, and anything else worth keeping.
        split: ``{"train": LongTensor, "valid": LongTensor, "test": LongTensor}``.

    Indexing with a tensor of indices gives a subset that keeps ``meta`` (``ds[ds.split["train"]]``).

    Attributes:
        unused_node_attributes: continuous attributes per node that the dataset's raw files hold and this load left
            out (:func:`~graph_mirage.data.load_dataset` without ``node_attributes``); 0 where none were left out.
    """

    unused_node_attributes: int = 0

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

    @classmethod
    def from_graphs(cls, graphs: Sequence[Data], *, name: str = "graphs", split: dict | None = None,
                    seed: int = 0, stratify: bool = False) -> "GraphDataset":
        """A dataset of graphs of your own, with a split: what every distiller, ``train_and_evaluate`` and
        :class:`~graph_mirage.search.ModelSearch` take, as a loaded dataset.

        Args:
            graphs: PyG ``Data`` with ``y`` the class (any integers: classes 0..C-1 in sorted order), ``x`` categorical
                node labels ``[n]`` or ``[n, F]`` (integers, or one-hot rows), optional ``edge_attr`` (categorical)
                and ``x_cont [n, D]`` (continuous node attributes).
            name: the dataset's name (a distilled set records it).
            split: ``{"train": indices, "valid": indices, "test": indices}``, disjoint; None: a random 80/10/10
                split of ``seed`` (``stratify``: per class).

        The dataset records a digest of its graphs and split (``meta["content_key"]``): a set distilled from it is
        refused for other graphs or another split of the same name.

        Example:
            >>> ds = GraphDataset.from_graphs(my_graphs, name="mine", stratify=True)            # doctest: +SKIP
            >>> auto = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])  # doctest: +SKIP
        """
        import hashlib
        from dataclasses import replace

        from .splits import random_split

        flat = FlatGraphs.from_data_list(graphs)
        if flat.y.ndim != 1:
            raise DatasetError("from_graphs takes one class label per graph; several binary tasks are read from a CSV "
                               "(load_dataset('file.csv'))")
        for what, a in (("node labels x", flat.x), ("edge labels edge_attr", flat.edge_attr)):
            if len(a) and a.min() < 0:  # they index embeddings
                raise DatasetError(f"{what} must be integers >= 0 (categorical); got {int(a.min())}")
        _, y = np.unique(flat.y, return_inverse=True)
        flat = replace(flat, y=y.astype(np.int64).reshape(-1))
        meta = graph_meta(name, "graphs", flat, source="graphs given in Python",
                          **({"node_attributes": int(flat.x_cont.shape[1])} if flat.x_cont is not None else {}))
        if split is None:
            parts = random_split(flat.y, seed=seed, stratify=stratify)
            meta.update(split_kind="random", split_seed=int(seed), split_stratified=bool(stratify))
        else:
            parts = _given_split(split, flat.num_graphs)
            meta.update(split_kind="given", split_seed=None)
        digest = hashlib.sha256()
        for a in (flat.x, flat.edge_index, flat.edge_attr, flat.y, flat.node_ptr,
                  *(parts[k].numpy() for k in ("train", "valid", "test"))):
            digest.update(np.ascontiguousarray(a).tobytes())
        meta["content_key"] = digest.hexdigest()
        ds = dataset_from_flat(flat, meta, parts)
        if flat.x_cont is not None:
            attribute_scale(ds)
        return ds

    def flat(self) -> "FlatGraphs":
        """All graphs of this (possibly indexed) dataset as one disjoint union, in numpy (no per-graph copies)."""
        return FlatGraphs.from_dataset(self)

    def storage(self) -> Data:
        """The collated graphs of the whole dataset (all of them, also for a subset) with :attr:`slices`."""
        return self._data

    def stats(self) -> dict:
        """Statistics of the whole dataset: graphs, classes and class counts, average nodes and (undirected)
        edges, distinct node and edge labels, feature columns (``mirage datasets`` shows them)."""
        data, slices = self._data, self.slices
        n_nodes = np.diff(slices["x"].numpy())
        n_edges = np.diff(slices["edge_index"].numpy())
        x = data.x.numpy()
        ea = data.edge_attr.numpy()
        if data.y.dim() == 2:  # multi-task: per task, its positives, negatives and missing labels
            y = data.y.numpy()
            tasks = self.meta.get("tasks") or [str(t) for t in range(y.shape[1])]
            counts = {t: {"1": int((y[:, j] == 1).sum()), "0": int((y[:, j] == 0).sum()),
                          "missing": int(np.isnan(y[:, j]).sum())} for j, t in enumerate(tasks)}
        else:
            y = data.y.view(-1).numpy()
            classes, n = np.unique(y, return_counts=True)
            counts = {str(int(c)): int(k) for c, k in zip(classes, n)}
        return {
            "graphs": int(len(y)),
            "classes": int(self.num_classes),
            "class_counts": counts,
            "avg_nodes": round(float(n_nodes.mean()), 2),
            "avg_edges": round(float(n_edges.mean()) / 2, 2),  # undirected, as TU and OGB report
            "node_labels": _distinct_rows(x),
            "edge_labels": _distinct_rows(ea),
            "node_feature_columns": int(x.shape[1]),
            "edge_feature_columns": int(ea.shape[1]),
        }

    def __repr__(self) -> str:
        return f"GraphDataset({self.name}, {len(self)})"


def attribute_scale(ds: GraphDataset) -> None:
    """The training split's robust centre and scale of each continuous attribute (median, 1.4826 x MAD; the standard
    deviation, else 1, where the MAD is 0), in ``meta``: models standardise with them (TU attributes are often
    heavy-tailed: PROTEINS' run from -538 to 798 around a median of 6)."""
    train = ds[ds.split["train"]] if "train" in ds.split else ds
    xc = train.flat().x_cont.astype(np.float64)
    centre = np.median(xc, axis=0)
    scale = 1.4826 * np.median(np.abs(xc - centre), axis=0)
    std = xc.std(axis=0)
    scale = np.where(scale > 0, scale, np.where(std > 0, std, 1.0))
    ds.meta["node_attributes_centre"] = [float(v) for v in centre]
    ds.meta["node_attributes_scale"] = [float(v) for v in scale]


def _given_split(split: dict, n: int) -> dict[str, torch.Tensor]:
    """A user's split as index tensors: train, valid and test, disjoint, within ``0..n-1`` (else one line)."""
    missing = [k for k in ("train", "valid", "test") if k not in split]
    if missing or set(split) - {"train", "valid", "test"}:
        raise DatasetError(f"a split has the parts train, valid and test; got {sorted(split)}")
    parts = {k: torch.as_tensor(np.asarray(split[k], dtype=np.int64).reshape(-1)) for k in ("train", "valid", "test")}
    every = torch.cat(list(parts.values()))
    if len(every) and (int(every.min()) < 0 or int(every.max()) >= n):
        raise DatasetError(f"split indices must lie in 0..{n - 1} ({n} graphs)")
    if len(torch.unique(every)) != len(every):
        raise DatasetError("the split's parts overlap: a graph may be in one part only")
    return parts


def _distinct_rows(a: np.ndarray) -> int:
    """``len(np.unique(a, axis=0))`` by a lexicographic rank (np.unique's row sort took 12 of the 107 s of
    processing ogbg-molhiv's million atoms)."""
    from ..trees import row_ids

    return int(row_ids(a).max()) + 1 if len(a) else 0


@dataclass
class FlatGraphs:
    """A set of graphs as one disjoint union, the input of the vectorised tree stage.

    Attributes:
        x: ``[N, F]`` int64 node features; edge_index: ``[2, E]`` global node ids; edge_attr: ``[E, Fe]``;
        y: ``[G]`` classes, or ``[G, T]`` float binary labels with NaN where missing (multi-task);
        node_ptr: ``[G+1]`` and edge_ptr: ``[G+1]`` offsets of each graph's nodes and edges;
        x_cont: ``[N, D]`` float32 continuous node attributes, or None (a dataset loaded without them).
    """

    x: np.ndarray
    edge_index: np.ndarray
    edge_attr: np.ndarray
    y: np.ndarray
    node_ptr: np.ndarray
    edge_ptr: np.ndarray
    graph_ids: np.ndarray | None = None  # [G] each graph's index in its dataset (None: its position here)
    x_cont: np.ndarray | None = None

    @property
    def num_graphs(self) -> int:
        return len(self.y)

    @property
    def graph_of_node(self) -> np.ndarray:
        ids = np.int32 if self.num_graphs < 2 ** 31 else np.int64
        return np.repeat(np.arange(self.num_graphs, dtype=ids), np.diff(self.node_ptr))

    def attribute_means(self) -> np.ndarray:
        """``[G, D]`` float64 each graph's mean continuous node attributes (zeros for a graph without nodes); needs
        ``x_cont``."""
        sums = np.zeros((self.num_graphs, self.x_cont.shape[1]))
        np.add.at(sums, self.graph_of_node, self.x_cont.astype(np.float64))
        return sums / np.maximum(np.diff(self.node_ptr), 1)[:, None]

    def union(self, other: "FlatGraphs") -> "FlatGraphs":
        """One disjoint union of these graphs and ``other``'s, these first (graph ids their positions; continuous
        attributes where both have them), e.g. to refine the WL colours of two sets in one dictionary.

        Example:
            >>> joint = train_flat.union(test_flat)                                           # doctest: +SKIP
            >>> joint.num_graphs == train_flat.num_graphs + test_flat.num_graphs              # doctest: +SKIP
        """
        n = len(self.x)
        both = self.x_cont is not None and other.x_cont is not None
        return FlatGraphs(np.concatenate([self.x, other.x]),
                          np.concatenate([self.edge_index, other.edge_index + n], axis=1),
                          np.concatenate([self.edge_attr, other.edge_attr]), np.concatenate([self.y, other.y]),
                          np.concatenate([self.node_ptr, other.node_ptr[1:] + n]),
                          np.concatenate([self.edge_ptr, other.edge_ptr[1:] + self.edge_ptr[-1]]),
                          x_cont=np.concatenate([self.x_cont, other.x_cont]) if both else None)

    @classmethod
    def from_dataset(cls, ds: "GraphDataset") -> "FlatGraphs":
        data, slices = ds.storage(), ds.slices
        idx = np.asarray(ds.indices(), dtype=np.int64)
        ns, es = slices["x"].numpy(), slices["edge_index"].numpy()
        node_pos, node_ptr = _ranges(ns[idx], ns[idx + 1] - ns[idx])
        edge_pos, edge_ptr = _ranges(es[idx], es[idx + 1] - es[idx])
        x = data.x.numpy()[node_pos]
        ei = data.edge_index.numpy()[:, edge_pos]  # local ids (InMemoryDataset does not increment)
        ei = ei + np.repeat(node_ptr[:-1], np.diff(edge_ptr))[None, :]
        ea = data.edge_attr.numpy()[edge_pos]
        y = (data.y.numpy() if data.y.dim() == 2 else data.y.view(-1).numpy())[idx]
        xc = getattr(data, "x_cont", None)
        return cls(x, ei, ea, y, node_ptr, edge_ptr, idx, None if xc is None else xc.numpy()[node_pos])

    @classmethod
    def from_data_list(cls, graphs: Iterable[Data]) -> "FlatGraphs":
        graphs = list(graphs)
        if not graphs:
            raise DatasetError("no graphs given: the graph list is empty")
        if isinstance(graphs[0], InMemoryDataset):
            raise DatasetError("pass the dataset itself, not a list of datasets")
        n = np.array([g.num_nodes for g in graphs])
        m = np.array([g.edge_index.size(1) for g in graphs])
        node_ptr = np.concatenate([[0], np.cumsum(n)])
        edge_ptr = np.concatenate([[0], np.cumsum(m)])
        x = np.concatenate([_as_2d(g.x, g.num_nodes) for g in graphs])
        if x.dtype.kind == "f" and not np.array_equal(x, np.round(x)):  # an integer cast would merge distinct nodes
            raise DatasetError("node features x must be integer labels (or one-hot rows): these have non-integer "
                               "values; give continuous node attributes as x_cont [n, D] and labels (or zeros) as x")
        ei = np.concatenate([g.edge_index.numpy() + node_ptr[i] for i, g in enumerate(graphs)], axis=1)
        ea = np.concatenate([_as_2d(g.edge_attr, g.edge_index.size(1)) for g in graphs])
        if any(getattr(g, "y", None) is None or g.y.numel() == 0 for g in graphs):
            raise DatasetError("every graph needs a class label y (a graph without y was given)")
        y = (np.concatenate([g.y.numpy() for g in graphs]) if graphs[0].y.dim() == 2 and graphs[0].y.is_floating_point()
             else np.array([int(g.y.view(-1)[0]) for g in graphs]))
        xc = np.concatenate([g.x_cont.numpy() for g in graphs]) if getattr(graphs[0], "x_cont", None) is not None \
            else None
        return cls(x.astype(np.int64), ei.astype(np.int64), ea.astype(np.int64), y, node_ptr, edge_ptr, x_cont=xc)


def dataset_from_flat(flat: FlatGraphs, meta: dict, split: dict | None = None) -> GraphDataset:
    """A :class:`GraphDataset` collated directly from flat arrays (no ``Data`` per graph: a million graphs take
    seconds), with ``split`` (index arrays by part) where given; edge ids become local to each graph, as PyG stores
    them."""
    local = flat.edge_index.astype(np.int64) - np.repeat(flat.node_ptr[:-1], np.diff(flat.edge_ptr))[None, :]
    data = Data(x=torch.from_numpy(flat.x.astype(np.int64)), edge_index=torch.from_numpy(local),
                edge_attr=torch.from_numpy(flat.edge_attr.astype(np.int64)),
                y=torch.from_numpy(np.asarray(flat.y, dtype=np.float32 if flat.y.ndim == 2 else np.int64)))
    ptr_n, ptr_e = torch.from_numpy(np.asarray(flat.node_ptr, dtype=np.int64)), \
        torch.from_numpy(np.asarray(flat.edge_ptr, dtype=np.int64))
    slices = {"x": ptr_n, "edge_index": ptr_e, "edge_attr": ptr_e, "y": torch.arange(flat.num_graphs + 1)}
    if flat.x_cont is not None:  # continuous node attributes, sliced as x
        data.x_cont = torch.from_numpy(flat.x_cont.astype(np.float32))
        slices["x_cont"] = ptr_n
    return GraphDataset(meta=meta, split=split, _collated=(data, slices))


# what a distiller's ``fit`` reads (through :func:`as_flat`): a dataset or a subset of one, a list of ``Data``, or the
# flat arrays themselves
Graphs = Union[GraphDataset, Sequence[Data], FlatGraphs]


def classes_of(flat: FlatGraphs) -> np.ndarray:
    """The classes of a training set for distillation: at least two, labelled 0..C-1 (else :class:`DatasetError`)."""
    if flat.y.ndim == 2:
        raise DatasetError("the training graphs have one label per task (a multi-task dataset): distil them with "
                           "graph_mirage.multitask.PerTask (mirage distill does so)")
    classes = np.unique(flat.y)
    if len(classes) == 0:
        raise DatasetError("there are no training graphs to distil (an empty training split?)")
    if len(classes) < 2:
        raise DatasetError(f"the training graphs have a single class ({classes.tolist()}): distillation for "
                           f"classification needs at least two")
    if classes[0] < 0:
        raise DatasetError(f"class labels must be 0..C-1, got {int(classes[0])}")
    return classes


def as_flat(graphs: Graphs) -> FlatGraphs:
    """A :class:`FlatGraphs` view of a dataset (anything with a ``flat()`` method), a list of ``Data``, or a
    ``FlatGraphs``."""
    if isinstance(graphs, FlatGraphs):
        return graphs
    if isinstance(graphs, GraphDataset) or callable(getattr(graphs, "flat", None)):
        return graphs.flat()
    return FlatGraphs.from_data_list(graphs)


def _as_2d(t: torch.Tensor | None, n: int) -> np.ndarray:
    if t is None:
        return np.zeros((n, 1), dtype=np.int64)
    from ..trees import as_rows

    return as_rows(t.numpy(), n)


def _ranges(starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, s + l)`` for each pair, and the offsets of each range in the result."""
    ptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
    pos = np.arange(ptr[-1], dtype=np.int64) + np.repeat(starts - ptr[:-1], lens)
    return pos, ptr


def dataset_stats(ds: GraphDataset) -> dict:
    """The statistics ``mirage datasets`` shows: :meth:`GraphDataset.stats` plus name, kind, split and source."""
    return {"name": ds.name, "kind": ds.meta["kind"], **ds.stats(),
            "split": {k: int(len(v)) for k, v in ds.split.items()}, "split_kind": ds.meta["split_kind"],
            "source": ds.meta.get("source", ""), "skipped": int(ds.meta.get("skipped", 0))}


def _vocab(t: torch.Tensor) -> list[int]:
    """Each column's vocabulary size of a categorical ``[n, F]`` table (1 per column where it has no rows)."""
    return (t.max(0).values + 1).tolist() if len(t) else [1] * t.shape[1]


def graph_meta(name: str, kind: str, graphs: Sequence[Data] | FlatGraphs, **extra) -> dict:
    """A dataset's ``meta`` from its graphs (a list, or one :class:`FlatGraphs`): classes, per-column vocabularies,
    split kind and encoder.

    ``kind`` ``"ogb"`` or ``"csv"`` (molecules) fixes OGB's feature vocabularies (OGB's encoders have them, whatever
    this copy contains). Graphs whose ``y`` is a float row ``[1, T]`` are one multi-task dataset of binary tasks
    (NaN: a missing label; ``meta["num_tasks"]``).
    """
    if isinstance(graphs, FlatGraphs):
        x, ea, y = torch.from_numpy(graphs.x), torch.from_numpy(graphs.edge_attr), torch.from_numpy(graphs.y)
        multitask = graphs.y.ndim == 2
        tasks = graphs.y.shape[1] if multitask else 0
    else:
        x = torch.cat([g.x for g in graphs])
        ea = torch.cat([g.edge_attr for g in graphs])
        multitask = graphs[0].y.dim() == 2 and graphs[0].y.is_floating_point()
        y = torch.cat([g.y.view(-1) for g in graphs])
        tasks = graphs[0].y.size(1) if multitask else 0
    meta = {
        "name": name,
        "kind": kind,
        "num_classes": 2 if multitask else int(y.max()) + 1,
        "node_vocab": _vocab(x),
        "edge_vocab": _vocab(ea),
        "split_kind": "scaffold" if kind in ("ogb", "csv") else "random",
        "encoder": "ogb" if kind in ("ogb", "csv") else "embedding",
    }
    if multitask:  # binary tasks, a missing label is NaN (OGB's convention)
        meta["num_tasks"] = int(tasks)
    if kind in ("ogb", "csv"):
        from ogb.utils.features import get_atom_feature_dims, get_bond_feature_dims

        meta["node_vocab"], meta["edge_vocab"] = get_atom_feature_dims(), get_bond_feature_dims()
    meta.update(extra)
    return meta
