"""The datasets graph-mirage knows by name: configuration, not code.

A :class:`DatasetSpec` says which source reads a name (:mod:`graph_mirage.data.sources`) and with what arguments;
any other TU dataset whose raw files are under the data root, a directory in graph-mirage's Parquet layout and
``synthetic-molecules:N`` are accepted too (:func:`graph_mirage.data.registry.resolve_spec`).
"""

from __future__ import annotations

from dataclasses import dataclass

TOX21_TASKS = ("NR-AR", "NR-AR-LBD", "NR-AhR", "NR-Aromatase", "NR-ER", "NR-ER-LBD", "NR-PPAR-gamma", "SR-ARE",
               "SR-ATAD5", "SR-HSE", "SR-MMP", "SR-p53")
CSV_SUFFIXES = (".csv", ".csv.gz")  # a path with one of these is a user's molecule CSV
GENERATED_MOLECULES = "synthetic-molecules:"  # + N, any N from 10 to MAX_GENERATED
MAX_GENERATED = 10 ** 8


@dataclass(frozen=True)
class DatasetSpec:
    """What graph-mirage knows about a dataset name.

    Attributes:
        name: the name.
        kind: the source that reads it: ``"tu"``, ``"ogb"`` (OGB's files, else the MoleculeNet CSV),
            ``"synthetic"`` (``synthetic-motifs``), ``"synthetic-molecules"``, ``"parquet"`` or ``"csv"`` (a user's
            CSV of SMILES and labels; ``name`` is its file name).
        description: one line for ``mirage datasets``.
        csv, smiles_column, label_column: the MoleculeNet CSV under ``ROOT/molecules`` (OGB datasets), or the user's
            file (``"csv"``: ``smiles_column`` None finds a column named ``smiles`` in any case).
        tasks: the label columns of a multi-task dataset (binary tasks, an empty cell a missing label); for a user's
            CSV, every label column (None: every column but the SMILES and split columns).
        split_column: a user's CSV: the column of train / valid / test (None: a scaffold split of ``split_seed``).
        split_all_rows: the scaffold split is computed over every row of the CSV, also those today's RDKit rejects
            (OGB made the split when RDKit accepted them); else over the molecules that parse.
        in_paper: in the Mirage paper's table.
    """

    name: str
    kind: str
    description: str
    csv: str | None = None
    smiles_column: str | None = None
    label_column: str | None = None
    tasks: tuple[str, ...] | None = None
    split_all_rows: bool = False
    in_paper: bool = False
    split_column: str | None = None
    split_seed: int = 0


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
        DatasetSpec("ogbg-moltox21", "ogb", "toxicity in 12 assays (7,831 molecules, multi-task, labels partly "
                    "missing)", "tox21.csv.gz", "smiles", tasks=TOX21_TASKS, split_all_rows=True),
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
