"""Molecules: OGB's own files through ``PygGraphPropPredDataset``, or MoleculeNet CSVs through ``smiles2graph``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch
from torch_geometric.data import Data

from ..config.datasets import DatasetSpec
from ..errors import DatasetError
from ._io import quiet
from .graphs import graph_meta


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
        with _ogb_safe_globals(), quiet():
            ogb_ds = PygGraphPropPredDataset(spec.name, root=str(work))
            split = ogb_ds.get_idx_split()
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{spec.name}: OGB could not read {src}: {type(e).__name__}: {e}") from None
    graphs = [Data(x=g.x.long(), edge_index=g.edge_index.long(), edge_attr=g.edge_attr.long(),
                   y=g.y.view(-1).long()) for g in ogb_ds]
    return graphs, graph_meta(spec.name, spec.kind, graphs, source=str(src)), \
        {k: split[k] for k in ("train", "valid", "test")}


def _download_ogb(spec: DatasetSpec, root: Path, missing: str):
    from ogb.graphproppred import PygGraphPropPredDataset

    try:
        with _ogb_safe_globals(), quiet():
            PygGraphPropPredDataset(spec.name, root=str(root / "ogb"))
    except (Exception, SystemExit) as e:  # noqa: BLE001 - OGB calls exit() when a download is refused
        raise DatasetError(missing + f" (download failed: {type(e).__name__})") from None
    src = root / "ogb" / spec.name.replace("-", "_")
    with tempfile.TemporaryDirectory() as tmp:
        return _build_ogb_files(spec, src, Path(tmp))


def _build_from_smiles(spec: DatasetSpec, csv: Path, progress: bool):
    """Build the OGB graphs from the MoleculeNet CSV with ``smiles2graph``, plus a scaffold split
    (:mod:`.csvdata`). Rows are kept as the file has them (OGB does not merge repeated SMILES)."""
    from .csvdata import build_molecule_graphs, read_molecule_csv

    columns = list(spec.tasks) if spec.tasks else [spec.label_column]
    table = read_molecule_csv(csv, spec.smiles_column, columns, dedupe=False)
    return build_molecule_graphs(table, spec.name, spec.kind, progress=progress, split_all_rows=spec.split_all_rows)
