"""TU datasets: validation of the raw text files, then PyG's ``TUDataset`` reader."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..errors import DatasetError
from ._io import keep_download, quiet
from .graphs import graph_meta


def read_tu(name: str, raw: Path | None, work: Path, missing: str, keep: Path | None = None):
    """The graphs of TU dataset ``name`` through ``torch_geometric.datasets.TUDataset`` (raw files in ``raw``, else
    downloaded by PyG into ``work`` and kept in ``keep``); returns ``(graphs, meta, split)`` with no split.

    Continuous node attributes (``NAME_node_attributes.txt``) are kept as ``x_cont [n, D]`` float32 with
    ``meta["node_attributes"] = D``; :func:`~graph_mirage.data.load_dataset` drops them unless asked for.

    ``missing`` is the one-line message for a download that fails."""
    from torch_geometric.datasets import TUDataset

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
        with quiet():
            tu = TUDataset(str(tu_root), name, use_node_attr=True)
    except DatasetError:
        raise
    except Exception as e:  # noqa: BLE001 - a failed download or a file PyG cannot read
        if raw is None:
            raise DatasetError(missing + f" (download failed: {type(e).__name__})") from None
        raise DatasetError(f"{name}: torch_geometric could not read the files in {raw} ({type(e).__name__}); check "
                           f"them against the TU format (https://chrsmrrs.github.io/datasets/docs/format/)") from None
    if raw is None and keep is not None:  # keep what was downloaded, in the root, for next time
        keep_download(tu_root / name / "raw", keep)
    n_labels = tu.num_node_labels
    n_edge_labels = tu.num_edge_labels
    n_attr = tu.num_node_attributes  # continuous, first in x (PyG's layout); kept apart as x_cont
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
        extra = {"x_cont": g.x[:, :n_attr].float()} if n_attr else {}
        graphs.append(Data(x=x.long(), edge_index=g.edge_index, edge_attr=ea.long(), y=g.y.view(-1).long(), **extra))
    if not graphs:
        raise DatasetError(f"dataset {name!r} is empty: {raw} holds no graphs")
    # TU class labels can be -1/1 or 1/2: map them to 0..C-1 in sorted order (PyG already does for most files)
    ys = torch.cat([g.y for g in graphs])
    uniq = torch.unique(ys)
    if uniq.min() < 0 or uniq.max() >= len(uniq):
        remap = {int(v): i for i, v in enumerate(uniq.tolist())}
        for g in graphs:
            g.y = torch.tensor([remap[int(g.y)]])
    meta = graph_meta(name, "tu", graphs, source=source,
                      node_label_source="TU node label" if n_labels else "node degree",
                      edge_label_source="TU edge label" if n_edge_labels else "constant",
                      **({"node_attributes": int(n_attr)} if n_attr else {}))
    return graphs, meta, {}


def validate_tu_raw(raw: Path, name: str) -> None:
    """Check TU raw files before PyG reads them, so bad files give one clear line instead of a crash.

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

