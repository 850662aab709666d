"""Resolving a dataset name: the data root, the processed-data cache, and the :class:`DatasetSpec` of a name.

Datasets are configuration (:mod:`graph_mirage.config.datasets`); this module only decides which spec a name means.
It imports nothing heavy, so the command line lists datasets without loading PyTorch.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config.datasets import CSV_SUFFIXES, DATASETS, GENERATED_MOLECULES, MAX_GENERATED, DatasetSpec
from ..errors import DatasetError


def default_root() -> Path:
    """The data root: ``MIRAGE_DATA`` or ``~/.cache/graph-mirage/data``."""
    env = os.environ.get("MIRAGE_DATA")
    return Path(env).expanduser().resolve() if env else _user_cache() / "data"


def default_cache() -> Path:
    """Where processed graphs go: ``MIRAGE_CACHE`` or ``~/.cache/graph-mirage/processed``."""
    env = os.environ.get("MIRAGE_CACHE")
    return Path(env).expanduser().resolve() if env else _user_cache() / "processed"


def _user_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")).expanduser() / "graph-mirage"


def is_csv_path(name: str) -> bool:
    """Whether ``name`` names a molecule CSV (by its suffix)."""
    return str(name).lower().endswith(CSV_SUFFIXES)


def generated_size(name: str) -> int:
    """The N of ``synthetic-molecules:N`` (underscores allowed: ``1_000_000``)."""
    text = name[len(GENERATED_MOLECULES):].replace("_", "")
    if not text.isdigit() or not 10 <= int(text) <= MAX_GENERATED:
        raise DatasetError(f"{name!r}: the size must be an integer from 10 to {MAX_GENERATED:,} "
                           f"(e.g. synthetic-molecules:100000)")
    return int(text)


def found_tu_names(root: str | os.PathLike | None = None) -> list[str]:
    """The TU datasets under ``ROOT/TUDataset`` that graph-mirage does not know by name (sorted): each is usable as
    ``NAME`` once ``ROOT/TUDataset/NAME/raw/NAME_A.txt`` exists."""
    base = (Path(root) if root is not None else default_root()) / "TUDataset"
    if not base.is_dir():
        return []
    known = {k.lower() for k in DATASETS}
    return sorted(d.name for d in base.iterdir()
                  if d.name.lower() not in known and (d / "raw" / f"{d.name}_A.txt").is_file())


def resolve_spec(name: str, root: str | os.PathLike | None = None) -> DatasetSpec:
    """The spec of ``name``: a known name (any case), ``synthetic-molecules:N``, a directory in the Parquet layout,
    a CSV file of SMILES and labels (``*.csv``, ``*.csv.gz``), or any other TU dataset present under
    ``ROOT/TUDataset``."""
    from .parquet import is_parquet_dir

    if name in DATASETS:
        return DATASETS[name]
    if is_csv_path(name):
        path = Path(name).expanduser()
        if not path.is_file():
            raise DatasetError(f"{name}: no such file" if not path.exists() else f"{name} is not a file")
        return DatasetSpec(path.name, "csv", f"molecules and labels from {path}", csv=str(path.resolve()))
    if name.lower().startswith(GENERATED_MOLECULES):
        n = generated_size(name)
        return DatasetSpec(f"{GENERATED_MOLECULES}{n}", "synthetic-molecules",
                           f"built-in: {n:,} generated molecule-like graphs (heavy-tailed fragments)")
    lowered = {k.lower(): k for k in DATASETS}
    if name.lower() in lowered:
        return DATASETS[lowered[name.lower()]]
    if is_parquet_dir(name):
        return DatasetSpec(str(name), "parquet", "a directory in graph-mirage's Parquet layout")
    root = Path(root) if root is not None else default_root()
    if (root / "TUDataset" / name / "raw" / f"{name}_A.txt").is_file():
        return DatasetSpec(name, "tu", "TU dataset found under the data root")
    if os.sep in name or Path(name).expanduser().exists():  # meant as a path: a TU name holds no separator
        raise DatasetError(_not_a_dataset_path(name))
    raise DatasetError(
        f"unknown dataset {name!r}; known: {', '.join(DATASETS)} "
        f"(any other TU dataset works once its raw files are in ROOT/TUDataset/{name}/raw; a file of SMILES and "
        f"labels is read when its name ends in .csv or .csv.gz)"
    )


def _not_a_dataset_path(name: str) -> str:
    path = Path(name).expanduser()
    if not path.exists():
        what = "no such file or directory"
    elif path.is_dir():
        from .parquet import META_FILE

        what = f"a directory, but not in graph-mirage's Parquet layout (no {META_FILE})"
    else:
        what = "a file that is not a CSV of SMILES and labels (.csv, .csv.gz)"
    return (f"{name}: {what}; a dataset is a name (mirage datasets), a CSV file of SMILES and labels, or a directory "
            f"written by mirage export --parquet")
