"""The bad-input contract of the ``mirage`` command, over a corpus of bad inputs, each run in a process of its own.

For every case: exit status 2 (130 when interrupted), exactly one stderr line starting ``mirage: error:``, no
traceback, no new or partial file at the output path, and no stray temporary file beside it. The cases run
concurrently and are then checked one by one, each a process of its own forked after the imports (``tests/forked.py``);
the tests below the corpus run ``python -m graph_mirage``.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from . import forked
from .conftest import DATA_ROOT, HAVE_DATA

MUTAG_RAW = DATA_ROOT / "TUDataset" / "MUTAG" / "raw"


def _env(**extra) -> dict:
    env = dict(os.environ, MIRAGE_OFFLINE="1", PYTHONWARNINGS="ignore")
    env.setdefault("MIRAGE_DATA", str(DATA_ROOT))
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _tu_root(base: Path, name: str, edit=None, files=None) -> Path:
    """A data root with a copy of MUTAG's raw files (renamed to ``name``), optionally edited."""
    raw = base / name / "TUDataset" / name / "raw"
    raw.mkdir(parents=True)
    for f in MUTAG_RAW.iterdir():
        if f.name.startswith("MUTAG_"):
            shutil.copy(f, raw / f.name.replace("MUTAG", name))
    if edit:
        kind, fn = edit
        p = raw / f"{name}_{kind}.txt"
        p.write_bytes(fn(p.read_bytes()))
    for kind in files or ():
        (raw / f"{name}_{kind}.txt").unlink()
    return base / name


def _lines(b: bytes) -> list[bytes]:
    return b.splitlines()


def _one_class_part(part: str):
    """An edit of graph labels whose default (unstratified, seed 0) random split has ``part`` graphs of class 1
    only."""
    def edit(b: bytes) -> bytes:
        from graph_mirage.data.splits import random_split

        n = len(_lines(b))
        only = set(random_split(np.zeros(n), seed=0)[part].tolist())
        return b"".join(b"1\n" if i in only or i % 2 else b"-1\n" for i in range(n))
    return edit


# a user's CSV: label -> (file text, GOOD standing for four good rows; extra options), and what the message must say
CSV_CASES = {
    "unparsable label": ("smiles,active\nGOOD\nCCCl,maybe\n", []),
    "fractional label": ("smiles,active\nGOOD\nCCCl,0.5\n", []),
    "label column with one class": ("smiles,active\nCCO,1\nCCC,1\n", []),
    "no SMILES column": ("mol,active\nCCO,1\nCCC,0\n", []),
    "missing --smiles-col": ("smiles,active\nGOOD", ["--smiles-col", "structure"]),
    "missing --label-cols": ("smiles,active\nGOOD", ["--label-cols", "activity"]),
    "empty SMILES cell": ("smiles,active\nGOOD\n,1\n", []),
    "multi-task label 2": ("smiles,t1,t2\nCCO,1,0\nCCC,0,1\nCCN,2,\nCCCl,0,1\n", []),
    "multi-task column without labels": ("smiles,t1,t2\nCCO,1,\nCCC,0,\n", []),
    "split value not a part": ("smiles,active,part\nCCO,1,train\nCCC,0,train\nCCN,1,valid\nCCCl,0,test\n"
                               "CCBr,1,training\n", ["--split-col", "part"]),
    "missing --split-col": ("smiles,active\nGOOD", ["--split-col", "part"]),
    "header only": ("smiles,active\n", []),
    "no ring, one scaffold group": ("smiles,active\nC,1\nO,0\nN,1\nS,0\nCl,1\n", []),
    "split column part of one class": ("smiles,active,part\nCCO,1,train\nCCC,0,train\nCCN,1,valid\nCCCl,1,valid\n"
                                         "CCBr,0,test\nCCI,1,test\n", ["--split-col", "part"]),
    "not a CSV (binary)": (None, []),
    "no such file": (None, []),
    "no SMILES parses": ("smiles,active\nnot-a-molecule,1\nC1CC,0\n", []),
}
CSV_MESSAGES = {  # what each message must name (file, row, column and the value where there is one)
    "unparsable label": ["row 5", "column 'active'", "'maybe'"],
    "fractional label": ["row 5", "column 'active'", "'0.5'"],
    "label column with one class": ["column 'active'", "every label is 1"],
    "no SMILES column": ["no SMILES column 'smiles'", "mol, active"],
    "missing --smiles-col": ["no SMILES column 'structure'"],
    "missing --label-cols": ["no label column 'activity'"],
    "empty SMILES cell": ["row 5", "column 'smiles'", "empty"],
    "multi-task label 2": ["row 3", "column 't1'", "'2'", "binary"],
    "multi-task column without labels": ["column 't2'", "no labels"],
    "split value not a part": ["row 5", "column 'part'", "'training'"],
    "missing --split-col": ["no split column 'part'"],
    "header only": ["no rows"],
    "no ring, one scaffold group": ["scaffold split puts none of its 5 molecules in train", "--split-col"],
    "split column part of one class": ["valid split are all of class 1", "the file's rows to parts"],
    "not a CSV (binary)": ["not a readable CSV"],
    "no such file": ["no such file"],
    "no SMILES parses": ["no SMILES", "could be parsed"],
}


