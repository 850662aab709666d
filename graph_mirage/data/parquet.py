"""Graph datasets as Parquet tables: the layout a Spark job (or any columnar engine) reads.

``mirage export DATASET --parquet DIR`` writes::

    DIR/_graph_mirage.json        layout version, dataset name, classes, vocabularies, encoder, split kind
    DIR/graphs/part-00000.parquet graph_id int64, y int64, split string (train / valid / test / "");
                                  a multi-task dataset has y0 .. y{T-1} float32 instead of y (NaN: a missing
                                  label; the task names are the meta's "tasks")
    DIR/nodes/part-00000.parquet  graph_id int64, node int32 (0..n-1 within the graph), x0 .. x{F-1} int32;
                                  a dataset loaded with continuous node attributes (TU ``node_attributes``) has
                                  c0 .. c{D-1} float32 too (the meta's "node_attributes" is D)
    DIR/edges/part-00000.parquet  graph_id int64, src int32, dst int32 (local node ids; both directions of an
                                  undirected bond, as in PyG), e0 .. e{Fe-1} int32

``graph_id`` is the graph's index in the dataset. Every part file holds whole graphs (``graphs_per_file`` of them,
contiguous ids), so a reader that splits by file never separates a graph from its nodes and edges; rows are ordered
by ``graph_id`` then ``node`` (nodes) or edge position (edges). Label columns are the categorical features graph-mirage
uses everywhere (the TU labels, or OGB's 9 atom and 3 bond features). :func:`read_parquet` reads the layout back into
a :class:`GraphDataset` with the same arrays, so a round trip distils to a byte-identical file (tested).

Example:
    >>> export_parquet(load_dataset("MUTAG"), "mutag-parquet")     # doctest: +SKIP
    >>> ds = read_parquet("mutag-parquet")                          # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DatasetError, ParameterError

if TYPE_CHECKING:
    import pyarrow as pa

    from ..distilled import DistilledDataset
    from .graphs import FlatGraphs, GraphDataset

LAYOUT = "graph-mirage-parquet"
LAYOUT_VERSION = 1
META_FILE = "_graph_mirage.json"


def _pyarrow():
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise DatasetError("Parquet needs pyarrow: pip install 'graph-mirage[parquet]' (or pip install pyarrow)") \
            from None
    return pa, pq


def export_parquet(ds: GraphDataset, out: str | os.PathLike, graphs_per_file: int = 100_000) -> Path:
    """Write ``ds`` (a :class:`GraphDataset`, its split included) in the layout above; atomically (a temporary
    directory renamed into place), refusing an existing non-empty ``out``."""
    flat = ds.flat()
    nodes = {} if flat.x_cont is None else {f"c{j}": flat.x_cont[:, j].astype(np.float32)
                                            for j in range(flat.x_cont.shape[1])}
    split = np.full(flat.num_graphs, "", dtype=object)
    for name, idx in getattr(ds, "split", {}).items():
        split[np.asarray(idx)] = name
    meta = {k: v for k, v in ds.meta.items() if isinstance(v, (str, int, float, bool, list, type(None)))
            and not k.startswith("node_attributes_")}  # the attributes' scale: of a split, measured again on reading
    return _write_layout(flat, {"split": split}, nodes, meta, out, graphs_per_file)


def export_distilled_parquet(d: DistilledDataset, out: str | os.PathLike, graphs_per_file: int = 100_000) -> Path:
    """Write a distilled set (a :class:`~graph_mirage.DistilledDataset`) in the same layout, with the columns a
    distilled graph has beyond a real one: ``graphs/weight`` (float32 support), ``nodes/root`` (bool: the nodes a
    readout pools), ``nodes/root_weight`` (float32, prototype sets), ``nodes/s0..s{D-1}`` (float32 ``x_soft``,
    learned baselines) and ``nodes/c0..c{D-1}`` (float32 ``x_cont``, continuous node attributes).
    ``_graph_mirage.json`` holds the set's ``meta`` with ``"content": "distilled"``; edges run child -> parent. Such a
    directory is not a dataset (``load_dataset`` refuses it)."""
    from ..distilled import distilled_arrays
    from .graphs import FlatGraphs

    a = distilled_arrays(d)
    flat = FlatGraphs(a["x"], a["edge_index"] + np.repeat(a["node_ptr"][:-1], np.diff(a["edge_ptr"]))[None, :],
                      a["edge_attr"], a["y"], a["node_ptr"], a["edge_ptr"])
    graph_cols = {"weight": a["weight"]}
    if "y_tasks" in a:  # a multi-task set: y is the task a graph informs, y0.. its label vector
        graph_cols.update({f"y{t}": a["y_tasks"][:, t] for t in range(a["y_tasks"].shape[1])})
    nodes = {"root": a["root_mask"]}
    if "root_weight" in a:
        nodes["root_weight"] = a["root_weight"]
    if "x_soft" in a:
        nodes.update({f"s{j}": a["x_soft"][:, j] for j in range(a["x_soft"].shape[1])})
    if "x_cont" in a:
        nodes.update({f"c{j}": a["x_cont"][:, j] for j in range(a["x_cont"].shape[1])})
    meta = dict(d.meta, content="distilled")
    return _write_layout(flat, graph_cols, nodes, meta, out, graphs_per_file)


def _write_layout(flat, graph_cols: dict, node_cols: dict, meta: dict, out, graphs_per_file: int) -> Path:
    pa, pq = _pyarrow()
    if int(graphs_per_file) < 1:
        raise ParameterError(f"graphs_per_file must be >= 1, got {graphs_per_file}")
    out = Path(out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise DatasetError(f"{out} exists and is not an empty directory; choose a new output directory")
    parent = out.parent if str(out.parent) else Path(".")
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=parent))
    try:
        for sub in ("graphs", "nodes", "edges"):
            (tmp / sub).mkdir()
        for part, g0 in enumerate(range(0, flat.num_graphs, graphs_per_file)):
            _write_part(pa, pq, flat, graph_cols, node_cols, g0, min(g0 + graphs_per_file, flat.num_graphs),
                        tmp, f"part-{part:05d}.parquet")
        meta = dict(meta, layout=LAYOUT, layout_version=LAYOUT_VERSION, graphs=int(flat.num_graphs),
                    node_columns=int(flat.x.shape[1]), edge_columns=int(flat.edge_attr.shape[1]))
        (tmp / META_FILE).write_text(json.dumps(meta, indent=1, sort_keys=True))
        if out.exists():
            out.rmdir()
        os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _write_part(pa, pq, flat, graph_cols: dict, node_cols: dict, g0: int, g1: int, tmp: Path, name: str) -> None:
    n_of, m_of = np.diff(flat.node_ptr), np.diff(flat.edge_ptr)
    gid = np.arange(g0, g1, dtype=np.int64)
    a, b = flat.node_ptr[g0], flat.node_ptr[g1]
    c, d = flat.edge_ptr[g0], flat.edge_ptr[g1]
    node_graph = np.repeat(gid, n_of[g0:g1])
    node_local = (np.arange(a, b) - np.repeat(flat.node_ptr[g0:g1], n_of[g0:g1])).astype(np.int32)
    edge_graph = np.repeat(gid, m_of[g0:g1])
    offset = np.repeat(flat.node_ptr[g0:g1], m_of[g0:g1])
    if flat.y.ndim == 2:  # multi-task: one float column per task, NaN a missing label
        graphs = {"graph_id": gid, **{f"y{t}": flat.y[g0:g1, t].astype(np.float32) for t in range(flat.y.shape[1])}}
    else:
        graphs = {"graph_id": gid, "y": flat.y[g0:g1].astype(np.int64)}
    for k, v in graph_cols.items():
        graphs[k] = pa.array(v[g0:g1].tolist(), pa.string()) if v.dtype == object else v[g0:g1]
    pq.write_table(pa.table(graphs), tmp / "graphs" / name)
    pq.write_table(pa.table({"graph_id": node_graph, "node": node_local,
                             **{f"x{j}": flat.x[a:b, j].astype(np.int32) for j in range(flat.x.shape[1])},
                             **{k: v[a:b] for k, v in node_cols.items()}}), tmp / "nodes" / name)
    pq.write_table(pa.table({"graph_id": edge_graph,
                             "src": (flat.edge_index[0, c:d] - offset).astype(np.int32),
                             "dst": (flat.edge_index[1, c:d] - offset).astype(np.int32),
                             **{f"e{j}": flat.edge_attr[c:d, j].astype(np.int32)
                                for j in range(flat.edge_attr.shape[1])}}), tmp / "edges" / name)


def is_parquet_dir(path: str | os.PathLike) -> bool:
    """Whether ``path`` is a directory in this layout (it has :data:`META_FILE`)."""
    return (Path(path) / META_FILE).is_file()


def read_layout_meta(path: str | os.PathLike) -> dict:
    """The layout's ``_graph_mirage.json``, checked (a one-line :class:`DatasetError` otherwise)."""
    path = Path(path)
    meta_file = path / META_FILE
    if not meta_file.is_file():
        raise DatasetError(f"{path} is not a graph-mirage Parquet directory (no {META_FILE}); write one with "
                           f"mirage export DATASET --parquet {path}")
    try:
        meta = json.loads(meta_file.read_text())
    except (OSError, ValueError) as e:
        raise DatasetError(f"{meta_file}: not readable JSON ({e})") from None
    if not isinstance(meta, dict) or meta.get("layout") != LAYOUT or meta.get("layout_version") != LAYOUT_VERSION:
        got = meta if not isinstance(meta, dict) else (meta.get("layout"), meta.get("layout_version"))
        raise DatasetError(f"{path} has layout {got!r}; this graph-mirage reads {LAYOUT} version {LAYOUT_VERSION}")
    return meta


