"""Multi-task molecules (ogbg-moltox21): the dataset and its split, OGB's evaluator, per-task distillation, masked
training, the artifact and Parquet formats, and refusals between single- and multi-task files."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from .conftest import needs_data

pytestmark = needs_data


@pytest.fixture(scope="module")
def tox21(data_root):
    from graph_mirage import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_dataset("ogbg-moltox21", data_root)


@pytest.fixture(scope="module")
def tox21_set(tox21):
    from graph_mirage.multitask import PerTask

    return PerTask().fit(tox21[tox21.split["train"]], validation=tox21[tox21.split["valid"]])


def test_tox21_reproduces_ogb_split_and_counts_what_rdkit_rejects(tox21):
    """OGB publishes 6,264 / 783 / 784; the split is made over all 7,831 rows, then the 8 molecules today's RDKit
    rejects leave their parts (7 train, 1 test)."""
    assert len(tox21) == 7831 - 8 and tox21.meta["skipped"] == 8
    assert [len(tox21.split[k]) for k in ("train", "valid", "test")] == [6264 - 7, 783, 784 - 1]
    assert "6264/783/784" in tox21.meta["split_note"] and "7 from train" in tox21.meta["split_note"]
    y = tox21.y.numpy()
    assert y.shape == (len(tox21), 12) and tox21.meta["num_tasks"] == 12
    assert int((~np.isnan(y)).sum()) > 77000  # 77,946 labels present in the file, a few in rejected rows


def test_metric_is_ogbs_evaluator_with_missing_labels_masked(tox21):
    from ogb.graphproppred import Evaluator

    from graph_mirage.training import Metric

    rng = np.random.default_rng(0)
    y = tox21.y.numpy()[tox21.split["test"].numpy()]
    logits = rng.normal(size=y.shape) + 2 * np.nan_to_num(y)
    ours = Metric("ogbg-moltox21", 2, "ogb", num_tasks=12)(y, logits)["rocauc"]
    theirs = Evaluator("ogbg-moltox21").eval({"y_true": y, "y_pred": logits})["rocauc"]
    assert ours == pytest.approx(theirs, abs=1e-12)
    # and the same rule where OGB's evaluator is not used (a user's CSV): tasks with both classes, labelled rows
    own = Metric("my.csv", 2, "csv", num_tasks=12)(y, logits)["rocauc"]
    assert own == pytest.approx(theirs, abs=1e-9)


def test_default_set_is_small_and_each_graph_informs_one_task(tox21, tox21_set):
    d = tox21_set.distilled_
    y = d.y.numpy()
    assert y.shape[1] == 12 and (np.isnan(y).sum(1) == 11).all()
    for t in range(12):  # both labels of every task are taught
        assert set(y[:, t][~np.isnan(y[:, t])].tolist()) == {0.0, 1.0}
    assert d.nbytes() <= 0.01 * d.meta["full_bytes"]
    assert d.meta["num_tasks"] == 12 and len(d.meta["class_counts"]) == 12
    # across tasks the default keeps each prototype its own DAG (one bank's cap took more per task and scored lower)
    assert d.bank is None and all("bank" not in t["params"] for t in d.meta["per_task"])
    assert tox21_set.best_params_ == d.meta["auto"]["settings"] | {} or tox21_set.best_params_["hops"] >= 1


def test_training_masks_missing_labels(tox21, tox21_set, tmp_path):
    from graph_mirage import DistilledDataset
    from graph_mirage.training import TrainConfig, train_and_evaluate

    path = tox21_set.distilled_.save(tmp_path / "tox.npz")
    d = DistilledDataset.load(path)
    assert np.array_equal(np.isnan(d.y.numpy()), np.isnan(tox21_set.distilled_.y.numpy()))
    res = train_and_evaluate(tox21, d, model="gcn", seeds=[0], config=TrainConfig(epochs=5))
    assert res["metric"] == "rocauc" and 0.3 < res["test_mean"] < 1.0  # finite: NaN labels never reach the loss


def test_a_support_weighted_loss_weights_each_label_by_its_graphs_support_within_its_task_and_label():
    """support='loss' on several tasks: an entry weighs its graph's support over the mean support of the graphs with
    the same label on the same task (so the weighting never re-balances a task's labels); missing entries none."""
    import torch

    from graph_mirage.training.loop import support_class_means, task_loss

    nan = float("nan")
    y = torch.tensor([[1.0, nan], [0.0, 1.0], [0.0, nan], [nan, 0.0]])
    weight = torch.tensor([4.0, 1.0, 3.0, 2.0])

    class Set:  # what support_class_means reads of a distilled set
        pass

    s = Set()
    s.y, s.weight = y, weight.view(-1, 1)
    means = support_class_means(s)
    assert means.tolist() == [[2.0, 4.0], [2.0, 1.0]]  # task 0: label 0 mean(1, 3), label 1: 4; task 1: 2 and 1
    logits = torch.tensor([[0.3, -0.2], [-1.0, 0.5], [0.2, 0.1], [0.7, -0.4]])
    entries = [(0, 0, 1.0), (1, 0, 0.0), (1, 1, 1.0), (2, 0, 0.0), (3, 1, 0.0)]
    ws = [4 / 4, 1 / 2, 1 / 1, 3 / 2, 2 / 2]
    bce = [float(torch.nn.functional.binary_cross_entropy_with_logits(logits[g, t], torch.tensor(v)))
           for g, t, v in entries]
    want = sum(w * b for w, b in zip(ws, bce)) / sum(ws)
    assert float(task_loss(logits, y, weight, means)) == pytest.approx(want, rel=1e-6)
    assert float(task_loss(logits, y)) == pytest.approx(sum(bce) / len(bce), rel=1e-6)  # unweighted: the mean


def test_a_multi_task_set_trains_with_support_weights_and_refuses_sampling(tox21):
    from graph_mirage.errors import MirageError
    from graph_mirage.multitask import PerTask
    from graph_mirage.prototypes import TreePrototypes
    from graph_mirage.training import TrainConfig, train_and_evaluate

    # three prototypes per task and label, of clusters of different sizes: the weights are not all one
    d = PerTask(TreePrototypes(hops=1, per_class=3)).fit(tox21[tox21.split["train"]]).distilled_
    assert len(set(d.storage().weight.view(-1).tolist())) > 10
    plain = train_and_evaluate(tox21, d, model="gcn", seeds=[0], config=TrainConfig(epochs=3))
    weighted = train_and_evaluate(tox21, d, model="gcn", seeds=[0], config=TrainConfig(epochs=3, support="loss"))
    assert 0.3 < weighted["test_mean"] < 1.0 and weighted["support"] == "loss" and plain["support"] == "none"
    assert weighted["runs"][0]["val"] != plain["runs"][0]["val"]  # the weights reach the loss
    with pytest.raises(MirageError, match="a multi-task set weights its loss per task and label instead: support "
                                          "'loss' \\(--weighting loss\\)"):
        train_and_evaluate(tox21, d, model="gcn", seeds=[0], config=TrainConfig(epochs=1, support="sample"))


def test_mirage_train_refuses_sampling_a_multi_task_set_in_one_line(tox21_set, tmp_path):
    import subprocess
    import sys

    from .conftest import without_start_up

    path = tox21_set.distilled_.save(tmp_path / "tox.npz")
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "train", "ogbg-moltox21", "--distilled", str(path),
                        "--weighting", "sample", "--seeds", "1"], capture_output=True, text=True, timeout=300)
    err = without_start_up(r.stderr).strip().splitlines()
    assert r.returncode == 2 and len(err) == 1 and "Traceback" not in r.stderr, r.stderr
    assert err[0].startswith("mirage: error: support 'sample' (--weighting sample) draws graphs by one class's")