# ----------------------------------------------------------------------------------------------------------------------
# the corpus: name -> (argv, env overrides, output path that must not appear)
# ----------------------------------------------------------------------------------------------------------------------
def _corpus(tmp: Path, good_artifact: Path, mutag_artifact: Path) -> dict:
    out = tmp / "outputs"
    out.mkdir()
    c: dict = {}

    def case(name, argv, env=None, target=None):
        c[name] = (argv, env or {}, target)

    syn = ["synthetic-motifs"]
    # --- datasets and data roots -------------------------------------------------------------------------------------
    case("unknown dataset", ["distill", "NO-SUCH-DATASET", "--out", out / "a.npz"], target=out / "a.npz")
    case("unknown dataset in datasets", ["datasets", "NO-SUCH-DATASET"])
    case("unknown dataset in run", ["run", "NO-SUCH-DATASET"])
    case("progress pace not a number", ["datasets"], env={"MIRAGE_PROGRESS_SECONDS": "ten"})
    case("progress pace zero, quiet", ["distill", *syn, "--quiet", "--out", out / "pace.npz"],
         env={"MIRAGE_PROGRESS_SECONDS": "0"}, target=out / "pace.npz")
    case("data root missing", ["distill", "MUTAG", "--root", tmp / "nowhere", "--out", out / "b.npz"],
         target=out / "b.npz")
    if HAVE_DATA:
        tu = {
            "non-integer in A.txt": ("A", lambda b: b.replace(b"2, 1", b"2, x", 1)),
            "three columns in A.txt": ("A", lambda b: b.replace(b"2, 1", b"2, 1, 3", 1)),
            "node id out of range": ("A", lambda b: b + b"99999, 1\n"),
            "edge across two graphs": ("A", lambda b: b + b"1, 3371\n"),
            "binary garbage in A.txt": ("A", lambda b: b"\xff\xfe\x00\x01" * 50),
            "unsorted graph indicator": ("graph_indicator", lambda b: b"2\n" + b),
            "graph labels of another dataset": ("graph_labels", lambda b: b + b"1\n1\n"),
            "node labels of another dataset": ("node_labels", lambda b: b"".join(_lines(b)[:100]) + b"\n"),
            "empty graph indicator": ("graph_indicator", lambda b: b""),
            "single class": ("graph_labels", lambda b: b"1\n" * len(_lines(b))),
            "edge labels with text": ("edge_labels", lambda b: b.replace(b"0", b"zero", 1)),
            "empty A.txt": ("A", lambda b: b""),
            "one-line A.txt": ("A", lambda b: _lines(b)[0] + b"\n"),
        }
        for i, (label, edit) in enumerate(tu.items()):
            name = f"BAD{i}"
            root = _tu_root(tmp, name, edit=edit)
            case(f"TU: {label}", ["distill", name, "--root", root, "--out", out / f"tu{i}.npz"],
                 target=out / f"tu{i}.npz")
        root = _tu_root(tmp, "NOLABELS", files=["graph_labels"])
        case("TU: missing graph labels file", ["distill", "NOLABELS", "--root", root, "--out", out / "nl.npz"],
             target=out / "nl.npz")
        root = _tu_root(tmp, "ONECLASS", edit=("graph_labels", lambda b: b"1\n" * len(_lines(b))))
        case("single-class dataset in run", ["run", "ONECLASS", "--root", root, "--seeds", "1", "--epochs", "1"])
        root = _tu_root(tmp, "ONECLASSTEST", edit=("graph_labels", _one_class_part("test")))
        case("test split of one class in run", ["run", "ONECLASSTEST", "--root", root, "--seeds", "1"])
        root = _tu_root(tmp, "ONECLASSVALID", edit=("graph_labels", _one_class_part("valid")))
        case("validation split of one class in distill", ["distill", "ONECLASSVALID", "--root", root, "--out",
                                                          out / "ocv.npz"], target=out / "ocv.npz")
        mol = tmp / "molroot" / "molecules"
        mol.mkdir(parents=True)
        cols = ",".join(f"feature_{i}" for i in range(600))
        with gzip.open(mol / "bace.csv.gz", "wt") as f:
            f.write(cols + ",Class\n" + ",".join("1" for _ in range(601)) + "\n")
        case("CSV without a SMILES column", ["distill", "ogbg-molbace", "--root", tmp / "molroot", "--out",
                                             out / "csv.npz"], env={"MIRAGE_CACHE": tmp / "csvcache"},
             target=out / "csv.npz")
        mol2 = tmp / "molroot2" / "molecules"
        mol2.mkdir(parents=True)
        with gzip.open(mol2 / "bace.csv.gz", "wt") as f:
            f.write("mol,Class\nnot-a-smiles,1\nC1CC,0\n")
        case("CSV whose SMILES all fail to parse", ["distill", "ogbg-molbace", "--root", tmp / "molroot2", "--out",
                                                     out / "csv2.npz"], env={"MIRAGE_CACHE": tmp / "csvcache2"},
             target=out / "csv2.npz")
        (tmp / "afile").write_text("x")
        case("cache under a regular file", ["distill", "MUTAG", "--out", out / "cache.npz"],
             env={"MIRAGE_CACHE": tmp / "afile" / "cache"}, target=out / "cache.npz")
        case("folds on a dataset with an official split", ["distill", "ogbg-molbace", "--folds", "10"])
    # --- option values: refused before any data is read (the data root here does not exist) ----------------------
    nowhere = ["MUTAG", "--root", tmp / "no-data-here"]
    for label, extra in {
        "hops 0": ["--hops", "0"], "hops negative": ["--hops", "-1"], "hops not a number": ["--hops", "two"],
        "hops 99": ["--hops", "99"], "budget 0": ["--budget", "0"],
        "support above 1 with a decimal point": ["--support", "1.5"], "support 0": ["--support", "0"],
        "support with a bad class": ["--support", "x:1", "1:2"], "support nan": ["--support", "nan"],
        "overlap nan": ["--overlap", "nan"], "max sets 0": ["--max-sets", "0"],
        "mining memory 0": ["--mining-memory", "0"], "max readout with automatic settings": ["--readout", "max"],
        "budget auto with an itemset option": ["--budget", "auto", "--itemsets", "all"],
        "unknown itemset target": ["--itemsets", "some"], "budget and support together": ["--budget", "3",
                                                                                           "--support", "0.1"],
        "folds 1": ["--folds", "1"], "fold out of range": ["--folds", "3", "--fold", "5"],
        "fold without folds": ["--fold", "3"],
        "preset on a dataset without one": ["--preset", "paper"], "step without a preset": ["--step", "1"],
        "bank with an itemset option": ["--bank", "--budget", "3"],
        "sampled roots with an itemset option": ["--roots", "sampled", "--budget", "3"],
        "unknown roots": ["--roots", "all"],
        "max roots 0": ["--max-roots", "0"], "max roots with an itemset option": ["--max-roots", "64", "--budget", "3"],
        "jobs 0": ["--jobs", "0"], "jobs with an itemset option": ["--jobs", "2", "--budget", "3"],
        "a percentage of 0": ["--max-bytes", "0%"], "a percentage above 100": ["--max-bytes", "150%"],
        "a cap that is neither bytes nor a percentage": ["--max-bytes", "5MB"],
        "a percentage with an itemset option": ["--max-bytes", "5%", "--itemsets", "closed"],
        "a percentage on Spark": ["--max-bytes", "5%", "--engine", "spark"],
        "out in a missing directory": ["--out", tmp / "missing-dir" / "x.npz"],
    }.items():
        target = out / f"{label.replace(' ', '_')}.npz"
        argv = ["distill", *nowhere, *extra] + ([] if "--out" in extra else ["--out", target])
        case(f"distill: {label}", argv, target=target)
    # --- settings that only the data can refuse ------------------------------------------------------------------
    for label, extra in {
        "impossible budget": ["--budget", "100000"], "support as a count of one graph": ["--support", "1"],
        "byte budget that cannot be met": ["--max-bytes", "10", "--itemsets", "closed"],
        "node cap of 1": ["--max-nodes", "1", "--budget", "3"],
        "mining limit": ["--support", "2", "--itemsets", "all", "--max-sets", "10"],
    }.items():
        target = out / f"{label.replace(' ', '_')}.npz"
        case(f"distill: {label}", ["distill", *syn, *extra, "--out", target], target=target)
    case("distill: preset step out of range", ["distill", "NCI1", "--root", tmp / "no-data-here", "--preset",
                                               "paper", "--step", "9", "--out", out / "step9.npz"],
         target=out / "step9.npz")
    train = ["train", *syn, "--distilled", good_artifact]
    for label, extra in {
        "epochs 0": ["--epochs", "0"], "seeds 0": ["--seeds", "0"], "seeds negative": ["--seeds", "-2"],
        "layers 0": ["--layers", "0"], "negative learning rate": ["--lr", "-1"], "dropout 1.5": ["--dropout", "1.5"],
        "unknown device": ["--device", "tpu"], "CUDA that is not there": ["--device", "cuda"],
        "malformed device": ["--device", "cuda:x"], "unknown model": ["--model", "transformer"],
        "batch size 0": ["--batch-size", "0"], "threads 0": ["--threads", "0"], "patience 0": ["--patience", "0"],
        "unknown readout": ["--readout", "median"], "root dropout 1": ["--root-dropout", "1"],
        "an averaging decay of 1": ["--ema", "1"],
    }.items():
        case(f"train: {label}", [*train, *extra])
    case("run: seeds 0", ["run", "--seeds", "0"])
    case("distill: --degree-bins on a dataset with node labels", ["distill", *syn, "--degree-bins", "log2", "--out",
                                                                   out / "bins.npz"], target=out / "bins.npz")
    case("distill: unknown --degree-bins", ["distill", *syn, "--degree-bins", "log10", "--out", out / "bins2.npz"],
         target=out / "bins2.npz")
    case("bench: jobs 0", ["bench", "--jobs", "0", "--out", out / "bench"], target=out / "bench")
    case("bench: proto hops 0", ["bench", "--proto", "0", "5", "--out", out / "bench3"], target=out / "bench3")
    case("bench: unknown dataset", ["bench", "--datasets", "NOPE", "--out", out / "bench2"], target=out / "bench2")
    case("bench: --out an existing file", ["bench", "--datasets", *syn, "--out", tmp / "afile2"])
    case("bench: --out on a read-only file system", ["bench", "--datasets", *syn, "--out", "/sys/mirage-bench"])
    case("bench: --out FILE.json with --name", ["bench", "--datasets", *syn, "--out", out / "bench4.json", "--name",
                                                "t"], target=out / "bench4.json")
    case("no command", [])
    case("unknown command", ["distil"])
    # --- hostile or damaged files ------------------------------------------------------------------------------------
    np.save(tmp / "plain.npy", np.arange(5))
    (tmp / "text.npz").write_text("hello")
    data = good_artifact.read_bytes()
    (tmp / "trunc.npz").write_bytes(data[: len(data) // 2])
    flipped = bytearray(data)
    flipped[len(flipped) // 3] ^= 0xFF
    (tmp / "flipped.npz").write_bytes(bytes(flipped))
    (tmp / "adir.npz").mkdir()
    for label, path in {"a .npy file": tmp / "plain.npy", "a text file": tmp / "text.npz",
                        "a truncated artifact": tmp / "trunc.npz", "one flipped byte": tmp / "flipped.npz",
                        "a directory": tmp / "adir.npz", "a missing file": tmp / "missing.npz"}.items():
        case(f"train --distilled {label}", ["train", *syn, "--distilled", path])
    case("inspect a .npy file", ["inspect", tmp / "plain.npy", "--out", out / "rep1"], target=out / "rep1")
    if HAVE_DATA:
        case("artifact of another dataset", ["train", "MUTAG", "--distilled", good_artifact])
        case("MUTAG artifact on synthetic data", ["train", *syn, "--distilled", mutag_artifact])
        case("node attributes on a dataset without them", ["distill", "MUTAG", "--node-attributes", "--out",
                                                          out / "attrs.npz"], target=out / "attrs.npz")
    # --- unwritable or odd output paths ------------------------------------------------------------------------------
    (out / "existing_dir.npz").mkdir()
    case("distill --out an existing directory", ["distill", *syn, "--budget", "3", "--out", out / "existing_dir.npz"])
    case("distill --out under a regular file", ["distill", *syn, "--budget", "3", "--out", tmp / "afile2" / "x.npz"])
    (tmp / "afile2").write_text("x")
    case("distill --out on a read-only file system", ["distill", *syn, "--budget", "3", "--out",
                                                      "/sys/mirage-test.npz"])
    case("distill --out in a missing pseudo-directory", ["distill", *syn, "--budget", "3", "--out",
                                                         "/proc/no-such-dir/x.npz"])
    case("inspect --out on a read-only file system", ["inspect", good_artifact, "--out", "/sys/mirage-report"])
    case("inspect --out under a regular file", ["inspect", good_artifact, "--out", tmp / "afile2" / "rep"])
    case("run --out an existing directory", ["run", "--out", out / "existing_dir.npz", "--seeds", "1"])
    (out / "full_dir").mkdir()
    (out / "full_dir" / "keep.txt").write_text("x")
    case("export --parquet into a non-empty directory", ["export", *syn, "--parquet", out / "full_dir"])
    case("export without --parquet", ["export", *syn])
    # --- the Spark engine: settings and layouts it refuses before Java starts ---------------------------------------
    case("distill --engine spark with automatic settings", ["distill", *syn, "--engine", "spark", "--budget", "auto",
                                                            "--out", out / "s1.npz"], target=out / "s1.npz")
    case("distill --engine spark: preset steps without --step", ["distill", "NCI1", "--engine", "spark", "--preset",
                                                                  "paper", "--out", out / "s2.npz"],
         target=out / "s2.npz")
    case("distill --engine spark: zero partitions", ["distill", *syn, "--engine", "spark", "--spark-partitions", "0"])
    case("distill --engine spark: negative driver rows",
         ["distill", *syn, "--engine", "spark", "--spark-driver-rows", "-1"])
    (tmp / "bad_layout").mkdir()
    (tmp / "bad_layout" / "_graph_mirage.json").write_text('{"layout": "something-else"}')
    case("distill a Parquet directory of another layout", ["distill", tmp / "bad_layout", "--engine", "spark",
                                                          "--out", out / "s3.npz"], target=out / "s3.npz")
    # --- a user's molecule CSV: every defect one line with the file, the row and the column --------------------------
    csvs = tmp / "csvs"
    csvs.mkdir()
    good_rows = "CCO,1\nCCC,0\nc1ccccc1,1\nCCN,0"
    for label, (text, extra) in CSV_CASES.items():
        name = "bad.csv.gz" if label == "not a CSV (binary)" else f"{label.replace(' ', '_')}.csv"
        path = csvs / name
        if label == "not a CSV (binary)":
            path.write_bytes(b"\x1f\x8b\x08\x00garbage" * 20)
        elif text is not None:
            path.write_text(text.replace("GOOD", good_rows))
        target = out / f"csv_{label.replace(' ', '_')}.npz"
        case(f"CSV: {label}", ["distill", path, *extra, "--out", target], target=target,
             env={"MIRAGE_CACHE": tmp / "csvcache-user"})
    case("CSV options on a named dataset", ["distill", *nowhere, "--smiles-col", "smiles", "--out",
                                            out / "csvopt.npz"], target=out / "csvopt.npz")
    case("train: CSV that does not exist", ["train", csvs / "absent.csv", "--full"])
    (csvs / "split.csv").write_text("smiles,y,part\n" + "CCO,1,train\nCCC,0,valid\nc1ccccc1,1,test\nCCN,0,train\n")
    case("bench: --split-col without a CSV dataset", ["bench", "--datasets", *syn, "--split-col", "part", "--out",
                                                      out / "bench5"], target=out / "bench5")
    case("bench: --split-col a CSV lacks", ["bench", "--datasets", csvs / "split.csv", "--split-col", "nope",
                                            "--out", out / "bench6"], target=out / "bench6",
         env={"MIRAGE_CACHE": tmp / "csvcache-bench"})
    # --- model search: the space file and the training set, refused before the dataset is read ---------------------
    spaces = tmp / "spaces"
    spaces.mkdir()
    (spaces / "unknown_key.yaml").write_text("model: [gin]\nepochs: [5]\n")
    (spaces / "bad_model.json").write_text('{"model": ["transformer"]}')
    (spaces / "broken.yaml").write_text("model: [gin\n")
    (spaces / "deep.yaml").write_text("layers: [1, 5]\n")
    (spaces / "space.txt").write_text("model: gin\n")
    for label, name in {"space file that does not exist": "absent.yaml", "unknown key in the space": "unknown_key.yaml",
                        "unknown model in the space": "bad_model.json", "space that is not YAML": "broken.yaml",
                        "space of another format": "space.txt"}.items():
        case(f"search: {label}", ["search", *nowhere, "--space", spaces / name, "--out", out / "srch1.json"],
             target=out / "srch1.json")
    case("search: layers above the set's hops", ["search", *syn, "--distilled", good_artifact, "--space",
                                                 spaces / "deep.yaml", "--out", out / "srch2.json"],
         target=out / "srch2.json")
    case("search: --distilled and --full", ["search", *syn, "--distilled", good_artifact, "--full"])
    case("search: --confirm with --full", ["search", *nowhere, "--full", "--confirm", "2"])
    case("search: --confirm 0", ["search", *nowhere, "--confirm", "0"])
    case("search: negative root dropout", ["search", *nowhere, "--root-dropout", "-0.1"])
    case("search: --root-dropout with --confirm", ["search", *nowhere, "--root-dropout", "0.3", "--confirm", "2"])
    case("search: zero jobs", ["search", *nowhere, "--jobs", "0"])
    case("search: --set-bytes with --full", ["search", *nowhere, "--full", "--set-bytes", "5%"])
    case("search: --set-bytes with --distilled", ["search", *syn, "--distilled", good_artifact, "--set-bytes", "5%"])
    case("search: --set-bytes 0", ["search", *nowhere, "--set-bytes", "0"])
    case("search: cache dir that is a file", ["search", *nowhere, "--cache-dir", spaces / "space.txt"])
    # --- learned baselines ------------------------------------------------------------------------------------------
    case("condense: unknown method", ["condense", *syn, "--method", "gcond", "--out", out / "c1.npz"],
         target=out / "c1.npz")
    case("condense: zero steps", ["condense", *syn, "--method", "kidd", "--steps", "0", "--out", out / "c2.npz"],
         target=out / "c2.npz")
    case("condense: CUDA that is not there", ["condense", *syn, "--method", "doscond", "--device", "cuda",
                                              "--out", out / "c3.npz"], target=out / "c3.npz")
    case("condense: unknown dataset", ["condense", "NO-SUCH-DATASET", "--method", "kidd", "--out", out / "c4.npz"],
         target=out / "c4.npz")
    case("condense --out an existing directory", ["condense", *syn, "--method", "doscond", "--steps", "2", "--out",
                                                  out / "existing_dir.npz"])
    return c


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bad-inputs")
    good = tmp / "good.npz"
    mutag_art = tmp / "mutag.npz"
    cmds = [[sys.executable, "-m", "graph_mirage", "distill", "synthetic-motifs", "--budget", "3", "--out", str(good),
             "--quiet"]]
    if HAVE_DATA:
        cmds.append([sys.executable, "-m", "graph_mirage", "distill", "MUTAG", "--budget", "3", "--out",
                     str(mutag_art), "--quiet"])
    for cmd in cmds:
        subprocess.run(cmd, check=True, env=_env(), capture_output=True)
    corpus = _corpus(tmp, good, mutag_art)
    # two cases at a time, each a process of its own forked after the imports (tests/forked.py)
    cases = list(corpus.items())
    results, running = {}, {}
    while cases or running:
        while cases and len(running) < 2:
            name, (argv, env, target) = cases.pop(0)
            before = set((tmp / "outputs").rglob("*"))
            running[forked.Command(argv, _env(**env), logs=tmp / "logs")] = (name, target, before)
        for command in forked.wait_any(list(running)):
            name, target, before = running.pop(command)
            results[name] = (command.wait(), target, set((tmp / "outputs").rglob("*")) - before)
    return results


def _check(r, target, new_files, status=2) -> None:
    err = r.stderr.decode("utf-8", "replace")
    errors = [line for line in err.splitlines() if line.startswith("mirage: error:")]
    assert r.returncode == status, err
    assert len(errors) == 1, err
    assert "Traceback" not in err and "Error:" not in err.replace("mirage: error:", ""), err
    assert len(errors[0]) < 500, errors[0]  # one readable line, not a dump of a file's columns
    if target is not None:
        assert not Path(target).exists() or Path(target).is_dir() and not any(Path(target).iterdir()), target
    stray = [p for p in new_files if p.name.endswith(".tmp") or p.suffix in (".npz", ".json", ".md", ".html")]
    assert not stray, stray




def test_every_command_has_bad_inputs_in_the_corpus(outcomes):
    """The corpus reaches every command of the parser (a new command needs its bad inputs here)."""
    from graph_mirage.cli import build_parser

    sub = next(a for a in build_parser()._actions if a.dest == "command")
    commands = set(sub.choices)
    covered = {r.args[3] for r, _, _ in outcomes.values() if len(r.args) > 3}
    assert commands <= covered, sorted(commands - covered)


def test_option_errors_come_before_any_data_is_read(outcomes):
    """Cases whose options are wrong run against a data root that does not exist: the option is refused first."""
    option_cases = [n for n, (r, _, _) in outcomes.items() if "no-data-here" in " ".join(map(str, r.args))]
    assert len(option_cases) >= 20
    for name in option_cases:
        err = outcomes[name][0].stderr.decode()
        assert "not found" not in err and "raw files" not in err, (name, err)


def test_every_bad_input_is_one_line_and_exit_2(outcomes):
    failures = {}
    for name, (r, target, new_files) in sorted(outcomes.items()):
        try:
            _check(r, target, new_files)
        except AssertionError as e:
            failures[name] = str(e)[:300]
    assert not failures, "\n".join(f"{k}: {v}" for k, v in failures.items())


def test_messages_say_what_is_wrong(outcomes):
    def err(name: str) -> str:
        return outcomes[name][0].stderr.decode()

    assert "--hops: must be >= 1, got 0" in err("distill: hops 0")
    assert "jobs applies to the automatic default" in err("distill: jobs with an itemset option")
    assert "hops must be at most 8" in err("distill: hops 99")
    assert "does not exist; create it first" in err("distill: out in a missing directory")
    assert "not smaller" in err("distill: support as a count of one graph") or "not less than" in err(
        "distill: support as a count of one graph")
    assert "count of graphs" in err("distill: support as a count of one graph")
    assert "must be in (0, 1]" in err("distill: support above 1 with a decimal point")
    assert "is a directory" in err("train --distilled a directory")
    assert "not an .npz archive" in err("train --distilled a .npy file")
    assert "damaged" in err("train --distilled one flipped byte") or "checksum" in err(
        "train --distilled one flipped byte")
    assert "device must be" in err("train: unknown device")
    assert "no CUDA device" in err("train: CUDA that is not there")
    assert "existing directory" in err("distill --out an existing directory")
    assert "itemset form" in err("distill --engine spark with automatic settings")
    for name in ("progress pace not a number", "progress pace zero, quiet"):
        assert "MIRAGE_PROGRESS_SECONDS must be a positive number" in err(name), err(name)
    assert "give a step" in err("distill --engine spark: preset steps without --step")
    assert "layout ('something-else'" in err("distill a Parquet directory of another layout")
    assert "invalid choice: 'gcond'" in err("condense: unknown method")
    assert "no CUDA device" in err("condense: CUDA that is not there")
    for label, parts in CSV_MESSAGES.items():
        e = err(f"CSV: {label}")
        name = "bad.csv.gz" if label == "not a CSV (binary)" else f"{label.replace(' ', '_')}.csv"
        assert name in e, (label, e)
        for part in parts:
            assert part in e, (label, part, e)
    assert "apply to a CSV file" in err("CSV options on a named dataset")
    assert "absent.csv: no such file" in err("train: CSV that does not exist")
    assert "none of the datasets is a CSV file" in err("bench: --split-col without a CSV dataset")
    assert "nope" in err("bench: --split-col a CSV lacks") and "split.csv" in err("bench: --split-col a CSV lacks")
    assert "must be in [0, 1)" in err("train: an averaging decay of 1")
    assert "absent.yaml: no such file" in err("search: space file that does not exist")
    assert "unknown key(s) epochs" in err("search: unknown key in the space")
    assert "unknown model 'transformer'" in err("search: unknown model in the space")
    assert "not valid YAML" in err("search: space that is not YAML")
    other_format = err("search: space of another format")
    assert "give a .json, .yaml or .yml file" in other_format and "not valid" not in other_format
    assert "exceed the distilled set's 2 hops" in err("search: layers above the set's hops")
    assert "space.txt is an existing file; give a directory" in err("search: cache dir that is a file")
    if HAVE_DATA:
        assert "single class" in err("TU: single class") and "single class" in err("single-class dataset in run")
        assert "of the test split are all of class 1" in err("test split of one class in run")
        assert "--stratify" in err("test split of one class in run")
        # the default's choice is scored on the validation split: refused when it is of one class, before any candidate
        refused = outcomes["validation split of one class in distill"][0]
        assert "of the valid split are all of class 1, so a validation score" in refused.stderr.decode()
        assert "--stratify" in refused.stderr.decode() and b"validation score" not in refused.stdout
        csv = err("CSV without a SMILES column")
        assert "no SMILES column 'mol'" in csv and "more)" in csv and len(csv) < 500
        assert "unset MIRAGE_OFFLINE" in err("data root missing")  # the tests run offline: the hint is right here
        assert "Dimension out of range" not in "".join(err(n) for n in outcomes if n.startswith("TU:"))


_REFUSE_THEN_SAY_IMPORTS = """
import sys
from graph_mirage.cli import main
codes = [main(argv) for argv in ({cases})]
print(codes, [m for m in ("torch", "torch_geometric", "sklearn") if m in sys.modules])
"""


def test_unknown_names_are_refused_before_pytorch_is_imported(tmp_path):
    """A wrong dataset name or missing file is refused from the settings alone, in a fresh interpreter: none of the
    heavy libraries (seconds to import) is loaded for it."""
    cases = [["distill", "NO-SUCH"], ["run", "NO-SUCH"], ["train", "NO-SUCH", "--full"], ["search", "NO-SUCH"],
             ["bench", "--datasets", "NO-SUCH", "--out", str(tmp_path)], ["run", str(tmp_path / "absent.csv")],
             ["condense", "NO-SUCH", "--method", "doscond"]]
    r = subprocess.run([sys.executable, "-c", _REFUSE_THEN_SAY_IMPORTS.format(cases=repr(cases))], env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == f"{[2] * len(cases)} []", (r.stdout, r.stderr)
    errors = r.stderr.splitlines()
    assert len(errors) == len(cases) and all(e.startswith("mirage: error: ") for e in errors), errors
    assert sum("unknown dataset 'NO-SUCH'" in e for e in errors) == 6 and "absent.csv: no such file" in errors[5]


def test_interrupt_is_exit_130_and_leaves_nothing(tmp_path):
    target = tmp_path / "interrupted.npz"
    # a background job of a non-interactive shell inherits SIGINT ignored, and Python then keeps ignoring it: restore
    # the default so that the command sees the Ctrl-C a terminal would send, however the tests were started
    p = subprocess.Popen([sys.executable, "-m", "graph_mirage", "run", "--seeds", "3", "--epochs", "500", "--out",
                          str(target)], env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    time.sleep(8)  # inside training by now (imports and distillation take a few seconds)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=60)
    err = err.decode()
    assert p.returncode == 130, err
    assert [line for line in err.splitlines() if line.startswith("mirage: error:")] == ["mirage: error: interrupted"]
    assert "Traceback" not in err
    assert not list(tmp_path.glob(".*.tmp"))


def test_kill_9_leftovers_are_removed_by_the_next_write(tmp_path):
    target = tmp_path / "set.npz"
    victim = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    victim.kill()  # SIGKILL: whatever it wrote stays behind, as after a kill -9 mid-write
    victim.wait()
    stale = tmp_path / f".set.npz.{victim.pid}.tmp"
    stale.write_bytes(b"half a file")
    alive = tmp_path / f".set.npz.{os.getpid()}.tmp"  # a writer that still runs keeps its temporary
    alive.write_bytes(b"in progress")
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "distill", "synthetic-motifs", "--budget", "3", "--out",
                        str(target), "--quiet"], env=_env(), capture_output=True)
    assert r.returncode == 0, r.stderr
    assert target.is_file() and not stale.exists() and alive.exists()


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_outputs_honour_the_umask(tmp_path, umask):
    target = tmp_path / "set.npz"
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "distill", "synthetic-motifs", "--budget", "3", "--out",
                        str(target), "--quiet"], env=_env(), capture_output=True, preexec_fn=lambda: os.umask(umask))
    assert r.returncode == 0, r.stderr
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask


def _command_script(work: str) -> str:
    """A script that runs the ``mirage`` command line on a command whose work is ``work`` (the source of a function
    ``work(args)``; os, signal, sys and time imported)."""
    return ("import argparse, os, signal, sys, time\nfrom graph_mirage import cli\n\n" + work
            + "\nparser = argparse.ArgumentParser()\nparser.set_defaults(func=work)\n"
              "cli.build_parser = lambda: parser\nsys.exit(cli.main([]))\n")


_SIGNAL_IN_DEL = _command_script("""
class Finaliser:
    def __del__(self):  # the handler's exception raised here is only "ignored" by Python
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))

def work(args):
    Finaliser()
    for _ in range(100):  # 10 s of work that the signal must end
        time.sleep(0.1)
    print("finished")
    return 0
""")


_SIGNAL_IN_EVAL = _command_script("""
def work(args):
    eval("os.kill(os.getpid(), signal.SIGINT) or time.sleep(10)")  # as in a namedtuple or dataclass being made
    print("finished")
    return 0
""")


_SIGNAL_IN_SET_NAME = _command_script("""
class Named:
    def __set_name__(self, owner, name):  # the handler's exception raised here reaches main in a RuntimeError
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        time.sleep(10)

def work(args):
    class Owner:  # as a class made during an import (CI saw it in torch's cached_property)
        attribute = Named()
    print("finished")
    return 0
""")


@pytest.mark.parametrize("script", [_SIGNAL_IN_DEL, _SIGNAL_IN_SET_NAME], ids=["finaliser", "set_name"])
@pytest.mark.parametrize("name, code, message", [("SIGTERM", 143, "terminated"), ("SIGINT", 130, "interrupted")])
def test_a_signal_inside_a_finaliser_or_set_name_still_ends_the_command(script, name, code, message):
    # a SIGTERM that lands in a weakref callback or __del__ (CI saw it in an import lock's) must not be lost, and one
    # that lands in a class's __set_name__ (CI saw it in torch's) reaches main wrapped in a RuntimeError
    r = subprocess.run([sys.executable, "-c", script, name], env=_env(), capture_output=True, text=True,
                       timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == code and r.stderr == f"mirage: error: {message}\n" and "finished" not in r.stdout, (
        r.returncode, r.stderr)


def test_an_interrupt_inside_an_eval_still_exits_130_under_python_m(tmp_path):
    # CPython remembers a KeyboardInterrupt that left an eval() of a string as unhandled, and `python -m` then killed
    # the process by SIGINT after the one-line ending (exit -2 in 2 of 3 CI runs when the Ctrl-C landed in one)
    (tmp_path / "eval_interrupted.py").write_text(_SIGNAL_IN_EVAL)
    env = dict(_env(), PYTHONPATH=os.pathsep.join(filter(None, [str(tmp_path), _env().get("PYTHONPATH")])))
    r = subprocess.run([sys.executable, "-m", "eval_interrupted"], env=env, capture_output=True, text=True,
                       timeout=60, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert r.returncode == 130 and r.stderr == "mirage: error: interrupted\n" and "finished" not in r.stdout, (
        r.returncode, r.stderr)


def test_another_datasets_set_and_a_file_for_a_report_are_refused_before_pytorch_is_imported(tmp_path, synthetic):
    """train and search read a set's source from its file, and inspect checks its directory, before any heavy
    import: the user hears of a wrong file at once, not after PyTorch and the data have loaded."""
    from graph_mirage.prototypes import TreePrototypes

    path = tmp_path / "motifs.npz"
    TreePrototypes(hops=2, per_class=2).fit(synthetic[synthetic.split["train"]]).distilled_.save(path)
    (tmp_path / "taken").write_text("a file where the report directory would go")
    cases = [["train", "ogbg-molbace", "--distilled", str(path)], ["search", "ogbg-molbace", "--distilled", str(path)],
             ["inspect", str(path), "--out", str(tmp_path / "taken")]]
    r = subprocess.run([sys.executable, "-c", _REFUSE_THEN_SAY_IMPORTS.format(cases=repr(cases))], env=_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == f"{[2] * len(cases)} []", (r.stdout, r.stderr)
    errors = r.stderr.splitlines()
    assert len(errors) == 3 and all(e.startswith("mirage: error: ") for e in errors), errors
    assert all("distilled from 'synthetic-motifs', not 'ogbg-molbace'" in e for e in errors[:2]), errors
    assert "report directory" in errors[2] and "exists and is not a directory" in errors[2]


def test_the_console_command_ends_without_teardown_once_nothing_else_runs(monkeypatch):
    """`mirage` (cli.run): the command's exit code, the exit handlers run, the k-means workers stopped, and the
    process ended by os._exit — unless another process or thread still runs, when it exits as usual."""
    import multiprocessing
    import types

    import graph_mirage.candidates as candidates
    import graph_mirage.cli as cli

    class Ended(Exception):
        pass

    def fake_exit(code):
        raise Ended(code)

    ran = []
    monkeypatch.setattr(cli, "main", lambda: 3)
    monkeypatch.setattr(cli.os, "_exit", fake_exit)
    # the exit handlers are this test process's own: recorded, not run
    monkeypatch.setattr(cli, "atexit", types.SimpleNamespace(_run_exitfuncs=lambda: ran.append("handlers")))
    candidates._pool(2).submit(int, 1).result()  # workers started, as a fit with n_jobs=2 leaves them
    with pytest.raises(Ended) as ended:
        cli.run()
    assert ended.value.args == (3,) and ran == ["handlers"] and candidates._EXECUTOR is None
    assert not multiprocessing.active_children()

    child = multiprocessing.get_context("spawn").Process(target=time.sleep, args=(30,))
    child.start()
    try:
        with pytest.raises(SystemExit) as exited:
            cli.run()
        assert exited.value.code == 3
    finally:
        child.terminate()
        child.join()
