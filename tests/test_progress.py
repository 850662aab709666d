"""Progress when stderr is not a terminal: plain lines, never silent through a long wait, nothing when disabled."""

import io
import time

from graph_mirage.progress import Progress, Waiting, spoke


class _Log(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_short_work_prints_its_last_line_only():
    log = _Log()
    with Progress(20, "job", "run", every=3600, stream=log) as p:
        for _ in range(20):
            p.update(1, val=0.5)
    assert log.getvalue().splitlines() == [line for line in log.getvalue().splitlines() if "20/20 runs" in line]
    assert log.getvalue().startswith("job: 20/20 runs val 0.5000")


def test_a_burst_then_a_long_wait_is_shown():
    log = _Log()
    with Progress(10, "job", "run", every=0.2, stream=log) as p:
        p.update(3)  # a burst of results ...
        time.sleep(1.0)  # ... then a long wait for the next one
        assert "job: 3/10 runs" in log.getvalue()
        p.update(7)
    assert log.getvalue().splitlines()[-1].startswith("job: 10/10 runs")


def test_disabled_prints_nothing():
    log = _Log()
    with Progress(5, "job", enabled=False, stream=log) as p:
        p.update(5)
    assert log.getvalue() == ""


def test_work_that_stops_early_still_ends_with_a_line():
    log = _Log()
    with Progress(100, "seed 0", "epoch", every=3600, stream=log) as p:
        p.update(37)  # early stopping at epoch 37
    assert log.getvalue().splitlines() == [log.getvalue().splitlines()[0]]
    assert log.getvalue().startswith("seed 0: 37/100 epochs")


def test_a_step_that_takes_long_is_never_silent():
    log = _Log()
    with Progress(2, "job", "stage", every=0.2, stream=log) as p:
        p.update(0, stage="one long stage")
        time.sleep(1.1)  # no step ends: the ticker still says where the work is, at its pace
    lines = log.getvalue().splitlines()
    assert len(lines) >= 4 and all("0/2 stages, one long stage" in line for line in lines)


def _gaps(argv, env=None):
    """Run ``mirage ARGV`` with stdout and stderr into one pipe (as ``> log 2>&1``); the seconds between consecutive
    lines, from the start to the first line and from the last line to the exit included, and the exit status."""
    import os
    import subprocess
    import sys

    t0 = time.monotonic()
    p = subprocess.Popen([sys.executable, "-m", "graph_mirage", *argv], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, env={**os.environ, **(env or {})})
    stamps = [t0]
    for _ in p.stdout:
        stamps.append(time.monotonic())
    p.wait()
    stamps.append(time.monotonic())
    return [b - a for a, b in zip(stamps, stamps[1:])], p.returncode


def test_waiting_speaks_until_the_work_does_and_not_for_quick_work():
    quick = _Log()
    with Waiting("mirage x: loading", every=0.3, stream=quick):
        time.sleep(0.1)  # a bad input refused at once: its error stays the only line
    time.sleep(0.4)
    assert quick.getvalue() == ""
    log = _Log()
    with Waiting("mirage x: loading", every=0.2, stream=log):
        time.sleep(0.7)
        spoke()  # the work's first line
        before = log.getvalue()
        time.sleep(0.6)
        assert log.getvalue() == before
    lines = before.splitlines()
    assert len(lines) >= 2 and all(line.startswith("mirage x: loading (") for line in lines)


def test_the_benchmarks_own_lines_end_the_loading_heartbeat(capsys):
    """``mirage bench`` logs while it makes its training sets (minutes on a large sweep): its first line ends the
    "loading libraries and data" heartbeat, which would otherwise keep naming a phase that is over."""
    from graph_mirage.bench import _log

    log = _Log()
    with Waiting("mirage bench: loading", every=0.2, stream=log):
        time.sleep(0.5)
        _log(False)("[x] split 0: settings chosen")
        before = log.getvalue()
        time.sleep(0.6)
        assert log.getvalue() == before
    assert before.startswith("mirage bench: loading (") and "settings chosen" in capsys.readouterr().out


def test_no_phase_of_a_long_command_is_silent_in_a_log():
    """A main job made slow (a large model, many epochs) and logged to a file, with a line due every 2 s: never more
    than 8 s without one, also from the start while PyTorch is being imported (5-20 s, and silent without a line)."""
    gaps, rc = _gaps(["run", "synthetic-motifs", "--model", "gat", "--hidden", "128", "--epochs", "80", "--seeds",
                      "2", "--full-epochs", "20"], env={"MIRAGE_PROGRESS_SECONDS": "2"})
    assert rc == 0 and len(gaps) > 10
    assert gaps[0] <= 5 and max(gaps) <= 8, [round(g, 1) for g in gaps]