def dataset_layout_meta(path: str | os.PathLike) -> dict:
    """:func:`read_layout_meta` of a dataset's layout: a distilled set's export is refused in one line."""
    meta = read_layout_meta(path)
    if meta.get("content") == "distilled":
        raise DatasetError(f"{path} is a distilled set exported as Parquet (mirage export FILE.npz), not a dataset")
    return meta


def read_flat(path: str | os.PathLike, graph_ids=None) -> tuple[FlatGraphs, pa.Table]:
    """The graphs under ``path`` (all, or those with the given ids) as :class:`FlatGraphs` in ``graph_id`` order,
    with ``graph_ids`` set, and the graphs table. Only the part files holding those ids are read (row-group
    statistics), which is how the Spark engine's driver fetches the few witness graphs it unfolds."""
    pa, pq = _pyarrow()
    path = Path(path)
    meta = read_layout_meta(path)
    filters = None if graph_ids is None else [("graph_id", "in", [int(g) for g in graph_ids])]
    try:
        graphs = pq.read_table(path / "graphs", filters=filters).sort_by("graph_id")
        nodes = pq.read_table(path / "nodes", filters=filters)
        edges = pq.read_table(path / "edges", filters=filters)
    except (OSError, pa.ArrowException) as e:
        raise DatasetError(f"{path}: cannot read its Parquet tables ({type(e).__name__}: {str(e)[:120]})") from None
    from .graphs import FlatGraphs

    gid, y, node_ptr, x, ei, ea, edge_ptr = flat_arrays(graphs, nodes, edges, meta)
    return FlatGraphs(x, ei, ea, y, node_ptr, edge_ptr, gid, x_cont=_attributes(nodes, graphs, meta)), graphs


