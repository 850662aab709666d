"""Molecules from a CSV of SMILES and labels: the MoleculeNet files behind the OGB datasets, and a user's own file.

One label column is a classification task (integer classes or class names, any number of them); several label columns
are binary tasks of one multi-task dataset (``0`` / ``1``, an empty cell a missing label), as in Tox21. Every defect
of a file is one line naming the file, the line (the header is line 1) and the column: an unparsable label, a label
column with one class, a missing column, a missing SMILES, a split value that is not train / valid / test. SMILES that
RDKit cannot parse are skipped with a counted warning, and so are repeated SMILES after the first (counted separately
when their labels conflict). Graphs are OGB's (:func:`ogb.utils.smiles2graph`), split by Bemis–Murcko scaffold
80/10/10 (OGB's deterministic order; a seed > 0 shuffles the scaffold groups) unless a split column names each
molecule's part.

Example:
    >>> table = read_molecule_csv("my.csv", "smiles", ["active"])       # doctest: +SKIP
    >>> graphs, meta, split = build_molecule_graphs(table, "my", "csv")  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import numpy as np

from ..errors import DatasetError

if TYPE_CHECKING:
    from torch_geometric.data import Data

PARTS = ("train", "valid", "test")


@dataclass
class MoleculeTable:
    """The rows of a molecule CSV that can be used.

    Attributes:
        path: the file.
        smiles: the SMILES of each row kept.
        labels: ``[n]`` int64 classes (one task), or ``[n, T]`` float32 with NaN for a missing label (T tasks).
        tasks: the label columns.
        lines: ``[n]`` the file line of each row kept (the header is line 1).
        split: ``[n]`` train / valid / test from a split column, or None.
        label_values: for one task, the file's class values in the order of the classes 0..C-1.
        repeated: rows dropped as repeats of an earlier SMILES; conflicting: how many of those disagreed with it.
    """

    path: Path
    smiles: list
    labels: np.ndarray
    tasks: list
    lines: np.ndarray
    split: np.ndarray | None = None
    label_values: list | None = None
    repeated: int = 0
    conflicting: int = 0

    @property
    def multitask(self) -> bool:
        return self.labels.ndim == 2


def _columns(df, path: Path, wanted: list[str], what: str) -> None:
    names = list(map(str, df.columns))
    for col in wanted:
        if col not in names:
            shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8 else "")
            flag = " (--smiles-col NAME names another)" if what == "SMILES" else ""
            raise DatasetError(f"{path} has no {what} column {col!r}{flag} (columns: {shown}); is this the right "
                               f"file?")


def _bad(path: Path, line: int, col: str, value, why: str) -> DatasetError:
    text = str(value)
    text = text if len(text) <= 40 else text[:37] + "..."
    return DatasetError(f"{path} row {line - 1} (line {line}), column {col!r}: {text!r} {why}")


def header(path) -> list[str]:
    """The column names of a CSV file (its first line), or a one-line error."""
    import pandas as pd

    try:
        return [str(c) for c in pd.read_csv(path, dtype=str, nrows=0).columns]
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except Exception as e:  # noqa: BLE001 - pandas signals a malformed file in many ways
        raise DatasetError(f"{path}: not a readable CSV file ({type(e).__name__}: {str(e).splitlines()[0][:120]})") \
            from None


def _class_labels(values: np.ndarray, lines: np.ndarray, path: Path, col: str) -> tuple[np.ndarray, list]:
    """Classes 0..C-1 from one label column: integers, or names (``active`` / ``inactive``), mapped in sorted order.

    The first row decides which: a column of numbers must hold integers (a fractional value is a regression target,
    which a classifier's distillation cannot use), a column of names must hold no numbers (a number among names is
    taken for a typo rather than a class of its own)."""
    texts = [str(v).strip() for v in values]
    for i, text in enumerate(texts):
        if text == "" or text.lower() == "nan":
            raise _bad(path, int(lines[i]), col, values[i], "is empty: every row needs a label (or give several "
                       "label columns, where an empty cell is a missing label)")
    numeric = [_number(t) is not None for t in texts]
    if not numeric[0]:  # class names
        for i, is_number in enumerate(numeric):
            if is_number:
                raise _bad(path, int(lines[i]), col, values[i], f"is a number, but the column's labels are class "
                           f"names (row 1: {texts[0]!r})")
        labels = texts
    else:
        labels = []
        for i, text in enumerate(texts):
            f = _number(text)
            if f is None or not np.isfinite(f) or f != int(f):
                raise _bad(path, int(lines[i]), col, values[i], "is not a label (expected an integer class or a "
                           "class name; a continuous target is regression, which graph-mirage does not distil)")
            labels.append(int(f))
    values_sorted = sorted(set(labels))
    if len(values_sorted) < 2:
        raise DatasetError(f"{path} column {col!r}: every label is {values_sorted[0]}; classification needs at least "
                           f"two classes")
    remap = {v: i for i, v in enumerate(values_sorted)}
    return np.array([remap[v] for v in labels], dtype=np.int64), values_sorted


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _task_labels(df, cols: list[str], lines: np.ndarray, path: Path) -> np.ndarray:
    """``[n, T]`` binary labels, NaN where a cell is empty."""
    out = np.full((len(df), len(cols)), np.nan, dtype=np.float32)
    for t, col in enumerate(cols):
        for i, v in enumerate(df[col].tolist()):
            text = str(v).strip()
            if text == "" or text.lower() == "nan":
                continue
            try:
                f = float(text)
            except ValueError:
                raise _bad(path, int(lines[i]), col, v, "is not a binary label (expected 0, 1, or an empty cell for "
                           "a missing label)") from None
            if f not in (0.0, 1.0):
                raise _bad(path, int(lines[i]), col, v, "is not a binary label (expected 0, 1, or an empty cell for "
                           "a missing label)")
            out[i, t] = f
        present = np.unique(out[:, t][~np.isnan(out[:, t])])
        if len(present) < 2:
            what = "no labels" if not len(present) else f"every label is {int(present[0])}"
            raise DatasetError(f"{path} column {col!r}: {what}; each task needs both classes")
    return out


def read_molecule_csv(path: str | os.PathLike, smiles_column: str = "smiles",
                      label_columns: Sequence[str] | None = None, split_column: str | None = None,
                      dedupe: bool = True) -> MoleculeTable:
    """Read a molecule CSV (gzipped or not); see the module docstring for what it accepts and refuses.

    Args:
        path: the file.
        smiles_column: the SMILES column.
        label_columns: one column (a classification task) or several (binary tasks); None: every column except
            the SMILES and split columns.
        split_column: a column of train / valid / test (any case), or None for a scaffold split.
        dedupe: keep only the first row of a repeated SMILES (the bundled MoleculeNet files keep every row, as OGB).
    """
    import pandas as pd

    path = Path(path)
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, skip_blank_lines=False)
    except FileNotFoundError:
        raise DatasetError(f"{path}: no such file") from None
    except Exception as e:  # noqa: BLE001 - pandas signals a malformed file in many ways
        raise DatasetError(f"{path}: not a readable CSV file ({type(e).__name__}: {str(e).splitlines()[0][:120]})") \
            from None
    lines = np.arange(2, len(df) + 2)  # the file line of each row (blank lines are read as rows, then dropped)
    blank = (df == "").all(axis=1).to_numpy() if len(df.columns) else np.ones(len(df), dtype=bool)
    df, lines = df[~blank].reset_index(drop=True), lines[~blank]
    if len(df) == 0:
        raise DatasetError(f"dataset in {path} is empty: the file has no rows")
    _columns(df, path, [smiles_column], "SMILES")
    if label_columns is None:
        label_columns = [c for c in map(str, df.columns) if c not in (smiles_column, split_column)]
        if not label_columns:
            raise DatasetError(f"{path} has no label column besides {smiles_column!r}")
    label_columns = [str(c) for c in label_columns]
    _columns(df, path, label_columns, "label")
    if split_column is not None:
        _columns(df, path, [split_column], "split")
    smiles = [str(s).strip() for s in df[smiles_column].tolist()]
    for i, s in enumerate(smiles):
        if not s or s.lower() == "nan":
            raise _bad(path, int(lines[i]), smiles_column, s, "is not a SMILES string (the cell is empty)")
    split = None
    if split_column is not None:
        split = np.array([str(v).strip().lower() for v in df[split_column].tolist()], dtype=object)
        for i, v in enumerate(split):
            if v not in PARTS:
                raise _bad(path, int(lines[i]), split_column, df[split_column].iloc[i],
                           "is not a split part (expected train, valid or test)")
    values = None
    if len(label_columns) == 1:
        labels, values = _class_labels(df[label_columns[0]].to_numpy(), lines, path, label_columns[0])
    else:
        labels = _task_labels(df, label_columns, lines, path)
    table = MoleculeTable(path, smiles, labels, label_columns, lines, split, values)
    return _drop_repeats(table) if dedupe else table


def _drop_repeats(t: MoleculeTable) -> MoleculeTable:
    """Keep the first row of each SMILES; count the repeats, and those whose labels disagree with the first."""
    first: dict[str, int] = {}
    keep = []
    for i, s in enumerate(t.smiles):
        j = first.setdefault(s, i)
        if j == i:
            keep.append(i)
            continue
        t.repeated += 1
        a, b = t.labels[j], t.labels[i]
        if not np.array_equal(np.asarray(a), np.asarray(b), equal_nan=t.multitask):
            t.conflicting += 1
    if t.repeated:
        keep = np.array(keep)
        t.smiles = [t.smiles[i] for i in keep]
        t.labels, t.lines = t.labels[keep], t.lines[keep]
        t.split = None if t.split is None else t.split[keep]
        warnings.warn(f"{t.path}: {t.repeated} repeated SMILES kept once (the first row); {t.conflicting} of them had "
                      f"other labels", stacklevel=3)
    return t


def build_molecule_graphs(table: MoleculeTable, name: str, kind: str, *, seed: int = 0, progress: bool = False,
                          split_all_rows: bool = False) -> tuple[list[Data], dict, dict]:
    """``(graphs, meta, split)`` of the molecules RDKit parses (the others are skipped and counted in ``meta``).

    The scaffold split is made over the molecules that parse, or with ``split_all_rows`` over every row (the
    unparsable ones get the scaffold of the molecule read without sanitising) and those rows are then dropped from
    their parts — what reproduces a split made when RDKit accepted them (``meta["dropped_from"]`` says where).
    """
    import torch
    from torch_geometric.data import Data

    from ..progress import Progress
    from .featurise import featurise
    from .graphs import graph_meta
    from .splits import scaffold_split

    graphs, kept = [], []
    with Progress(len(table.smiles), f"featurising {name}", "molecule", enabled=progress) as bar:
        scaffolds = None if table.split is not None else "all" if split_all_rows else "parsed"
        featurised = featurise(table.smiles, advance=bar.update, scaffolds=scaffolds)
    if scaffolds is not None:  # the scaffold split's keys, computed while featurising
        scaffold_keys = [k for _, k in featurised]
        featurised = [g for g, _ in featurised]
    for i, g in enumerate(featurised):
        if g is None:
            continue
        y = torch.tensor([int(table.labels[i])]) if not table.multitask else \
            torch.from_numpy(table.labels[i].reshape(1, -1).copy())
        graphs.append(Data(x=torch.from_numpy(g["node_feat"]).long(),
                           edge_index=torch.from_numpy(g["edge_index"]).long(),
                           edge_attr=torch.from_numpy(g["edge_feat"]).long().view(-1, 3), y=y))
        kept.append(i)
    if not graphs:
        raise DatasetError(f"dataset {name!r} is empty: no SMILES in {table.path} could be parsed")
    kept = np.array(kept)
    if table.split is not None:
        parts = table.split[kept]
        split = {p: torch.from_numpy(np.flatnonzero(parts == p)) for p in PARTS}
        note = "from the file's split column"
    elif split_all_rows:
        full = scaffold_split(table.smiles, seed=seed, lenient=True, scaffolds=scaffold_keys)
        where = np.full(len(table.smiles), -1, dtype=np.int64)
        where[kept] = np.arange(len(kept))
        split = {p: torch.from_numpy(np.sort(where[idx.numpy()][where[idx.numpy()] >= 0])) for p, idx in full.items()}
        dropped = {p: int((where[idx.numpy()] < 0).sum()) for p, idx in full.items()}
        note = (f"Bemis-Murcko scaffold split 80/10/10 over all {len(table.smiles)} rows "
                f"({'/'.join(str(len(v)) for v in full.values())}), the unparsable rows then dropped from their "
                f"parts ({', '.join(f'{n} from {p}' for p, n in dropped.items() if n) or 'none'})")
    else:
        split = scaffold_split([table.smiles[i] for i in kept], seed=seed, scaffolds=[scaffold_keys[i] for i in kept])
        note = "Bemis-Murcko scaffold split 80/10/10" + (f", scaffold groups shuffled by seed {seed}" if seed else "")
        if len(split["train"]) == 0:  # one scaffold group above 80 % (molecules without rings share the empty one)
            raise DatasetError(f"{name}: the scaffold split puts none of its {len(kept)} molecules in train (one "
                               f"scaffold group holds more than 80 % of them); give the file a column naming each "
                               f"row's part (--split-col)")
    skipped = len(table.smiles) - len(kept)
    extra = {"tasks": table.tasks} if table.multitask else {"label_values": table.label_values,
                                                              "label_column": table.tasks[0]}
    if table.split is not None:
        extra["split_kind"] = "file"
    elif kind == "csv":
        extra["split_seed"] = seed
    meta = graph_meta(name, kind, graphs, source=str(table.path), skipped=skipped, rows=len(table.smiles),
                      repeated=table.repeated, split_note=note, **extra)
    return graphs, meta, split
