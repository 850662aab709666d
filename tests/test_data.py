"""Dataset layer: published statistics, splits, read-only roots and every bad-input case."""

import gzip
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from graph_mirage import DatasetError, dataset_stats, load_dataset
from graph_mirage.data import random_split, scaffold_split

from .conftest import needs_data, without_start_up

# name -> graphs, class counts (after mapping labels to 0..C-1), avg nodes, avg undirected edges (TU / OGB tables)
PUBLISHED = {
    "MUTAG": (188, {"0": 63, "1": 125}, 17.93, 19.79),
    "PROTEINS": (1113, {"0": 663, "1": 450}, 39.06, 72.82),
    "NCI1": (4110, {"0": 2053, "1": 2057}, 29.87, 32.30),
    "DD": (1178, {"0": 691, "1": 487}, 284.32, 715.66),
    "IMDB-BINARY": (1000, {"0": 500, "1": 500}, 19.77, 96.53),
    "ogbg-molbace": (1513, {"0": 822, "1": 691}, 34.09, 36.86),
    "ogbg-molbbbp": (2039, {"0": 479, "1": 1560}, 24.06, 25.95),
}


@needs_data
@pytest.mark.parametrize("name", list(PUBLISHED))
def test_published_statistics(name, data_root):
    graphs, counts, avg_nodes, avg_edges = PUBLISHED[name]
    s = dataset_stats(load_dataset(name, data_root))
    assert s["graphs"] == graphs
    assert s["class_counts"] == counts
    assert s["avg_nodes"] == pytest.approx(avg_nodes, abs=0.01)
    assert s["avg_edges"] == pytest.approx(avg_edges, abs=0.01)
    assert sum(s["split"].values()) == graphs


@needs_data
def test_tu_labels_are_discrete_and_imdb_uses_degree(data_root):
    mutag = load_dataset("MUTAG", data_root)
    assert mutag[0].x.dtype == torch.long and mutag[0].x.shape[1] == 1
    assert dataset_stats(mutag)["node_labels"] == 7 and dataset_stats(mutag)["edge_labels"] == 4
    imdb = load_dataset("IMDB-BINARY", data_root)
    g = imdb[0]
    degree = torch.bincount(g.edge_index[0], minlength=g.num_nodes)
    assert torch.equal(g.x.view(-1), degree)
    assert imdb.meta["node_label_source"] == "node degree"
    assert torch.all(imdb.storage().edge_attr == 0)


@needs_data
def test_ogb_molecules_have_ogb_features(data_root):
    ds = load_dataset("ogbg-molbace", data_root)
    assert ds[0].x.shape[1] == 9 and ds[0].edge_attr.shape[1] == 3
    assert ds.meta["encoder"] == "ogb"
    assert {k: len(v) for k, v in ds.split.items()} == {"train": 1210, "valid": 151, "test": 152}


@needs_data
@pytest.mark.parametrize("name,csv", [("ogbg-molbace", "bace.csv.gz"), ("ogbg-molbbbp", "BBBP.csv.gz")])
def test_smiles_fallback_rebuilds_ogb_graphs_and_official_split(name, csv, data_root, tmp_path):
    """Without OGB's files, the CSV path gives the identical graphs and exactly OGB's scaffold split."""
    (tmp_path / "molecules").mkdir()
    os.symlink(data_root / "molecules" / csv, tmp_path / "molecules" / csv)
    official = load_dataset(name, data_root)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rebuilt = load_dataset(name, tmp_path)
    assert torch.equal(official.storage().x, rebuilt.storage().x)
    assert torch.equal(official.storage().edge_index, rebuilt.storage().edge_index)
    assert torch.equal(official.storage().edge_attr, rebuilt.storage().edge_attr)
    assert torch.equal(official.storage().y.view(-1), rebuilt.storage().y.view(-1))
    for part in ("train", "valid", "test"):
        assert set(official.split[part].tolist()) == set(rebuilt.split[part].tolist())
    if name == "ogbg-molbbbp":  # 11 of 2050 rows are not valid molecules: skipped, counted, reported
        assert rebuilt.meta["skipped"] == 11
        assert any("skipped 11 of 2050" in str(w.message) for w in caught)