def _attributes(nodes, graphs, meta: dict) -> np.ndarray | None:
    """``[N, D]`` float32 continuous node attributes (columns ``c0..c{D-1}``) in :func:`flat_arrays`' node order,
    or None for a dataset without them (a distilled set's export keeps its own ``x_cont`` out of a dataset)."""
    width = int(meta.get("node_attributes") or 0)
    if not width or meta.get("content") == "distilled":
        return None
    import pyarrow.compute as pc

    nodes = nodes.filter(pc.is_in(nodes["graph_id"], value_set=graphs["graph_id"]))
    nodes = nodes.sort_by([("graph_id", "ascending"), ("node", "ascending")])
    missing = [f"c{j}" for j in range(width) if f"c{j}" not in nodes.column_names]
    if missing:
        raise DatasetError(f"the layout's meta names {width} continuous node attribute(s) but the nodes table lacks "
                           f"{', '.join(missing[:3])}")
    return np.stack([nodes[f"c{j}"].to_numpy() for j in range(width)], 1).astype(np.float32)


def train_class_counts(path: str | os.PathLike) -> dict[int, int]:
    """Training graphs per class under ``path``, read from the graphs table's ``y`` and ``split`` columns only (for
    a single-task layout): what the Spark engine checks before it starts a session."""
    pa, pq = _pyarrow()
    dataset_layout_meta(path)
    try:
        graphs = pq.read_table(Path(path) / "graphs", columns=["y", "split"])
    except (OSError, pa.ArrowException) as e:
        raise DatasetError(f"{path}: cannot read its graphs table ({type(e).__name__}: {str(e)[:120]})") from None
    y = graphs.column("y").to_numpy()[np.asarray(graphs.column("split").to_pylist()) == "train"]
    classes, counts = np.unique(y, return_counts=True)
    return {int(c): int(n) for c, n in zip(classes, counts)}


