"""Root dropout (``TrainConfig(root_dropout=p)``): while training, each readout pools a random part of each graph's
roots, the kept roots' weights scaled by ``1 / (1 - p)``; every layout of a batch (a tree bank's, distilled graphs',
real graphs') drops the same way, and a graph never loses all of its roots."""

from __future__ import annotations

import pytest
import torch
from torch_geometric.loader import DataLoader

from graph_mirage.errors import MirageError
from graph_mirage.models import make_model
from graph_mirage.prototypes import TreePrototypes
from graph_mirage.training import BankLoader, TrainConfig, drop_roots, train_and_evaluate


@pytest.fixture(scope="module")
def sets(synthetic):
    train = synthetic[synthetic.split["train"]]
    plain = TreePrototypes(hops=2, per_class=10).fit(train).distilled_
    banked = TreePrototypes(hops=2, per_class=10, bank=True).fit(train).distilled_
    return plain, banked


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_a_bank_batch_keeps_a_random_part_of_each_prototypes_roots_scaled(sets):
    _, banked = sets
    full = next(iter(BankLoader(banked, batch_size=len(banked))))
    before = (full.root_index.clone(), full.root_batch.clone(), full.pool_weight.clone())
    dropped = drop_roots(next(iter(BankLoader(banked, batch_size=len(banked)))), 0.5, _gen())
    entries = {(int(g), int(r)): float(w) for g, r, w in zip(before[1], before[0], before[2])}
    kept = list(zip(dropped.root_batch.tolist(), dropped.root_index.tolist(), dropped.pool_weight.tolist()))
    assert 0.3 * len(entries) < len(kept) < 0.7 * len(entries)  # about half of the roots
    for g, r, w in kept:  # each kept root is one of its prototype's, its weight doubled
        assert w == pytest.approx(2 * entries[(g, r)])
    assert set(dropped.root_batch.tolist()) == set(range(len(banked)))  # no prototype left without a root


def test_distilled_graphs_keep_a_subset_of_their_roots_and_never_none(sets):
    plain, _ = sets
    batch = next(iter(DataLoader(plain, batch_size=len(plain))))
    roots, weight = batch.root_mask.clone(), batch.root_weight.clone()
    out = drop_roots(next(iter(DataLoader(plain, batch_size=len(plain)))), 0.3, _gen(1))
    assert not (out.root_mask & ~roots).any()  # only roots are pooled
    assert 0 < int(out.root_mask.sum()) < int(roots.sum())
    assert torch.allclose(out.root_weight[out.root_mask], weight[out.root_mask] / 0.7)
    # nearly every root dropped: a graph that would lose them all keeps them all
    almost = drop_roots(next(iter(DataLoader(plain, batch_size=len(plain)))), 0.999999, _gen(2))
    assert torch.equal(almost.root_mask, roots)


def test_real_graphs_pool_their_nodes_as_roots(mutag):
    graphs = mutag[mutag.split["train"]][:16]
    meta = mutag.meta
    torch.manual_seed(0)
    for readout in ("mean", "sum"):
        net = make_model("gin", 2, meta["node_vocab"], meta["edge_vocab"], num_layers=2, hidden=16,
                         readout=readout).eval()
        plain = net(next(iter(DataLoader(graphs, batch_size=16))))
        # every node would be dropped: each graph keeps all of them, weighted 1 / (1 - p)
        kept = net(drop_roots(next(iter(DataLoader(graphs, batch_size=16))), 0.999999, _gen()))
        if readout == "mean":
            assert torch.allclose(plain, kept, atol=1e-5)  # the same nodes pooled
        else:
            assert not torch.allclose(plain, kept)  # their sum scaled
    half = drop_roots(next(iter(DataLoader(graphs, batch_size=16))), 0.5, _gen())
    assert 0 < int(half.root_mask.sum()) < half.num_nodes


def test_no_dropout_leaves_the_batch_alone(sets):
    plain, _ = sets
    batch = next(iter(DataLoader(plain, batch_size=4)))
    weight = batch.root_weight.clone()
    assert drop_roots(batch, 0.0) is batch and torch.equal(batch.root_weight, weight)


def test_training_with_root_dropout_is_seeded_and_differs_from_plain(synthetic, sets):
    _, banked = sets
    cfg = TrainConfig(epochs=5, root_dropout=0.3)
    a = train_and_evaluate(synthetic, banked, model="gin", seeds=[0], config=cfg)["runs"][0]
    b = train_and_evaluate(synthetic, banked, model="gin", seeds=[0], config=cfg)["runs"][0]
    plain = train_and_evaluate(synthetic, banked, model="gin", seeds=[0], config=TrainConfig(epochs=5))["runs"][0]
    assert a["val"] == b["val"] and a["test"] == b["test"]
    assert (a["val"], a["test"], a["val_last"]) != (plain["val"], plain["test"], plain["val_last"])


@pytest.mark.parametrize("bad", [1.0, -0.1, True, "0.3"])
def test_root_dropout_outside_0_1_is_refused(bad):
    with pytest.raises(MirageError, match="root_dropout"):
        TrainConfig(root_dropout=bad)


def test_train_settings_and_the_bench_recipe_carry_root_dropout():
    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.workflows.settings import TrainSettings

    assert TrainSettings(root_dropout=0.3).config("MUTAG").root_dropout == 0.3
    assert TrainSettings().config("MUTAG").root_dropout == 0.0
    with pytest.raises(MirageError, match="root_dropout"):
        TrainSettings(root_dropout=1.5).check()
    assert TrainConfig(**TRAIN_RECIPES["drop-roots"]).root_dropout > 0