def test_single_and_multi_task_files_refuse_each_other(data_root, tox21, tox21_set, tmp_path):
    from graph_mirage import Mirage, load_dataset
    from graph_mirage.distilled import check_compatible
    from graph_mirage.errors import ArtifactError

    bace = load_dataset("ogbg-molbace", data_root)
    single = Mirage(budget=2).fit(bace[bace.split["train"]]).distilled_
    with pytest.raises(ArtifactError, match="not 'ogbg-molbace'"):  # another dataset: refused by name first
        check_compatible(tox21_set.distilled_.meta, bace.meta)
    # the same name with another number of tasks (a CSV read with other label columns): refused by the tasks
    with pytest.raises(ArtifactError, match="has 12 task\\(s\\) but ogbg-molbace has 1: a multi-task set cannot"):
        check_compatible(dict(tox21_set.distilled_.meta, dataset="ogbg-molbace"), bace.meta)
    with pytest.raises(ArtifactError, match="has 1 task\\(s\\) but ogbg-moltox21 has 12: a single-task set cannot"):
        check_compatible(dict(single.meta, dataset="ogbg-moltox21"), tox21.meta)


def test_parquet_round_trip_distils_to_the_same_bytes(tox21, tox21_set, tmp_path):
    from graph_mirage.data import export_parquet
    from graph_mirage.data.parquet import read_parquet
    from graph_mirage.multitask import PerTask

    export_parquet(tox21, tmp_path / "pq")
    back = read_parquet(tmp_path / "pq")
    assert np.array_equal(back.y.numpy(), tox21.y.numpy(), equal_nan=True)
    again = PerTask().fit(back[back.split["train"]], validation=back[back.split["valid"]]).distilled_
    a = tox21_set.distilled_.save(tmp_path / "a.npz").read_bytes()
    b = again.save(tmp_path / "b.npz").read_bytes()
    assert a == b


