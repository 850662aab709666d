"""graph-mirage's default distiller: tree-multiset prototypes at settings chosen on validation graphs, no GNN trained.

:class:`AutoPrototypes` is a search estimator over :class:`~graph_mirage.prototypes.TreePrototypes` (as scikit-learn's
``GridSearchCV`` is over an estimator, with ``best_params_`` and a ``cv_results_`` record):

1. candidates are prototype sets for every depth in ``hops`` (1, 2, 3) and every prototypes-per-class count in
   ``per_class`` (1, 2, 5, 10, 20, 50, 100, 200), distilled from the training graphs only (one tree stage per depth).
   The prototypes of a candidate store their trees once, in one tree bank (:mod:`graph_mirage.bank`), so about ten
   times as many fit in the same bytes as when each is its own DAG (``bank=False``: counts up to 20); the bank's
   leaves carry their real degrees (``degrees=None``: GCN's normalisation reads them; the other convolutions read the
   same numbers), which costs 1-13 % more bytes;
2. a candidate larger than the byte cap is not scored. The cap is ``max_bytes`` when given, else the larger of
   ``max_fraction`` of the training split's bytes — by default (``"auto"``) 1 % per decision boundary: K classes have
   K - 1 of them (their K one-vs-rest scores sum to one), so two classes get 1 %, three 2 % and five or more 4 %
   (:data:`~graph_mirage.config.defaults.AUTO_MAX_BOUNDARIES`) — and the bytes of ``min_graphs`` (5) average training
   graphs per class (what Herding keeps at k = 5: on small datasets 1 % is less than one graph); when no candidate
   fits, the smallest one is the only one scored. At each depth the counts are made smallest first, and the larger
   counts after the first candidate above the cap are not made at all;
3. each candidate is scored in closed form, without training a GNN (:class:`~graph_mirage.wlprobe.WLProbe`): a logistic
   regression is fitted on the candidate's prototypes, each read as the weighted Weisfeiler-Lehman subtree counts
   (rounds ``0..h``) of its roots — exactly what a sum readout over the roots pools — with, where the graphs have
   continuous node attributes, the roots' attributes averaged by their weights (a validation graph: its nodes'
   mean), and scored on the validation graphs' own WL counts by ROC-AUC (for several classes one-vs-rest, averaged
   over the classes: unlike an accuracy, it does not reward deciding a class the validation split happens to hold
   much of). Milliseconds per candidate;
4. the candidates whose score is within one standard error of the best (the score's sampling error on this many
   validation graphs: a difference below it is noise) are ties, and :func:`choose` takes among them the one with the
   most prototypes per class — more graphs make every GNN's training steadier than one or two do (on NCI1 the tie
   with the deepest trees and the best score, 3 hops and 10 per class, teaches every GNN 4-6 points less than the
   choice, 1 hop and 100 per class: docs/results, "How much of the gap is depth") — then the best score, then the
   fewest hops, then the fewest bytes.

Only the validation graphs are looked at, never the test split. With no validation graphs given, a stratified 20 % of
the training graphs is held out for scoring and the chosen settings are then distilled from all training graphs. The
choice and every candidate's score are recorded in the artifact's ``meta["auto"]``.

Example:
    >>> from graph_mirage import AutoPrototypes, load_dataset
    >>> ds = load_dataset("synthetic-motifs")
    >>> auto = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
    >>> auto.best_params_["hops"] in (1, 2, 3)
    True
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np
from sklearn.base import BaseEstimator

from .bank import check_bank
from .candidates import make_candidates, resolve_jobs, warm_workers
from .config.defaults import (
    AUTO_BANK,
    AUTO_BANK_PER_CLASS,
    AUTO_DEGREES_IN_BANK,
    AUTO_HOPS,
    AUTO_MAX_BOUNDARIES,
    AUTO_MAX_FRACTION,
    AUTO_MIN_GRAPHS,
    AUTO_PER_CLASS,
)
from .data import FlatGraphs, Graphs, as_flat, classes_of
from .distilled import flat_bytes
from .errors import BudgetError, DatasetError, ParameterError
from .prototypes import TreePrototypes
from .roots import check_roots
from .stats import score_error
from .wlprobe import WLProbe, warn_if_chance


def holdout(graphs: FlatGraphs, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A stratified split of ``graphs`` into (fit, score) index arrays; every class keeps at least one graph in each
    part when it has two or more."""
    y = as_flat(graphs).y
    rng = np.random.default_rng(seed)
    fit, score = [], []
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))
        n = int(round(fraction * len(idx))) if len(idx) > 1 else 0
        n = min(max(n, 1 if len(idx) > 1 else 0), len(idx) - 1)
        score.append(idx[:n])
        fit.append(idx[n:])
    return np.sort(np.concatenate(fit)), np.sort(np.concatenate(score))


