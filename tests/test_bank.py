"""Tree banks (``bank=True``): prototypes that store their trees once. A GNN must see exactly the prototypes it sees
without a bank, the file must give back the same graphs, and the bytes must be what the file stores."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pytest
import torch

from graph_mirage import AutoPrototypes, DistilledDataset
from graph_mirage.bank import TreeBank
from graph_mirage.errors import ArtifactError, ParameterError
from graph_mirage.prototypes import TreePrototypes


@pytest.fixture(scope="module")
def pair(synthetic):
    train = synthetic[synthetic.split["train"]]
    plain = TreePrototypes(hops=2, per_class=10).fit(train)
    banked = TreePrototypes(hops=2, per_class=10, bank=True).fit(train)
    return plain, banked


def _readouts(d, conv_cls, seed=0):
    """Each graph's root-weighted sum readout after two layers of ``conv_cls`` with fixed random weights."""
    from torch_geometric.nn import GATConv, GCNConv, GINConv

    torch.manual_seed(seed)
    emb = torch.nn.Embedding(128, 8)  # node label column 0: up to 118 (OGB atom numbers)
    if conv_cls is GINConv:
        convs = [GINConv(torch.nn.Linear(8, 8)) for _ in range(2)]
    elif conv_cls is GATConv:
        convs = [GATConv(8, 8, add_self_loops=True) for _ in range(2)]
    else:
        convs = [GCNConv(8, 8) for _ in range(2)]
    out = []
    with torch.no_grad():
        for g in d:
            h = emb(g.x[:, 0])
            for conv in convs:
                h = torch.tanh(conv(h, g.edge_index))
            out.append((g.root_weight[:, None] * h).sum(0))
    return torch.stack(out)


@pytest.mark.parametrize("conv", ["GINConv", "GCNConv", "GATConv"])
def test_every_gnn_reads_a_banked_prototype_as_the_prototype_itself(pair, conv):
    import torch_geometric.nn as nn

    plain, banked = pair
    assert [p[0] for p in plain.prototypes_] == [p[0] for p in banked.prototypes_]
    a, b = _readouts(plain.distilled_, getattr(nn, conv)), _readouts(banked.distilled_, getattr(nn, conv))
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.equal(plain.distilled_.y, banked.distilled_.y)
    assert torch.equal(plain.distilled_.weight, banked.distilled_.weight)


def test_the_bank_is_smaller_and_its_bytes_are_what_the_file_stores(pair, tmp_path):
    plain, banked = pair
    d = banked.distilled_
    assert d.bank is not None and d.bank.num_graphs == len(d)
    # every tree any prototype uses is one root of the bank, once
    assert d.bank.dag.num_nodes < sum(g.num_nodes for g in d)
    assert d.nbytes() < plain.distilled_.nbytes()
    path = d.save(tmp_path / "bank.npz")
    with zipfile.ZipFile(path) as z:
        names = {n[:-4] for n in z.namelist()}
    assert {"bank_roots", "root_ptr", "root_weight", "x", "edge_index", "edge_attr", "y", "weight"} <= names
    assert not names & {"node_ptr", "edge_ptr", "root_mask"}
    with np.load(path) as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(bytes(arrays.pop("meta")).decode())
    assert meta["format_version"] == 2 and meta["params"]["bank"] is True
    stored = sum(a.nbytes for k, a in arrays.items() if k not in ("tree_freq", "tree_freq_ptr", "root_ptr"))
    assert stored == d.nbytes()  # the bank, root ids (int64) and weights (float32), labels (int64), supports


def test_a_bank_file_gives_back_the_same_graphs_and_bytes(pair, tmp_path):
    d = pair[1].distilled_
    path = d.save(tmp_path / "bank.npz")
    back = DistilledDataset.load(path)
    assert back.bank is not None and back.nbytes() == d.nbytes() and len(back) == len(d)
    for g, h in zip(d, back):
        for key in ("x", "edge_index", "edge_attr", "root_mask", "root_weight", "y", "weight"):
            assert torch.equal(getattr(g, key), getattr(h, key)), key
    assert back.save(tmp_path / "again.npz").read_bytes() == path.read_bytes()