def test_bench_itemset_form_is_distilled_per_task_and_label(tox21, tmp_path):
    """The bench's ``mirage`` method on a multi-task dataset: the paper's itemset form per task and label (no
    per-class herding or random there: those take a class per graph)."""
    from graph_mirage import DistilledDataset
    from graph_mirage.bench.methods import SplitContext, make_sets

    ctx = SplitContext("ogbg-moltox21", 0, tox21, tmp_path, False, [1], lambda *a: None)
    sets = make_sets(ctx, ("mirage", "herding", "random"))
    assert [s.method for s in sets] == ["mirage"] and sets[0].budget == 1
    d = DistilledDataset.load(sets[0].path)
    y = d.y.numpy()
    assert y.shape == (24, 12) and (np.sum(~np.isnan(y), axis=1) == 1).all()  # one graph per task and label
    assert sorted(np.nansum(y, axis=0).tolist()) == [1.0] * 12  # each task: one positive graph, one negative


@pytest.mark.parametrize("method", ["doscond", "kidd"])
def test_learned_baselines_refuse_several_tasks_in_one_line(tox21, data_root, tmp_path, method):
    """DosCond and KiDD are single-task: the estimator says so (not a NaN cast), `mirage condense` before it loads
    the data, and the bench records why instead of stopping."""
    from graph_mirage import MirageError
    from graph_mirage.baselines import DosCond, KiDD
    from graph_mirage.bench.methods import SplitContext, make_sets
    from graph_mirage.errors import DatasetError
    from graph_mirage.workflows import DataSettings
    from graph_mirage.workflows.files import CondenseSettings, condense

    cls = DosCond if method == "doscond" else KiDD
    with pytest.raises(DatasetError, match="single-task classification.* 12 tasks"):
        cls().fit(tox21[tox21.split["train"][:50]])
    data = DataSettings("ogbg-moltox21", str(data_root))
    loaded = []
    data.load = lambda *a: loaded.append(1)  # refused before this
    with pytest.raises(MirageError, match="ogbg-moltox21: DosCond and KiDD distil single-task"):
        condense(CondenseSettings(data, method=method))
    assert loaded == []
    ctx = SplitContext("ogbg-moltox21", 0, tox21, tmp_path, False, [1], lambda *a: None)
    assert make_sets(ctx, (method,)) == [] and "single-task" in ctx.errors[(method, None, None)]


def test_bench_bytes_sweep_shares_the_cap_among_the_tasks(tox21, tmp_path):
    """``--fractions`` on a multi-task dataset: one setting for every task, the cap shared among them, and the real
    graphs of herding in the same cap."""
    from graph_mirage.bench.methods import SplitContext, make_sets

    ctx = SplitContext("ogbg-moltox21", 0, tox21, tmp_path, False, [1], lambda *a: None, fractions=[0.002, 0.02])
    sets = make_sets(ctx, ("mirage-auto", "herding-bytes"))
    assert sorted((s.method, s.budget) for s in sets) == [("herding-bytes", 0.002), ("herding-bytes", 0.02),
                                                          ("mirage-auto", 0.002), ("mirage-auto", 0.02)]
    total = ctx.full_size[2]
    smallest = {"mirage-auto": 2 * 12, "herding-bytes": 1}  # one prototype per task and label; one real graph
    for s in sets:
        assert s.size[2] <= s.budget * total or s.size[0] == smallest[s.method]  # within the cap, or the smallest
    auto = {s.budget: s for s in sets if s.method == "mirage-auto"}
    assert set(auto[0.02].info["settings"]) >= {"hops", "per_class"} and auto[0.02].size[2] > auto[0.002].size[2]