def flat_arrays(graphs, nodes, edges, meta: dict) -> tuple[np.ndarray, ...]:
    """The arrays of :class:`FlatGraphs` from the layout's three tables (pyarrow; rows in any order; nodes and edges
    of graphs not in ``graphs`` are dropped), with numpy alone — the Spark engine's executors use it on one part.

    Returns:
        ``(graph ids [G], y [G] or [G, T], node_ptr [G+1], x [N, F] int64, edge_index [2, E] int64 (ids within
        the union), edge_attr [E, Fe] int64, edge_ptr [G+1])``, graphs in ``graph_id`` order, nodes in ``node``
        order within their graph, edges in file order within their graph.
    """
    import pyarrow.compute as pc

    graphs = graphs.sort_by("graph_id")
    nodes = nodes.filter(pc.is_in(nodes["graph_id"], value_set=graphs["graph_id"]))
    nodes = nodes.sort_by([("graph_id", "ascending"), ("node", "ascending")])
    edges = edges.filter(pc.is_in(edges["graph_id"], value_set=graphs["graph_id"]))
    gid = graphs["graph_id"].to_numpy().astype(np.int64)
    n = len(gid)
    pos = np.searchsorted(gid, nodes["graph_id"].to_numpy())  # graph ids -> 0..n-1
    node_ptr = np.concatenate([[0], np.cumsum(np.bincount(pos, minlength=n))])
    x = np.stack([nodes[f"x{j}"].to_numpy() for j in range(meta["node_columns"])], 1).astype(np.int64) \
        if meta["node_columns"] else np.zeros((len(pos), 0), dtype=np.int64)
    eg = np.searchsorted(gid, edges["graph_id"].to_numpy())
    order = np.argsort(eg, kind="stable")
    edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(eg, minlength=n))])
    offset = node_ptr[eg[order]]
    ei = np.stack([edges["src"].to_numpy()[order] + offset, edges["dst"].to_numpy()[order] + offset])
    ea = np.stack([edges[f"e{j}"].to_numpy()[order] for j in range(meta["edge_columns"])], 1).astype(np.int64) \
        if meta["edge_columns"] else np.zeros((len(order), 0), dtype=np.int64)
    if meta.get("num_tasks") and meta.get("content") != "distilled":
        y = np.stack([graphs[f"y{t}"].to_numpy() for t in range(int(meta["num_tasks"]))], 1).astype(np.float32)
    else:
        y = graphs["y"].to_numpy().astype(np.int64)
    return gid, y, node_ptr, x, ei.astype(np.int64), ea, edge_ptr


def read_parquet(path: str | os.PathLike) -> GraphDataset:
    """Read a directory written by :func:`export_parquet` into a :class:`GraphDataset` (with its split)."""
    from .graphs import dataset_from_flat

    meta = dataset_layout_meta(path)
    flat, graphs = read_flat(path)
    n = flat.num_graphs
    if not np.array_equal(flat.graph_ids, np.arange(n)):
        raise DatasetError(f"{path}: graph ids must be 0..{n - 1} without gaps")
    split = np.array(graphs["split"].to_pylist(), dtype=object)
    return dataset_from_flat(flat, {k: v for k, v in meta.items()
                                    if k not in ("layout", "layout_version", "graphs", "node_columns", "edge_columns")},
                             {k: np.flatnonzero(split == k) for k in ("train", "valid", "test") if (split == k).any()})
