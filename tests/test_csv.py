"""A user's molecule CSV is a dataset: read, featurised by OGB's ``smiles2graph``, split, cached by content, and
accepted by every command. The files are generated here (no data root needed); the commands run in forked processes
(``tests/forked.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import warnings

import numpy as np
import pytest

from . import forked

RINGS = ["", "c1ccccc1", "C1CCCCC1", "C1CCCC1", "c1ccncc1", "c1ccoc1", "C1CCNCC1", "c1ccc2ccccc2c1", "C1CC1",
         "C1CCC1", "c1ccsc1", "C1CCOC1"]
TAILS = ["", "O", "N", "Cl"]


def molecules() -> list[tuple[str, str, str]]:
    """(SMILES, ring, tail) for 12 ring systems x 8 chain lengths x 4 tails: 384 molecules, 12 scaffolds."""
    return [(ring + "C" * n + tail, ring, tail) for ring in RINGS for n in range(1, 9) for tail in TAILS]


def write_single(path, rows=None) -> None:
    """One classification task: a polar tail (O or N) is class 1."""
    rows = rows if rows is not None else [(s, int(t in ("O", "N"))) for s, _, t in molecules()]
    path.write_text("SMILES,active\n" + "".join(f"{s},{y}\n" for s, y in rows))


def write_multi(path) -> None:
    """Two binary tasks, one label in five missing."""
    rng = np.random.default_rng(0)
    lines = []
    for s, ring, tail in molecules():
        a = "" if rng.random() < 0.2 else str(int(tail in ("O", "N")))
        b = "" if rng.random() < 0.2 else str(int(ring.startswith("c")))
        lines.append(f"{s},{a},{b}\n")
    path.write_text("smiles,polar,aromatic\n" + "".join(lines))


def _env(tmp_path) -> dict:
    return dict(os.environ, MIRAGE_CACHE=str(tmp_path / "cache"), MIRAGE_OFFLINE="1", PYTHONWARNINGS="ignore")


def _mirage(tmp_path, *argv) -> subprocess.CompletedProcess:
    r = forked.run(argv, env=_env(tmp_path), cwd=tmp_path, text=True, logs=tmp_path / "logs")
    assert r.returncode == 0, r.stderr
    return r


@pytest.mark.parametrize("kind", ["single", "multi"])
def test_csv_to_distilled_set_to_trained_gnn_in_three_commands(tmp_path, kind):
    """The issue's goal: file -> distilled set -> trained GNN with three commands and no code; then the other
    commands take the same path."""
    csv = tmp_path / ("mols.csv" if kind == "single" else "mols.csv.gz")
    if kind == "single":
        write_single(csv)
    else:
        import gzip

        plain = tmp_path / "plain.csv"
        write_multi(plain)
        csv.write_bytes(gzip.compress(plain.read_bytes()))
    info = json.loads(_mirage(tmp_path, "datasets", csv, "--json").stdout)
    assert info["graphs"] == 384 and info["kind"] == "csv"
    dist = json.loads(_mirage(tmp_path, "distill", csv, "--json").stdout)
    assert (tmp_path / "mols-mirage.npz").is_file() and dist["out"].endswith("mols-mirage.npz")
    res = json.loads(_mirage(tmp_path, "train", csv, "--distilled", "mols-mirage.npz", "--seeds", "1", "--epochs",
                             "20", "--json").stdout)
    assert res["metric"] == "rocauc" and 0.0 <= res["test_mean"] <= 1.0
    full = json.loads(_mirage(tmp_path, "train", csv, "--full", "--seeds", "1", "--epochs", "5", "--json").stdout)
    assert np.isfinite(full["test_mean"])
    from graph_mirage import DistilledDataset

    d = DistilledDataset.load(tmp_path / "mols-mirage.npz")
    assert d.meta["dataset"] == csv.name
    if kind == "multi":
        assert d.meta["num_tasks"] == 2 and d.meta["tasks"] == ["polar", "aromatic"]
        y = d.y.numpy()
        assert y.shape == (len(d), 2) and (np.isnan(y).sum(1) == 1).all()  # each graph informs one task
    _mirage(tmp_path, "export", csv, "--parquet", tmp_path / "pq")
    _mirage(tmp_path, "inspect", "mols-mirage.npz", "--out", tmp_path / "report")
    assert (tmp_path / "report" / "index.html").is_file()
    if kind == "single":  # the benchmark takes the path too: the default, its control and the classic controls
        _mirage(tmp_path, "bench", "--datasets", csv, "--quick", "--methods", "mirage-auto", "size-only",
                "permuted", "--out", tmp_path / "bench", "--quiet")
        rows = json.loads((tmp_path / "bench" / "quick.json").read_text())["rows"]
        assert {r["method"] for r in rows} >= {"mirage-auto", "mirage-auto~permuted", "size-only"}
        assert all(r["dataset"] == csv.name for r in rows)


def test_columns_split_column_and_scaffold_split(tmp_path):
    from graph_mirage import load_dataset
    from graph_mirage.data.splits import scaffold_of

    csv = tmp_path / "m.csv"
    mols = molecules()
    parts = ["train", "valid", "test", "train", "train"]
    csv.write_text("id,smiles,y,part\n" + "".join(f"{i},{s},{int(t == 'N')},{parts[i % 5].upper()}\n"
                                                   for i, (s, _, t) in enumerate(mols)))
    ds = load_dataset(csv, smiles_column="smiles", label_columns=["y"], split_column="part")
    assert ds.meta["split_kind"] == "file"
    assert [len(ds.split[k]) for k in ("train", "valid", "test")] == [230, 77, 77]
    assert ds.split["valid"].tolist() == list(range(1, 384, 5))
    ds = load_dataset(csv, smiles_column="smiles", label_columns=["y"])  # the scaffold split
    assert ds.meta["split_kind"] == "scaffold" and ds.num_classes == 2
    scaffolds = {k: {scaffold_of(mols[i][0]) for i in v.tolist()} for k, v in ds.split.items()}
    assert not (scaffolds["train"] & scaffolds["valid"]) and not (scaffolds["train"] & scaffolds["test"])
    assert not (scaffolds["valid"] & scaffolds["test"])
    other = load_dataset(csv, smiles_column="smiles", label_columns=["y"], seed=3)
    assert other.meta["split_seed"] == 3
    assert any(not np.array_equal(ds.split[k], other.split[k]) for k in ds.split)  # seeded: groups shuffled


def test_an_edited_file_is_never_served_from_the_cache(tmp_path):
    from graph_mirage import load_dataset

    csv = tmp_path / "m.csv"
    rows = [(s, int(t == "O")) for s, _, t in molecules()]
    write_single(csv, rows)
    first = load_dataset(csv)
    st = os.stat(csv)
    flipped = [(s, 1 - y) for s, y in rows]
    write_single(csv, flipped)
    os.utime(csv, ns=(st.st_atime_ns, st.st_mtime_ns))  # same size and time: only the content differs
    second = load_dataset(csv)
    assert np.array_equal(second.y.view(-1).numpy(), 1 - first.y.view(-1).numpy())


def test_repeated_smiles_keep_the_first_row_and_conflicts_are_counted(tmp_path):
    from graph_mirage import load_dataset

    rows = [(s, int(t == "O")) for s, _, t in molecules()]
    rows += [(rows[0][0], 1 - rows[0][1]), (rows[1][0], rows[1][1])]  # one conflicting, one agreeing repeat
    csv = tmp_path / "m.csv"
    write_single(csv, rows)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_dataset(csv)
    text = " ".join(str(w.message) for w in caught)
    assert "2 repeated SMILES kept once (the first row); 1 of them had other labels" in text
    assert len(ds) == 384 and int(ds.y.view(-1)[0]) == rows[0][1]


def test_errors_name_the_file_row_and_column_even_after_blank_lines(tmp_path):
    from graph_mirage import load_dataset
    from graph_mirage.errors import DatasetError

    csv = tmp_path / "m.csv"
    csv.write_text("smiles,active\nCCO,1\n\nCCC,0\nCCN,yes\n")
    with pytest.raises(DatasetError, match=r"m\.csv row 4 \(line 5\), column 'active': 'yes' is not a label"):
        load_dataset(csv)
    with pytest.raises(DatasetError, match="apply to a CSV file"):
        load_dataset("synthetic-motifs", smiles_column="smiles")


def test_class_names_are_classes_in_sorted_order_and_a_regression_target_is_refused(tmp_path):
    from graph_mirage import load_dataset
    from graph_mirage.errors import DatasetError

    rows = [(s, "active" if t in ("O", "N") else "inactive") for s, _, t in molecules()]
    named, numbered = tmp_path / "named.csv", tmp_path / "numbered.csv"
    named.write_text("Molecule,Outcome\n" + "".join(f"{s},{y}\n" for s, y in rows))
    numbered.write_text("smiles,active\n" + "".join(f"{s},{int(y == 'inactive')}\n" for s, y in rows))
    with pytest.raises(DatasetError, match=r"no SMILES column 'smiles' \(--smiles-col NAME names another\)"):
        load_dataset(named)
    ds, ref = load_dataset(named, smiles_column="Molecule"), load_dataset(numbered)
    assert ds.meta["label_values"] == ["active", "inactive"] and ds.num_classes == 2
    assert ds.y.tolist() == ref.y.tolist() and ds.y.sum() > 0  # 'inactive', the later name, is class 1
    r = _mirage(tmp_path, "distill", named, "--smiles-col", "Molecule", "--json", "--out", "named.npz")
    assert set(json.loads(r.stdout.strip().splitlines()[-1])["per_class"]) == {"active", "inactive"}
    from graph_mirage import DistilledDataset

    assert DistilledDataset.load(tmp_path / "named.npz").meta["class_names"] == ["active", "inactive"]
    _mirage(tmp_path, "inspect", "named.npz", "--out", "report")
    page = (tmp_path / "report" / "index.html").read_text()
    assert "class 0 (active)" in page and "class 1 (inactive)" in page
    # the same file name with other class names: class 1 would mean another class, so the set is refused
    named.write_text("Molecule,Outcome\n" + "".join(f"{s},{'yes' if y == 'active' else 'no'}\n" for s, y in rows))
    r = forked.run(["train", named, "--smiles-col", "Molecule", "--distilled", "named.npz"], env=_env(tmp_path),
                   cwd=tmp_path, text=True, logs=tmp_path / "logs")
    assert r.returncode == 2 and r.stderr.count("mirage: error:") == 1
    assert "names its classes ['active', 'inactive'] but named.csv has ['no', 'yes']" in r.stderr
    named.write_text("Molecule,Outcome\n" + "".join(f"{s},{y}\n" for s, y in rows))
    for body, why in (("CCO,0.5\nCCC,1\n", "a continuous target is regression"),
                      ("CCO,active\nCCC,1\n", "is a number, but the column's labels are class names")):
        (tmp_path / "bad.csv").write_text("smiles,y\n" + body)
        with pytest.raises(DatasetError, match=why):
            load_dataset(tmp_path / "bad.csv")


def test_a_set_of_other_label_columns_is_refused_in_one_line(tmp_path):
    csv = tmp_path / "m.csv"
    csv.write_text("smiles,polar,aromatic\n" + "".join(f"{s},{int(t in ('O', 'N'))},{int(r.startswith('c'))}\n"
                                                       for s, r, t in molecules()))
    _mirage(tmp_path, "distill", csv, "--label-cols", "polar", "--out", "one.npz", "--quiet")
    r = forked.run(["train", csv, "--distilled", "one.npz"], env=_env(tmp_path), cwd=tmp_path, text=True,
                   logs=tmp_path / "logs")
    assert r.returncode == 2 and r.stderr.count("mirage: error:") == 1
    assert "has 1 task(s) but m.csv has 2: a single-task set cannot train on it" in r.stderr


def test_a_set_of_an_edited_file_is_refused_and_of_the_same_file_trains(tmp_path):
    """A set records a digest of the file it was made from (content, columns, split): after the file is edited its
    scaffold split may hold the set's training molecules in test, so training it is refused in one line; the same
    bytes again (another copy, another time) train, and the digest does not move the set's run-cache key."""
    from graph_mirage import TreePrototypes, load_dataset
    from graph_mirage.errors import ArtifactError
    from graph_mirage.training import TrainConfig, train_and_evaluate
    from graph_mirage.training.runcache import set_key

    csv = tmp_path / "m.csv"
    write_single(csv)
    ds = load_dataset(csv, cache_dir=tmp_path / "cache")
    made = TreePrototypes(hops=1, per_class=2).fit(ds[ds.split["train"]]).distilled_
    assert len(made.meta["source_content"]) == 16
    write_single(csv)  # the same bytes, rewritten
    train_and_evaluate(load_dataset(csv, cache_dir=tmp_path / "cache"), made, model="gin", seeds=[0],
                       config=TrainConfig(epochs=1))
    write_single(csv, [(s, int(t in ("O", "N"))) for s, _, t in molecules()][:-40])  # rows removed
    with pytest.raises(ArtifactError, match="another version of m.csv"):
        train_and_evaluate(load_dataset(csv, cache_dir=tmp_path / "cache"), made, model="gin", seeds=[0],
                           config=TrainConfig(epochs=1))
    key = set_key(made)
    made.meta = {k: v for k, v in made.meta.items() if k != "source_content"}
    assert set_key(made) == key