@needs_data
def test_molhiv_from_csv(data_root):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ds = load_dataset("ogbg-molhiv", data_root)
    s = dataset_stats(ds)
    if s["skipped"]:  # skipped rows are always reported, also when loaded from the cache
        assert any(f"skipped {s['skipped']} of 41127" in str(w.message) for w in caught)
    assert s["graphs"] + s["skipped"] == 41127  # RDKit versions differ on a handful of SMILES; they are reported
    assert s["skipped"] < 20
    assert s["node_feature_columns"] == 9
    n = s["graphs"]
    assert abs(s["split"]["train"] - 0.8 * n) < 0.01 * n
    assert abs(s["split"]["valid"] - 0.1 * n) < 0.01 * n
    _assert_partition(ds.split, n)


@needs_data
def test_scaffold_split_never_shares_a_scaffold(data_root):
    from rdkit.Chem.Scaffolds import MurckoScaffold

    smiles = pd.read_csv(data_root / "molecules" / "bace.csv.gz")["mol"].tolist()
    split = scaffold_split(smiles)
    _assert_partition(split, len(smiles))
    scaffolds = {part: {MurckoScaffold.MurckoScaffoldSmiles(smiles=smiles[i], includeChirality=True)
                        for i in idx.tolist()} for part, idx in split.items()}
    assert not scaffolds["train"] & scaffolds["valid"]
    assert not scaffolds["train"] & scaffolds["test"]
    assert not scaffolds["valid"] & scaffolds["test"]
    assert scaffold_split(smiles)["test"].tolist() == split["test"].tolist()  # deterministic


def _assert_partition(split, n):
    all_idx = torch.cat([split["train"], split["valid"], split["test"]])
    assert len(all_idx) == n and len(torch.unique(all_idx)) == n


def test_random_split_sizes_disjoint_deterministic():
    y = np.array([0] * 70 + [1] * 30)
    a, b, c = random_split(y, seed=0), random_split(y, seed=0), random_split(y, seed=1)
    assert {k: len(v) for k, v in a.items()} == {"train": 80, "valid": 10, "test": 10}
    _assert_partition(a, 100)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["test"], c["test"])
    s = random_split(y, seed=3, stratify=True)
    _assert_partition(s, 100)
    assert (y[s["test"].numpy()] == 1).sum() == 3 and (y[s["train"].numpy()] == 1).sum() == 24


def test_split_seed_flows_through_load(synthetic):
    other = load_dataset("synthetic-motifs", seed=5)
    assert not torch.equal(synthetic.split["test"], other.split["test"])
    assert torch.equal(load_dataset("synthetic-motifs").split["test"], synthetic.split["test"])
    assert other.meta["split_seed"] == 5


def test_synthetic_dataset(synthetic):
    s = dataset_stats(synthetic)
    assert s["graphs"] == 300 and s["classes"] == 3
    assert s["class_counts"] == {"0": 100, "1": 100, "2": 100}
    assert s["split"] == {"train": 240, "valid": 30, "test": 30}
    # the motifs show in the degrees: cliques give degree >= 4 everywhere in the motif, stars and wheels a hub >= 6
    for g in synthetic[:9]:
        deg = torch.bincount(g.edge_index[0], minlength=g.num_nodes)
        if int(g.y) == 0:
            assert (deg >= 4).sum() >= 4
        else:
            assert deg.max() >= 6


# ----------------------------------------------------------------------------------------------------------------------
# bad input
# ----------------------------------------------------------------------------------------------------------------------
def write_tu(root: Path, name: str = "TOY", **override) -> Path:
    """A valid 2-graph TU dataset; ``override`` replaces a file's text."""
    raw = root / "TUDataset" / name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    files = {
        "A": "1, 2\n2, 1\n2, 3\n3, 2\n4, 5\n5, 4\n",
        "graph_indicator": "1\n1\n1\n2\n2\n",
        "graph_labels": "1\n-1\n",
        "node_labels": "0\n1\n0\n2\n0\n",
        "edge_labels": "0\n0\n1\n1\n0\n0\n",
    }
    files.update(override)
    for kind, text in files.items():
        if text is not None:
            (raw / f"{name}_{kind}.txt").write_text(text)
    return raw


def _cache_files(cache: Path) -> list[Path]:
    return [p for p in cache.rglob("*") if p.is_file()] if cache.exists() else []


