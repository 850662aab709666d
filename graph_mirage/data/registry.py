"""The dataset registry: names, kinds and where their raw files live under the data root.

Datasets are configuration, not code: a :class:`DatasetSpec` says how a name is loaded.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import DatasetError


@dataclass(frozen=True)
class DatasetSpec:
    """What graph-mirage knows about a dataset name."""

    name: str
    kind: str  # "tu", "ogb", "synthetic" or "synthetic-molecules"
    description: str
    csv: str | None = None  # MoleculeNet CSV under ROOT/molecules, for OGB datasets
    smiles_column: str | None = None
    label_column: str | None = None
    hops: int = 2  # default tree depth / GNN layers (2 measured best on ogbg-molbace: see README)
    in_paper: bool = False


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec
    for spec in [
        DatasetSpec("synthetic-motifs", "synthetic", "built-in: random trees with a planted clique, star or wheel"),
        DatasetSpec("ogbg-molhiv", "ogb", "HIV inhibition (41,127 molecules)", "HIV.csv.gz", "smiles",
                    "HIV_active", in_paper=True),
        DatasetSpec("ogbg-molbace", "ogb", "BACE-1 inhibition (1,513 molecules)", "bace.csv.gz", "mol", "Class",
                    in_paper=True),
        DatasetSpec("ogbg-molbbbp", "ogb", "blood-brain barrier penetration (2,039 molecules)", "BBBP.csv.gz",
                    "smiles", "p_np", in_paper=True),
        DatasetSpec("NCI1", "tu", "anti-cancer screen (4,110 molecules)", in_paper=True),
        DatasetSpec("DD", "tu", "enzyme vs non-enzyme proteins (1,178)", in_paper=True),
        DatasetSpec("IMDB-BINARY", "tu", "movie collaboration ego-networks (1,000), no node labels", in_paper=True),
        DatasetSpec("MUTAG", "tu", "mutagenic aromatic nitro compounds (188)"),
        DatasetSpec("PROTEINS", "tu", "enzyme vs non-enzyme proteins (1,113)"),
        DatasetSpec("NCI109", "tu", "anti-cancer screen (4,127 molecules)"),
        DatasetSpec("ENZYMES", "tu", "enzyme classes (600, 6 classes)"),
        DatasetSpec("PTC_MR", "tu", "carcinogenicity in male rats (344)"),
        DatasetSpec("IMDB-MULTI", "tu", "movie collaboration ego-networks (1,500, 3 classes)"),
        DatasetSpec("REDDIT-BINARY", "tu", "discussion threads (2,000)"),
        DatasetSpec("COLLAB", "tu", "scientific collaboration ego-networks (5,000, 3 classes)"),
    ]
}


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


def resolve_spec(name: str, root: str | os.PathLike | None = None) -> DatasetSpec:
    """The spec of ``name``; any other TU dataset present under ``ROOT/TUDataset`` is accepted too."""
    if name in DATASETS:
        return DATASETS[name]
    if name.lower().startswith("synthetic-molecules:"):
        from .synthetic_molecules import parse_size

        n = parse_size(name)
        return DatasetSpec(f"synthetic-molecules:{n}", "synthetic-molecules",
                           f"built-in: {n:,} generated molecule-like graphs (heavy-tailed fragments)")
    lowered = {k.lower(): k for k in DATASETS}
    if name.lower() in lowered:
        return DATASETS[lowered[name.lower()]]
    root = Path(root) if root is not None else default_root()
    if (root / "TUDataset" / name / "raw" / f"{name}_A.txt").is_file():
        return DatasetSpec(name, "tu", "TU dataset found under the data root")
    raise DatasetError(
        f"unknown dataset {name!r}; known: {', '.join(DATASETS)} "
        f"(any other TU dataset works once its raw files are in ROOT/TUDataset/{name}/raw)"
    )


def find_raw(spec: DatasetSpec, root: Path) -> Path | None:
    """The raw source of ``spec`` under ``root`` that :func:`load_dataset` would use, or None."""
    if spec.kind in ("synthetic", "synthetic-molecules"):
        return Path("<generated>")
    if spec.kind == "tu":
        raw = root / "TUDataset" / spec.name / "raw"
        return raw if (raw / f"{spec.name}_A.txt").is_file() else None
    ogb_dir = root / "ogb" / spec.name.replace("-", "_")
    if (ogb_dir / "raw" / "edge.csv.gz").is_file():
        return ogb_dir
    csv = root / "molecules" / spec.csv
    if csv.is_file():
        return csv
    if csv.with_suffix("").is_file():  # an uncompressed CSV
        return csv.with_suffix("")
    return None


def _missing_message(spec: DatasetSpec, root: Path) -> str:
    if spec.kind == "tu":
        where = f"{root}/TUDataset/{spec.name}/raw/{spec.name}_A.txt"
    else:
        where = f"{root}/ogb/{spec.name.replace('-', '_')}/ or {root}/molecules/{spec.csv}"
    offline = os.environ.get("MIRAGE_OFFLINE", "") not in ("", "0")
    return (f"raw files for {spec.name} not found: looked for {where}; point the data root (root=, MIRAGE_DATA) at "
            f"the directory that holds them" + (", or allow downloading (unset MIRAGE_OFFLINE)" if offline else ""))
