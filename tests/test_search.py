"""Model search: the space file, the search estimator, its workers, the depth claim it relies on, the fidelity
statistics, and ``mirage search`` end to end."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone

from graph_mirage.errors import MirageError, ParameterError
from graph_mirage.search import ModelSearch, ScreenedSearch, SearchSpace
from graph_mirage.search.agreement import seed_agreement, seeds_for_ceiling, spearman_brown
from graph_mirage.search.estimator import choice_error
from graph_mirage.search.fidelity import fidelity_interval, rank_fidelity, seed_scores
from graph_mirage.stats import score_error

SMALL = {"model": ["gcn", "gin"], "layers": [1], "hidden": [16, 32], "dropout": [0.0], "lr": [0.01]}


@pytest.fixture(scope="module")
def auto_set(synthetic):
    from graph_mirage import AutoPrototypes

    return AutoPrototypes(hops=2).fit(synthetic[synthetic.split["train"]],
                                      validation=synthetic[synthetic.split["valid"]]).distilled_


# ---------------------------------------------------------------------------------------------------------------------
def test_default_space_is_a_few_dozen_configurations_up_to_the_hops():
    space = SearchSpace()
    configs = space.configurations(max_layers=2)
    assert len(configs) == space.size(2) == 64
    assert {c["model"] for c in configs} == {"gcn", "gat", "gin", "sage"}
    assert {c["layers"] for c in configs} == {1, 2}
    assert {c["layers"] for c in space.configurations(3)} == {1, 2, 3}
    assert len({json.dumps(c, sort_keys=True) for c in configs}) == 64  # no duplicates


def test_space_files_yaml_and_json_agree(tmp_path):
    (tmp_path / "s.yaml").write_text("model: [GIN, gcn]\nlayers: [1, 2]\nhidden: 64\nlr: [0.01]\n")
    (tmp_path / "s.json").write_text(json.dumps({"model": ["gin", "gcn"], "layers": [1, 2], "hidden": [64],
                                                 "lr": [0.01]}))
    a, b = SearchSpace.from_file(tmp_path / "s.yaml"), SearchSpace.from_file(tmp_path / "s.json")
    assert a == b
    assert a.configurations()[0] == {"model": "gin", "layers": 1, "hidden": 64, "dropout": 0.0, "lr": 0.01,
                                     "weight_decay": 0.0, "batch_size": 32}
    assert len(a.configurations()) == 2 * 2 * 2  # models x layers x dropouts (the default two)


@pytest.mark.parametrize("blob, message", [
    ({"model": ["gin"], "optimizer": ["sgd"]}, "unknown key(s) optimizer"),
    ({"model": ["mlp"]}, "unknown model 'mlp'"),
    ({"layers": [0]}, "layers values must be integers >= 1"),
    ({"dropout": [1.0]}, "dropout values must be numbers in [0, 1)"),
    ({"lr": [0]}, "lr values must be numbers in (0, inf)"),
    ({"hidden": []}, "hidden has no values"),
    ([1, 2], "expected a mapping"),
])
def test_bad_spaces_are_one_clear_error(blob, message):
    with pytest.raises(ParameterError, match=None) as e:
        SearchSpace.from_dict(blob)
    assert message in str(e.value)


def test_search_ranks_by_validation_and_is_an_estimator(synthetic, auto_set):
    search = ModelSearch(space=SMALL, epochs=5)
    assert clone(search).get_params() == search.get_params()
    search.fit(synthetic, auto_set)
    assert search.n_configurations_ == len(search.results_) == 4
    assert sorted(r["rank"] for r in search.results_) == [1, 2, 3, 4]
    vals = [r["val_mean"] for r in search.ranking()]
    assert vals == sorted(vals, reverse=True)
    best = search.results_[search.best_index_]
    assert best["rank"] == 1 and search.best_params_ == best["params"] and search.best_score_ == max(vals)
    assert search.metric_ == "accuracy" and search.trained_on_ != "full"
    # the one-standard-error ties: a score's error on the validation graphs (one seed: nothing added for seeds)
    y = synthetic.storage().y[synthetic.split["valid"]].numpy()
    assert search.validation_error_ == pytest.approx(score_error(best["val_mean"], y, synthetic.num_classes))
    level = [r["val_mean"] >= best["val_mean"] - search.validation_error_ for r in search.results_]
    assert [r["level_with_best"] for r in search.results_] == level and best["level_with_best"]
    assert search.n_level_with_best_ == sum(level)


def test_patience_stops_a_sets_runs_early_and_keeps_the_full_splits_own(synthetic, auto_set):
    search = ModelSearch(space=SMALL, epochs=40, patience=2).fit(synthetic, auto_set)
    runs = [e for r in search.results_ for e in r["epochs_runs"]]
    assert all(3 <= e <= 40 for e in runs) and min(runs) < 40  # at least one run stopped two epochs after its best
    assert ModelSearch(space=SMALL, epochs=4).fit(synthetic, auto_set).results_[0]["epochs_runs"] == [4]
    c = SearchSpace.from_dict(SMALL).configurations()[0]
    assert ModelSearch().train_config(c, full=False).patience is None
    assert ModelSearch().train_config(c, full=True).patience == 25
    assert ModelSearch(patience=5).train_config(c, full=False).patience == 5
    with pytest.raises(ParameterError, match="patience must be an integer >= 1 or None"):
        ModelSearch(patience=0).check_params()
    every = ModelSearch(patience=5, eval_every=2).train_config(c, full=False)  # patience in epochs, 3 evaluations
    assert (every.eval_every, every.patience) == (2, 3)
    with pytest.raises(ParameterError, match="eval_every must be an integer >= 1"):
        ModelSearch(eval_every=0).check_params()


def test_select_after_chooses_no_earlier_epoch_and_is_refused_when_it_leaves_none(synthetic, auto_set):
    free = ModelSearch(space=SMALL, epochs=12).fit(synthetic, auto_set)
    late = ModelSearch(space=SMALL, epochs=12, select_after=8).fit(synthetic, auto_set)
    chosen = [e for r in late.results_ for e in r["chosen_epochs_runs"]]
    assert all(8 <= e <= 12 for e in chosen)
    assert min(e for r in free.results_ for e in r["chosen_epochs_runs"]) < 8  # the option moved some choice
    c = SearchSpace.from_dict(SMALL).configurations()[0]
    assert ModelSearch(select_after=5).train_config(c, full=True).select_after == 5
    with pytest.raises(ParameterError, match="select_after must be an integer >= 1"):
        ModelSearch(select_after=0).check_params()
    with pytest.raises(ParameterError, match=r"select_after \(13\) must be at most the epochs \(12\)"):
        ModelSearch(epochs=12, select_after=13).check_params()
    screened = ScreenedSearch(space=SMALL, confirm=1, epochs=12, select_after=8)
    assert screened.screen().select_after == 8 and clone(screened).get_params()["select_after"] == 8


def test_root_dropout_trains_a_searchs_runs(synthetic, auto_set):
    c = SearchSpace.from_dict(SMALL).configurations()[0]
    assert ModelSearch(root_dropout=0.3).train_config(c, full=False).root_dropout == 0.3
    assert ModelSearch().train_config(c, full=False).root_dropout == 0.0
    with pytest.raises(ParameterError, match="root_dropout must be in"):
        ModelSearch(root_dropout=1.0).check_params()
    plain = ModelSearch(space=SMALL, epochs=4).fit(synthetic, auto_set)
    dropped = ModelSearch(space=SMALL, epochs=4, root_dropout=0.3).fit(synthetic, auto_set)
    assert [r["val_runs"] for r in plain.results_] != [r["val_runs"] for r in dropped.results_]
    assert clone(dropped).get_params()["root_dropout"] == 0.3


def test_workers_give_the_same_scores_as_one_process(synthetic, auto_set):
    one = ModelSearch(space=SMALL, epochs=3).fit(synthetic, auto_set)
    two = ModelSearch(space=SMALL, epochs=3, jobs=2).fit(synthetic, auto_set)
    assert [(r["val_mean"], r["test_mean"]) for r in one.results_] == \
           [(r["val_mean"], r["test_mean"]) for r in two.results_]


def test_per_seed_scores_are_what_a_one_seed_search_sees(synthetic, auto_set):
    two = ModelSearch(space=SMALL, epochs=3, seeds=2, jobs=2).fit(synthetic, auto_set)  # workers finish in any order
    one = ModelSearch(space=SMALL, epochs=3).fit(synthetic, auto_set)
    for r in two.results_:
        assert len(r["test_runs"]) == len(r["val_runs"]) == 2
        assert r["test_mean"] == pytest.approx(np.mean(r["test_runs"]))
    first = seed_scores(two, 0)
    assert first["test"].tolist() == [r["test_mean"] for r in one.results_]
    assert first["val"].tolist() == [r["val_mean"] for r in one.results_]
    replicate = rank_fidelity(seed_scores(two, 1), seed_scores(two, 0), k=2)  # a search's agreement with itself
    assert -1.0 <= replicate["spearman"] <= 1.0
    both = seed_scores(two, [0, 1])  # several seeds: each configuration's mean over them, as the search reports
    assert both["test"] == pytest.approx([r["test_mean"] for r in two.results_])
    assert both["val"] == pytest.approx([r["val_mean"] for r in two.results_])
    assert one.seed_agreement_ is None and two.seed_agreement_ == seed_agreement(two.results_)
    agree = two.seed_agreement_
    assert agree["seeds"] == 2 and agree["pairs"] in (0, 1)
    if agree["pairs"]:  # the two seeds' validation scores, as a one-seed search of each would rank them
        from scipy.stats import spearmanr

        assert agree["pairwise"] == pytest.approx(spearmanr(first["val"], seed_scores(two, 1)["val"]).statistic)
    with pytest.raises(MirageError, match="no seed 2 scores"):
        seed_scores(two, 2)
    with pytest.raises(MirageError, match="no seed 2 scores"):
        seed_scores(two, [0, 2])
    with pytest.raises(MirageError, match="no seed 1 scores"):
        seed_scores(one.results_, 1)


def test_a_cached_search_resumes_and_more_seeds_train_only_the_new_ones(synthetic, auto_set, tmp_path):
    from graph_mirage.training import permuted_labels

    cache = tmp_path / "runs"
    first = ModelSearch(space=SMALL, epochs=3, cache_dir=cache).fit(synthetic, auto_set)
    files = sorted(cache.rglob("*.json"))
    assert first.cached_runs_ == 0 and len(files) == len(first.results_) == 4  # one file per configuration and seed
    import torch  # each run records the kernels it was trained with (runs drift between instruction sets)

    assert json.loads(files[2].read_text())["machine"]["kernels"] == torch.backends.cpu.get_cpu_capability()
    files[0].unlink()  # a search stopped before its last run
    files[1].write_text('{"truncated": ')  # and a damaged file: trained again, not trusted
    again = ModelSearch(space=SMALL, epochs=3, cache_dir=cache).fit(synthetic, auto_set)
    assert again.cached_runs_ == 2 and len(list(cache.rglob("*.json"))) == 4
    same = ["val_runs", "test_runs", "epochs_runs", "rank"]
    assert [[r[k] for k in same] for r in again.results_] == [[r[k] for k in same] for r in first.results_]
    more = ModelSearch(space=SMALL, epochs=3, seeds=2, jobs=2, cache_dir=cache).fit(synthetic, auto_set)
    assert more.cached_runs_ == 4 and len(list(cache.rglob("*.json"))) == 8  # seed 0 read, seed 1 trained
    assert seed_scores(more, 0)["test"].tolist() == [r["test_mean"] for r in first.results_]
    other = ModelSearch(space=SMALL, epochs=4, cache_dir=cache).fit(synthetic, auto_set)  # other settings: other runs
    assert other.cached_runs_ == 0 and len(list(cache.rglob("*.json"))) == 12
    control = permuted_labels(auto_set, 0)
    assert ModelSearch(space=SMALL, epochs=3, cache_dir=cache).fit(synthetic, control).cached_runs_ == 0
    full = ModelSearch(space=dict(SMALL, model=["gin"], hidden=[16]), epochs=2, cache_dir=cache).fit(synthetic)
    assert full.cached_runs_ == 0 and any("search-full" in f.name for f in cache.rglob("*.json"))


def test_a_screened_search_confirms_the_sets_best_on_the_full_split(synthetic, auto_set, tmp_path):
    search = ScreenedSearch(space=SMALL, epochs=5, confirm=2, cache_dir=tmp_path / "runs")
    assert clone(search).get_params() == search.get_params()
    search.fit(synthetic, auto_set)
    kept = [r["params"] for r in search.screen_.ranking()[:2]]
    assert [r["params"] for r in search.confirm_.results_] == kept  # the set's two best, in its order
    assert search.confirm_.trained_on_ == "full" and search.full_runs_ == 2
    assert search.confirm_.results_[0]["epochs_runs"][0] > 5  # the full split's own epochs, not the screen's
    best = max(search.confirm_.results_, key=lambda r: r["val_mean"])
    assert search.best_params_ == best["params"] and search.best_test_ == best["test_mean"]
    assert search.screen_.results_[search.best_index_]["params"] == best["params"]
    assert search.screen_rank_ == search.screen_.results_[search.best_index_]["rank"] in (1, 2)
    # the confirmation's runs are a full-data search's: a full search of the same configurations reads them
    assert ModelSearch(space=kept, cache_dir=tmp_path / "runs").fit(synthetic).cached_runs_ == 2
    with pytest.raises(ParameterError, match="confirm must be an integer >= 1"):
        ScreenedSearch(space=SMALL, confirm=0).fit(synthetic, auto_set)
    with pytest.raises(ParameterError, match="needs a distilled set"):
        ScreenedSearch(space=SMALL).fit(synthetic, None)


def test_a_space_path_that_is_not_a_file_says_which(tmp_path):
    with pytest.raises(ParameterError, match="not a regular file"):
        SearchSpace.from_file(tmp_path)
    with pytest.raises(ParameterError, match="no such file"):
        SearchSpace.from_file(tmp_path / "absent.yaml")


@pytest.mark.parametrize("items, message", [
    ([], "non-empty list"), ([{"model": ["gin"], "layers": 1}], "one value"),
    ([{"model": "gin"}], "its number of layers"), ([{"model": "gin", "layers": 1, "epochs": 3}], "unknown key"),
    ([{"model": "gin", "layers": 1, "lr": -1.0}], "lr values must be numbers")])
def test_a_list_of_configurations_is_checked_as_a_space_is(items, message):
    with pytest.raises(ParameterError, match=message):
        ModelSearch(space=items).check_params()


def test_a_cache_dir_that_cannot_be_one_is_refused_before_training(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(MirageError, match="is an existing file; give a directory"):
        ModelSearch(cache_dir=tmp_path / "file").check_params()
    with pytest.raises(MirageError, match="is not a directory"):
        ModelSearch(cache_dir=tmp_path / "file" / "runs").check_params()
    with pytest.raises(MirageError, match="must be a directory path"):
        ModelSearch(cache_dir=3).check_params()
    assert "cache_dir" in ModelSearch().get_params() and clone(ModelSearch(cache_dir="x")).cache_dir == "x"


def test_layers_above_the_sets_hops_are_refused_before_training(synthetic, auto_set):
    with pytest.raises(ParameterError, match="exceed the distilled set's 2 hops"):
        ModelSearch(space=dict(SMALL, layers=[3])).fit(synthetic, auto_set)


@pytest.mark.parametrize("distiller", ["itemset", "auto"])
def test_a_deeper_set_serves_every_shallower_gnn(synthetic, auto_set, distiller):
    """A depth-L set serves 1..L layers: the depth-l computation tree of every root of the set (what an l-layer GNN
    pools) is the depth-l tree of a real training node, for every l <= L (joint exact WL refinement)."""
    from graph_mirage import Mirage
    from graph_mirage.trees import row_ids, wl_colours

    train = synthetic[synthetic.split["train"]]
    d = Mirage(hops=2, budget=3).fit(train).distilled_ if distiller == "itemset" else auto_set
    assert d.meta["hops"] == 2
    xs, es, eas, roots, offset = [], [], [], [], 0
    for part in (train, d):
        for g in part:
            xs.append(g.x.numpy().reshape(g.num_nodes, -1))
            es.append(g.edge_index.numpy() + offset)
            ea = getattr(g, "edge_attr", None)
            eas.append(np.zeros((g.edge_index.shape[1], 1), np.int64) if ea is None else
                       ea.numpy().reshape(g.edge_index.shape[1], -1))
            roots.append(g.root_mask.numpy() if part is d else np.zeros(g.num_nodes, bool))
            offset += g.num_nodes
    real = np.ones(offset, bool)
    real[sum(len(r) for r in roots[:len(train)]):] = False
    colours = wl_colours(row_ids(np.concatenate(xs)), np.concatenate(es, axis=1), row_ids(np.concatenate(eas)), 2)
    root = np.concatenate(roots)
    assert root.sum() > 0
    for depth in (1, 2):
        missing = set(colours[depth][root].tolist()) - set(colours[depth][real].tolist())
        assert not missing, f"{len(missing)} root trees of depth {depth} are not trees of the data"


def test_screened_regret_and_its_random_control():
    import itertools

    from graph_mirage.search.fidelity import random_screen_regret, screened_regret

    on_set = {"val": np.array([0.9, 0.5, 0.8, 0.7]), "test": np.zeros(4)}
    on_full = {"val": np.array([0.6, 0.9, 0.7, 0.65]), "test": np.array([0.60, 0.90, 0.75, 0.80])}
    assert screened_regret(on_set, on_full, 1) == {"regret": pytest.approx(0.30), "pick": 0, "kept": [0]}
    assert screened_regret(on_set, on_full, 2)["pick"] == 2  # the set keeps 0 and 2; the full data prefers 2
    assert screened_regret(on_set, on_full, 4)["pick"] == 1  # everything confirmed: the full data's own choice
    # the control is the mean over every K-subset of the full data's choice within it (brute force)
    rng = np.random.default_rng(0)
    full = {"val": rng.random(9), "test": rng.random(9)}
    for k in (1, 2, 4, 9):
        subsets = [np.array(c) for c in itertools.combinations(range(9), k)]
        brute = np.mean([full["test"].max() - full["test"][c[np.argmax(full["val"][c])]] for c in subsets])
        assert random_screen_regret(full, k) == pytest.approx(brute)


def test_rank_fidelity_statistics():
    full = {"val": [0.9, 0.8, 0.7, 0.6], "test": [0.88, 0.79, 0.7, 0.61]}
    same = rank_fidelity(full, full, k=2)
    assert same == {"spearman": 1.0, "kendall": 1.0, "top1_regret": 0.0, "top2_overlap": 1.0, "configurations": 4}
    reverse = {"val": [0.1, 0.2, 0.3, 0.4], "test": [0.1, 0.2, 0.3, 0.4]}
    r = rank_fidelity(reverse, full, k=2)
    assert r["spearman"] == -1.0 and r["top2_overlap"] == 0.0
    assert r["top1_regret"] == pytest.approx(0.88 - 0.61)
    iv = fidelity_interval(reverse, full, k=2, rounds=200, versus=full)
    assert iv["spearman"]["value"] == -1.0 and iv["diff_spearman"]["value"] == -2.0
    assert iv["diff_spearman"]["high"] < 0  # "ranks worse", outside the interval
    with pytest.raises(MirageError, match="different configurations"):
        rank_fidelity({"val": [1, 2], "test": [1, 2]}, full)


def test_seed_agreement_is_the_mean_spearman_of_the_seed_pairs_and_its_ceiling_spearman_brown():
    from scipy.stats import spearmanr

    def results(runs):  # [configurations, seeds]
        return [{"val_runs": list(r), "test_runs": list(r)} for r in runs]

    same = seed_agreement(results([[0.9, 0.8, 0.85], [0.7, 0.6, 0.65], [0.5, 0.4, 0.45], [0.3, 0.2, 0.25]]))
    assert (same["seeds"], same["pairs"], same["pairwise"], same["reliability"], same["ceiling"]) == (3, 3, 1, 1, 1)
    flipped = seed_agreement(results([[0.9, 0.1], [0.5, 0.5], [0.1, 0.9]]), "test")
    assert flipped["pairwise"] == -1.0 and flipped["reliability"] == 0.0 and flipped["ceiling"] == 0.0
    runs = np.random.default_rng(0).random((12, 3))
    noisy = seed_agreement(results(runs))
    rhos = [spearmanr(runs[:, a], runs[:, b]).statistic for a, b in ((0, 1), (0, 2), (1, 2))]
    assert noisy["pairwise"] == pytest.approx(np.mean(rhos))
    if noisy["pairwise"] > 0:
        assert noisy["reliability"] == pytest.approx(3 * np.mean(rhos) / (1 + 2 * np.mean(rhos)))
    tied = seed_agreement(results([[0.5, 0.9], [0.5, 0.8], [0.5, 0.7]]))
    assert tied["pairs"] == 0 and np.isnan(tied["pairwise"]) and np.isnan(tied["ceiling"])
    assert seed_agreement(results([[0.9], [0.8], [0.7]])) is None  # one seed: nothing to compare
    assert seed_agreement(results([[0.9, 0.8], [0.7, 0.6]])) is None  # two configurations: no ranking to speak of
    with pytest.raises(MirageError, match="key must be"):
        seed_agreement(results(runs), "train")
    assert spearman_brown(0.5, 1) == 0.5 and spearman_brown(0.5, 3) == pytest.approx(0.75)
    assert spearman_brown(-0.2, 4) == 0.0
    assert seeds_for_ceiling(0.5, 0.8) == 2 and seeds_for_ceiling(0.64, 0.8) == 1
    assert seeds_for_ceiling(0.0, 0.8) is None and seeds_for_ceiling(float("nan"), 0.8) is None


def test_the_agreement_line_says_what_the_seeds_allow():
    from graph_mirage.cli.output import agreement_line

    def line(r: float) -> str:
        return agreement_line(seed_agreement([{"val_runs": [float(v) for v in row]} for row in _runs(r, 2, 64)]))

    assert agreement_line(None).startswith("one seed: how much seed noise there is in this ranking is not measured")
    # two configurations searched with three seeds: measured by nothing, but not for want of seeds
    assert seed_agreement([{"val_runs": [0.9, 0.8, 0.7]}, {"val_runs": [0.6, 0.5, 0.4]}]) is None
    assert agreement_line(None, seeds=3).startswith("seed agreement: not measured with fewer than three configurations")
    noisy = seed_agreement([{"val_runs": [float(v) for v in row]} for row in _runs(0.2, 2, 64)])
    text = agreement_line(noisy)
    assert f"the 2 seeds order the 64 configurations alike at Spearman {noisy['pairwise']:+.2f} [" in text
    assert f"at most about {noisy['ceiling']:.2f} ({noisy['ceiling_low']:.2f} to {noisy['ceiling_high']:.2f})" in text
    assert noisy["ceiling_high"] < 0.8 and "seed noise alone keeps it from being faithful (about" in text
    assert text.endswith("seeds would lift that to 0.8; a larger set may)")
    assert line(0.97).endswith("seeds that agree are necessary for a faithful ranking, not sufficient")
    assert "(at this agreement no number of seeds would lift that to 0.8" in line(-0.5)
    assert "seed noise may keep it from being faithful" in line(0.36)  # its interval reaches above 0.8
    tied = agreement_line({"seeds": 3, "pairs": 0, "pairwise": float("nan")})
    assert tied == "seed agreement: the 3 seeds' validation scores are all tied: their order is undefined"


def _runs(r: float, seeds: int, configurations: int) -> np.ndarray:
    """Scores ``[configurations, seeds]`` whose seeds correlate at about ``r``: a shared part (negated in the second
    seed where ``r`` < 0) and each seed's own."""
    rng = np.random.default_rng(0)
    sign = np.ones(seeds)
    sign[1] = -1.0 if r < 0 else 1.0
    shared, own = rng.normal(size=(configurations, 1)), rng.normal(size=(configurations, seeds))
    return np.sqrt(abs(r)) * shared * sign + np.sqrt(1 - abs(r)) * own


