"""Splits: random 80/10/10, stratified k-fold with an inner holdout (Errica et al., ICLR 2020), scaffold."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from ..errors import DatasetError

FRACTIONS = (0.8, 0.1, 0.1)


def random_split_sizes(class_counts, stratify: bool = False,
                       fractions: tuple[float, float, float] = FRACTIONS) -> dict[str, int]:
    """The part sizes :func:`random_split` makes for these class counts, without the labels themselves."""
    groups = list(class_counts) if stratify else [sum(class_counts)]
    out = {"train": 0, "valid": 0, "test": 0}
    for n in groups:
        n_train, n_valid = int(round(fractions[0] * n)), int(round(fractions[1] * n))
        out["train"] += n_train
        out["valid"] += n_valid
        out["test"] += n - n_train - n_valid
    return out


def random_split(y: np.ndarray, seed: int = 0, stratify: bool = False,
                 fractions: tuple[float, float, float] = FRACTIONS) -> dict:
    """A reproducible random train/valid/test split of ``len(y)`` graphs (the paper's 80/10/10 by default).

    With ``stratify`` each class is split separately, so each part keeps the class proportions.
    """
    rng = np.random.default_rng(seed)
    groups = [np.flatnonzero(y == c) for c in np.unique(y)] if stratify else [np.arange(len(y))]
    parts: dict[str, list] = {"train": [], "valid": [], "test": []}
    for g in groups:
        g = rng.permutation(g)
        n_train = int(round(fractions[0] * len(g)))
        n_valid = int(round(fractions[1] * len(g)))
        parts["train"].append(g[:n_train])
        parts["valid"].append(g[n_train:n_train + n_valid])
        parts["test"].append(g[n_train + n_valid:])
    import torch

    return {k: torch.from_numpy(np.sort(np.concatenate(v))) for k, v in parts.items()}


def scaffold_split(smiles: Sequence[str], fractions: tuple[float, float, float] = FRACTIONS, *, seed: int = 0,
                   lenient: bool = False, scaffolds: Sequence[str] | None = None) -> dict:
    """Deterministic Bemis–Murcko scaffold split, as OGB and DeepChem make it.

    Molecules are grouped by scaffold (RDKit, chirality included); groups are sorted by size, largest first (ties:
    earliest first member), and filled into train until it would pass 80 %, then valid, then test. No scaffold is
    in two parts. ``seed`` > 0 takes the groups in a random order of that seed instead (a random scaffold split).
    ``lenient``: a SMILES that RDKit rejects gets the scaffold of the molecule read without sanitising (OGB made
    some splits with an RDKit that accepted molecules today's rejects); else it must parse. ``scaffolds``: each
    molecule's :func:`scaffold_of`, computed already (the featurising workers do, from the molecule they parsed).
    """
    groups: dict[str, list[int]] = {}
    if scaffolds is None:
        from rdkit import RDLogger

        RDLogger.DisableLog("rdApp.*")
        try:
            scaffolds = [scaffold_of(s, lenient) for s in smiles]
        finally:
            RDLogger.EnableLog("rdApp.*")
    elif len(scaffolds) != len(smiles):
        raise ValueError(f"{len(scaffolds)} scaffolds for {len(smiles)} molecules")
    for i, key in enumerate(scaffolds):
        groups.setdefault(key, []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (len(g), g[0]), reverse=True)
    if seed:
        rng = np.random.default_rng(seed)
        ordered = [ordered[i] for i in rng.permutation(len(ordered))]
    n = len(smiles)
    train_cut, valid_cut = fractions[0] * n, (fractions[0] + fractions[1]) * n
    train: list[int] = []
    valid: list[int] = []
    test: list[int] = []
    for g in ordered:
        if len(train) + len(g) > train_cut:
            if len(train) + len(valid) + len(g) > valid_cut:
                test += g
            else:
                valid += g
        else:
            train += g
    import torch

    return {k: torch.tensor(sorted(v), dtype=torch.long) for k, v in
            (("train", train), ("valid", valid), ("test", test))}


def scaffold_of(s: str, lenient: bool = False, mol=None) -> str:
    """The Bemis–Murcko scaffold SMILES of ``s`` (chirality included), from ``mol`` when it was parsed already;
    ``lenient``: a SMILES that RDKit rejects gets the scaffold of the molecule read without sanitising."""
    from rdkit import Chem
    from rdkit.Chem.Scaffolds import MurckoScaffold

    if mol is not None:
        return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True)
    if not lenient:
        return MurckoScaffold.MurckoScaffoldSmiles(smiles=s, includeChirality=True)
    mol = Chem.MolFromSmiles(s)
    if mol is None:
        mol = Chem.MolFromSmiles(s, sanitize=False)
        if mol is None:
            return f"<unreadable {s}>"
        mol.UpdatePropertyCache(strict=False)
        Chem.FastFindRings(mol)
    return MurckoScaffold.MurckoScaffoldSmiles(mol=mol, includeChirality=True)


def fold_split(y: np.ndarray, folds: int = 10, fold: int = 0, seed: int = 0, holdout: float = 0.1) -> dict:
    """Fold ``fold`` of stratified ``folds``-fold cross-validation with an inner stratified validation holdout.

    The protocol of Errica et al., *A Fair Comparison of Graph Neural Networks for Graph Classification* (ICLR
    2020): the outer fold is the test set; ``holdout`` of the remaining graphs (stratified) is the validation set
    that selects the epoch; the rest is the training set. The same ``seed`` gives the same folds.

    Raises:
        DatasetError: fewer graphs in a class than folds, or ``fold`` out of range.
    """
    import torch
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(y).reshape(-1)
    if isinstance(folds, bool) or not isinstance(folds, (int, np.integer)) or folds < 2:
        raise DatasetError(f"folds must be an integer >= 2, got {folds!r}")
    if isinstance(fold, bool) or not isinstance(fold, (int, np.integer)) or not 0 <= fold < folds:
        raise DatasetError(f"fold must be in 0..{folds - 1}, got {fold!r}")
    smallest = int(np.bincount(np.unique(y, return_inverse=True)[1]).min())
    if smallest < folds:
        raise DatasetError(f"{folds}-fold cross-validation needs at least {folds} graphs per class; the smallest "
                           f"class has {smallest}")
    outer = list(StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y))
    rest, test = outer[fold]
    train, valid = train_test_split(rest, test_size=holdout, stratify=y[rest], random_state=seed)
    return {k: torch.from_numpy(np.sort(v).astype(np.int64)) for k, v in
            (("train", train), ("valid", valid), ("test", test))}


def split_identity(meta: dict) -> dict:
    """What names a dataset's split beyond ``split_kind`` and ``split_seed`` (which every distilled set records):
    a stratified random split (recorded only when stratified) and a fold of cross-validation. A distilled set records
    these too, so that it is trained and tested only on the split whose training graphs it was made from."""
    out: dict = {}
    if meta.get("split_kind") == "random" and meta.get("split_stratified"):
        out["split_stratified"] = True
    if meta.get("split_kind") == "folds":
        out.update(split_folds=int(meta["split_folds"]), split_fold=int(meta["split_fold"]))
    return out


SPLIT_KEYS = ("split_kind", "split_seed", "split_stratified", "split_folds", "split_fold")


def describe_split(meta: dict) -> str:
    """A split in words and the options that load it: ``random (seed 3, stratified: --split-seed 3 --stratify)``."""
    kind, seed = meta.get("split_kind"), meta.get("split_seed")
    if kind == "random":
        strat = bool(meta.get("split_stratified"))
        return (f"random (seed {seed}{', stratified' if strat else ''}: --split-seed {seed}"
                f"{' --stratify' if strat else ''})")
    if kind == "folds":
        return (f"fold {meta.get('split_fold')} of {meta.get('split_folds')} (seed {seed}: --folds "
                f"{meta.get('split_folds')} --fold {meta.get('split_fold')} --split-seed {seed})")
    return f"{kind}" + (f" (seed {seed})" if seed is not None else "")


def same_split(set_meta: dict, dataset_meta: dict) -> bool:
    """Whether a distilled set's recorded split is the dataset's (a set that records no split kind passes)."""
    if set_meta.get("split_kind") is None:
        return True
    mine = {k: set_meta.get(k) for k in SPLIT_KEYS} | {"split_stratified": bool(set_meta.get("split_stratified"))}
    theirs = {k: dataset_meta.get(k) for k in SPLIT_KEYS} | {
        "split_stratified": bool(dataset_meta.get("split_stratified"))}
    if mine["split_kind"] not in ("random", "folds"):  # scaffold, a file's own split: the kind and seed say it
        return (mine["split_kind"], mine["split_seed"]) == (theirs["split_kind"], theirs["split_seed"])
    return mine == theirs
