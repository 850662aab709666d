"""The workflow layer: what ``mirage distill``, ``train``, ``run``, ``condense``, ``export`` and ``bench`` do, as
plain functions over settings dataclasses, shared by the command line, the benchmark and Python users.

Each workflow checks its settings before any work (:mod:`.settings`: ranges, combinations, the output path), reports
through a ``log`` callback (one line per step) and ``progress`` (bars on a terminal, plain lines in a log), and
returns what it made. The command line only parses arguments into settings, calls one workflow and prints.

Example:
    >>> from graph_mirage.workflows import DataSettings, DistillSettings, distill
    >>> out = distill(DistillSettings(DataSettings("synthetic-motifs"), budget=4), log=print)   # doctest: +SKIP
    >>> out.summary["graphs"], out.distilled                                                     # doctest: +SKIP
"""

from .._lazy import lazy

_LAZY = {
    "DataSettings": ".settings", "DistillSettings": ".settings", "SparkSettings": ".settings",
    "TrainSettings": ".settings", "check_output": ".settings", "parse_support": ".settings",
    "DistillOutcome": ".distill", "check_distill": ".distill", "distill": ".distill", "make_estimator": ".distill",
    "RunOutcome": ".train", "check_train": ".train", "run": ".train", "train": ".train",
    "best_by_validation": ".select", "select_step": ".select",
    "SearchSettings": ".search", "SearchOutcome": ".search", "search": ".search",
    "CondenseSettings": ".files", "condense": ".files", "export": ".files", "inspect": ".files",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy(__name__, _LAZY)
