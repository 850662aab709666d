"""TU datasets: validation of the raw text files, read into the graphs PyG's ``TUDataset`` makes of them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..errors import DatasetError
from ._io import keep_download, quiet
from .graphs import FlatGraphs, graph_meta


def read_tu(name: str, raw: Path | None, work: Path, missing: str,
            keep: Path | None = None) -> tuple[FlatGraphs, dict, dict]:
    """The graphs of TU dataset ``name`` (raw files in ``raw``, else downloaded by PyG's ``TUDataset`` into ``work``
    and kept in ``keep``) as one :class:`~graph_mirage.data.FlatGraphs`; returns ``(flat, meta, split)`` with no
    split.

    Local raw files are read by :func:`read_tu_arrays` — the graphs PyG's ``TUDataset`` makes of them, from the tables
    the validation has parsed already, straight into the collated arrays (no ``Data`` per graph). PyG parses every
    field in Python, several times slower at about twice the peak memory on a dense dataset
    (``benchmarks/tu_reader.py``), so its reader is kept for downloads only; a test holds both to the same graphs.
    Continuous node attributes (``NAME_node_attributes.txt``) are kept as ``x_cont [n, D]`` float32 with
    ``meta["node_attributes"] = D``; :func:`~graph_mirage.data.load_dataset` drops them unless asked for.

    ``missing`` is the one-line message for a download that fails."""
    if raw is not None:
        flat, labels = read_tu_arrays(raw, name)
        source = str(raw)
    else:
        graphs, labels = _download(name, work, missing, keep)
        if not graphs:
            raise DatasetError(f"dataset {name!r} is empty: the download holds no graphs")
        flat = FlatGraphs.from_data_list(graphs)
        source = "downloaded by torch_geometric"
    meta = graph_meta(name, "tu", flat, source=source,
                      node_label_source="TU node label" if labels[0] else "node degree",
                      edge_label_source="TU edge label" if labels[1] else "constant",
                      **({"node_attributes": int(flat.x_cont.shape[1])} if flat.x_cont is not None else {}))
    return flat, meta, {}


def _download(name: str, work: Path, missing: str, keep: Path | None) -> tuple[list[Data], tuple[bool, bool]]:
    """Download through PyG's ``TUDataset`` and convert its graphs (as :func:`read_tu_arrays` reads local files)."""
    from torch_geometric.datasets import TUDataset

    try:
        with quiet():
            tu = TUDataset(str(work / "TUDataset"), name, use_node_attr=True)
    except DatasetError:
        raise
    except Exception as e:  # noqa: BLE001 - a failed download or a file PyG cannot read
        raise DatasetError(missing + f" (download failed: {type(e).__name__})") from None
    if keep is not None:  # keep what was downloaded, in the root, for next time
        keep_download(work / "TUDataset" / name / "raw", keep)
    return pyg_graphs(tu), (tu.num_node_labels > 0, tu.num_edge_labels > 0)


def pyg_graphs(tu) -> list[Data]:
    """A PyG ``TUDataset``'s graphs as graph-mirage's: the first node-label column as ``x [n, 1]`` (the node degree
    where there are no labels, as the paper does), the first edge-label column as ``edge_attr [m, 1]`` (zeros where
    there are none), ``x_cont`` for continuous node attributes, classes 0..C-1."""
    n_labels, n_edge_labels, n_attr = tu.num_node_labels, tu.num_edge_labels, tu.num_node_attributes
    graphs = []
    for g in tu:
        if n_labels > 0:
            x = g.x[:, -n_labels:].argmax(1, keepdim=True)
        else:
            x = torch.bincount(g.edge_index[0], minlength=g.num_nodes).view(-1, 1)
        if n_edge_labels > 0 and g.edge_attr is not None:
            ea = g.edge_attr[:, -n_edge_labels:].argmax(1, keepdim=True)
        else:
            ea = torch.zeros(g.edge_index.size(1), 1, dtype=torch.long)
        extra = {"x_cont": g.x[:, :n_attr].float()} if n_attr else {}
        graphs.append(Data(x=x.long(), edge_index=g.edge_index, edge_attr=ea.long(), y=g.y.view(-1).long(), **extra))
    return graphs


