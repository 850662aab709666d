"""Progress when stderr is not a terminal: plain lines, never silent through a long job, nothing when disabled."""

import io

from graph_mirage.progress import Progress


class _Log(io.StringIO):
    def isatty(self) -> bool:
        return False


def test_plain_lines_at_each_tenth_and_at_the_end():
    log = _Log()
    with Progress(20, "job", "run", every=3600, stream=log) as p:
        for i in range(20):
            p.update(1, val=0.5)
    lines = log.getvalue().splitlines()
    assert lines[0].startswith("job: 2/20 runs val 0.5000") and lines[-1].startswith("job: 20/20 runs")
    assert len(lines) == 10  # every tenth; the hour-long interval never elapsed


def test_disabled_prints_nothing():
    log = _Log()
    with Progress(5, "job", enabled=False, stream=log) as p:
        p.update(5)
    assert log.getvalue() == ""