def test_mirage_search_command_end_to_end(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("model: [gcn, gin]\nlayers: [1, 2]\nhidden: [16]\ndropout: [0.0]\nlr: [0.01]\n")
    out = tmp_path / "search.json"
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "search", "synthetic-motifs", "--space", str(space),
                        "--epochs", "4", "--eval-every", "2", "--patience", "2", "--select-after", "2",
                        "--root-dropout", "0.2", "--out", str(out)],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    record = json.loads(out.read_text())
    assert (record["epochs"], record["eval_every"], record["patience"], record["select_after"]) == (4, 2, 2, 2)
    assert record["root_dropout"] == 0.2
    assert all(e >= 2 for c in record["configurations"] for e in c["chosen_epochs_runs"])
    assert all(e in (2, 4) for c in record["configurations"] for e in c["epochs_runs"])
    assert record["set_hops"] == 2  # distilled at the deepest layer count the space asks for
    assert len(record["configurations"]) == 4 and record["distill_seconds"] > 0
    assert record["best_params"] == record["configurations"][0]["params"]
    assert f"chosen: {record['configurations'][0]['name']}" in r.stdout
    assert record["validation_graphs"] == 30 and record["validation_error"] > 0
    assert record["level_with_best"] == sum(c["level_with_best"] for c in record["configurations"]) >= 1
    assert "within one standard error of its validation score" in r.stdout
    assert record["seed_agreement"] is None and "one seed: how much seed noise" in r.stdout


