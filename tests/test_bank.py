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
    with pytest.raises(ParameterError, match="bank and degrees"):
        TreePrototypes(bank=True, degrees=True).fit(train)
    with pytest.raises(ParameterError, match="bank and degrees"):
        AutoPrototypes(bank=True, degrees=True).fit(train)
    with pytest.raises(ParameterError, match="bank must be"):
        TreePrototypes(bank="yes").fit(train)


def test_automatic_settings_with_a_bank_fit_more_prototypes_under_the_same_cap(synthetic):
    train, valid = synthetic[synthetic.split["train"]], synthetic[synthetic.split["valid"]]
    plain = AutoPrototypes(hops=1, max_fraction=0.05, min_graphs=0).fit(train, validation=valid)
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
