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


# ---------------------------------------------------------------------------------------------------------------------
# mixup of the pooled embeddings (TrainConfig(mixup=alpha))

def test_the_model_is_its_head_over_its_pooled_embeddings(sets):
    plain, banked = sets
    model = make_model("gin", 3, plain.meta["node_vocab"], plain.meta["edge_vocab"], num_layers=2).eval()
    for batch in (next(iter(DataLoader(plain, batch_size=8))), next(iter(BankLoader(banked, batch_size=8)))):
        assert torch.equal(model(batch), model.head(model.pool(batch)))
        assert model.pool(batch).shape == (8, 64)


def test_mixup_of_identical_graphs_is_the_plain_loss_and_of_different_ones_is_not():
    from torch import nn

    from graph_mirage.training.augment import mixup_loss

    class Fixed(nn.Module):  # pools to given embeddings; its head reads them as logits
        def __init__(self, h):
            super().__init__()
            self.h, self.head = h, nn.Identity()

        def pool(self, batch):
            return self.h

    def ce(logits, y, weight):
        return nn.functional.cross_entropy(logits, y.view(-1))

    same = Fixed(torch.tensor([[2.0, -1.0]] * 4))
    batch = type("B", (), {"y": torch.zeros(4, dtype=torch.long)})()
    torch.manual_seed(0)
    assert mixup_loss(same, batch, ce, 1.0) == pytest.approx(float(ce(same.h, batch.y, None)))
    apart = Fixed(torch.tensor([[4.0, -4.0], [-4.0, 4.0]] * 2))
    batch.y = torch.tensor([0, 1, 0, 1])
    torch.manual_seed(1)
    mixed = [float(mixup_loss(apart, batch, ce, 1.0)) for _ in range(20)]
    assert min(mixed) >= float(ce(apart.h, batch.y, None)) - 1e-6 and max(mixed) > 0.1  # mixes are harder to fit


def test_training_with_mixup_is_seeded_differs_from_plain_and_runs_on_every_layout(synthetic, sets):
    plain, banked = sets
    cfg = TrainConfig(epochs=4, mixup=1.0)
    for train in (banked, plain, None):  # a tree bank's batches, distilled graphs, the full split's real graphs
        a = train_and_evaluate(synthetic, train, model="gcn", seeds=[0], config=cfg)["runs"][0]
        b = train_and_evaluate(synthetic, train, model="gcn", seeds=[0], config=cfg)["runs"][0]
        off = train_and_evaluate(synthetic, train, model="gcn", seeds=[0], config=TrainConfig(epochs=4))["runs"][0]
        assert (a["val"], a["test"], a["val_last"]) == (b["val"], b["test"], b["val_last"])
        assert (a["val"], a["test"], a["val_last"]) != (off["val"], off["test"], off["val_last"])


@pytest.mark.parametrize("bad", [-0.5, float("nan"), True, "1"])
def test_a_mixup_that_is_not_a_number_at_least_0_is_refused(bad):
    with pytest.raises(MirageError, match="mixup"):
        TrainConfig(mixup=bad)


def test_train_settings_the_command_line_and_the_bench_recipe_carry_mixup():
    from graph_mirage.cli.parser import build_parser
    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.training.runcache import run_key
    from graph_mirage.workflows.settings import TrainSettings

    assert TrainSettings(mixup=0.4).config("MUTAG").mixup == 0.4 and TrainSettings().config("MUTAG").mixup == 0.0
    with pytest.raises(MirageError, match="mixup"):
        TrainSettings(mixup=-1.0).check()
    assert build_parser().parse_args(["train", "MUTAG", "--full", "--mixup", "0.4"]).mixup == 0.4
    assert TrainConfig(**TRAIN_RECIPES["mixup"]).mixup > 0
    meta = {"name": "MUTAG", "split_kind": "random"}
    off, on = TrainConfig(), TrainConfig(mixup=1.0)
    assert run_key(meta, "gin", off, 0, "full") != run_key(meta, "gin", on, 0, "full")


# ---------------------------------------------------------------------------------------------------------------------
# the loss weighted by the prototypes' supports (TrainConfig(support="loss"), the bench recipe support-loss)
def test_a_support_weighted_loss_weighs_each_prototype_by_its_support_over_its_class_mean(sets):
    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.training.loop import _loss, support_class_means

    _, banked = sets
    batch = next(iter(BankLoader(banked, batch_size=len(banked))))
    assert torch.equal(batch.weight, banked.weight)  # a bank batch carries the supports the loss reads
    means = support_class_means(banked)
    y = banked.y.view(-1)
    assert torch.allclose(means[y], torch.stack([banked.weight[y == c].mean() for c in y]).float())
    logits = torch.randn(len(y), int(banked.num_classes), generator=_gen())
    each = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    w = banked.weight.view(-1) / means[y]  # each class's weights average 1: weighting never re-balances the classes
    assert torch.allclose(torch.stack([w[y == c].mean() for c in y.unique()]), torch.ones(len(y.unique())))
    config = TrainConfig(**TRAIN_RECIPES["support-loss"])
    assert config.support == "loss" and len(set(banked.weight.tolist())) > 1
    assert float(_loss(logits, y, batch.weight, config, means)) == pytest.approx(float((each * w).sum() / w.sum()))
    assert float(_loss(logits, y, batch.weight, TrainConfig(), means)) == pytest.approx(float(each.mean()))
