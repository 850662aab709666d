"""``load_dataset``: find the raw files, build the graphs once, cache them atomically, attach the split."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from pathlib import Path

import torch
from torch_geometric.data import Data

from ..errors import DatasetError
from .graphs import GraphDataset, _meta
from .molecules import _build_from_smiles, _build_ogb_files, _download_ogb
from .tu import _build_tu
from .registry import DatasetSpec, _missing_message, default_cache, default_root, find_raw, resolve_spec
from .splits import fold_split, random_split


CACHE_VERSION = 1


def load_dataset(name: str, root: str | os.PathLike | None = None, *, seed: int = 0, stratify: bool = False,
                 cache_dir: str | os.PathLike | None = None, download: bool | None = None,
                 progress: bool = False, folds: int | None = None, fold: int = 0) -> GraphDataset:
    """Load a dataset by name, with its split.

    Args:
        name: a name from :data:`DATASETS`, any TU dataset whose raw files are under ``ROOT/TUDataset``, or a
            directory in graph-mirage's Parquet layout (``mirage export``; its split is kept).
        root: the data root (``MIRAGE_DATA``, else ``~/.cache/graph-mirage/data``). It is only read.
        seed: seed of the random 80/10/10 split (TU and synthetic datasets). OGB datasets use the scaffold split.
        stratify: keep class proportions in each part of a random split.
        cache_dir: where processed graphs are cached (``MIRAGE_CACHE``, else ``~/.cache/graph-mirage/processed``).
        download: fetch missing TU/OGB files from the internet (default: unless ``MIRAGE_OFFLINE=1``).
        progress: show a progress bar while featurising molecules.
        folds: instead of the random 80/10/10 split, fold ``fold`` of stratified ``folds``-fold cross-validation
            with a 10 % inner validation holdout (:func:`fold_split`, Errica et al. 2020), seeded by ``seed``.
            Datasets with an official split (OGB) keep it and refuse ``folds``.
        fold: which fold (0-based) is the test set.

    Raises:
        DatasetError: with a one-line message for an unknown name, missing or malformed files, or an empty dataset.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache()
    if download is None:
        download = os.environ.get("MIRAGE_OFFLINE", "") in ("", "0")
    from .parquet import is_parquet_dir, read_parquet

    if is_parquet_dir(name):  # a directory written by `mirage export`: its own split
        if folds is not None:
            raise DatasetError(f"{name} is a Parquet directory with its own split; --folds applies to named datasets")
        ds = read_parquet(name)
        ds.meta.setdefault("hops", 2)
        return ds
    spec = resolve_spec(name, root)
    if spec.kind == "synthetic-molecules":
        from .synthetic_molecules import as_dataset, make_synthetic_molecules, parse_size

        ds = as_dataset(make_synthetic_molecules(parse_size(spec.name), seed=0), spec.name)
    elif spec.kind == "synthetic":
        from ..synthetic import make_synthetic_motifs

        graphs = make_synthetic_motifs(seed=0)
        meta = _meta(spec, graphs, source="generated (seed 0)")
        ds = GraphDataset(graphs, meta)
    else:
        ds = _load_cached(spec, root, cache, download, progress)
        if ds.meta.get("skipped"):  # on every load, cached or not: no silent data loss
            warnings.warn(f"{spec.name}: skipped {ds.meta['skipped']} of {ds.meta['rows']} SMILES that RDKit cannot "
                          f"parse with this RDKit (dropped; OGB's own processed files keep them)", stacklevel=2)
    ds.meta["hops"] = spec.hops  # configuration, not data: never taken from an older cache
    if folds is not None:
        if ds.meta["split_kind"] != "random":
            raise DatasetError(f"{spec.name} has an official {ds.meta['split_kind']} split; cross-validation folds "
                               f"apply to datasets without one (TU, synthetic)")
        ds.split = fold_split(ds._data.y.view(-1).numpy(), folds=folds, fold=fold, seed=seed)
        ds.meta.update(split_kind="folds", split_seed=seed, split_folds=folds, split_fold=fold)
    elif ds.meta["split_kind"] == "random":
        ds.split = random_split(ds._data.y.view(-1).numpy(), seed=seed, stratify=stratify)
        ds.meta.update(split_seed=seed, split_stratified=stratify)
    return ds


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





