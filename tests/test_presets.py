"""The authors' released settings as presets: distillation results pinned on the paper's datasets, the authors'
cross-class filter, threshold steps chosen on validation, the training recipe, and the CLI's --preset."""

import json
import subprocess
import sys
import warnings

import numpy as np
import pytest

from graph_mirage import Mirage, MirageError, load_dataset
from graph_mirage.config.presets import PAPER_DISTILL, PAPER_TRAIN, DistillPreset, distill_preset, paper_train_config
from graph_mirage.mining import support_counts, transaction_matrix
from graph_mirage.trees import row_ids, wl_colours
from graph_mirage.workflows import select_step

from .conftest import needs_data


def _load(name, root):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # molhiv's skipped-SMILES warning is tested in test_data
        return load_dataset(name, root)


@needs_data
def test_molhiv_preset_gives_the_authors_set_size(data_root):
    ds = _load("ogbg-molhiv", data_root)
    m = Mirage.from_preset("ogbg-molhiv").fit(ds[ds.split["train"]])
    d = m.distilled_
    # the released molhiv set: 9 graphs (4 + 5), 121 nodes, 111 edges
    assert d.summary() == {"graphs": 9, "nodes": 121, "edges": 111, "bytes": d.nbytes()}
    assert m.thresholds_ == {0: 1800, 1: 115} and m.hops == 3
    supports = {c: sorted(s for _, s in sets) for c, sets in m.itemsets_.items()}
    # ours are exact; the authors' miner reported 1816, 1955, 2208, 7442 / 116, 118, 118, 118, 210
    assert supports == {0: [1955, 2208, 2413, 7500], 1: [116, 118, 118, 118, 211]}
    assert [len(its) for its, _ in m.itemsets_[0]] == [1, 1, 1, 1]
    assert d.meta["readout"] == "sum" and d.meta["params"]["itemsets"] == "all"
    assert d.nbytes() < 0.01 * d.meta["full_bytes"]


@needs_data
def test_molbace_and_dd_presets(data_root):
    for name, graphs, nbytes in (("ogbg-molbace", 13, 34765), ("DD", 26, 2229)):
        ds = _load(name, data_root)
        d = Mirage.from_preset(name).fit(ds[ds.split["train"]]).distilled_
        assert (len(d), d.nbytes()) == (graphs, nbytes)
        assert d.nbytes() < 0.01 * d.meta["full_bytes"]


@needs_data
def test_exclusive_rule_is_the_authors_cross_class_filter(data_root):
    """NCI1 at its preset: a set is kept iff it is frequent in its class and NOT frequent in the other class at the
    other class's own threshold, checked by brute-force support counting over all frequent sets."""
    ds = _load("NCI1", data_root)
    train = ds[ds.split["train"]]
    thresholds = distill_preset("NCI1").thresholds(0)
    kept = Mirage.from_preset("NCI1").fit(train)
    everything = Mirage(hops=2, min_support=thresholds, itemsets="all", overlap=None).fit(train)
    flat = train.flat()
    tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 2)[-1]
    matrix = transaction_matrix(flat.graph_of_node, tree, flat.num_graphs, int(tree.max()) + 1)
    for c in (0, 1):
        other = matrix[np.flatnonzero(flat.y == 1 - c)]
        sets = [its for its, _ in everything.itemsets_[c]]
        frequent_there = support_counts(other, sets) >= thresholds[1 - c]
        expected = {s for s, f in zip(sets, frequent_there) if not f}
        assert {its for its, _ in kept.itemsets_[c]} == expected
        assert 0 < len(expected) < len(sets)


def test_preset_thresholds_and_steps():
    p = distill_preset("IMDB-BINARY")
    assert p.steps == 10 and p.thresholds(0) == {0: 14, 1: 15} and p.thresholds(9) == {0: 5, 1: 6}
    with pytest.raises(MirageError, match="10 threshold step"):
        p.thresholds(10)
    m = Mirage.from_preset("ogbg-molbace")
    assert (m.hops, m.min_support, m.itemsets, m.overlap, m.exclusive) == (3, {0: 150, 1: 104}, "all", None, False)
    assert Mirage.from_preset("NCI1", step=1).min_support == {0: 440, 1: 570}
    with pytest.raises(MirageError, match="no distillation settings for 'MUTAG'"):
        Mirage.from_preset("MUTAG")
    with pytest.raises(MirageError, match="unknown preset"):
        distill_preset("DD", "mine")
    assert set(PAPER_DISTILL) == set(PAPER_TRAIN) == {"ogbg-molhiv", "ogbg-molbace", "ogbg-molbbbp", "NCI1", "DD",
                                                      "IMDB-BINARY"}


def test_training_recipe():
    cfg = paper_train_config("ogbg-molhiv", "gcn")
    assert (cfg.num_layers, cfg.hidden, cfg.dropout, cfg.batch_size, cfg.epochs) == (3, 128, 0.1, 64, 30)
    assert paper_train_config("ogbg-molhiv", "gat").weight_decay == 1e-6
    assert paper_train_config("ogbg-molbbbp", "gin").readout == "mean"
    assert paper_train_config("DD", "gin", epochs=5).epochs == 5  # an explicit value overrides the recipe


def test_exclusive_needs_explicit_thresholds():
    with pytest.raises(ValueError, match="exclusive needs explicit per-class thresholds"):
        Mirage(budget=3, exclusive=True)._validate()


def test_select_step_uses_validation_only(synthetic):
    preset = DistillPreset("synthetic-motifs", 2, {0: 40, 1: 40, 2: 40}, step_size=-10, steps=3)
    step, scores, m = select_step(synthetic, preset, model="gin", seeds=[0])
    assert [s["step"] for s in scores] == [0, 1, 2]
    assert "error" in scores[0]  # no set at the first thresholds: skipped, reported
    assert step == max((1, 2), key=lambda s: (scores[s]["val_mean"], -s))
    assert m.thresholds_ == preset.thresholds(step)


@needs_data
def test_cli_preset(tmp_path, data_root):
    out = tmp_path / "dd.npz"
    env_cmd = [sys.executable, "-m", "graph_mirage", "distill", "DD", "--root", str(data_root), "--preset", "paper",
               "--out", str(out), "--json"]
    r = subprocess.run(env_cmd, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout)
    assert (summary["graphs"], summary["hops"], summary["thresholds"], summary["preset"]) == \
        (26, 1, {"0": 15, "1": 9}, "paper")
    clash = subprocess.run(env_cmd[:-1] + ["--hops", "2"], capture_output=True, text=True)
    assert clash.returncode == 2 and "drop hops" in clash.stderr and clash.stderr.count("\n") == 1