def test_mirage_search_confirm_trains_the_sets_best_on_the_full_split(tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("model: [gcn, gin]\nlayers: [1, 2]\nhidden: [16]\ndropout: [0.0]\nlr: [0.01]\n")
    out = tmp_path / "search.json"
    r = subprocess.run([sys.executable, "-m", "graph_mirage", "search", "synthetic-motifs", "--space", str(space),
                        "--epochs", "4", "--confirm", "2", "--out", str(out)], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr
    record = json.loads(out.read_text())
    confirm = record["confirm"]
    # the set's two best (the record lists the screen's ranking), ranked again by the full data's validation
    assert sorted(c["name"] for c in confirm["results"]) == sorted(c["name"] for c in record["configurations"][:2])
    assert confirm["configurations"] == 2 and confirm["full_runs"] == 2
    assert confirm["best_params"] == confirm["results"][0]["params"] and confirm["screen_rank"] in (1, 2)
    assert f"chosen after confirmation: {confirm['results'][0]['name']}" in r.stdout


def test_seeds_widen_the_choice_error_by_their_spread(synthetic):
    """With several seeds the error of the best's mean adds the seeds' standard error to the validation graphs'."""
    y = synthetic.storage().y[synthetic.split["valid"]].numpy()
    one = {"val_mean": 0.8, "val_runs": [0.8]}
    spread = {"val_mean": 0.8, "val_runs": [0.7, 0.8, 0.9]}
    base = score_error(0.8, y, synthetic.num_classes)
    assert choice_error(one, synthetic) == pytest.approx(base)
    assert choice_error(spread, synthetic) == pytest.approx(np.sqrt(base ** 2 + 0.01 / 3))


def test_the_level_line_counts_the_configurations_the_validation_split_cannot_order():
    from types import SimpleNamespace

    from graph_mirage.cli.output import level_line

    def line(level, n):
        return level_line(SimpleNamespace(seeds=1, validation_error_=0.05, n_level_with_best_=level,
                                          n_configurations_=n), 151)

    assert line(1, 64).startswith("no other configuration is within one standard error of its validation score "
                                  "(±0.0500: 151 validation graphs)")
    assert line(41, 64).startswith("40 of the 63 other configurations (≈) within one standard error")
    assert line(41, 64).endswith("the validation split does not order them")
    assert line(2, 2).startswith("1 of the 1 other configuration (≈) within")
    assert line(2, 2).endswith("does not order it")


def test_the_search_uses_every_core_unless_told_and_one_worker_on_a_gpu(monkeypatch):
    """Without --jobs a search trains on one worker per usable core (at most TRAIN_JOBS), as mirage bench does."""
    from graph_mirage import _process
    from graph_mirage.cli.parser import build_parser
    from graph_mirage.config.defaults import TRAIN_JOBS
    from graph_mirage.workflows import DataSettings
    from graph_mirage.workflows.search import SearchSettings

    assert build_parser().parse_args(["search", "MUTAG"]).jobs is None
    data = DataSettings("MUTAG")
    for cores, expected in ((1, 1), (2, 2), (64, TRAIN_JOBS)):
        monkeypatch.setattr(_process, "usable_cores", lambda cores=cores: cores)
        assert SearchSettings(data).train_jobs() == expected
        assert SearchSettings(data).estimator().jobs == expected
    assert SearchSettings(data, device="cuda").train_jobs() == 1
    assert SearchSettings(data, jobs=3).train_jobs() == 3 and SearchSettings(data, jobs=3).estimator().jobs == 3
    assert SearchSettings(data).set_distill(2).jobs is None  # the set's k-means keeps its own rule by size


def test_set_bytes_caps_the_set_the_search_distils_first(tmp_path):
    from graph_mirage.cli.types import Share, bytes_or_share
    from graph_mirage.workflows import DataSettings
    from graph_mirage.workflows.search import SearchSettings, search

    assert bytes_or_share("5%") == Share(0.05) and isinstance(bytes_or_share("5%"), Share)
    assert bytes_or_share("4096") == 4096 and not isinstance(bytes_or_share("4096"), Share)
    space = tmp_path / "space.yaml"
    space.write_text("model: [gin]\nlayers: [1]\nhidden: [16]\ndropout: [0.0]\nlr: [0.01]\n")
    sets = {}
    for share in (None, 0.3):
        s = SearchSettings(DataSettings("synthetic-motifs"), space=str(space), epochs=2, set_max_fraction=share)
        outcome = search(s)
        sets[share] = (outcome.train_set, outcome.record())
    small, large = sets[None][0], sets[0.3][0]
    assert len(large) > len(small)  # room for more prototypes per class
    assert small.nbytes() < large.nbytes() <= 0.3 * large.meta["full_bytes"]
    assert sets[0.3][1]["set_bytes"] == large.nbytes() and sets[0.3][1]["set_graphs"] == len(large)


def test_versus_measures_a_search_against_a_record_of_the_same_space(tmp_path):
    """--versus FILE: this search's test scores against a record's (--out), with the record's own seed agreement;
    the full split searched again against its own record agrees with it exactly (the same seeds train the same)."""
    from graph_mirage.cli.output import versus_lines
    from graph_mirage.workflows import DataSettings
    from graph_mirage.workflows.search import SearchSettings, search

    space = tmp_path / "space.yaml"
    space.write_text("model: [gcn, gin]\nlayers: [1]\nhidden: [16]\ndropout: [0.0, 0.5]\nlr: [0.01]\n")
    data, full = DataSettings("synthetic-motifs"), tmp_path / "full.json"
    search(SearchSettings(data, full=True, space=str(space), seeds=2, epochs=3, jobs=1, out=str(full)))
    again = search(SearchSettings(data, full=True, space=str(space), seeds=2, epochs=3, jobs=1, versus=str(full)))
    v = again.versus
    assert v["spearman"]["value"] == pytest.approx(1.0) and v["top1_regret"]["value"] == 0.0
    assert v["configurations"] == 4 and v["trained_on"] == "full" and v["reference_agreement"]["seeds"] == 2
    on_set = search(SearchSettings(data, space=str(space), seeds=2, epochs=3, jobs=1, versus=str(full),
                                   out=str(tmp_path / "set.json")))
    record = json.loads((tmp_path / "set.json").read_text())
    assert record["versus"]["file"] == str(full) and -1 <= record["versus"]["spearman"]["value"] <= 1
    assert versus_lines(on_set.versus).startswith(f"against {full} (the full training split, 2 seed(s)), test scores "
                                                  f"of the same 4 configurations")


def test_a_versus_record_that_cannot_serve_is_refused_before_training(tmp_path):
    from graph_mirage.workflows import DataSettings
    from graph_mirage.workflows.search import SearchSettings, search

    space = tmp_path / "space.yaml"
    space.write_text("model: [gcn]\nlayers: [1]\nhidden: [16]\ndropout: [0.0]\nlr: [0.01, 0.001]\n")
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"dataset": "MUTAG", "configurations": [
        {"name": "gcn-L1-h16-d0-lr0.01", "val_mean": 0.5, "test_mean": 0.5},
        {"name": "gcn-L1-h16-d0-lr0.001", "val_mean": 0.6, "test_mean": 0.6}]}))
    (tmp_path / "bad.json").write_text("not json")
    (tmp_path / "empty.json").write_text("{}")
    data = DataSettings("synthetic-motifs")
    for name, message in (("none.json", "no such search record"), ("bad.json", "not a search record"),
                          ("empty.json", "no configurations")):
        with pytest.raises(MirageError, match=message):
            SearchSettings(data, full=True, space=str(space), versus=str(tmp_path / name)).check()
    wider = tmp_path / "wider.yaml"
    wider.write_text("model: [gcn, gin]\nlayers: [1]\nhidden: [16]\ndropout: [0.0]\nlr: [0.01, 0.001]\n")
    with pytest.raises(MirageError, match="holds no result for 2 of this search's 4 configurations"):
        SearchSettings(data, full=True, space=str(wider), versus=str(other)).check()
    with pytest.raises(MirageError, match="is a search of 'MUTAG', not 'synthetic-motifs'"):
        search(SearchSettings(data, full=True, space=str(space), epochs=2, jobs=1, versus=str(other)))
