"""Binned degrees as node labels (``load_dataset(degree_bins="log2")``, ``--degree-bins log2``): a dataset without
node labels gets its degrees binned, a dataset with labels is refused, and a set distilled one way never trains on
the dataset loaded the other way."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from graph_mirage import AutoPrototypes, load_dataset
from graph_mirage.data.degrees import log2_bins
from graph_mirage.distilled import check_compatible
from graph_mirage.errors import ArtifactError, DatasetError, ParameterError

from .conftest import needs_data


def test_log2_bins_keep_a_degrees_scale():
    assert log2_bins(np.array([0, 1, 2, 3, 4, 7, 8, 135])).tolist() == [0, 1, 2, 2, 3, 3, 4, 8]


@needs_data
def test_a_dataset_without_node_labels_gets_its_degrees_binned(data_root):
    plain = load_dataset("IMDB-BINARY", data_root)
    binned = load_dataset("IMDB-BINARY", data_root, degree_bins="log2")
    degrees = plain.storage().x[:, 0].numpy()
    assert plain.meta["node_label_source"] == "node degree" and degrees.max() > 100
    assert torch.equal(binned.storage().x[:, 0], torch.from_numpy(log2_bins(degrees)))
    assert binned.meta["node_vocab"] == [int(log2_bins(degrees).max()) + 1]
    assert binned.meta["degree_bins"] == "log2" and binned.meta["node_label_source"] == "node degree, log2 bins"
    assert all(np.array_equal(plain.split[k], binned.split[k]) for k in ("train", "valid", "test"))
    assert torch.equal(plain.storage().edge_index, binned.storage().edge_index)
    again = load_dataset("IMDB-BINARY", data_root)  # the processed cache keeps the degrees
    assert torch.equal(again.storage().x, plain.storage().x)


@needs_data
def test_labelled_nodes_and_unknown_binnings_are_refused(data_root):
    with pytest.raises(DatasetError, match="MUTAG's nodes have labels of their own"):
        load_dataset("MUTAG", data_root, degree_bins="log2")
    with pytest.raises(ParameterError, match="degree_bins must be one of log2"):
        load_dataset("IMDB-BINARY", data_root, degree_bins="log10")


@needs_data
def test_mirage_inspect_says_a_set_was_distilled_on_binned_degrees(data_root, tmp_path):
    import subprocess
    import sys

    out = tmp_path / "imdb.npz"
    subprocess.run([sys.executable, "-m", "graph_mirage", "distill", "IMDB-BINARY", "--root", str(data_root),
                    "--degree-bins", "log2", "--out", str(out), "--quiet"], check=True, timeout=600)
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "inspect", str(out)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and "node labels: log2-binned degrees" in r.stdout


@needs_data
def test_a_set_distilled_on_binned_degrees_trains_only_on_them(data_root):
    binned = load_dataset("IMDB-BINARY", data_root, degree_bins="log2")
    plain = load_dataset("IMDB-BINARY", data_root)
    s = AutoPrototypes().fit(binned[binned.split["train"]], validation=binned[binned.split["valid"]]).distilled_
    assert s.meta["degree_bins"] == "log2"
    assert int(s.x[:, 0].max()) < binned.meta["node_vocab"][0]
    check_compatible(s.meta, binned.meta)
    with pytest.raises(ArtifactError, match="distilled with log2-binned degrees .* --degree-bins log2"):
        check_compatible(s.meta, plain.meta)
    raw = AutoPrototypes().fit(plain[plain.split["train"]], validation=plain[plain.split["valid"]]).distilled_
    assert "degree_bins" not in raw.meta
    with pytest.raises(ArtifactError, match="without --degree-bins"):
        check_compatible(raw.meta, binned.meta)


@needs_data
def test_runs_on_binned_degrees_never_share_a_cache_key_with_the_raw_degrees(data_root):
    # a full-split run's key names the split, not the graphs: without the binning in it, a search or benchmark on
    # binned degrees would be served the cached runs of the raw ones
    from graph_mirage.training import TrainConfig
    from graph_mirage.training.runcache import run_key

    plain = load_dataset("IMDB-BINARY", data_root)
    binned = load_dataset("IMDB-BINARY", data_root, degree_bins="log2")
    keys = [run_key(ds.meta, "gin", TrainConfig(), 0, "full") for ds in (plain, binned)]
    assert keys[0] != keys[1]
    assert keys[0] == run_key(load_dataset("IMDB-BINARY", data_root).meta, "gin", TrainConfig(), 0, "full")


@needs_data
def test_a_benchmark_on_binned_degrees_trains_on_them_and_reads_no_raw_runs(data_root, tmp_path):
    from graph_mirage import bench
    from graph_mirage.bench.schedule import Options

    def table(bins):
        o = Options(models=["gin"], seeds=[0], budgets=[3], methods=("full", "mirage-auto"), quick=True, epochs=2,
                    log=lambda *a: None, root=str(data_root), cache_dir=str(tmp_path), degree_bins=bins)
        return {r["method"]: r for r in bench.run(["IMDB-BINARY"], o, jobs=1)}

    raw, binned = table(None), table("log2")
    assert all(binned[m]["cached_runs"] == 0 for m in ("full", "mirage-auto"))  # another dataset: trained anew
    assert all(table("log2")[m]["cached_runs"] == binned[m]["runs_total"] for m in ("full", "mirage-auto"))
    assert binned["mirage-auto"]["test_mean"] != raw["mirage-auto"]["test_mean"]


def test_mirage_bench_refuses_binned_degrees_on_a_dataset_with_node_labels(tmp_path):
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "graph_mirage", "bench", "--datasets", "synthetic-motifs",
                        "--degree-bins", "log2", "--quick", "--out", str(tmp_path)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "labels of their own" in r.stderr, r.stderr
    assert not list(tmp_path.iterdir())


@needs_data
def test_mirage_datasets_counts_the_bins_not_the_cached_raw_degrees(data_root):
    import json
    import subprocess
    import sys

    def stats(*flags):
        r = subprocess.run([sys.executable, "-m", "graph_mirage", "datasets", "IMDB-BINARY", "--root", str(data_root),
                            "--json", *flags], capture_output=True, text=True, timeout=600)
        assert r.returncode == 0, r.stderr
        blob = json.loads(r.stdout)
        return (blob[0] if isinstance(blob, list) else blob)["node_labels"]

    degrees = load_dataset("IMDB-BINARY", data_root).storage().x[:, 0].numpy()
    raw = stats()  # read from the processed cache's statistics
    assert raw == len(np.unique(degrees)) > 60
    assert stats("--degree-bins", "log2") == len(np.unique(log2_bins(degrees))) < 10
