"""Model search on a distilled set (``mirage search``): a search space, the search estimator, and how faithfully a
set ranks configurations compared with the full training split.

Example:
    >>> from graph_mirage.search import ModelSearch, SearchSpace
    >>> space = SearchSpace(model=("gcn", "gin"), hidden=(64,), dropout=(0.0,), lr=(1e-3,))
    >>> space.size(max_layers=2)
    4
"""

from .._lazy import lazy

_LAZY = {"SearchSpace": ".space", "config_name": ".space", "listed_configurations": ".space",
         "ModelSearch": ".estimator", "ScreenedSearch": ".screened",
         "rank_fidelity": ".fidelity", "fidelity_interval": ".fidelity", "seed_scores": ".fidelity",
         "record_scores": ".fidelity",
         "screened_regret": ".fidelity", "random_screen_regret": ".fidelity", "seed_agreement": ".agreement",
         "spearman_brown": ".agreement", "seeds_for_ceiling": ".agreement"}

__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy(__name__, _LAZY)