SCORE_DIGITS = 6  # the decimals of a validation score the artifact records


def recorded_score(v: float) -> float:
    """A validation score as the artifact records it: rounded to :data:`SCORE_DIGITS` decimals. The solver's last
    digits move between library builds while the choice and the set do not, and the file's bytes should not."""
    return round(float(v), SCORE_DIGITS) if math.isfinite(v) else float(v)


def recorded(rows: Sequence[dict]) -> list[dict]:
    """Copies of the candidate rows with their ``val`` and ``val_se`` as :func:`recorded_score` gives them."""
    return [{k: recorded_score(v) if k in ("val", "val_se") else v for k, v in r.items()} for r in rows]


def choose(rows: Sequence[dict]) -> dict:
    """The rule's choice among scored candidates (each ``{"hops", "per_class", "bytes", "val", "val_se"}``): the
    candidates within one standard error of the best score are ties; among them the most prototypes per class,
    then the best score (a tie in per-class count is broken by what validation measured, not by a preference),
    then the fewest hops, then the fewest bytes."""
    scored = [r for r in rows if np.isfinite(r["val"])]
    if not scored:
        raise BudgetError("no candidate could be scored: the validation metric is undefined (one class only in the "
                          "validation graphs?)")
    best = max(scored, key=lambda r: r["val"])
    ties = [r for r in scored if r["val"] >= best["val"] - best["val_se"]]
    return min(ties, key=lambda r: (-r["per_class"], -r["val"], r["hops"], r["bytes"]))


def check_scorable(score_flat: FlatGraphs, scored_on: str) -> None:
    """Refuse graphs no candidate can be scored on — none, or all of one class (every score would be undefined) —
    before any candidate is made."""
    if score_flat.num_graphs == 0:
        raise DatasetError("automatic settings need validation graphs to score candidates on; none were given")
    if len(np.unique(score_flat.y)) < 2:
        raise DatasetError(f"automatic settings are scored on the {scored_on}, whose {score_flat.num_graphs} graphs "
                           f"are all of class {int(score_flat.y[0])}: give validation graphs of two classes or more")