def test_valid_toy_tu_dataset_loads(tmp_path):
    write_tu(tmp_path)
    ds = load_dataset("TOY", tmp_path, cache_dir=tmp_path / "cache", download=False)
    assert len(ds) == 2
    assert ds[0].num_nodes == 3 and ds[1].num_nodes == 2
    assert sorted(ds.storage().y.view(-1).tolist()) == [0, 1]  # -1/1 mapped to 0/1
    assert ds[0].edge_attr.view(-1).tolist() == [0, 0, 1, 1]


@pytest.mark.parametrize("override,message", [
    ({"A": "1, 2\n2, 1, 7\n"}, "expected 2 comma-separated fields"),
    ({"A": "1, 2\n2, x\n"}, "'x' is not an integer"),
    ({"A": "1, 2\n2, 9\n"}, "node id out of range"),
    ({"A": "1, 4\n4, 1\n"}, "joins nodes of two different graphs"),
    ({"graph_indicator": "1\n2\n1\n2\n2\n"}, "must be sorted"),
    ({"graph_indicator": "1\n1\n1\n3\n3\n"}, "without gaps"),
    ({"graph_labels": "1\n"}, "has 1 rows but the dataset has 2 graphs"),
    ({"node_labels": "0\n1\n0\n"}, "has 3 rows but the dataset has 5 nodes"),
    ({"edge_labels": "0\n"}, "has 1 rows but the dataset has 6 edges"),
    ({"graph_labels": None}, "missing raw file"),
    ({"graph_labels": None, "graph_attributes": "0.5\n1.5\n"}, "regression targets.*classification datasets"),
    ({"node_labels": "0\n1\n0\n2\n1.5\n"}, "'1.5' is not an integer"),
])
def test_malformed_tu_files_give_one_clear_line_and_no_cache(tmp_path, override, message):
    write_tu(tmp_path, **override)
    cache = tmp_path / "cache"
    with pytest.raises(DatasetError, match=message) as err:
        load_dataset("TOY", tmp_path, cache_dir=cache, download=False)
    assert "\n" not in str(err.value)
    assert _cache_files(cache) == []  # nothing half-written


def _pyg_reference(raw: Path, name: str, tmp: Path) -> tuple[list, tuple[bool, bool]]:
    """What PyG's own TUDataset reader makes of the same files, converted the same way."""
    from torch_geometric.datasets import TUDataset

    from graph_mirage.data.tu import pyg_graphs

    (tmp / "TUDataset" / name / "raw").mkdir(parents=True)
    for f in raw.iterdir():
        os.symlink(f.resolve(), tmp / "TUDataset" / name / "raw" / f.name)
    tu = TUDataset(str(tmp / "TUDataset"), name, use_node_attr=True)
    return pyg_graphs(tu), (tu.num_node_labels > 0, tu.num_edge_labels > 0)


def _same_graphs(mine, ref: list) -> None:
    """``mine`` (a FlatGraphs) holds ``ref``'s graphs, array by array, dtypes too."""
    from graph_mirage.data import FlatGraphs

    ref = FlatGraphs.from_data_list(ref)
    assert mine.num_graphs == ref.num_graphs
    for key in ("x", "edge_index", "edge_attr", "y", "node_ptr", "edge_ptr", "x_cont"):
        a, b = getattr(mine, key), getattr(ref, key)
        assert (a is None) == (b is None), key
        if a is not None:
            assert a.dtype == b.dtype and a.shape == b.shape and np.array_equal(a, b), key