def read_tu_arrays(raw: Path, name: str) -> tuple[FlatGraphs, tuple[bool, bool]]:
    """The graphs PyG's ``TUDataset`` reader makes of local raw files (self-loops dropped, edges sorted and
    duplicates merged, classes 0..C-1), converted as :func:`pyg_graphs` converts them, with numpy on the validated
    tables, as one :class:`~graph_mirage.data.FlatGraphs`; and whether the files have node and edge labels.

    Example:
        >>> flat, has_labels = read_tu_arrays(Path("data/TUDataset/MUTAG/raw"), "MUTAG")  # doctest: +SKIP
        >>> flat.num_graphs, flat.x.shape, has_labels                    # (188, (3371, 1), (True, True))
    """
    t = validate_tu_raw(raw, name)
    batch = t["graph_indicator"][:, 0] - 1
    n_nodes, n_graphs = len(batch), int(batch[-1]) + 1
    src, dst = t["A"][:, 0] - 1, t["A"][:, 1] - 1  # contiguous rows: indexing a transposed table is slow
    x = _first_label(t["node_labels"]) if "node_labels" in t else None
    attrs = t["node_attributes"].astype(np.float32) if "node_attributes" in t else None
    keep = src != dst  # PyG drops self-loops
    src, dst = src[keep], dst[keep]
    edge_labels = t["edge_labels"][keep] if "edge_labels" in t else None
    key = src * n_nodes + dst  # coalesce: sorted by (row, col), duplicates merged
    order = np.argsort(key, kind="stable")
    key = key[order]
    first = np.ones(len(key), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    kept = order[first]
    ei = np.stack([src[kept], dst[kept]])
    if edge_labels is None:
        ea = np.zeros(ei.shape[1], dtype=np.int64)
    else:  # each sorted edge's merged edge
        ea = _merged_label(edge_labels[order], np.cumsum(first, dtype=np.int64) - 1, ei.shape[1])
    _, y = np.unique(t["graph_labels"][:, 0], return_inverse=True)
    node_ptr = np.concatenate([[0], np.cumsum(np.bincount(batch, minlength=n_graphs))])
    edge_ptr = np.concatenate([[0], np.cumsum(np.bincount(batch[ei[0]], minlength=n_graphs))])
    if x is None:  # no node labels: each node's degree (edges out of it, after the merge)
        x = np.bincount(ei[0], minlength=n_nodes)
    flat = FlatGraphs(x.astype(np.int64).reshape(-1, 1), ei, ea.reshape(-1, 1),
                      y.astype(np.int64).reshape(-1), node_ptr.astype(np.int64), edge_ptr.astype(np.int64),
                      x_cont=attrs)
    return flat, ("node_labels" in t, "edge_labels" in t)


def _one_hot_blocks(labels: np.ndarray) -> tuple[list[np.ndarray], list[int]]:
    """PyG's one-hot layout of a label table: each column shifted to start at 0, blocks of width max + 1."""
    cols = [c - c.min() for c in labels.T]
    return cols, [int(c.max()) + 1 for c in cols]


def _first_label(labels: np.ndarray) -> np.ndarray:
    """The argmax of PyG's concatenated one-hot node labels: the first column's label (the first 1 is in its block)."""
    return _one_hot_blocks(labels)[0][0].astype(np.int64)


def _merged_label(labels: np.ndarray, group: np.ndarray, n: int) -> np.ndarray:
    """The argmax of PyG's one-hot edge labels summed over each group of merged duplicate edges (``labels`` sorted
    by group): the first column's label where no edge is repeated; otherwise the summed one-hot, as PyG makes it."""
    cols, widths = _one_hot_blocks(labels)
    if len(group) == n:
        return cols[0].astype(np.int64)
    counts = np.zeros((n, sum(widths)), dtype=np.int64)
    offset = 0
    for c, w in zip(cols, widths):
        np.add.at(counts, (group, offset + c), 1)
        offset += w
    return counts.argmax(1).astype(np.int64)


def validate_tu_raw(raw: Path, name: str) -> dict[str, np.ndarray]:
    """Check TU raw files, so bad files give one clear line instead of a crash; returns the parsed tables by kind
    (``A``, ``graph_indicator``, ``graph_labels`` and the optional label and attribute files; int64, attributes
    float64).

    Checks column counts, integer fields, node ids in range, a sorted graph indicator without gaps, edges inside one
    graph, and that label files have one row per node, edge or graph.
    """
    raw = Path(raw)

    def path(kind: str) -> Path:
        return raw / f"{name}_{kind}.txt"

    if not path("graph_labels").is_file() and path("graph_attributes").is_file():
        raise DatasetError(f"{name} has graph attributes ({path('graph_attributes').name}: regression targets) and no "
                           f"graph labels; graph-mirage distils graph classification datasets")
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
    if len(a) < 2:  # PyG's reader squeezes a one-line file to one dimension and fails deep inside torch
        raise DatasetError(f"{path('A')} has {len(a)} edge line(s): a TU dataset of graphs without edges cannot be "
                           f"read; check that this is the right file")
    if a.size and (a.min() < 1 or a.max() > n_nodes):
        line = int(np.flatnonzero((a < 1).any(1) | (a > n_nodes).any(1))[0]) + 1
        raise DatasetError(f"{path('A')} line {line}: node id out of range 1..{n_nodes} (the graph indicator has "
                           f"{n_nodes} rows)")
    if a.size and np.any(gi[a[:, 0] - 1] != gi[a[:, 1] - 1]):
        line = int(np.flatnonzero(gi[a[:, 0] - 1] != gi[a[:, 1] - 1])[0]) + 1
        raise DatasetError(f"{path('A')} line {line}: the edge joins nodes of two different graphs")
    tables = {"A": a, "graph_indicator": gi[:, None]}
    expected = {"graph_labels": n_graphs, "node_labels": n_nodes, "edge_labels": len(a),
                "node_attributes": n_nodes, "edge_attributes": len(a), "graph_attributes": n_graphs}
    for kind, n in expected.items():
        p = path(kind)
        if not p.is_file():
            continue
        labels = kind.endswith("labels")
        rows = _read_table(p, integer=labels)
        if len(rows) != n:
            what = kind.split("_")[0]
            raise DatasetError(f"{p} has {len(rows)} rows but the dataset has {n} {what}s; the files do not belong "
                               f"together")
        tables[kind] = rows.astype(np.int64, copy=False) if labels else rows
    return tables


def _read_int_table(path: Path, ncols: int | None) -> np.ndarray:
    return _read_table(path, integer=True, ncols=ncols).astype(np.int64, copy=False)


def _read_table(path: Path, integer: bool, ncols: int | None = None) -> np.ndarray:
    """Parse a comma-separated numeric file fast, or name the first bad line."""
    import pandas as pd

    if integer:  # the common case in one int64 pass; "1.0"-style integers and bad lines take the checked path below
        try:
            arr = pd.read_csv(path, header=None, sep=",", skipinitialspace=True, dtype=np.int64,
                              skip_blank_lines=True, engine="c").to_numpy()
            if ncols is None or arr.shape[1] == ncols:
                return arr
        except (ValueError, OverflowError, pd.errors.ParserError, pd.errors.EmptyDataError):
            pass
    try:
        # attributes as Python's float() reads them, to the last bit (pandas 3's default; 2 needs "round_trip")
        exact = {} if integer or int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
        df = pd.read_csv(path, header=None, sep=",", skipinitialspace=True, dtype=np.float64,
                         skip_blank_lines=True, engine="c", **exact)
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

