"""``search``: a model search on a distilled set (distilled here with the default unless a file is given) or on the
full training split, every configuration ranked on the real validation split (:class:`~graph_mirage.search.
ModelSearch`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..errors import ParameterError
from .settings import DataSettings, DistillSettings, check_output

if TYPE_CHECKING:
    from ..search.estimator import ModelSearch
    from ..search.screened import ScreenedSearch


@dataclass
class SearchSettings:
    """What ``mirage search`` does: the data, the training set (``distilled`` file, ``full`` split, or neither: the
    default distillation made first and counted in the time), the space file and the training settings."""

    data: DataSettings
    distilled: str | None = None
    full: bool = False
    space: str | None = None
    seeds: int = 1
    epochs: int | None = None
    jobs: int | None = None  # None: one worker per core (at most TRAIN_JOBS) on the CPU, one on a GPU
    device: str = "cpu"
    out: str | None = None
    patience: int | None = None
    eval_every: int = 1
    cache_dir: str | None = None
    confirm: int | None = None
    select_after: int = 1
    root_dropout: float = 0.0
    set_max_bytes: int | None = None  # the cap of the set distilled first (without ``distilled``): bytes ...
    set_max_fraction: float | None = None  # ... or a share of the training split's bytes (None: the default's)
    versus: str | None = None  # a search record (--out) of the same dataset and space to measure this ranking against
    distill: DistillSettings | None = field(default=None, repr=False)

    def check(self) -> None:
        self.data.check()
        if self.distilled is not None and self.full:
            raise ParameterError("give a distilled file or --full, not both")
        if self.confirm is not None and self.root_dropout:
            raise ParameterError("--root-dropout is not available with --confirm (its screen and its confirmation on "
                                 "the full split train plain): drop one of them")
        capped = self.set_max_bytes is not None or self.set_max_fraction is not None
        if capped and (self.distilled is not None or self.full):
            raise ParameterError("--set-bytes caps the set the search distils first; with "
                                 f"{'--distilled' if self.distilled is not None else '--full'} there is none")
        if capped:
            self.set_distill(None).check()
        if self.confirm is not None and self.full:
            raise ParameterError("--confirm trains the best configurations of a distilled set's search on the full "
                                 "split; with --full every configuration already trains there")
        # seeds, jobs, epochs, device and the space: the estimator's own checks, made once
        hops = None if self.full else self._set_hops()  # the file first: it needs no PyTorch to be refused
        configs = self.estimator().check_params(hops)
        if self.versus is not None:  # the reference holds every configuration this search trains
            from ..search.fidelity import record_scores
            from ..search.space import config_name

            record_scores(read_record(self.versus), [config_name(c) for c in configs], self.versus)
        if self.out is not None:
            check_output(self.out, "results file")

    def set_distill(self, hops: int | None) -> DistillSettings:
        """The distillation of the set searched when no file is given: the default at ``hops``, under the cap given."""
        return DistillSettings(self.data, hops=hops, jobs=self.jobs, max_bytes=self.set_max_bytes,
                               max_fraction=self.set_max_fraction)

    def _set_hops(self) -> int | None:
        """The hops of the given distilled file (None when the set is still to be distilled)."""
        if self.distilled is None:
            return None
        from ..fileio import check_distilled_file

        check_distilled_file(self.distilled)
        self.data.check_set(self.distilled)  # another dataset's set: refused before PyTorch is imported
        from ..distilled import DistilledDataset
        from ..search.estimator import depth_limit

        return depth_limit(DistilledDataset.load(self.distilled))

    def train_jobs(self) -> int:
        """The search's worker processes (:func:`graph_mirage._process.train_workers`)."""
        from .._process import train_workers

        return train_workers(self.jobs, self.device)

    def estimator(self, progress: bool = False) -> ModelSearch | ScreenedSearch:
        """The search: a :class:`~graph_mirage.search.ModelSearch`, or with ``confirm`` a
        :class:`~graph_mirage.search.ScreenedSearch`."""
        from ..search.estimator import ModelSearch

        kw = dict(space=self.space, seeds=self.seeds, epochs=self.epochs, jobs=self.train_jobs(), device=self.device,
                  progress=progress, patience=self.patience, eval_every=self.eval_every, cache_dir=self.cache_dir,
                  select_after=self.select_after)
        if self.confirm is not None:
            from ..search.screened import ScreenedSearch

            return ScreenedSearch(confirm=self.confirm, **kw)
        return ModelSearch(root_dropout=self.root_dropout, **kw)


