"""Decisions after a bias fitted on the validation split: what it fits, that the ranking stays, that training
reports it, and that a cached benchmark run written before it is read as it is or re-run with ``refresh``."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from graph_mirage import bench
from graph_mirage.bench.rows import _summary
from graph_mirage.training import Metric, fit_decision_bias, keep_decision_bias

from .test_bench import opts


def _scores(n=600, seed=0, prior=0.3, offset=2.0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < prior).astype(int)
    return y, offset + y + rng.normal(size=n)  # every graph leans to class 1: decisions at 0 are one class


def test_binary_bias_is_platt_scaling():
    y, s = _scores()
    z = np.stack([np.zeros_like(s), s], axis=1)
    assert (z.argmax(1) == 1).mean() > 0.95  # the uncalibrated decision is (nearly) one class
    shift = fit_decision_bias(y, z)
    ours = (z + shift).argmax(1)
    platt = LogisticRegression(C=1e6).fit(s[:, None], y).predict(s[:, None])
    assert (ours == platt).mean() > 0.99
    assert 0.05 < ours.mean() < 0.5 and (ours == y).mean() > 0.7


def test_decisions_are_taken_for_the_data_prior_not_the_validation_splits():
    # a validation split with 80 % positives (OGB's scaffold splits differ from the training split this much) and
    # data with 30 %: calibrated on the first, decided for the second
    y_valid, s_valid = _scores(n=2000, seed=5, prior=0.8, offset=0.0)
    y_test, s_test = _scores(n=2000, seed=6, prior=0.3, offset=0.0)
    zv, zt = (np.stack([np.zeros_like(s), s], axis=1) for s in (s_valid, s_test))
    own = (zt + fit_decision_bias(y_valid, zv)).argmax(1)
    data = (zt + fit_decision_bias(y_valid, zv, prior=np.array([0.7, 0.3]))).argmax(1)
    assert own.mean() > 0.6 and 0.05 < data.mean() < 0.4  # the validation split's prior says mostly positive
    assert (data == y_test).mean() > (own == y_test).mean() + 0.15
    # the Bayes threshold of N(0, 1) against N(1, 1) at a 30 % prior: 0.5 + log(7 / 3)
    shift = fit_decision_bias(y_valid, zv, prior=np.array([0.7, 0.3]))
    assert shift[0] - shift[1] == pytest.approx(0.5 + np.log(7 / 3), abs=0.15)


def test_a_model_without_signal_decides_the_validation_majority():
    rng = np.random.default_rng(1)
    y = (rng.random(400) < 0.3).astype(int)
    z = np.stack([np.zeros(400), rng.normal(size=400) + 3.0], axis=1)
    assert ((z + fit_decision_bias(y, z)).argmax(1) == 0).all()


def test_multi_class_bias_recovers_the_balance_and_keeps_the_ranking():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 3, 900)
    z = rng.normal(size=(900, 3))
    z[np.arange(900), y] += 2.0
    skewed = z + np.array([3.0, 0.0, 0.0])  # a model leaning to class 0
    m = Metric("toy", 3)
    out = m(y, skewed, fit_decision_bias(y, skewed))
    assert out["balanced_accuracy"] < 0.5 < 0.75 < out["balanced_accuracy_calibrated"]
    assert out["accuracy_calibrated"] == pytest.approx(m(y, z)["accuracy"], abs=0.03)
    assert min(out["pred_share_calibrated"]) > 0.25
    assert fit_decision_bias(np.zeros(5, dtype=int), skewed[:5]) is None  # one class: nothing to fit


def test_binary_rocauc_is_unchanged_by_the_bias():
    y, s = _scores(seed=3)
    z = np.stack([np.zeros_like(s), s], axis=1)
    m = Metric("toy", 2)
    plain, cal = m(y, z), m(y, z, fit_decision_bias(y, z))
    assert plain["rocauc"] == cal["rocauc"] and cal["accuracy_calibrated"] > plain["accuracy"] + 0.2


def test_several_tasks_get_one_bias_each_over_their_labels():
    rng = np.random.default_rng(4)
    y = (rng.random((500, 3)) < 0.2).astype(float)
    y[rng.random((500, 3)) < 0.3] = np.nan
    logits = np.nan_to_num(y) * 2.0 + rng.normal(size=(500, 3)) + np.array([4.0, -4.0, 0.0])
    y[:, 2] = np.where(np.isnan(y[:, 2]), np.nan, 0.0)  # a task with one class in validation
    shift = fit_decision_bias(y, logits, num_tasks=3)
    same = fit_decision_bias(y, logits, num_tasks=3, prior=np.nanmean(y, axis=0))
    assert same[:2] == pytest.approx(shift[:2], abs=0.1)  # the validation shares as the prior: no change
    # Bayes thresholds of N(m, 1) against N(m + 2, 1) at a 20 % prior: m + 1 + log(4) / 2
    assert shift[0] == pytest.approx(-(4 + 1 + np.log(4) / 2), abs=0.5)
    assert shift[1] == pytest.approx(-(-4 + 1 + np.log(4) / 2), abs=0.5) and shift[2] == 0.0
    out = Metric("toy", 2, num_tasks=3)(y, logits, shift)
    assert out["balanced_accuracy_calibrated"] > out["balanced_accuracy"]


def test_training_reports_the_calibrated_decisions(synthetic):
    from graph_mirage import Mirage
    from graph_mirage.training import TrainConfig, train_and_evaluate

    d = Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_
    r = train_and_evaluate(synthetic, d, model="gin", seeds=[0, 1], config=TrainConfig(epochs=5))
    for run in r["runs"]:
        for part in ("test_metrics", "test_last_metrics"):
            m = run[part]
            assert 0 <= m["accuracy_calibrated"] <= 1 and len(m["pred_share_calibrated"]) == 3
    assert "test_accuracy_calibrated_mean" in r and "test_balanced_accuracy_calibrated_mean" in r


def test_bench_rows_count_single_class_runs_after_the_bias():
    def run(share, cal_share=None):
        m = {"pred_share": share, "accuracy": 0.5}
        if cal_share is not None:
            m.update(pred_share_calibrated=cal_share, accuracy_calibrated=0.7)
        return {"split": 0, "seed": len(share), "val": 0.5, "test": 0.5, "test_last": 0.5, "test_metrics": m}

    out = _summary([run([1.0, 0.0], [0.6, 0.4]), run([0.5, 0.5], [1.0, 0.0]), run([1.0, 0.0])])
    assert out["single_class_runs"] == 2
    assert out["single_class_runs_calibrated"] == 1 and out["calibrated_runs"] == 2
    assert out["test_accuracy_calibrated_mean"] == pytest.approx(0.7)


def test_a_cached_run_from_before_the_bias_is_read_or_refreshed(tmp_path):
    o = opts(("mirage",), seeds=(0,), cache_dir=str(tmp_path / "runs"))
    first = next(r for r in bench.run(["synthetic-motifs"], o) if r["method"] == "mirage")
    path = next((tmp_path / "runs" / "synthetic-motifs").glob("*.json"))
    blob = json.loads(path.read_text())
    assert blob["outputs"] == 3 and "accuracy_calibrated" in blob["run"]["test_metrics"]
    assert blob["run"]["test_metrics"]["calibration_kept"] in (0.0, 1.0)
    for part in ("test_metrics", "test_last_metrics"):  # as a run cached before the bias was fitted
        blob["run"][part] = {k: v for k, v in blob["run"][part].items()
                             if not k.endswith("_calibrated") and k != "calibration_kept"}
    del blob["outputs"]
    path.write_text(json.dumps(blob))
    read = next(r for r in bench.run(["synthetic-motifs"], o) if r["method"] == "mirage")
    assert read["cached_runs"] == 1 and "calibrated_runs" not in read and read["test_mean"] == first["test_mean"]
    o.refresh = True
    fresh = next(r for r in bench.run(["synthetic-motifs"], o) if r["method"] == "mirage")
    assert fresh["cached_runs"] == 0 and fresh["calibrated_runs"] == 1
    assert fresh["test_mean"] == first["test_mean"]  # the same training, now with its decisions after the bias
    assert json.loads(path.read_text())["outputs"] == 3


def _heavy_tailed(seed=0, n=300):
    """Three classes, logits that rank well, and a few graphs confidently wrong by 150: their cross-entropy dominates
    the validation fit (as a sum readout on graphs far larger than a set's does)."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), n // 3)
    z = rng.normal(0, 1, (n, 3))
    z[np.arange(n), y] += 1.5
    bad = rng.choice(n, 20, replace=False)
    z[bad, (y[bad] + 1) % 3] += 150.0
    return y, z


def test_the_guard_refuses_a_bias_that_decides_validation_worse():
    y, z = _heavy_tailed()
    acc = lambda shift: float(((z + shift).argmax(1) == y).mean())  # noqa: E731
    fitted = fit_decision_bias(y, z, guard=False)
    assert acc(fitted) < acc(np.zeros(3)) - 0.05  # the cross-entropy's optimum is the less accurate decision
    assert not keep_decision_bias(y, z, fitted).any()
    assert np.array_equal(fit_decision_bias(y, z), np.zeros(3))  # the logits decide, as without the bias
    level = np.full(3, 0.5)  # the same decisions as the logits': what is given back where the bias is refused
    assert np.array_equal(fit_decision_bias(y, z, fallback=level), level)


def test_the_guard_keeps_a_bias_that_helps_and_weighs_graphs_by_the_prior():
    rng = np.random.default_rng(1)
    y = np.repeat([0, 1], [150, 150])
    z = np.stack([np.zeros(300), rng.normal(0, 1, 300) + 1.0 * y + 2.0], axis=1)  # every graph leans to class 1
    shift = fit_decision_bias(y, z)
    assert keep_decision_bias(y, z, shift) and ((z + shift).argmax(1) == y).mean() > 0.65
    # a shift that sends every graph to class 0 is worse on this balanced split, but the only right decision for
    # data where class 0 is 99 %: the validation graphs are weighted by prior / p_valid before comparing
    zero = np.array([0.0, -100.0])
    assert not keep_decision_bias(y, z, zero, fallback=shift)[0]
    assert keep_decision_bias(y, z, zero, fallback=shift, prior=np.array([0.99, 0.01]))[0]


def test_the_guard_decides_per_task():
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, (200, 2)).astype(float)
    y[:20, 1] = np.nan
    z = 3.0 * (y - 0.5) + rng.normal(0, 1, (200, 2))
    z = np.nan_to_num(z)
    keep = keep_decision_bias(y, z, np.array([0.1, -50.0]), num_tasks=2)  # the second sends every graph negative
    assert keep.tolist() == [True, False]
    out = fit_decision_bias(y, z, num_tasks=2, fallback=np.array([0.3, 0.4]))
    assert out.shape == (2,) and np.isfinite(out).all()