class AutoPrototypes(BaseEstimator):
    """Tree-multiset prototypes at settings chosen on validation graphs, without training a GNN (module docstring).

    Args:
        hops: depths tried (a list), or one depth.
        per_class: prototypes per class tried (a list), or one count (None: 1, 2, 5, 10, 20; with ``bank`` up to
            200, since a bank holds ten times as many prototypes in the same bytes).
        max_bytes: byte cap of the distilled set (overrides ``max_fraction`` and ``min_graphs``).
        max_fraction: byte cap as a share of the training split's bytes, whatever the classes (None: no cap unless
            ``max_bytes``). ``"auto"`` (the default): 1 % per decision boundary, K - 1 of them for K classes, at most
            4 (:meth:`share`). Under a cap of 1 % whatever the classes a 3-class set of real molecules held 10
            prototypes per class and taught GNNs less than graph size alone; under 2 %, 7-8 points of macro ROC-AUC
            more (docs/results, "Three and five classes").
        min_graphs: the cap is at least the bytes of this many average training graphs per class.
        readout: the readout recorded in the artifact (``"sum"``: the prototypes' weights are made for it).
        seed: seed of the prototypes' k-means and of the holdout.
        degrees: the prototypes' leaves carry their real degrees, for GCN's normalisation
            (:class:`~graph_mirage.prototypes.TreePrototypes`); their bytes count against the cap. None (the
            default): when the prototypes share a tree bank (:data:`~graph_mirage.config.defaults.AUTO_DEGREES_IN_BANK`;
            :meth:`leaf_degrees`), where they cost 1-13 % more bytes; False: never.
        bank: every candidate stores its trees once, in a :class:`~graph_mirage.bank.TreeBank`; the cap counts the
            bank's bytes, so about ten times as many prototypes per class fit. None (the default): a bank unless
            ``degrees=True`` or continuous node attributes (:meth:`uses_bank`); False: each prototype its own DAG;
            True with ``degrees=True``: a bank whose leaves carry their degrees.
        max_roots: most roots (trees) per prototype, as in :class:`~graph_mirage.prototypes.TreePrototypes` (32:
            on datasets with many distinct trees per graph, such as DD, 32 roots cover a few per cent of a cluster's
            nodes; more roots cost bytes, mostly in the bank).
        roots: how each prototype's roots are chosen (``"top"``, ``"even-ties"``, ``"sampled"`` or ``"by-label"``, as in
            :class:`~graph_mirage.prototypes.TreePrototypes`).
        n_jobs: worker processes for the candidates' k-means (None: none; -1: every core), as scikit-learn reads
            it. The same candidates, scores and file for any value (:mod:`graph_mirage.candidates`); worth it on
            large datasets (ogbg-molhiv), not on small ones, where starting the workers costs more than it saves.

    Attributes (after :meth:`fit`):
        distilled_: the chosen :class:`~graph_mirage.DistilledDataset` (``meta["auto"]`` records the choice).
        best_params_: ``{"hops", "per_class"}``; best_score_: its validation score; best_estimator_: its
            :class:`~graph_mirage.prototypes.TreePrototypes`; candidates_: ``(hops, per_class)`` -> every candidate
            made (fitted on the graphs scored against, the training graphs when validation graphs are given).
        cv_results_: one entry per candidate: ``hops``, ``per_class``, ``graphs``, ``bytes``, ``fraction``, ``val``,
            ``val_se``, ``scored`` (False above the byte cap), ``chosen``.
        n_trees_: distinct trees at the chosen depth; seconds_: wall time; bank_: whether the prototypes share one
            tree bank (``bank``, or what None resolved to for these graphs).
    """

    def __init__(self, hops: Sequence[int] = AUTO_HOPS, per_class: Sequence[int] | None = None, *,
                 max_bytes: int | None = None, max_fraction: float | str | None = "auto",
                 min_graphs: int = AUTO_MIN_GRAPHS,
                 readout: str = "sum", seed: int = 0, degrees: bool | None = None, bank: bool | None = None,
                 roots: str = "top", max_roots: int = 32, n_jobs: int | None = None) -> None:
        self.hops = hops
        self.per_class = per_class
        self.max_bytes = max_bytes
        self.max_fraction = max_fraction
        self.min_graphs = min_graphs
        self.readout = readout
        self.seed = seed
        self.degrees = degrees
        self.bank = bank
        self.roots = roots
        self.max_roots = max_roots
        self.n_jobs = n_jobs

    def grid(self, attributes: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """The depths and the prototypes-per-class counts the candidates are made of (parameters validated), for
        graphs with continuous node ``attributes`` or without."""
        return self._grid(attributes)

    def _grid(self, attributes: bool = False) -> tuple[tuple[int, ...], tuple[int, ...]]:
        grid = []
        for name in ("hops", "per_class"):
            v = getattr(self, name)
            if name == "per_class" and v is None:
                v = AUTO_BANK_PER_CLASS if self.uses_bank(attributes) else AUTO_PER_CLASS
            values = tuple(v) if np.iterable(v) and not isinstance(v, str) else (v,)
            if not values or any(isinstance(x, bool) or not isinstance(x, (int, np.integer)) or x < 1 for x in values):
                raise ParameterError(f"{name} must be an integer >= 1 or a non-empty list of them, got {v!r}")
            grid.append(tuple(int(x) for x in values))
        if self.max_fraction not in (None, "auto") and not (isinstance(self.max_fraction, (int, float))
                                                            and not isinstance(self.max_fraction, bool)
                                                            and 0 < self.max_fraction <= 1):
            raise ParameterError(f"max_fraction must be in (0, 1], 'auto' or None, got {self.max_fraction!r}")
        if self.max_bytes is not None and (isinstance(self.max_bytes, bool) or not isinstance(self.max_bytes, int)
                                           or self.max_bytes < 1):
            raise ParameterError(f"max_bytes must be an integer >= 1, got {self.max_bytes!r}")
        if isinstance(self.min_graphs, bool) or not isinstance(self.min_graphs, int) or self.min_graphs < 0:
            raise ParameterError(f"min_graphs must be an integer >= 0, got {self.min_graphs!r}")
        if self.readout not in ("sum", "mean"):
            raise ParameterError(f"readout must be 'sum' or 'mean', got {self.readout!r}")
        if self.degrees is not None and not isinstance(self.degrees, bool):
            raise ParameterError(f"degrees must be True, False or None, got {self.degrees!r}")
        if self.bank is not None:
            check_bank(self.bank)
        check_roots(self.roots)
        if isinstance(self.max_roots, bool) or not isinstance(self.max_roots, (int, np.integer)) or self.max_roots < 1:
            raise ParameterError(f"max_roots must be an integer >= 1, got {self.max_roots!r}")
        resolve_jobs(self.n_jobs)
        return grid[0], grid[1]

    def uses_bank(self, attributes: bool = False) -> bool:
        """Whether the prototypes share one tree bank: ``bank``, or when it is None, :data:`AUTO_BANK` unless
        ``degrees=True`` (its sets were measured with each prototype its own DAG, and stay those files; ``bank=True``
        combines the two) or the graphs
        have continuous node ``attributes`` (a bank stores one attribute vector per tree, its mean over all training
        graphs: a cluster's own means, which can carry the class, would be lost)."""
        if self.bank is not None:
            return bool(self.bank)
        return AUTO_BANK and self.degrees is not True and not attributes

    def leaf_degrees(self, bank: bool) -> bool:
        """Whether the prototypes' leaves carry their real degrees, given whether they share a tree ``bank``:
        ``degrees``, or when it is None, :data:`AUTO_DEGREES_IN_BANK` in a bank (there they cost 1-13 % more bytes;
        each prototype's own DAG pays up to 3.2x)."""
        return bool(self.degrees) if self.degrees is not None else bool(bank) and AUTO_DEGREES_IN_BANK

    def fit(self, graphs: Graphs, y: object = None, *, validation: Graphs | None = None, progress: bool | None = None,
            log: Callable[[str], None] | None = None) -> "AutoPrototypes":
        """Choose the settings on ``validation`` (real graphs; None: a holdout of ``graphs``) and distil ``graphs``.

        ``log`` is called with one line per candidate scored (``progress`` is accepted for symmetry: the whole
        choice takes seconds). k-means and the probes run on one BLAS/OpenMP thread, so that the same inputs give
        the same scores to the last bit, and a byte-identical file."""
        from threadpoolctl import threadpool_limits

        with threadpool_limits(1):
            return self._fit(graphs, validation, log)

    def _fit(self, graphs, validation, log) -> "AutoPrototypes":
        self._grid()  # the parameters are checked before the data are read
        t0 = time.perf_counter()
        warm_workers(resolve_jobs(self.n_jobs))  # they start while the WL colours are computed
        meta = dict(getattr(graphs, "meta", {}) or {})
        flat = as_flat(graphs)
        self.bank_ = self.uses_bank(attributes=flat.x_cont is not None)
        hops, per_class = self._grid(attributes=flat.x_cont is not None)
        classes_of(flat)
        num_classes = int(meta.get("num_classes", int(flat.y.max()) + 1))
        if validation is None:
            fit_idx, score_idx = holdout(flat, seed=self.seed)
            fit_flat, score_flat = _subset(flat, fit_idx), _subset(flat, score_idx)
            scored_on = "holdout of the training split"
        else:
            fit_flat, score_flat, scored_on = flat, as_flat(validation), "validation split"
        check_scorable(score_flat, scored_on)
        total = flat_bytes(flat)
        cap = self._cap(total, flat)
        probe = WLProbe(fit_flat, score_flat, max(hops), num_classes)
        # a holdout fit: bytes as of the full split
        scale = total / max(flat_bytes(fit_flat), 1)
        rows: list[dict] = []

        def row_of(h: int, k: int, est: TreePrototypes, witness: list, scored: bool) -> dict:
            # each candidate is scored and logged as soon as it is made: on large datasets making them all takes
            # most of the fit (k-means), and a user should see the choice progress
            n_graphs = len(est.prototypes_)  # read without extracting the graphs of a bank: only one is kept
            row = {"hops": h, "per_class": k, "graphs": n_graphs, "bytes": int(est.nbytes_ * scale),
                   "fraction": est.nbytes_ * scale / total, "scored": scored, "val": float("nan"),
                   "val_se": float("nan")}
            where = f"hops {h}, {k} per class: {n_graphs} graphs, {100 * row['fraction']:.3f} % of the bytes"
            if scored:
                row["val"] = probe.score(est, witness[h])
                row["val_se"] = score_error(row["val"], probe.score_targets, num_classes)
                if log:
                    log(f"{where}; validation score {row['val']:.4f} ± {row['val_se']:.4f}")
            elif log:  # say why a depth or a count the grid names was not tried (the larger counts are not made)
                log(f"{where}; above the byte cap ({100 * cap / total:.3f} %), not scored")
            return row

        made, dag = make_candidates(
            fit_flat, probe.fit_colours(), meta, hops, per_class, None if cap is None else cap / scale,
            make=self._make, n_jobs=resolve_jobs(self.n_jobs),
            each=lambda h, k, est, witness: rows.append(
                row_of(h, k, est, witness, cap is None or est.nbytes_ * scale <= cap)))
        if not any(r["scored"] for r in rows):
            i = min(range(len(made)), key=lambda i: (made[i][2].nbytes_, made[i][0], made[i][1]))
            if log:
                fewer = "fewer hops, or " if made[i][0] > 1 else ""  # one hop and one per class: nothing smaller
                log(f"no candidate fits the byte cap ({100 * cap / total:.3f} % of the bytes): the smallest one is "
                    f"used; give {fewer}a larger max_bytes / --max-bytes")
            rows[i] = row_of(*made[i], dag.witness, True)
        chosen = choose([r for r in rows if r["scored"]])
        warn_if_chance(rows, 0.5, scored_on)
        for r in rows:
            r["chosen"] = r is chosen
        self.cv_results_ = rows
        self.best_params_ = {"hops": chosen["hops"], "per_class": chosen["per_class"]}
        self.best_score_ = chosen["val"]
        if validation is None:  # the candidates saw the fitting part only: distil all the training graphs
            best = self._make(**self.best_params_).fit(graphs)
        else:  # the chosen candidate is already the set distilled from the training graphs
            best = next(est for h, k, est in made if (h, k) == (chosen["hops"], chosen["per_class"]))
        self.best_estimator_ = best
        self.candidates_ = {(h, k): est for h, k, est in made}
        self.n_trees_ = best.n_trees_
        self.distilled_ = best.distilled_
        self.distilled_.meta["method"] = "mirage-auto"
        self.distilled_.meta["auto"] = {
            "settings": dict(self.best_params_, readout=self.readout, val=recorded_score(chosen["val"])),
            "candidates": recorded(rows), "scored_on": scored_on,
            "rule": (f"logistic regression on the weighted WL subtree counts of each candidate's prototypes, scored "
                     f"on the {scored_on} ({'' if num_classes == 2 else 'macro one-vs-rest '}ROC-AUC); candidates "
                     f"above {'no cap' if cap is None else f'{int(cap):,} bytes'} not scored; ties within one standard "
                     f"error of the best: most prototypes per class, then best score, then fewest hops, then fewest "
                     f"bytes")}
        self.seconds_ = time.perf_counter() - t0
        return self

    def _make(self, hops: int, per_class: int) -> TreePrototypes:
        """The (unfitted) candidate at ``hops`` and ``per_class``, with this estimator's other settings."""
        return TreePrototypes(hops=hops, per_class=per_class, seed=self.seed, readout=self.readout,
                              degrees=self.leaf_degrees(self.bank_), bank=self.bank_, roots=self.roots,
                              max_roots=int(self.max_roots))

    def _cap(self, total: int, flat: FlatGraphs) -> float | None:
        if self.max_bytes is not None:
            return float(self.max_bytes)
        if self.max_fraction is None:
            return None
        n_classes = len(np.unique(flat.y))
        return max(self.share(n_classes) * total, self.min_graphs * n_classes * total / flat.num_graphs)

    def share(self, n_classes: int = 2) -> float | None:
        """The byte cap's share of the training split's bytes for ``n_classes`` classes (before the floor of
        ``min_graphs``): ``max_fraction``, or for ``"auto"`` 1 % per decision boundary (K - 1 of them), at most
        :data:`~graph_mirage.config.defaults.AUTO_MAX_BOUNDARIES` of them."""
        if self.max_fraction != "auto":
            return self.max_fraction
        return AUTO_MAX_FRACTION * min(max(1, n_classes - 1), AUTO_MAX_BOUNDARIES)


def _subset(flat: FlatGraphs, idx: np.ndarray) -> FlatGraphs:
    """The graphs ``idx`` of ``flat`` as a new flat set (node and edge ids renumbered)."""
    from .data.graphs import _ranges

    n_of, m_of = np.diff(flat.node_ptr), np.diff(flat.edge_ptr)
    nodes, node_ptr = _ranges(flat.node_ptr[:-1][idx], n_of[idx])
    edges, edge_ptr = _ranges(flat.edge_ptr[:-1][idx], m_of[idx])
    remap = np.full(len(flat.x), -1, dtype=np.int64)
    remap[nodes] = np.arange(len(nodes))
    ids = None if flat.graph_ids is None else flat.graph_ids[idx]
    return FlatGraphs(flat.x[nodes], remap[flat.edge_index[:, edges]], flat.edge_attr[edges], flat.y[idx], node_ptr,
                      edge_ptr, ids if ids is not None else np.asarray(idx),
                      None if flat.x_cont is None else flat.x_cont[nodes])