@dataclass
class SearchOutcome:
    """The fitted search, the training set searched on (None: the full split), the end-to-end seconds, and with
    ``--confirm`` the fitted :class:`~graph_mirage.search.ScreenedSearch` (its ``screen_`` is ``search``)."""

    search: object
    train_set: object
    dataset: object
    distill_seconds: float
    search_seconds: float
    screened: object = None
    versus: dict | None = None  # with --versus: this ranking's fidelity against the record given

    def record(self) -> dict:
        """The JSON record ``mirage search --out`` writes."""
        s, ts = self.search, self.train_set
        return {"dataset": self.dataset.name, "trained_on": s.trained_on_, "metric": s.metric_,
                "space": s.resolved_space().to_dict(), "seeds": s.seeds, "epochs": s.epochs, "patience": s.patience,
                "eval_every": s.eval_every, "select_after": s.select_after,
                **({"root_dropout": s.root_dropout} if s.root_dropout else {}),
                "set_graphs": None if ts is None else len(ts), "set_hops": None if ts is None else ts.meta.get("hops"),
                "set_bytes": None if ts is None else ts.nbytes(),
                "best_params": s.best_params_, "best_val": s.best_score_, "best_test": s.best_test_,
                "validation_error": s.validation_error_, "level_with_best": s.n_level_with_best_,
                "seed_agreement": s.seed_agreement_,
                "validation_graphs": int(len(self.dataset.split["valid"])),
                "distill_seconds": self.distill_seconds, "search_seconds": self.search_seconds,
                "configurations": s.ranking(), **({} if self.screened is None else {"confirm": self.confirmed()}),
                **({} if self.versus is None else {"versus": self.versus})}

    def confirmed(self) -> dict:
        """The record of the confirmation on the full split (``--confirm``)."""
        c = self.screened
        return {"configurations": c.confirm, "best_params": c.best_params_, "best_val": c.best_score_,
                "best_test": c.best_test_, "screen_rank": c.screen_rank_, "full_runs": c.full_runs_,
                "seconds": c.confirm_.seconds_, "results": c.confirm_.ranking()}


def search(s: SearchSettings, *, log=None, progress: bool = False, dataset=None) -> SearchOutcome:
    """Run the search the settings describe (checked first); with neither a distilled file nor ``full``, the dataset
    is distilled with the default settings first and that time is part of the outcome."""
    import json

    from ..distilled import DistilledDataset
    from ..fileio import atomic_write_text

    s.check()
    log = log or (lambda _m: None)
    ds = dataset if dataset is not None else s.data.load(progress)
    from ..training import check_evaluable

    check_evaluable(ds)  # before the distillation, not after it
    versus_of = None if s.versus is None else read_record(s.versus).get("dataset")
    if s.versus is not None and versus_of != ds.name:
        raise ParameterError(f"{s.versus} is a search of {versus_of!r}, not {ds.name!r}")
    distill_seconds, train_set = 0.0, None
    if s.distilled is not None:
        train_set = DistilledDataset.load(s.distilled)
    elif not s.full:  # the default set, at the depth of the deepest GNN searched when the space fixes the layers
        from .distill import distill

        layers = s.estimator().resolved_space().layers
        # the search's worker processes also run the default's k-means (the same set for any number)
        settings = s.distill or s.set_distill(None if layers == "auto" else max(layers))
        t0 = time.perf_counter()
        train_set = distill(settings, log=log, progress=progress, dataset=ds).distilled
        distill_seconds = time.perf_counter() - t0
    est = s.estimator(progress).fit(ds, train_set)
    if s.confirm is not None:
        outcome = SearchOutcome(est.screen_, train_set, ds, distill_seconds, est.screen_.seconds_, screened=est)
    else:
        outcome = SearchOutcome(est, train_set, ds, distill_seconds, est.seconds_)
    if s.versus is not None:
        outcome.versus = measure_versus(outcome.search, s.versus)
    if s.out is not None:
        atomic_write_text(s.out, json.dumps(outcome.record(), indent=1, default=float), "search results")
    return outcome


def read_record(path: str) -> dict:
    """A search record (``mirage search --out``), checked to be one: one line for a missing or unreadable file."""
    import json
    from pathlib import Path

    from ..errors import MirageError

    p = Path(path)
    if not p.is_file():
        raise MirageError(f"{path}: no such search record (mirage search --out FILE writes one)")
    try:
        record = json.loads(p.read_text())
    except (OSError, UnicodeDecodeError, ValueError) as e:
        raise MirageError(f"{path} is not a search record ({type(e).__name__}: not JSON)") from None
    if not isinstance(record, dict) or not isinstance(record.get("configurations"), list):
        raise MirageError(f"{path} is not a search record (no configurations; mirage search --out FILE writes one)")
    return record


def measure_versus(search, path: str) -> dict:
    """How faithfully ``search`` (a fitted :class:`~graph_mirage.search.ModelSearch`) ranks its configurations
    against the search record at ``path``: :func:`~graph_mirage.search.fidelity.fidelity_interval` of the test
    scores (Spearman, Kendall, top-1 regret, top-5 overlap, 95 % bootstrap intervals over the configurations), and
    the reference's own seed agreement on test scores, whose ceiling caps what any ranking can reach against it."""
    from ..search.agreement import seed_agreement
    from ..search.fidelity import fidelity_interval, record_scores

    ref = read_record(path)
    names = [r["name"] for r in search.results_]
    fid = fidelity_interval(search, record_scores(ref, names, path), k=min(5, len(names)))
    return {"file": str(path), "trained_on": ref.get("trained_on"), "seeds": ref.get("seeds"), **fid,
            "reference_agreement": seed_agreement(ref["configurations"], "test")}