def test_a_run_records_whether_its_bias_was_kept(synthetic):
    from graph_mirage import Mirage
    from graph_mirage.training import TrainConfig, train_and_evaluate

    d = Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_
    r = train_and_evaluate(synthetic, d, model="gcn", seeds=[0, 1], config=TrainConfig(epochs=5))
    for run in r["runs"]:
        m = run["test_metrics"]
        assert m["calibration_kept"] in (0.0, 1.0)
        if m["calibration_kept"] == 0.0:  # refused: the decisions are the prior correction's
            assert m["accuracy_calibrated"] == m["accuracy"]
    assert 0 <= r["test_calibration_kept_mean"] <= 1


def test_the_guard_benchmark_pairs_refreshed_runs_with_their_records_by_key(tmp_path):
    """benchmarks/decision_guard.py pairs a refreshed run with the committed record of the same key, whatever method
    name it was cached under, and compares only runs whose training it reproduced."""
    from tests.conftest import benchmark_module

    mod = benchmark_module("decision_guard")

    def write(root, name, outputs, test, cal, kept=None, **extra):
        m = {"accuracy": 0.6, "accuracy_calibrated": cal, "balanced_accuracy_calibrated": cal,
             "pred_share_calibrated": [1.0, 0.0] if cal == 0.5 else [0.6, 0.4]}
        if kept is not None:
            m["calibration_kept"] = kept
        (root / "NCI1").mkdir(parents=True, exist_ok=True)
        (root / "NCI1" / name).write_text(json.dumps({"outputs": outputs, "run": {"test": test, "test_metrics": m},
                                                      **extra}))

    old, new = tmp_path / "old", tmp_path / "new" / "runs"
    write(old, "mirage-bank-gin-random-s0-seed0-aaaa.json", 2, 0.7, 0.5)
    write(old, "mirage-bank-gin-random-s0-seed1-bbbb.json", 2, 0.7, 0.8)
    write(old, "mirage-bank-gin-random-s0-seed2-cccc.json", 2, 0.7, 0.8)
    info = {"method": "mirage-auto", "model": "gin"}
    write(new, "mirage-auto-gin-random-s0-seed0-aaaa.json", 3, 0.7, 0.6, 0.0, **info)  # refused: the prior's 60 %
    write(new, "mirage-auto-gin-random-s0-seed1-bbbb.json", 3, 0.7, 0.8, 1.0, **info)  # kept: unchanged
    write(new, "mirage-auto-gin-random-s0-seed2-cccc.json", 3, 0.6, 0.9, 1.0, **info)  # another training
    write(new, "mirage-auto-gin-random-s0-seed3-dddd.json", 3, 0.7, 0.9, 1.0, **info)  # nothing to pair with
    (row,) = mod.compare("NCI1", tmp_path / "new", cache=old)
    assert (row["method"], row["model"], row["runs"], row["reproduced"], row["refused"]) == \
        ("mirage-auto", "gin", 3, 2, 1)
    assert row["acc_before"] == pytest.approx(65.0) and row["acc_after"] == pytest.approx(70.0)
    assert (row["one_class_before"], row["one_class_after"]) == (1, 0)
    assert "| NCI1 | GIN | mirage-auto | 3 (2) | 1 |" in mod.table([row])


def test_mirage_run_says_where_the_validation_bias_was_refused(capsys):
    from types import SimpleNamespace

    from graph_mirage.cli.output import print_run

    def result(kept):
        return {"metric": "accuracy", "readout": "sum", "test_mean": 0.6, "test_std": 0.01, "test_last_mean": 0.6,
                "test_accuracy_mean": 0.6, "test_accuracy_calibrated_mean": 0.6, "train_seconds": 1.0,
                "test_calibration_kept_mean": kept}

    split = {"train": [0] * 8, "valid": [0], "test": [0]}
    ds = type("DS", (), {"name": "toy", "split": split, "__len__": lambda self: 10})()
    summary = {"hops": 1, "seconds": 0.1, "graphs": 3, "nodes": 9, "bytes": 100, "full_bytes": 1000,
               "compression": 10.0}
    outcome = SimpleNamespace(dataset=ds, distilled=SimpleNamespace(summary=summary), on_set=result(0.5), full=None)
    print_run(outcome, 2)
    assert "refused (it decided validation worse than the prior correction) in 50% of the runs on Mirage" in \
        capsys.readouterr().out
    outcome.on_set = result(1.0)
    print_run(outcome, 2)
    assert "refused" not in capsys.readouterr().out