def test_the_tu_reader_makes_the_graphs_pygs_reader_makes(tmp_path):
    """The numpy reader of local TU files against PyG's TUDataset on what its semantics hinge on: self-loops (dropped),
    repeated edges whose labels differ in two label columns (merged; PyG sums their one-hot labels), two node-label
    columns, classes 3/7/9, full-precision continuous attributes, a one-way edge."""
    from graph_mirage.data.tu import read_tu_arrays

    rng = np.random.default_rng(5)
    raw = tmp_path / "root" / "TUDataset" / "DUP" / "raw"
    raw.mkdir(parents=True)
    edges, indicator, node_labels, edge_labels, labels, first = [], [], [], [], [], 1
    for g in range(40):
        n = int(rng.integers(3, 9))
        for _ in range(3 * n):
            edges.append((first + int(rng.integers(n)), first + int(rng.integers(n))))
            edge_labels.append((int(rng.integers(2, 5)), int(rng.integers(0, 3))))
        indicator += [g + 1] * n
        node_labels += [(int(rng.integers(1, 4)), int(rng.integers(0, 2))) for _ in range(n)]
        labels.append([3, 7, 9][g % 3])
        first += n
    (raw / "DUP_A.txt").write_text("".join(f"{u}, {v}\n" for u, v in edges))
    (raw / "DUP_graph_indicator.txt").write_text("".join(f"{i}\n" for i in indicator))
    (raw / "DUP_graph_labels.txt").write_text("".join(f"{y}\n" for y in labels))
    (raw / "DUP_node_labels.txt").write_text("".join(f"{a}, {b}\n" for a, b in node_labels))
    (raw / "DUP_edge_labels.txt").write_text("".join(f"{a}, {b}\n" for a, b in edge_labels))
    (raw / "DUP_node_attributes.txt").write_text("".join(f"{rng.normal():.17g}, {rng.normal() * 1e-7:.9e}\n"
                                                         for _ in indicator))
    mine, has = read_tu_arrays(raw, "DUP")
    ref, ref_has = _pyg_reference(raw, "DUP", tmp_path / "pyg")
    _same_graphs(mine, ref)
    assert has == ref_has == (True, True)
    assert mine.edge_index.shape[1] < len(edges)  # the merge and the self-loops did happen
    plain = tmp_path / "root" / "TUDataset" / "PLAIN" / "raw"  # no labels at all: degrees, constant edge labels
    plain.mkdir(parents=True)
    for kind in ("A", "graph_indicator", "graph_labels"):
        shutil.copy(raw / f"DUP_{kind}.txt", plain / f"PLAIN_{kind}.txt")
    mine, has = read_tu_arrays(plain, "PLAIN")
    ref, ref_has = _pyg_reference(plain, "PLAIN", tmp_path / "pyg2")
    _same_graphs(mine, ref)
    assert has == ref_has == (False, False)


@needs_data
@pytest.mark.parametrize("name", ["MUTAG", "PROTEINS"])
def test_the_tu_reader_makes_pygs_graphs_of_real_datasets(tmp_path, data_root, name):
    from graph_mirage.data.tu import read_tu_arrays

    raw = Path(data_root) / "TUDataset" / name / "raw"
    mine, has = read_tu_arrays(raw, name)
    ref, ref_has = _pyg_reference(raw, name, tmp_path)
    _same_graphs(mine, ref)
    assert has == ref_has



@needs_data
def test_a_downloaded_tu_dataset_becomes_the_graphs_and_meta_of_local_files(tmp_path, data_root):
    """The download branch of read_tu (PyG's TUDataset, here finding its raw files already in its work directory, so
    nothing is fetched): the same arrays and meta as the local files give, and the files kept in the data root."""
    from graph_mirage.data.tu import read_tu

    raw = Path(data_root) / "TUDataset" / "MUTAG" / "raw"
    work = tmp_path / "work"
    (work / "TUDataset" / "MUTAG" / "raw").mkdir(parents=True)
    for f in raw.iterdir():
        os.symlink(f.resolve(), work / "TUDataset" / "MUTAG" / "raw" / f.name)
    keep = tmp_path / "root" / "TUDataset" / "MUTAG" / "raw"
    got, meta, split = read_tu("MUTAG", None, work, "missing", keep=keep)
    local, local_meta, _ = read_tu("MUTAG", raw, tmp_path / "unused", "missing")
    for key in ("x", "edge_index", "edge_attr", "y", "node_ptr", "edge_ptr"):
        a, b = getattr(got, key), getattr(local, key)
        assert a.dtype == b.dtype and np.array_equal(a, b), key
    assert split == {} and meta["source"] == "downloaded by torch_geometric"
    assert {k: v for k, v in meta.items() if k != "source"} == {k: v for k, v in local_meta.items() if k != "source"}
    assert sorted(f.name for f in keep.iterdir()) == sorted(f.name for f in raw.iterdir())


def test_the_tu_reader_benchmark_runs_and_its_readers_agree(tmp_path):
    """`benchmarks/tu_reader.py` on tiny datasets of both shapes: every reader (PyG's, graph-mirage's, the per-graph
    path, a first load) makes the same graphs, and the JSON says so (its seconds are not asserted)."""
    from .conftest import benchmark_module

    out = tmp_path / "tu.json"
    assert benchmark_module("tu_reader").main(["--dense", "12", "--many", "150", "--out", str(out)]) == 0
    blob = json.loads(out.read_text())
    assert [d["name"] for d in blob["datasets"]] == ["DENSE-EGO", "MANY-SMALL"]
    for d, n in zip(blob["datasets"], (12, 150)):
        assert d["identical_graphs"] is True and d["graphs"] == n
        assert [r["reader"] for r in d["rows"]] == ["pyg", "graph-mirage", "per-graph Data", "load_dataset"]
        assert all(r["graphs"] == n and r["peak_mb"] > 0 for r in d["rows"])