def test_a_plain_file_is_unchanged_by_banks(pair, tmp_path):
    d = pair[0].distilled_
    path = d.save(tmp_path / "plain.npz")
    with np.load(path) as z:
        assert json.loads(bytes(z["meta"]).decode())["format_version"] == 1 and "bank_roots" not in z.files
    assert DistilledDataset.load(path).bank is None


def test_inconsistent_bank_arrays_are_refused(pair):
    a = pair[1].distilled_.bank.arrays(np.ones(len(pair[1].distilled_.bank.roots), dtype=np.float32))
    TreeBank.from_arrays(a)  # the arrays as written are accepted
    for key, bad in (("bank_roots", a["bank_roots"] + len(a["x"])), ("root_ptr", a["root_ptr"][:-1]),
                     ("root_weight", a["root_weight"][:-1]), ("edge_index", a["edge_index"] + len(a["x"]))):
        with pytest.raises(ValueError):
            TreeBank.from_arrays(dict(a, **{key: bad}))


def test_a_damaged_bank_file_is_one_error(pair, tmp_path):
    path = pair[1].distilled_.save(tmp_path / "bank.npz")
    data = bytearray(path.read_bytes())
    path.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(ArtifactError):
        DistilledDataset.load(path)


def test_bank_refusals(synthetic):
    train = synthetic[synthetic.split["train"]]
    with pytest.raises(ParameterError, match="bank must be"):
        TreePrototypes(bank="yes").fit(train)


def test_automatic_settings_with_a_bank_fit_more_prototypes_under_the_same_cap(synthetic):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    plain = AutoPrototypes(hops=1, max_fraction=0.05, min_graphs=0, bank=False).fit(train, validation=valid)
    banked = AutoPrototypes(hops=1, max_fraction=0.05, min_graphs=0).set_params(bank=True).fit(train, validation=valid)
    cap = 0.05 * banked.distilled_.meta["full_bytes"]
    assert banked.distilled_.nbytes() <= cap and banked.distilled_.bank is not None
    tried = {r["per_class"] for r in banked.cv_results_}
    assert max(tried) > max(r["per_class"] for r in plain.cv_results_)  # the bank's grid goes further
    assert max(r["per_class"] for r in banked.cv_results_ if r["scored"]) > \
        max(r["per_class"] for r in plain.cv_results_ if r["scored"])


def test_continuous_attributes_are_kept_in_a_bank(tmp_path):
    from graph_mirage import load_dataset
    from tests.test_node_attributes import NAME, _write_tu

    ds = load_dataset(NAME, _write_tu(tmp_path), node_attributes=True, stratify=True)
    d = TreePrototypes(hops=1, per_class=3, bank=True).fit(ds[ds.split["train"]]).distilled_
    assert d.bank.dag.x_cont.shape[1] == 2 and all(g.x_cont.shape == (g.num_nodes, 2) for g in d)
    back = DistilledDataset.load(d.save(tmp_path / "attrs.npz"))
    assert all(torch.equal(g.x_cont, h.x_cont) for g, h in zip(d, back))
    assert back.nbytes() == d.nbytes()


def test_merging_a_bank_with_itself_keeps_each_tree_once(pair):
    from graph_mirage.bank import merge_banks

    b = pair[1].distilled_.bank
    merged, maps = merge_banks([b, b], hops=2)
    assert merged.dag.num_nodes == b.dag.num_nodes and merged.dag.num_edges == b.dag.num_edges
    assert np.array_equal(maps[0], np.arange(b.dag.num_nodes)) and np.array_equal(maps[1], maps[0])
    assert merged.num_graphs == 2 * b.num_graphs and np.array_equal(merged.roots, np.concatenate([b.roots, b.roots]))


