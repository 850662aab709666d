"""Dataset sources, one class per kind, with PyTorch Geometric's dataset lifecycle as the model.

A source finds its raw files under the data root (``raw``), downloads them when they are missing and downloading is
allowed (``download``), and turns them once into graphs, meta and split (``process``); :func:`load_dataset` caches
what a cacheable source processed, keyed by the raw files, so an edited file is never served stale.

=====================  ======================================================  =====================================
kind                   raw files                                               processing
=====================  ======================================================  =====================================
``tu``                 ``ROOT/TUDataset/NAME/raw/NAME_*.txt``                   checked and read by :mod:`.tu`
``ogb``                ``ROOT/ogb/ogbg_NAME/`` else ``ROOT/molecules/*.csv.gz``  OGB's ``PygGraphPropPredDataset``, or
                                                                               ``smiles2graph`` + a scaffold split
``synthetic``          (generated)                                              :mod:`.synthetic_motifs`
``synthetic-molecules`` (generated)                                             :mod:`.synthetic_molecules`
``parquet``            a directory written by ``mirage export``                 :func:`.parquet.read_parquet`
``csv``                a user's ``*.csv`` / ``*.csv.gz`` of SMILES and labels    :mod:`.csvdata`: ``smiles2graph`` +
                                                                               a scaffold split or the file's own
=====================  ======================================================  =====================================
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Union

from ..config.datasets import DatasetSpec
from ..errors import DatasetError

if TYPE_CHECKING:
    from torch_geometric.data import Data

    from .graphs import FlatGraphs, GraphDataset

# what a source's ``process`` returns: its graphs (a list, or collated arrays), meta and split
Processed = tuple[Union[list["Data"], "FlatGraphs"], dict, dict]


class Source:
    """How one kind of dataset is found, downloaded and processed.

    Args:
        spec: the dataset's :class:`~graph_mirage.config.datasets.DatasetSpec`.
        root: the data root (only read, except that downloads are kept there).
    """

    cacheable = True

    def __init__(self, spec: DatasetSpec, root: Path) -> None:
        self.spec, self.root = spec, Path(root)

    def root_note(self) -> str:
        """Why the data root itself cannot hold the files, when it cannot (said after a missing-files message)."""
        if self.root.exists() and not self.root.is_dir():
            return f" (the data root {self.root} is a file, not a directory)"
        if not self.root.exists():
            return f" (the data root {self.root} does not exist)"
        return ""

    def raw(self) -> Path | None:
        """The raw files :meth:`process` would read, or None when they are missing."""
        raise NotImplementedError

    def missing(self) -> str:
        """The one-line message for missing raw files."""
        raise NotImplementedError

    def process(self, raw: Path | None, work: Path, progress: bool) -> Processed:
        """``(graphs, meta, split)`` from ``raw`` (None: download first), using ``work`` as scratch space; ``graphs`` a
        list of ``Data`` or, collated already, one :class:`~graph_mirage.data.FlatGraphs`."""
        raise NotImplementedError

    def cache_parts(self, raw: Path | None) -> list[str]:
        """What the processed cache is keyed by (besides the name): the raw files' names, sizes and modification
        times."""
        if raw is None:
            return ["download"]
        files = [raw] if raw.is_file() else sorted(p for p in raw.rglob("*") if p.is_file())
        return [f"{p.relative_to(raw.parent)}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in files]

    def offline_message(self) -> str:
        offline = os.environ.get("MIRAGE_OFFLINE", "") not in ("", "0")
        return self.missing() + (", or allow downloading (unset MIRAGE_OFFLINE)" if offline else "")


class TUSource(Source):
    """A TU Dortmund benchmark dataset in the TU raw text format."""

    def raw(self) -> Path | None:
        raw = self.root / "TUDataset" / self.spec.name / "raw"
        return raw if (raw / f"{self.spec.name}_A.txt").is_file() else None

    def missing(self) -> str:
        return (f"raw files for {self.spec.name} not found: looked for {self.root}/TUDataset/{self.spec.name}/raw/"
                f"{self.spec.name}_A.txt{self.root_note()}; point the data root (root=, MIRAGE_DATA) at the directory "
                f"that holds them")

    def process(self, raw, work, progress) -> Processed:
        from .tu import read_tu

        return read_tu(self.spec.name, raw, work, self.missing(),
                       keep=self.root / "TUDataset" / self.spec.name / "raw")


class OGBSource(Source):
    """An OGB molecule dataset: OGB's own files (official scaffold split), else the MoleculeNet CSV it is made from."""

    def raw(self) -> Path | None:
        ogb_dir = self.root / "ogb" / self.spec.name.replace("-", "_")
        if (ogb_dir / "raw" / "edge.csv.gz").is_file():
            return ogb_dir
        csv = self.root / "molecules" / self.spec.csv
        if csv.is_file():
            return csv
        if csv.with_suffix("").is_file():  # an uncompressed CSV
            return csv.with_suffix("")
        return None

    def missing(self) -> str:
        return (f"raw files for {self.spec.name} not found: looked for {self.root}/ogb/"
                f"{self.spec.name.replace('-', '_')}/ or {self.root}/molecules/{self.spec.csv}{self.root_note()}; "
                f"point the data root (root=, MIRAGE_DATA) at the directory that holds them")

    def process(self, raw, work, progress) -> Processed:
        from .molecules import _build_from_smiles, _build_ogb_files, _download_ogb

        if raw is None:
            return _download_ogb(self.spec, self.root, self.missing())
        if raw.is_dir():
            return _build_ogb_files(self.spec, raw, work)
        return _build_from_smiles(self.spec, raw, progress)