@pytest.mark.parametrize("degrees", [False, True])
def test_every_tasks_prototypes_share_one_tree_bank(tox21, tmp_path, degrees):
    """Each task's banked prototypes, merged into one bank, are the prototypes a GNN sees without a bank, and the
    merged bank holds each tree once: smaller than the tasks' banks side by side. With leaf degrees too (GCN reads
    them: leaves of one colour and different degrees stay apart in the merge)."""
    import torch
    from torch_geometric.nn import GCNConv, GINConv

    from graph_mirage import DistilledDataset
    from graph_mirage.multitask import PerTask
    from graph_mirage.prototypes import TreePrototypes
    from graph_mirage.training import BankBatches

    from .test_bank import _readouts

    train = tox21[tox21.split["train"]]
    plain = PerTask(TreePrototypes(hops=2, per_class=2, degrees=degrees)).fit(train)
    banked = PerTask(TreePrototypes(hops=2, per_class=2, bank=True, degrees=degrees)).fit(train)
    d = banked.distilled_
    assert d.bank is not None and d.bank.num_graphs == len(d) == len(plain.distilled_) == 48
    for conv in (GINConv, GCNConv):
        assert torch.allclose(_readouts(plain.distilled_, conv), _readouts(d, conv), atol=1e-5)
    assert torch.equal(torch.nan_to_num(d.y, -1), torch.nan_to_num(plain.distilled_.y, -1))
    assert d.bank.dag.num_nodes < sum(e.distilled_.bank.dag.num_nodes for e in banked.estimators_)
    back = DistilledDataset.load(d.save(tmp_path / "tasks.npz"))
    assert back.bank is not None and back.nbytes() == d.nbytes() and back.y.shape == (48, 12)
    assert torch.equal(torch.nan_to_num(back.y, -1), torch.nan_to_num(d.y, -1))
    batch = BankBatches(d)(list(range(len(d))))  # the bank's training batches keep every task's labels
    assert batch.y.shape == (48, 12) and torch.equal(torch.nan_to_num(batch.y, -1), torch.nan_to_num(d.y, -1))


def test_automatic_settings_with_a_bank_count_the_merged_bank_against_the_cap(tox21):
    from graph_mirage import AutoPrototypes
    from graph_mirage.multitask import PerTask

    base = AutoPrototypes(hops=1, per_class=(1, 2, 5, 10), max_fraction=0.01)
    plain = PerTask(base).fit(tox21[tox21.split["train"]], validation=tox21[tox21.split["valid"]])
    banked = PerTask(base.set_params(bank=True)).fit(tox21[tox21.split["train"]],
                                                      validation=tox21[tox21.split["valid"]])
    d = banked.distilled_
    assert d.bank is not None and d.nbytes() <= 0.01 * d.meta["full_bytes"]
    # the cap is the merged set's, not a twelfth per task: more prototypes fit than without a bank
    assert banked.best_params_["per_class"] >= plain.best_params_["per_class"]
    assert max(r["per_class"] for r in banked.cv_results_ if r["scored"]) > \
        max(r["per_class"] for r in plain.cv_results_ if r["scored"])
    chosen = next(r for r in banked.cv_results_ if r["chosen"])
    assert chosen["bytes"] == d.nbytes() and "one tree bank" in d.meta["auto"]["rule"]


def test_task_vectors_label_every_task_of_a_cluster_prototype_with_its_members_mean(tox21):
    """benchmarks/levers.py --tox21: one prototype per class-agnostic cluster, labelled on every task where a member
    is labelled, with the members' mean label there (a soft label), supported by the cluster's size."""
    from .conftest import benchmark_module

    s = benchmark_module("levers").task_vectors(tox21, clusters=8)
    y, w = s.y.numpy(), s.storage().weight.view(-1).numpy()
    train_y = tox21[tox21.split["train"]].flat().y
    assert len(s) == 8 and y.shape == (8, train_y.shape[1]) and int(w.sum()) == len(train_y)
    labelled = y[~np.isnan(y)]
    assert ((labelled >= 0) & (labelled <= 1)).all() and ((labelled > 0) & (labelled < 1)).any()  # soft labels
    assert (~np.isnan(y)).sum(1).min() >= 1  # each prototype informs tasks, not one task as the default's do
    weighted = np.nansum(y * w[:, None], 0) / (w[:, None] * ~np.isnan(y)).sum(0)
    assert np.abs(weighted - np.nanmean(train_y, 0)).max() < 0.05  # the size-weighted labels are the data's rates
    assert s.meta["num_tasks"] == train_y.shape[1] and s.meta["params"] == {"clusters": 8, "hops": 1}
