"""Candidates made with k-means on worker processes (AutoPrototypes(n_jobs=...), `mirage distill --jobs`): the same
candidates, scores, log lines and file bytes as made in one process, chains that stop at the byte cap as they do
there, in-process inside a daemonic worker, and one line when a worker dies."""

import json
import os
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool

import numpy as np
import pytest

from graph_mirage import AutoPrototypes, MirageError
from graph_mirage import candidates as cand
from graph_mirage.candidates import resolve_jobs


def rows(est) -> str:
    return json.dumps(est.cv_results_)  # NaN (a candidate not scored) compares equal as text


def fit(data, log=None, **kw):
    return AutoPrototypes(hops=[1, 2], per_class=[1, 2, 5, 10], **kw).fit(
        data[data.split["train"]], validation=data[data.split["valid"]], log=log)


@pytest.mark.parametrize("cap", [None, 6000])
def test_workers_make_the_same_candidates_scores_log_and_file(synthetic, tmp_path, cap, monkeypatch):
    logs, pools = {1: [], 2: []}, []
    one = fit(synthetic, logs[1].append, max_bytes=cap)
    pool = cand._pool
    monkeypatch.setattr(cand, "_pool", lambda n: pools.append(n) or pool(n))
    two = fit(synthetic, logs[2].append, max_bytes=cap, n_jobs=2)
    assert pools == [2, 2]  # the workers were started first, then the candidates were made on them
    assert rows(two) == rows(one) and two.best_params_ == one.best_params_
    assert logs[2] == logs[1] and len(logs[1]) == len(one.cv_results_)
    if cap is not None:  # the cap ended a depth's chain before its largest count, in both
        assert any("above the byte cap" in line for line in logs[1]) and len(one.cv_results_) < 8
    assert two.distilled_.save(tmp_path / "2.npz").read_bytes() == one.distilled_.save(tmp_path / "1.npz").read_bytes()


def test_workers_start_before_the_wl_colours_and_only_when_asked_for(synthetic, monkeypatch):
    from graph_mirage import auto

    events, pool, colours = [], cand._pool, auto.WLProbe.fit_colours
    monkeypatch.setattr(cand, "_pool", lambda n: events.append(("pool", n)) or pool(n))
    monkeypatch.setattr(auto.WLProbe, "fit_colours", lambda self: events.append("colours") or colours(self))
    fit(synthetic)
    assert events == ["colours"]  # one process: no worker started
    events.clear()
    fit(synthetic, n_jobs=2)
    assert events[:2] == [("pool", 2), "colours"]  # their start overlaps the colours' computation


def test_inside_a_daemonic_process_no_worker_is_started(synthetic, monkeypatch):
    class Daemon:
        daemon = True

    monkeypatch.setattr(cand.multiprocessing, "current_process", lambda: Daemon())
    monkeypatch.setattr(cand, "_pool", lambda n: pytest.fail("a daemonic process cannot start workers"))
    assert rows(fit(synthetic, n_jobs=2)) == rows(fit(synthetic))


def test_a_worker_that_dies_is_one_line(synthetic, monkeypatch):
    class Broken:
        def submit(self, fn, *args):
            f = Future()
            f.set_exception(BrokenProcessPool("killed"))
            return f

    monkeypatch.setattr(cand, "_pool", lambda n: Broken())
    with pytest.raises(MirageError, match="worker process ended abruptly.*n_jobs=1"):
        fit(synthetic, n_jobs=2)


def test_n_jobs_reads_as_scikit_learns():
    assert resolve_jobs(None) == 1 and resolve_jobs(3) == 3 and resolve_jobs(np.int64(2)) == 2
    assert resolve_jobs(-1) == (os.cpu_count() or 1)
    for bad in (0, True, "2"):
        with pytest.raises(Exception, match="n_jobs must be"):
            resolve_jobs(bad)


def test_mirage_distill_takes_workers_by_the_training_splits_size(synthetic, tmp_path, monkeypatch):
    """Without --jobs, `mirage distill` clusters on workers only for a large training split (one per core, at most
    AUTO_JOBS), and the file is the same."""
    from graph_mirage.config import defaults
    from graph_mirage.workflows import DataSettings, DistillSettings, distill
    from graph_mirage.workflows.distill import distill_jobs

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)), raising=False)
    assert distill_jobs(None, defaults.AUTO_JOBS_MIN_GRAPHS) == defaults.AUTO_JOBS
    assert distill_jobs(None, defaults.AUTO_JOBS_MIN_GRAPHS - 1) == 1 and distill_jobs(3, 10) == 3
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert distill_jobs(None, 10 ** 6) == 2
    pools, pool = [], cand._pool
    monkeypatch.setattr(cand, "_pool", lambda n: pools.append(n) or pool(n))
    s = DistillSettings(DataSettings("synthetic-motifs"), hops=1)
    small = distill(s, dataset=synthetic).distilled.save(tmp_path / "small.npz").read_bytes()
    assert pools == []  # 240 training graphs: no worker started
    monkeypatch.setattr(defaults, "AUTO_JOBS_MIN_GRAPHS", 100)
    large = distill(s, dataset=synthetic).distilled.save(tmp_path / "large.npz").read_bytes()
    assert pools == [2, 2] and large == small  # started, then used
