"""Screen on a distilled set, confirm on the full data: a model search that trains every configuration on the set and
only the few it ranks best on the full training split, then chooses among those by the full data's validation.

A set that cannot rank a whole space may still tell the configurations worth a full run from those that are not: a
search on the set picks one configuration by its own validation ranking (``mirage search``), and pays in regret
for every place where the set orders configurations differently from the data. Confirming its ``confirm`` best on
the full split costs ``confirm`` full runs per seed, and the choice among them is then the full data's own.

Example:
    >>> from graph_mirage import AutoPrototypes, load_dataset
    >>> from graph_mirage.search import ScreenedSearch
    >>> ds = load_dataset("synthetic-motifs")
    >>> s = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_
    >>> search = ScreenedSearch(space={"model": ["gcn", "gin"], "hidden": [32, 64]}, confirm=2).fit(ds, s)
    >>> len(search.confirm_.results_), search.best_params_["model"]                       # doctest: +SKIP
    (2, 'gin')
"""

from __future__ import annotations

import os
from numbers import Integral
from typing import TYPE_CHECKING

from sklearn.base import BaseEstimator

from ..errors import ParameterError
from .estimator import ModelSearch

if TYPE_CHECKING:
    from ..data import GraphDataset
    from ..distilled import DistilledDataset
    from .space import SearchSpace


class ScreenedSearch(BaseEstimator):
    """Search ``space`` on a distilled set, then train its ``confirm`` best configurations on the full training
    split and choose among them by the full data's validation split.

    Args:
        space, seeds, epochs, patience, eval_every, select_after: the screen's, as :class:`ModelSearch`'s (the
            confirmation trains with the full split's defaults: up to 200 epochs, stopped 25 epochs after the best
            validation score; the same seeds and ``select_after``).
        confirm: how many of the screen's best configurations (by the set's validation ranking) the full split
            trains.
        jobs, device, prior_correction, progress, cache_dir: both searches', as :class:`ModelSearch`'s (with a
            ``cache_dir``, the confirmation's runs are those of a full-data search of the same configurations:
            either reads the other's).

    Fitted attributes:
        screen_: the :class:`ModelSearch` on the set; confirm_: the :class:`ModelSearch` on the full split over the
            screen's ``confirm`` best (in the screen's rank order).
        best_params_, best_score_ (its mean full-data validation metric), best_test_ (its mean full-data test
            metric), best_index_ (its index in ``screen_.results_``), screen_rank_ (its rank on the set).
        seconds_: the screen's and the confirmation's seconds together; full_runs_: the runs trained on the full split.
    """

    def __init__(self, space: SearchSpace | dict | str | os.PathLike | None = None, confirm: int = 3,
                 seeds: int = 1, epochs: int | None = None, jobs: int = 1, device: str = "cpu",
                 prior_correction: bool = True, progress: bool = False, patience: int | None = None,
                 eval_every: int = 1, cache_dir: str | os.PathLike | None = None, select_after: int = 1) -> None:
        self.space = space
        self.confirm = confirm
        self.seeds = seeds
        self.epochs = epochs
        self.patience = patience
        self.eval_every = eval_every
        self.select_after = select_after
        self.jobs = jobs
        self.device = device
        self.prior_correction = prior_correction
        self.progress = progress
        self.cache_dir = cache_dir

    def screen(self) -> ModelSearch:
        """The (unfitted) search on the set."""
        params = self.get_params()
        params.pop("confirm")
        return ModelSearch(**params)

    def resolved_space(self) -> SearchSpace:
        """The screen's space as a :class:`~graph_mirage.search.SearchSpace`."""
        return self.screen().resolved_space()

    def check_params(self, max_layers: int | None = None) -> list[dict]:
        """Validate the parameters and return the screen's configurations (before any training)."""
        if isinstance(self.confirm, bool) or not isinstance(self.confirm, Integral) or self.confirm < 1:
            raise ParameterError(f"confirm must be an integer >= 1, got {self.confirm!r}")
        return self.screen().check_params(max_layers)

    def fit(self, dataset: GraphDataset, train_set: DistilledDataset) -> "ScreenedSearch":
        """Screen on ``train_set`` (a :class:`~graph_mirage.DistilledDataset` of ``dataset``), confirm on
        ``dataset``'s training split; both score on its validation split and report its test split."""
        if train_set is None:
            raise ParameterError("a screened search needs a distilled set to screen on (the full split confirms)")
        self.check_params()
        self.screen_ = self.screen().fit(dataset, train_set)
        kept = self.screen_.ranking()[: int(self.confirm)]
        # the screen's settings over its kept configurations, with the full split's own recipe (epochs, patience)
        self.confirm_ = self.screen().set_params(space=[r["params"] for r in kept], epochs=None, patience=None,
                                                 eval_every=1).fit(dataset, None)
        best = self.confirm_.results_[self.confirm_.best_index_]
        self.best_params_ = dict(best["params"])
        self.best_score_ = best["val_mean"]
        self.best_test_ = best["test_mean"]
        self.best_index_ = next(i for i, r in enumerate(self.screen_.results_) if r["params"] == best["params"])
        self.screen_rank_ = self.screen_.results_[self.best_index_]["rank"]
        self.seconds_ = self.screen_.seconds_ + self.confirm_.seconds_
        self.full_runs_ = len(kept) * self.seeds - self.confirm_.cached_runs_
        return self


__all__ = ["ScreenedSearch"]