_FIRST_LOAD = """
import os, sys, time
from pathlib import Path
from graph_mirage import load_dataset
from graph_mirage.data import sources

root, cache, log = (Path(a) for a in sys.argv[1:4])
original = sources.TUSource.process

def process(self, raw, work, progress):
    with open(log, "a") as f:
        f.write("processed\\n")
    deadline = time.time() + 60  # the other loader has started: it must wait for this cache, not process again
    while len(list(root.glob("arrived.*"))) < 2 and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(1.0)
    return original(self, raw, work, progress)

sources.TUSource.process = process
(root / f"arrived.{os.getpid()}").touch()
print(len(load_dataset("TOY", root, cache_dir=cache, download=False, progress=True)))
"""


def test_two_first_loads_at_once_process_the_dataset_once(tmp_path):
    write_tu(tmp_path)
    log, cache = tmp_path / "log", tmp_path / "cache"
    procs = [subprocess.Popen([sys.executable, "-c", _FIRST_LOAD, str(tmp_path), str(cache), str(log)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    assert [out.split() for out, _ in outs] == [["2"], ["2"]]
    assert log.read_text().count("processed") == 1
    assert sum("waiting for its cache" in err for _, err in outs) == 1
    assert not [p for p in cache.rglob("*.lock")]  # the holder removed its lock file


@pytest.mark.parametrize("error", ["timeout", "unsupported"])
def test_a_load_that_cannot_lock_processes_the_dataset_itself(tmp_path, monkeypatch, error):
    import filelock

    def refuse(self, timeout=None, *args, **kwargs):
        if error == "timeout":  # another holder that outlasts the wait
            raise filelock.Timeout(str(self.lock_file))
        raise NotImplementedError("FileSystem does not appear to support flock")

    write_tu(tmp_path)
    cache = tmp_path / "cache"
    load_dataset("TOY", tmp_path, cache_dir=cache, download=False)
    (target,) = (cache / "TOY").iterdir()
    shutil.rmtree(target)  # processed again below
    live = cache / f".TOY-{target.name}-work"  # a holder of the lock may be processing it: not this load's to remove
    live.mkdir()
    from graph_mirage.data import sources

    original, works = sources.TUSource.process, []

    def process(self, raw, work, progress):
        works.append(work.parent.name)
        return original(self, raw, work, progress)

    monkeypatch.setattr(filelock.FileLock, "acquire", refuse)
    monkeypatch.setattr(sources.TUSource, "process", process)
    assert len(load_dataset("TOY", tmp_path, cache_dir=cache, download=False)) == 2
    assert target.is_dir() and live.is_dir() and not list(cache.rglob("*.lock"))
    assert works[0].startswith(f".TOY-{target.name}~")  # named apart: a holder's clean-up never takes it
    monkeypatch.undo()
    shutil.rmtree(target)
    assert len(load_dataset("TOY", tmp_path, cache_dir=cache, download=False)) == 2  # with the lock: cleaned
    assert not live.exists()


_KILLED_LOAD = """
import sys, time
from pathlib import Path
from graph_mirage import load_dataset
from graph_mirage.data import sources

root, cache = Path(sys.argv[1]), Path(sys.argv[2])

def process(self, raw, work, progress):
    work.mkdir(parents=True)
    (work / "partial").write_text("half of the graphs")
    (root / "processing").touch()
    time.sleep(120)

sources.TUSource.process = process
load_dataset("TOY", root, cache_dir=cache, download=False)
"""


def test_work_left_by_a_load_killed_mid_processing_is_removed_by_the_next(tmp_path):
    write_tu(tmp_path)
    cache = tmp_path / "cache"
    victim = subprocess.Popen([sys.executable, "-c", _KILLED_LOAD, str(tmp_path), str(cache)])
    deadline = time.time() + 120
    while not (tmp_path / "processing").exists() and time.time() < deadline and victim.poll() is None:
        time.sleep(0.05)
    victim.kill()  # SIGKILL mid-processing: its work directory stays behind
    victim.wait()
    assert [p.name for p in cache.glob(".TOY-*") if p.is_dir()]
    other = cache / ".OTHER-0123456789abcdef-x"  # another dataset's work: not this load's to remove
    other.mkdir()
    assert len(load_dataset("TOY", tmp_path, cache_dir=cache, download=False)) == 2
    assert not list(cache.glob(".TOY-*")) and other.is_dir()


def test_empty_tu_dataset(tmp_path):
    write_tu(tmp_path, A="", graph_indicator="", graph_labels="", node_labels=None, edge_labels=None)
    with pytest.raises(DatasetError, match="empty"):
        load_dataset("TOY", tmp_path, cache_dir=tmp_path / "cache", download=False)


def test_a_fold_without_folds_is_refused_not_ignored(tmp_path):
    # without folds the split would be the random one, whatever fold says
    with pytest.raises(DatasetError, match="fold=3 picks a test fold of cross-validation: give folds too"):
        load_dataset("synthetic-motifs", tmp_path, cache_dir=tmp_path / "cache", fold=3)


def test_a_path_that_is_no_dataset_says_what_it_is(tmp_path):
    (tmp_path / "notes.txt").write_text("x")
    for path, what in ((tmp_path / "notes.txt", "a file that is not a CSV"),
                       (tmp_path, "a directory, but not in graph-mirage's Parquet layout"),
                       (tmp_path / "missing" / "set", "no such file or directory")):
        with pytest.raises(DatasetError, match=f"^{re.escape(str(path))}: {what}.*a dataset is a name"):
            load_dataset(str(path), tmp_path / "root")


def test_unknown_dataset_lists_known(tmp_path):
    with pytest.raises(DatasetError, match="unknown dataset 'NOPE'.*ogbg-molhiv.*MUTAG"):
        load_dataset("NOPE", tmp_path)


def test_missing_raw_files(tmp_path):
    with pytest.raises(DatasetError, match="raw files for MUTAG not found.*data root"):
        load_dataset("MUTAG", tmp_path, cache_dir=tmp_path / "cache", download=False)
    with pytest.raises(DatasetError, match="raw files for ogbg-molbace not found"):
        load_dataset("ogbg-molbace", tmp_path, cache_dir=tmp_path / "cache", download=False)
    (tmp_path / "afile").write_text("x")  # a data root that cannot be one says so
    with pytest.raises(DatasetError, match=r"MUTAG_A\.txt \(the data root .*afile is a file, not a directory\)"):
        load_dataset("MUTAG", tmp_path / "afile", cache_dir=tmp_path / "cache", download=False)
    with pytest.raises(DatasetError, match=r"bace.csv.gz \(the data root .*absent does not exist\)"):
        load_dataset("ogbg-molbace", tmp_path / "absent", cache_dir=tmp_path / "cache", download=False)


def _write_csv(root: Path, name: str, text: str) -> None:
    (root / "molecules").mkdir(parents=True, exist_ok=True)
    with gzip.open(root / "molecules" / name, "wt") as f:
        f.write(text)


def test_csv_without_smiles_column(tmp_path):
    _write_csv(tmp_path, "bace.csv.gz", "molecule,Class\nCCO,1\n")
    with pytest.raises(DatasetError, match="no SMILES column 'mol'"):
        load_dataset("ogbg-molbace", tmp_path, cache_dir=tmp_path / "cache", download=False)
    assert _cache_files(tmp_path / "cache") == []


def test_unparsable_smiles_are_skipped_and_counted(tmp_path):
    rows = ["CCO,1", "c1ccccc1,0", "not_a_smiles,1", "CC(=O)O,0", "C1CC,1", "CCN,1", "CCCl,0", "OCCO,0"]
    _write_csv(tmp_path, "bace.csv.gz", "mol,Class\n" + "\n".join(rows) + "\n")
    with pytest.warns(UserWarning, match="skipped 2 of 8 SMILES"):
        ds = load_dataset("ogbg-molbace", tmp_path, cache_dir=tmp_path / "cache", download=False)
    assert len(ds) == 6 and ds.meta["skipped"] == 2


def test_csv_with_no_valid_rows_is_an_empty_dataset(tmp_path):
    _write_csv(tmp_path, "bace.csv.gz", "mol,Class\nxx,1\nyy,0\n")
    with pytest.raises(DatasetError, match="empty"):
        load_dataset("ogbg-molbace", tmp_path, cache_dir=tmp_path / "cache", download=False)


@needs_data
def test_read_only_root_is_never_written(data_root, tmp_path):
    root = tmp_path / "ro"
    shutil.copytree(data_root / "TUDataset" / "MUTAG", root / "TUDataset" / "MUTAG")
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    for p in [root, *root.rglob("*")]:
        p.chmod(p.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        ds = load_dataset("MUTAG", root, cache_dir=tmp_path / "cache", download=False)
        assert len(ds) == 188
        assert sorted(p.relative_to(root) for p in root.rglob("*")) == before
        again = load_dataset("MUTAG", root, cache_dir=tmp_path / "cache", download=False)  # from the cache
        assert torch.equal(again.storage().x, ds.storage().x)
    finally:
        for p in [root, *root.rglob("*")]:
            p.chmod(p.stat().st_mode | stat.S_IWUSR)


# ----------------------------------------------------------------------------------------------------------------------
# CLI
# ----------------------------------------------------------------------------------------------------------------------
def run_cli(*args, env=None):
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, "-m", "graph_mirage.cli", *args], capture_output=True, text=True, env=e,
                          timeout=600)


@needs_data
def test_cli_datasets_json(data_root):
    r = run_cli("datasets", "--root", str(data_root), "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    by_name = {row["name"]: row for row in rows}
    assert by_name["MUTAG"]["found"] and by_name["ogbg-molhiv"]["found"] and not by_name["ENZYMES"]["found"]
    r = run_cli("datasets", "MUTAG", "--root", str(data_root), "--json")
    one = json.loads(r.stdout)
    assert one["graphs"] == 188 and one["split"] == {"train": 150, "valid": 19, "test": 19}
    assert one["node_labels"] == 7


def test_cli_datasets_lists_the_tu_datasets_it_does_not_know_by_name(tmp_path):
    write_tu(tmp_path, "MY_GRAPHS")
    (tmp_path / "TUDataset" / "EMPTY_DIR" / "raw").mkdir(parents=True)  # no NAME_A.txt: not a dataset
    rows = {row["name"]: row for row in json.loads(run_cli("datasets", "--root", str(tmp_path), "--json").stdout)}
    assert rows["MY_GRAPHS"]["found"] and rows["MY_GRAPHS"]["kind"] == "tu" and "EMPTY_DIR" not in rows
    assert not rows["MUTAG"]["found"]


def test_cli_unknown_dataset_is_one_line(tmp_path):
    r = run_cli("datasets", "NOPE", "--root", str(tmp_path))
    assert r.returncode == 2
    err = without_start_up(r.stderr)
    assert err.count("\n") == 1 and "unknown dataset 'NOPE'" in err and "Traceback" not in r.stderr


def test_cli_malformed_file_is_one_line(tmp_path):
    write_tu(tmp_path, A="1, 2\n2, x\n")
    r = run_cli("distill", "TOY", "--root", str(tmp_path), "--out", str(tmp_path / "o.npz"),
                env={"MIRAGE_CACHE": str(tmp_path / "cache")})
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert without_start_up(r.stderr).strip().count("\n") == 0 and "'x' is not an integer" in r.stderr
    assert not (tmp_path / "o.npz").exists()


def test_the_union_of_two_flat_sets_is_the_flat_set_of_both_lists(synthetic):
    from graph_mirage.data import FlatGraphs

    graphs = list(synthetic[:7])
    a, b = FlatGraphs.from_data_list(graphs[:3]), FlatGraphs.from_data_list(graphs[3:])
    both, want = a.union(b), FlatGraphs.from_data_list(graphs)
    for name in ("x", "edge_index", "edge_attr", "y", "node_ptr", "edge_ptr"):
        assert np.array_equal(getattr(both, name), getattr(want, name)), name
    assert both.num_graphs == 7 and both.graph_ids is None and both.x_cont is None
    a.x_cont = np.ones((len(a.x), 2), np.float32)
    assert a.union(b).x_cont is None  # attributes only where both sets have them
    b.x_cont = np.zeros((len(b.x), 2), np.float32)
    assert a.union(b).x_cont.shape == (len(want.x), 2) and a.union(b).x_cont[: len(a.x)].all()
