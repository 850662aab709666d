"""Progress when stderr is not a terminal: plain lines, never silent through a long wait, nothing when disabled."""

import io
import time

from graph_mirage.progress import Progress


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
