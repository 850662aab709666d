"""``load_dataset``: find the source of a name, process it once into a cache (atomically), attach the split."""

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
from .graphs import GraphDataset
from .registry import default_cache, default_root, resolve_spec
from .sources import Source, source_for
from .splits import fold_split, random_split

CACHE_VERSION = 2  # 2: the cached meta carries the dataset's statistics


def load_dataset(name: str, root: str | os.PathLike | None = None, *, seed: int = 0, stratify: bool = False,
                 cache_dir: str | os.PathLike | None = None, download: bool | None = None,
                 progress: bool = False, folds: int | None = None, fold: int = 0) -> GraphDataset:
    """Load a dataset by name, with its split.

    Args:
        name: a name from :data:`~graph_mirage.config.datasets.DATASETS`, any TU dataset whose raw files are under
            ``ROOT/TUDataset``, ``synthetic-molecules:N``, or a directory in graph-mirage's Parquet layout
            (``mirage export``; its split is kept).
        root: the data root (``MIRAGE_DATA``, else ``~/.cache/graph-mirage/data``). It is only read.
        seed: seed of the random 80/10/10 split (TU and synthetic datasets). OGB datasets use the scaffold split.
        stratify: keep class proportions in each part of a random split.
        cache_dir: where processed graphs are cached (``MIRAGE_CACHE``, else ``~/.cache/graph-mirage/processed``).
        download: fetch missing TU/OGB files from the internet (default: unless ``MIRAGE_OFFLINE=1``).
        progress: show progress while featurising molecules.
        folds: instead of the random 80/10/10 split, fold ``fold`` of stratified ``folds``-fold cross-validation
            with a 10 % inner validation holdout (:func:`fold_split`, Errica et al. 2020), seeded by ``seed``.
            Datasets with an official split (OGB, a Parquet directory) keep it and refuse ``folds``.
        fold: which fold (0-based) is the test set.

    Raises:
        DatasetError: with a one-line message for an unknown name, missing or malformed files, or an empty dataset.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache()
    if download is None:
        download = os.environ.get("MIRAGE_OFFLINE", "") in ("", "0")
    spec = resolve_spec(name, root)
    source = source_for(spec, root)
    if not source.cacheable:
        ds = source.load()
    else:
        ds = _load_cached(source, cache, download, progress)
        if ds.meta.get("skipped"):  # on every load, cached or not: no silent data loss
            warnings.warn(f"{spec.name}: skipped {ds.meta['skipped']} of {ds.meta['rows']} SMILES that RDKit cannot "
                          f"parse with this RDKit (dropped; OGB's own processed files keep them)", stacklevel=2)
    return _with_split(ds, spec.name, seed=seed, stratify=stratify, folds=folds, fold=fold)


def _with_split(ds: GraphDataset, name: str, *, seed: int, stratify: bool, folds: int | None, fold: int):
    y = ds.y.view(-1).numpy()
    if folds is not None:
        if ds.meta["split_kind"] != "random":
            raise DatasetError(f"{name} has an official {ds.meta['split_kind']} split; cross-validation folds "
                               f"apply to datasets without one (TU, synthetic)")
        ds.split = fold_split(y, folds=folds, fold=fold, seed=seed)
        ds.meta.update(split_kind="folds", split_seed=seed, split_folds=folds, split_fold=fold)
    elif ds.meta["split_kind"] == "random":
        ds.split = random_split(y, seed=seed, stratify=stratify)
        ds.meta.update(split_seed=seed, split_stratified=stratify)
    return ds


def cached_meta(name: str, root: str | os.PathLike | None = None,
                cache_dir: str | os.PathLike | None = None) -> dict | None:
    """The meta (statistics included) of an already processed dataset, read without loading it or PyTorch; None
    when it has not been processed yet or has no cache (generated datasets, Parquet directories)."""
    root = Path(root).expanduser() if root is not None else default_root()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache()
    source = source_for(resolve_spec(name, root), root)
    if not source.cacheable:
        return None
    target = cache / source.spec.name / _source_key(source, source.raw())
    try:
        return json.loads((target / "meta.json").read_text())
    except (OSError, ValueError):
        return None


def _load_cached(source: Source, cache: Path, download: bool, progress: bool) -> GraphDataset:
    raw = source.raw()
    target = cache / source.spec.name / _source_key(source, raw)
    if (target / "meta.json").is_file():
        return _read_cache(target)
    if raw is None and not download:
        raise DatasetError(source.offline_message())
    with tempfile.TemporaryDirectory(prefix=f".{source.spec.name}-", dir=_mkdir(cache)) as tmp:
        tmp = Path(tmp)
        graphs, meta, split = source.process(raw, tmp / "work", progress)
        ds = GraphDataset(graphs, meta, split)
        meta["stats"] = ds.meta["stats"] = ds.stats()
        if split:  # an official split: its sizes, for listings that do not load the graphs
            meta["split_sizes"] = ds.meta["split_sizes"] = {k: int(len(v)) for k, v in ds.split.items()}
        out = tmp / "out"
        out.mkdir()
        torch.save({"data": ds.storage().to_dict(), "slices": ds.slices, "split": ds.split}, out / "data.pt")
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


def _source_key(source: Source, raw: Path | None) -> str:
    h = hashlib.sha1(f"v{CACHE_VERSION}:{source.spec.name}".encode())
    if raw is not None:
        files = [raw] if raw.is_file() else sorted(p for p in raw.rglob("*") if p.is_file())
        for p in files:
            st = p.stat()
            h.update(f"{p.relative_to(raw.parent)}:{st.st_size}:{st.st_mtime_ns}".encode())
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