def test_featurising_in_workers_gives_the_graphs_of_one_process():
    from graph_mirage.data.featurise import CHUNK, featurise

    smiles = [s for s, _, _ in molecules()] * 3 + ["not a molecule", "C1CC"]  # 3 chunks and 2 that RDKit rejects
    done: list[int] = []
    one, two = featurise(smiles, workers=1), featurise(smiles, workers=2, advance=done.append)
    assert len(one) == len(two) == len(smiles) and sum(done) == len(smiles) and len(done) == -(-len(smiles) // CHUNK)
    assert one[-2] is None and one[-1] is None and two[-2] is None and two[-1] is None
    for a, b in zip(one[:-2], two[:-2]):
        assert all(np.array_equal(a[k], b[k]) for k in ("node_feat", "edge_index", "edge_feat"))



def test_a_worker_that_fails_or_dies_is_an_error_not_a_hang(monkeypatch):
    """A worker's own exception reaches the caller as map() would raise it; a worker that dies is one error, and the
    other workers are stopped (each worker owns its pipe: nothing is left waiting on a shared lock)."""
    import multiprocessing
    import os

    from graph_mirage.data import featurise as module

    smiles = [s for s, _, _ in molecules()] * 3

    def fails(chunk, scaffolds=None):
        raise ValueError("a molecule the worker could not featurise")

    monkeypatch.setattr(module, "_graphs_of", fails)
    with pytest.raises(ValueError, match="could not featurise"):
        module.featurise(smiles, workers=2)
    monkeypatch.setattr(module, "_graphs_of", lambda chunk, scaffolds=None: os._exit(3))
    with pytest.raises(RuntimeError, match="a worker featurising molecules died"):
        module.featurise(smiles, workers=2)
    assert multiprocessing.active_children() == []  # every worker stopped and joined


def test_scaffolds_computed_while_featurising_are_those_of_the_scaffold_split():
    """The workers' scaffolds (from the molecule each parsed) equal scaffold_of on the SMILES, strict for the
    molecules that parse and lenient for every row with "all"; the graphs are unchanged; the split they make is the
    split made from the SMILES."""
    from graph_mirage.data.featurise import featurise
    from graph_mirage.data.splits import scaffold_of, scaffold_split

    smiles = [s for s, _, _ in molecules()] * 3 + ["not a molecule", "C1CC", "c1ccccc1C(=O)O"]
    plain = featurise(smiles, workers=1)
    for mode in ("parsed", "all"):
        for workers in (1, 2):
            got = featurise(smiles, workers=workers, scaffolds=mode)
            assert [g is None for g, _ in got] == [g is None for g in plain]
            assert all(a is None or np.array_equal(a["edge_index"], b["edge_index"])
                       for (a, _), b in zip(got, plain))
            want = [scaffold_of(s, lenient=True) if mode == "all" or g is not None else None
                    for s, g in zip(smiles, plain)]
            assert [k for _, k in got] == want
    keys = [k for _, k in featurise(smiles, workers=2, scaffolds="all")]
    a, b = scaffold_split(smiles, lenient=True, scaffolds=keys), scaffold_split(smiles, lenient=True)
    assert all(a[k].tolist() == b[k].tolist() for k in ("train", "valid", "test"))


def _featurised_in_a_pool_worker(smiles: list) -> int:
    from graph_mirage.data.featurise import featurise

    return sum(g is not None for g in featurise(smiles, workers=2))


def test_a_pool_worker_featurises_in_its_own_process():
    import multiprocessing

    smiles = [s for s, _, _ in molecules()] * 6  # above the size at which a main process would fork workers
    with multiprocessing.get_context("fork").Pool(1) as pool:  # daemonic: it may not start a pool of its own
        assert pool.map(_featurised_in_a_pool_worker, [smiles]) == [len(smiles)]


def test_ctrl_c_while_molecules_are_featurised_in_workers_is_one_line(tmp_path):
    import signal
    import sys
    import time

    # 20,000 distinct molecules: featurised by two workers for several seconds
    rows = [("C" * (1 + i % 40) + "(" + "O" * (1 + i // 40 % 5) + ")" + "N" * (1 + i // 200), i % 2)
            for i in range(20_000)]
    write_single(tmp_path / "many.csv", rows)
    env = dict(os.environ, MIRAGE_CACHE=str(tmp_path / "cache"), MIRAGE_PROGRESS_SECONDS="0.2")
    p = subprocess.Popen([sys.executable, "-m", "graph_mirage", "distill", str(tmp_path / "many.csv"), "--out",
                          str(tmp_path / "set.npz")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    err = b""
    while b"featurising" not in err and p.poll() is None:
        err += p.stderr.readline()
    time.sleep(1)
    os.killpg(p.pid, signal.SIGINT)  # what a terminal's Ctrl-C does: the whole group, the workers too
    rest = p.communicate(timeout=60)[1]
    text = (err + rest).decode()
    assert p.returncode == 130, text[-2000:]
    assert "Traceback" not in text and text.rstrip().endswith("mirage: error: interrupted")
    assert not (tmp_path / "set.npz").exists() and not list((tmp_path / "cache").rglob("data.pt"))


def test_a_multitask_split_without_both_labels_of_any_task_in_its_test_graphs_is_refused(tmp_path, monkeypatch):
    import torch

    from graph_mirage import load_dataset
    from graph_mirage.errors import MirageError
    from graph_mirage.training import check_evaluable

    monkeypatch.setenv("MIRAGE_CACHE", str(tmp_path / "cache"))
    write_multi(tmp_path / "mols.csv")
    ds = load_dataset(tmp_path / "mols.csv", smiles_column="smiles", label_columns=["polar", "aromatic"])
    check_evaluable(ds)
    y = ds.y.numpy()
    negatives = np.flatnonzero(np.nansum(y, axis=1) == 0)[:6]  # no positive in either task (missing labels too)
    ds.split = dict(ds.split, test=torch.from_numpy(negatives))
    with pytest.raises(MirageError, match="no task has both labels among the 6 graphs of the test split"):
        check_evaluable(ds)
