"""``load_dataset``: find the source of a name, process it once into a cache (atomically), attach the split."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import warnings
from contextlib import contextmanager, suppress
from dataclasses import replace
from pathlib import Path
from typing import Sequence

import numpy as np
import torch
from torch_geometric.data import Data

from ..config.datasets import DatasetSpec
from ..errors import DatasetError
from ..progress import Progress
from .graphs import FlatGraphs, GraphDataset, attribute_scale, dataset_from_flat
from .registry import default_cache, default_root, resolve_spec
from .sources import Source, source_for
from .splits import fold_split, random_split

CACHE_VERSION = 3  # 2: the cached meta carries the dataset's statistics; 3: TU continuous node attributes
LOCK_WAIT = 1800.0  # seconds a load waits for another process's processing before it processes the dataset itself


def load_dataset(name: str, root: str | os.PathLike | None = None, *, seed: int = 0, stratify: bool = False,
                 cache_dir: str | os.PathLike | None = None, download: bool | None = None,
                 progress: bool = False, folds: int | None = None, fold: int = 0,
                 smiles_column: str | None = None, label_columns: Sequence[str] | None = None,
                 split_column: str | None = None, node_attributes: bool = False,
                 degree_bins: str | None = None) -> GraphDataset:
    """Load a dataset by name, with its split.

    Args:
        name: a name from :data:`~graph_mirage.config.datasets.DATASETS`, any TU dataset whose raw files are under
            ``ROOT/TUDataset``, ``synthetic-molecules:N``, a directory in graph-mirage's Parquet layout
            (``mirage export``; its split is kept), or a CSV file of SMILES and labels (``*.csv``, ``*.csv.gz``:
            one label column is a classification task, several are binary tasks with empty cells missing).
        root: the data root (``MIRAGE_DATA``, else ``~/.cache/graph-mirage/data``). It is only read.
        seed: seed of the random 80/10/10 split (TU and synthetic datasets), or of a CSV's scaffold split (0: OGB's
            deterministic order, largest scaffolds first; more: the scaffold groups shuffled). OGB datasets keep
            their scaffold split.
        stratify: keep class proportions in each part of a random split.
        cache_dir: where processed graphs are cached (``MIRAGE_CACHE``, else ``~/.cache/graph-mirage/processed``).
        download: fetch missing TU/OGB files from the internet (default: unless ``MIRAGE_OFFLINE=1``).
        progress: show progress while featurising molecules.
        folds: instead of the random 80/10/10 split, fold ``fold`` of stratified ``folds``-fold cross-validation
            with a 10 % inner validation holdout (:func:`fold_split`, Errica et al. 2020), seeded by ``seed``.
            Datasets with an official split (OGB) keep it and refuse ``folds``; a Parquet directory keeps the split
            it was exported with and refuses every split option.
        fold: which fold (0-based) is the test set.
        node_attributes: keep a TU dataset's continuous node attributes (``x_cont [n, D]`` per graph,
            ``meta["node_attributes"] = D``), which every distiller and GNN then uses; off by default, as PyG's
            ``TUDataset(use_node_attr=False)``, so a dataset reads the same with or without them on disk.
        degree_bins: ``"log2"``: a dataset without node labels gets its degrees binned as labels (0, 1, 2–3, 4–7,
            ...; :mod:`graph_mirage.data.degrees`); a dataset with labels is refused. None: the degrees themselves.
        smiles_column, label_columns, split_column: a CSV's columns: the SMILES (default: a column named ``smiles``
            in any case), the labels (default: every other column), a train / valid / test column (default: a
            scaffold split). Processed graphs are cached by the file's content and these columns.

    Raises:
        DatasetError: with a one-line message for an unknown name, missing or malformed files, or an empty dataset.
    """
    root = Path(root).expanduser() if root is not None else default_root()
    cache = Path(cache_dir).expanduser() if cache_dir is not None else default_cache()
    if download is None:
        download = os.environ.get("MIRAGE_OFFLINE", "") in ("", "0")
    if folds is None and fold:  # a fold without folds would be silently the random split
        raise DatasetError(f"fold={fold} picks a test fold of cross-validation: give folds too (--folds K)")
    spec = _with_columns(resolve_spec(name, root), smiles_column, label_columns, split_column, seed)
    source = source_for(spec, root)
    if spec.kind == "parquet" and (folds is not None or seed or stratify):
        raise DatasetError(f"{spec.name} is a Parquet directory: it keeps the split it was exported with; drop the "
                           f"split options (split seed, stratify, folds) or export again with them")
    if node_attributes:  # before any processing: a dataset without them is refused at once
        _attributes_on_disk(source)
    if degree_bins is not None:
        from .degrees import check_degree_bins

        check_degree_bins(degree_bins)
    if not source.cacheable:
        ds = source.load()
    else:
        ds = _load_cached(source, cache, download, progress)
        if ds.meta.get("skipped"):  # on every load, cached or not: no silent data loss
            where = "" if spec.kind == "csv" else "; OGB's own processed files keep them"
            warnings.warn(f"{spec.name}: skipped {ds.meta['skipped']} of {ds.meta['rows']} SMILES that RDKit cannot "
                          f"parse with this RDKit (dropped{where})", stacklevel=2)
    unused = _keep_attributes(ds, spec.name, node_attributes)
    if degree_bins is not None:
        from .degrees import bin_degrees

        bin_degrees(ds, degree_bins)
    if spec.kind != "parquet":  # a Parquet directory's split is the one it was exported with
        ds = _with_split(ds, spec.name, seed=seed, stratify=stratify, folds=folds, fold=fold)
    ds.unused_node_attributes = unused
    if node_attributes:
        attribute_scale(ds)
    return ds


def _no_attributes(name: str) -> DatasetError:
    return DatasetError(f"{name} has no continuous node attributes (node_attributes applies to TU datasets with a "
                        f"NAME_node_attributes.txt file, and to Parquet directories exported with them)")


def attributes_file(spec: DatasetSpec, raw: Path | None) -> Path | None:
    """A TU dataset's raw file of continuous node attributes (``NAME_node_attributes.txt`` in its ``raw``
    directory), None where it has none."""
    if spec.kind != "tu" or raw is None:
        return None
    path = raw / f"{spec.name}_node_attributes.txt"
    return path if path.is_file() else None


def _attributes_on_disk(source: Source) -> None:
    """Refuse ``node_attributes`` for a dataset whose raw files have none (a download is checked after it)."""
    if source.spec.kind == "parquet":
        from .parquet import dataset_layout_meta

        if not dataset_layout_meta(source.spec.name).get("node_attributes"):
            raise _no_attributes(source.spec.name)
        return
    if source.spec.kind != "tu":
        raise _no_attributes(source.spec.name)
    raw = source.raw()
    if raw is not None and attributes_file(source.spec, raw) is None:
        raise _no_attributes(source.spec.name)


def _keep_attributes(ds: GraphDataset, name: str, wanted: bool) -> int:
    """Drop the continuous node attributes unless ``wanted``; refuse them for a dataset that has none. Returns how
    many per node were dropped."""
    have = int(ds.meta.get("node_attributes") or 0)
    if wanted and not have:
        raise _no_attributes(name)
    if have and not wanted:
        if ds.meta.get("node_label_source") == "node degree":  # the attributes are all its nodes say
            warnings.warn(f"{name}: its nodes have no labels, only {have} continuous attribute(s), which are ignored "
                          f"(nodes are told apart by their degree); node_attributes=True (--node-attributes) uses "
                          f"them", stacklevel=3)
        data = ds.storage()
        del data["x_cont"]
        ds.slices.pop("x_cont", None)
        ds.meta.pop("node_attributes")
        return have
    return 0


def _with_columns(spec: DatasetSpec, smiles_column, label_columns, split_column, seed: int) -> DatasetSpec:
    """A CSV's spec with the columns to read (and its scaffold split's seed); other datasets refuse column options."""
    if spec.kind != "csv":
        if smiles_column is not None or label_columns is not None or split_column is not None:
            raise DatasetError(f"the SMILES, label and split columns apply to a CSV file, not to {spec.name}")
        return spec
    if label_columns is not None and (isinstance(label_columns, str) or not len(label_columns)):
        label_columns = [label_columns] if isinstance(label_columns, str) and label_columns else None
        if label_columns is None:
            raise DatasetError("label_columns must name at least one column")
    return replace(spec, smiles_column=smiles_column, split_column=split_column,
                   tasks=tuple(map(str, label_columns)) if label_columns is not None else None,
                   split_seed=0 if split_column is not None else int(seed))


def _with_split(ds: GraphDataset, name: str, *, seed: int, stratify: bool, folds: int | None, fold: int):
    y = ds.y.numpy() if ds.y.dim() == 2 else ds.y.view(-1).numpy()
    if y.ndim == 2:  # multi-task: folds and random splits are not stratified by one task
        y = np.zeros(len(y), dtype=np.int64)
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
    with _processing(target, source.spec.name, progress) as held:
        if (target / "meta.json").is_file():  # processed by another process while this one waited
            return _read_cache(target)
        prefix = f".{source.spec.name}-{target.name}-"
        if held:  # no other process is processing this dataset: a work directory of it was left by a killed one
            for stale in cache.glob(f"{prefix}*"):
                shutil.rmtree(stale, ignore_errors=True)
        else:  # named apart, so that a holder of the lock never takes this live work for a killed load's
            prefix = f".{source.spec.name}-{target.name}~"
        return _process(source, raw, cache, target, prefix, progress)


@contextmanager
def _processing(target: Path, name: str, progress: bool):
    """Hold the lock on processing ``target``: two commands that need the same dataset at once (or two test
    workers) process it once, the second waiting for the first's cache. The holder removes the lock file before it
    lets go (a process that opens the path afterwards locks a new file and finds the cache); a holder killed with
    ``kill -9`` loses the lock with its process. Where no lock can be had (a file system without them, or a wait
    beyond :data:`LOCK_WAIT`), the dataset is processed without it, as before: the cache's atomic rename keeps it
    whole either way."""
    from filelock import FileLock

    path = _mkdir(target.parent) / f".{target.name}.lock"
    try:  # filelock 4 would fall back to a marker file where flock is missing, which a killed holder leaves behind
        lock = FileLock(str(path), fallback_to_soft=False)
    except TypeError:  # filelock 3: no fallback; a missing flock raises NotImplementedError (processed unlocked)
        lock = FileLock(str(path))
    held = _acquire(lock, name, progress)
    try:
        yield held
    finally:
        if held:
            with suppress(OSError):
                path.unlink()
            lock.release()


def _acquire(lock, name: str, progress: bool) -> bool:
    """Whether ``lock`` was acquired: at once, or after waiting (with a progress line) at most :data:`LOCK_WAIT`."""
    from filelock import Timeout

    try:
        lock.acquire(timeout=0)
        return True
    except Timeout:
        pass
    except (OSError, NotImplementedError):
        return False
    with Progress(1, f"{name}: another process is processing the raw files; waiting for its cache", "step",
                  enabled=progress) as bar:
        try:
            lock.acquire(timeout=LOCK_WAIT)
        except (Timeout, OSError, NotImplementedError):
            return False
        bar.update(1)
    return True


def _process(source: Source, raw: Path | None, cache: Path, target: Path, prefix: str,
             progress: bool) -> GraphDataset:
    with tempfile.TemporaryDirectory(prefix=prefix, dir=cache) as tmp:  # made with target.parent by _processing
        tmp = Path(tmp)
        with Progress(1, f"{source.spec.name}: reading and processing the raw files (once; cached for next time)",
                      "step", enabled=progress) as bar:
            graphs, meta, split = source.process(raw, tmp / "work", progress)
            bar.update(1)
        if isinstance(graphs, FlatGraphs):  # collated already: no Data per graph (a TU dataset's files)
            ds = dataset_from_flat(graphs, meta, split)
        else:
            ds = GraphDataset(graphs, meta, split)
        meta["stats"] = ds.meta["stats"] = ds.stats()
        if split:  # an official split: its sizes, for listings that do not load the graphs
            meta["split_sizes"] = ds.meta["split_sizes"] = {k: int(len(v)) for k, v in ds.split.items()}
        out = tmp / "out"
        out.mkdir()
        torch.save({"data": ds.storage().to_dict(), "slices": ds.slices, "split": ds.split}, out / "data.pt")
        (out / "meta.json").write_text(json.dumps(meta, indent=1, sort_keys=True))
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
    for part in source.cache_parts(raw):
        h.update(part.encode())
    return h.hexdigest()[:16]


def _mkdir(p: Path) -> Path:
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"cannot create the cache directory {p} ({e.strerror}); set MIRAGE_CACHE to a writable "
                           f"directory") from None
    return p
