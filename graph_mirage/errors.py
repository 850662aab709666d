"""Exceptions raised for bad input.

Every error a user can cause (unknown dataset, malformed file, impossible budget, incompatible artifact) is a
:class:`MirageError`. Its message is one line that says what is wrong and what to do; the CLI prints it and exits
with status 2 instead of showing a traceback.
"""


class MirageError(Exception):
    """A user-facing error with a one-line, actionable message."""


class DatasetError(MirageError):
    """A dataset cannot be found, parsed or split."""


class BudgetError(MirageError):
    """A distillation budget or support threshold cannot be met."""


class ArtifactError(MirageError):
    """A distilled-set file is missing, truncated, tampered with, foreign or incompatible."""


class ParameterError(MirageError, ValueError):
    """A parameter has an invalid value (also a ``ValueError``, as scikit-learn raises for bad hyper-parameters)."""