class CSVSource(Source):
    """A user's CSV of SMILES and labels (:mod:`.csvdata`), cached by the file's content and the columns read."""

    def raw(self) -> Path | None:
        return Path(self.spec.csv)

    def missing(self) -> str:
        return f"{self.spec.csv}: no such file"

    def columns(self, raw: Path) -> tuple[str, list | None]:
        """The SMILES column (a column named ``smiles`` in any case unless one is given) and the label columns."""
        smiles = self.spec.smiles_column
        if smiles is None:
            from .csvdata import header

            names = header(raw)
            found = [c for c in names if c.strip().lower() == "smiles"]
            smiles = found[0] if found else "smiles"
        return smiles, list(self.spec.tasks) if self.spec.tasks else None

    def cache_parts(self, raw: Path | None) -> list[str]:
        import hashlib
        import json

        h = hashlib.sha256()
        with open(raw, "rb") as f:  # the content, not the file's time: an edited file is never served stale
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        smiles, labels = self.columns(raw)
        return [h.hexdigest(), json.dumps([smiles, labels, self.spec.split_column, self.spec.split_seed])]

    def process(self, raw, work, progress) -> Processed:
        from .csvdata import build_molecule_graphs, read_molecule_csv

        smiles, labels = self.columns(raw)
        table = read_molecule_csv(raw, smiles, labels, self.spec.split_column)
        graphs, meta, split = build_molecule_graphs(table, self.spec.name, "csv", seed=self.spec.split_seed,
                                                    progress=progress)
        meta["content_key"] = ":".join(self.cache_parts(raw))  # what cached results on this file are keyed by
        return graphs, meta, split


class _Uncached(Source):
    """A source whose graphs are read or generated quickly on every load (no processed cache)."""

    cacheable = False

    def raw(self) -> Path | None:
        return Path("<generated>")

    def missing(self) -> str:  # never missing
        return ""

    def load(self) -> GraphDataset:
        """The :class:`~graph_mirage.data.GraphDataset` (with an official split where the source has one)."""
        raise NotImplementedError


class MotifsSource(_Uncached):
    """``synthetic-motifs``: 300 generated graphs, 3 classes (:mod:`.synthetic_motifs`)."""

    def load(self) -> GraphDataset:
        from .graphs import GraphDataset, graph_meta
        from .synthetic_motifs import make_synthetic_motifs

        graphs = make_synthetic_motifs(seed=0)
        return GraphDataset(graphs, graph_meta(self.spec.name, "synthetic", graphs, source="generated (seed 0)"))


class GeneratedMoleculesSource(_Uncached):
    """``synthetic-molecules:N`` (:mod:`.synthetic_molecules`)."""

    def load(self) -> GraphDataset:
        from .registry import generated_size
        from .synthetic_molecules import as_dataset, make_synthetic_molecules

        return as_dataset(make_synthetic_molecules(generated_size(self.spec.name), seed=0), self.spec.name)


class ParquetSource(_Uncached):
    """A directory in graph-mirage's Parquet layout (``mirage export``), with its own split."""

    def raw(self) -> Path | None:
        return Path(self.spec.name)

    def load(self) -> GraphDataset:
        from .parquet import read_parquet

        return read_parquet(self.spec.name)


SOURCES: dict[str, type[Source]] = {"tu": TUSource, "ogb": OGBSource, "synthetic": MotifsSource,
                                     "synthetic-molecules": GeneratedMoleculesSource, "parquet": ParquetSource,
                                     "csv": CSVSource}


def source_for(spec: DatasetSpec, root: Path) -> Source:
    """The source that reads ``spec``."""
    if spec.kind not in SOURCES:
        raise DatasetError(f"dataset {spec.name!r} has an unknown kind {spec.kind!r}")
    return SOURCES[spec.kind](spec, root)
