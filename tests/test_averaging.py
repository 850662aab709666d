"""A moving average of the weights (``TrainConfig(ema=decay)``): the average, updated once per epoch, is what is
validated, chosen and tested; it follows the exponential recurrence, is seeded, and leaves every other run's cache
key as it was."""

from __future__ import annotations

import pytest
import torch

from graph_mirage.errors import MirageError
from graph_mirage.prototypes import TreePrototypes
from graph_mirage.training import TrainConfig, train_and_evaluate


def test_the_average_follows_the_exponential_recurrence_from_the_first_update():
    from graph_mirage.training.loop import _averaged

    model = torch.nn.Linear(3, 2)
    averaged = _averaged(model, 0.75)
    seen = []
    for step in range(4):
        with torch.no_grad():
            model.weight.mul_(-1.5).add_(step)
        seen.append(model.weight.detach().clone())
        averaged.update_parameters(model)
    expected = seen[0]  # the first update copies the weights
    for w in seen[1:]:
        expected = 0.75 * expected + 0.25 * w
    assert torch.allclose(averaged.module.weight, expected)
    assert not torch.allclose(averaged.module.weight, model.weight)
    assert _averaged(model, 0.0) is None


def test_training_on_the_average_is_seeded_differs_from_plain_and_runs_on_every_layout(synthetic):
    train = synthetic[synthetic.split["train"]]
    banked = TreePrototypes(hops=2, per_class=10, bank=True).fit(train).distilled_
    plain = TreePrototypes(hops=2, per_class=10).fit(train).distilled_
    on, off = TrainConfig(epochs=6, ema=0.8), TrainConfig(epochs=6)
    for fit_set in (banked, plain, None):  # a tree bank's batches, distilled graphs, the full split's real graphs
        a, b, c = (train_and_evaluate(synthetic, fit_set, model="gin", seeds=[0], config=cfg)["runs"][0]
                   for cfg in (on, on, off))
        assert (a["val"], a["test"], a["val_last"]) == (b["val"], b["test"], b["val_last"])
        assert (a["val_last"], a["test_last"]) != (c["val_last"], c["test_last"])


@pytest.mark.parametrize("bad", [-0.1, 1.0, float("nan"), True, "0.9"])
def test_a_decay_outside_0_to_1_is_refused(bad):
    with pytest.raises(MirageError, match="ema"):
        TrainConfig(ema=bad)


def test_the_bench_recipe_carries_the_average_and_other_runs_keep_their_keys():
    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.training.runcache import run_key

    assert 0 < TrainConfig(**TRAIN_RECIPES["ema"]).ema < 1
    meta = {"name": "MUTAG", "split_kind": "random", "split_seed": 0}
    # the keys these two runs had before the option existed (computed at 9c313626): committed runs stay found
    assert run_key(meta, "gin", TrainConfig(), 0, "full") == "eff118e0181583e7"
    assert run_key(meta, "gin", TrainConfig(lr=0.01, dropout=0.5), 3, "mirage-auto") == "bbf4cbf981c04b83"
    assert run_key(meta, "gin", TrainConfig(ema=0.8), 0, "full") != "eff118e0181583e7"


def test_train_settings_and_the_command_line_carry_the_average():
    from graph_mirage.cli.parser import build_parser
    from graph_mirage.workflows.settings import TrainSettings

    assert TrainSettings(ema=0.9).config("MUTAG").ema == 0.9 and TrainSettings().config("MUTAG").ema == 0.0
    with pytest.raises(MirageError, match="ema"):
        TrainSettings(ema=1.5).check()
    assert build_parser().parse_args(["train", "MUTAG", "--full", "--ema", "0.9"]).ema == 0.9
    assert build_parser().parse_args(["run", "MUTAG", "--ema", "0.9"]).ema == 0.9
