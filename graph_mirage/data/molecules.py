"""Molecules: OGB's own files through ``PygGraphPropPredDataset``, or MoleculeNet CSVs through ``smiles2graph``."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch_geometric.data import Data

from ..config.datasets import DatasetSpec
from ..errors import DatasetError
from ..progress import Progress
from ._io import quiet
from .graphs import graph_meta
from .splits import scaffold_split


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


def read_smiles_csv(path: Path, smiles_column: str, label_column: str) -> tuple[list[str], np.ndarray]:
    """The SMILES strings and integer labels of a MoleculeNet CSV (gzipped or not)."""
    import pandas as pd

    try:
        df = pd.read_csv(path)
    except Exception as e:  # noqa: BLE001
        raise DatasetError(f"{path}: not a readable CSV file ({type(e).__name__}: {e})") from None
    for col, what in ((smiles_column, "SMILES"), (label_column, "label")):
        if col not in df.columns:
            names = list(map(str, df.columns))
            shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8 else "")
            raise DatasetError(f"{path} has no {what} column {col!r} (columns: {shown}); is this the right file?")
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
    with Progress(len(smiles), f"featurising {spec.name}", "molecule", enabled=progress) as bar:
        for s, label in zip(smiles, labels):
            bar.update(1)
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
    meta = graph_meta(spec.name, spec.kind, graphs, source=str(csv), skipped=skipped, rows=len(smiles),
                      split_note="Bemis-Murcko scaffold split 80/10/10")
    return graphs, meta, split