def _logits_per_batch(d, conv, readout, loader_cls, seed=3):
    """A fixed random model's logits over one shuffled epoch of ``d``, batched by ``loader_cls``."""
    from graph_mirage.models import make_model

    meta = d.meta
    torch.manual_seed(0)
    model = make_model(conv, int(meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"],
                       encoder=meta["encoder"], num_layers=2, hidden=16, readout=readout,
                       node_attributes=int(meta.get("node_attributes") or 0)).eval()
    with torch.no_grad():
        batches = list(loader_cls(d, batch_size=7, shuffle=True, generator=torch.Generator().manual_seed(seed)))
        return torch.cat([model(b) for b in batches]), torch.cat([b.y for b in batches])


@pytest.mark.parametrize("conv", ["gcn", "gat", "gin", "gine", "sage"])
@pytest.mark.parametrize("readout", ["sum", "mean", "max"])
def test_a_bank_batch_is_what_the_prototypes_are_as_graphs(pair, conv, readout):
    """One pass over the bank's sub-DAG gives each prototype in the batch the logits its own graph gives: the same
    prototypes per batch (the same sampler), every GNN and readout."""
    from torch_geometric.loader import DataLoader

    from graph_mirage.training import BankLoader

    d = pair[1].distilled_
    a, ya = _logits_per_batch(d, conv, readout, DataLoader)
    b, yb = _logits_per_batch(d, conv, readout, BankLoader)
    assert torch.equal(ya, yb)
    assert torch.allclose(a, b, atol=1e-5)


def test_a_bank_batch_holds_each_shared_tree_once(pair):
    from torch_geometric.data import Batch

    from graph_mirage.training import BankBatches

    d = pair[1].distilled_
    idx = list(range(len(d)))
    batch, graphs = BankBatches(d)(idx), Batch.from_data_list([d[i] for i in idx])
    assert batch.num_graphs == len(d) and batch.num_nodes == d.bank.dag.num_nodes < graphs.num_nodes
    assert torch.equal(batch.pool_weight, graphs.root_weight[graphs.root_mask])
    assert torch.equal(batch.root_batch, graphs.batch[graphs.root_mask])
    assert torch.equal(batch.x[batch.root_index], graphs.x[graphs.root_mask])


def test_bank_batches_carry_continuous_attributes(tmp_path):
    from graph_mirage import load_dataset
    from graph_mirage.training import BankLoader
    from tests.test_node_attributes import NAME, _write_tu

    ds = load_dataset(NAME, _write_tu(tmp_path), node_attributes=True, stratify=True)
    d = TreePrototypes(hops=1, per_class=3, bank=True).fit(ds[ds.split["train"]]).distilled_
    from torch_geometric.loader import DataLoader

    a, _ = _logits_per_batch(d, "gin", "sum", DataLoader)
    b, _ = _logits_per_batch(d, "gin", "sum", BankLoader)
    assert torch.allclose(a, b, atol=1e-5)


def test_training_on_bank_batches_learns_what_training_on_the_graphs_does(synthetic, pair):
    """A run trains on the same prototypes in the same order either way: the same scores at every epoch (GIN sums
    exactly; dropout 0). A subset of a bank set is trained as graphs (its prototypes no longer are the bank's)."""
    from graph_mirage.training import TrainConfig, has_bank, train_and_evaluate

    d = pair[1].distilled_
    runs = [train_and_evaluate(synthetic, d, model="gin", seeds=[0],
                               config=TrainConfig(epochs=5, batch_size=8, bank_batches=b))["runs"][0]
            for b in (True, False)]
    assert runs[0]["best_epoch"] == runs[1]["best_epoch"]
    assert runs[0]["val"] == pytest.approx(runs[1]["val"], abs=1e-6)
    assert runs[0]["test"] == pytest.approx(runs[1]["test"], abs=1e-6)
    assert has_bank(d) and not has_bank(d[[1, 0] + list(range(2, len(d)))]) and not has_bank(d[:5])
    sub = train_and_evaluate(synthetic, d[:12], model="gin", seeds=[0], config=TrainConfig(epochs=2))
    assert np.isfinite(sub["test_mean"])


def test_bank_batches_must_be_a_boolean():
    from graph_mirage.training import TrainConfig

    with pytest.raises(ParameterError, match="bank_batches must be True or False"):
        TrainConfig(bank_batches="yes")


def test_only_a_bank_sets_runs_are_keyed_by_bank_batches():
    """The benchmark's cache serves a run only for what it depends on: bank batches change a bank set's runs, not
    the runs of any other set or of the full split (whose keys stay those cached before the option)."""
    from graph_mirage.bench.runs import run_key
    from graph_mirage.training import TrainConfig

    meta = {"name": "X", "split_kind": "official"}
    plain = run_key(meta, "gin", TrainConfig(), 0, "set")
    assert plain == run_key(meta, "gin", TrainConfig(bank_batches=False), 0, "set")
    assert plain != run_key(meta, "gin", TrainConfig(), 0, "set", bank_batches=True)


def test_the_default_is_a_tree_bank_with_leaf_degrees_on_one_task(synthetic):
    """AutoPrototypes() on a single-task dataset makes the very set AutoPrototypes(bank=True, degrees=True) makes (the
    same bytes, so the same cached runs): a bank whose leaves carry their degrees. degrees=False is the bank before
    them; bank=False each prototype its own DAG, without degrees (the default before the bank); degrees=True alone
    keeps each prototype its own DAG (its files stay those measured)."""
    from graph_mirage.training.runcache import set_key

    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    auto = AutoPrototypes(hops=1).fit(train, validation=valid)
    both = AutoPrototypes(hops=1, bank=True, degrees=True).fit(train, validation=valid)
    assert auto.uses_bank() and auto.distilled_.bank is not None and auto.get_params()["degrees"] is None
    assert auto.distilled_.meta["params"]["degrees"] is True and set_key(auto.distilled_) == set_key(both.distilled_)
    without = AutoPrototypes(hops=1, degrees=False).fit(train, validation=valid)
    banked = AutoPrototypes(hops=1, bank=True, degrees=False).fit(train, validation=valid)
    assert set_key(without.distilled_) == set_key(banked.distilled_)
    assert "degrees" not in banked.distilled_.meta["params"]
    assert without.distilled_.bank is not None and without.distilled_.nbytes() < auto.distilled_.nbytes()
    plain = AutoPrototypes(hops=1, bank=False).fit(train, validation=valid)
    assert plain.distilled_.bank is None and "degrees" not in plain.distilled_.meta["params"]
    assert max(plain.grid()[1]) == 20 and max(auto.grid()[1]) == 200
    degrees = AutoPrototypes(hops=1, degrees=True).fit(train, validation=valid)
    assert not degrees.uses_bank() and degrees.distilled_.bank is None
    assert degrees.distilled_.meta["params"]["degrees"] is True


@pytest.fixture(scope="module")
def degree_pair(synthetic):
    train = synthetic[synthetic.split["train"]]
    own = TreePrototypes(hops=2, per_class=10, degrees=True).fit(train)
    banked = TreePrototypes(hops=2, per_class=10, degrees=True, bank=True).fit(train)
    return own, banked


@pytest.mark.parametrize("conv", ["GCNConv", "GINConv", "GATConv"])
def test_a_bank_with_leaf_degrees_gives_gcn_each_prototypes_own_dag_with_degrees(degree_pair, pair, conv):
    """bank=True with degrees=True: a prototype extracted from the bank is, for GCN (which reads the leaves' degrees)
    as for GIN and GAT, the prototype with its own DAG and degrees — in fewer bytes. Only GCN reads the degrees: GIN and
    GAT read the bank without them to the same numbers (their runs differ only where summation order does)."""
    import torch_geometric.nn as nn

    own, banked = degree_pair
    a, b = _readouts(own.distilled_, getattr(nn, conv)), _readouts(banked.distilled_, getattr(nn, conv))
    assert torch.allclose(a, b, atol=1e-5)
    assert banked.distilled_.bank is not None and banked.nbytes_ < own.nbytes_
    without = _readouts(pair[1].distilled_, getattr(nn, conv))
    if conv == "GCNConv":  # the degrees are what GCN sees: the bank without them gives other numbers
        assert not torch.allclose(a, without, atol=1e-3)
    else:
        assert torch.allclose(b, without, atol=1e-5)


def test_a_bank_with_leaf_degrees_round_trips_and_trains_in_bank_batches(degree_pair, tmp_path):
    from torch_geometric.loader import DataLoader
    from torch_geometric.nn import GCNConv

    from graph_mirage.training import BankLoader

    d = degree_pair[1].distilled_
    back = DistilledDataset.load(d.save(tmp_path / "deg_bank.npz"))
    assert back.meta["params"]["degrees"] is True and back.nbytes() == d.nbytes()
    assert torch.allclose(_readouts(back, GCNConv), _readouts(d, GCNConv), atol=1e-6)
    a, _ = _logits_per_batch(d, "gcn", "sum", DataLoader)
    b, _ = _logits_per_batch(d, "gcn", "sum", BankLoader)  # the extra node feeds each batch's leaves exactly
    assert torch.allclose(a, b, atol=1e-5)
