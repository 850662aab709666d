"""The automatic default's closed-form score: a candidate prototype set judged on validation graphs without training a
GNN.

:class:`WLProbe` fits a logistic regression on a candidate's prototypes, each read as the weighted Weisfeiler-Lehman
subtree counts of its roots (what a sum readout over the roots pools) and, where the graphs carry continuous node
attributes, its roots' attributes averaged by their weights; it scores the fit on the validation graphs' own counts
(and mean attributes) by ROC-AUC — for several classes one-vs-rest, averaged over the classes (macro), so that a
score does not depend on the validation split's class balance. :func:`warn_if_chance` says when no candidate is above
what a model that learned nothing scores (0.5). :class:`~graph_mirage.auto.AutoPrototypes` and
:class:`~graph_mirage.multitask.PerTask` choose with them.

Example:
    >>> probe = WLProbe(train_flat, valid_flat, depth=2, num_classes=2)                  # doctest: +SKIP
    >>> probe.score(candidate, witness)                                                  # doctest: +SKIP
    0.7412
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Sequence

import numpy as np
import scipy.sparse as sp

from .data import FlatGraphs
from .prototypes import cluster_attributes
from .trees import row_ids, wl_colours

if TYPE_CHECKING:
    from .prototypes import TreePrototypes


def warn_if_chance(rows: Sequence[dict], chance: float, where: str) -> None:
    """Warn when no scored candidate is above ``chance`` by more than its standard error: the closed-form score then
    cannot tell a set that teaches from one that does not (dense graphs labelled by degree, labels unrelated to the
    trees), and the choice among the candidates is noise."""
    best = max((r for r in rows if r["scored"] and np.isfinite(r["val"])), key=lambda r: r["val"], default=None)
    if best is not None and best["val"] - best["val_se"] <= chance:
        warnings.warn(f"no candidate scores above chance on the {where} (best {best['val']:.3f} ± "
                      f"{best['val_se']:.3f}, chance {chance:.3f}): the distilled set may teach little; "
                      f"compare it with its permuted-label control (mirage train --distilled reports it)", stacklevel=4)


class WLProbe:
    """Scores prototype sets on validation graphs with a linear model on Weisfeiler-Lehman subtree counts.

    Args:
        fit_flat: the graphs the candidates were distilled from.
        score_flat: the validation graphs.
        depth: the largest depth a candidate has.
        num_classes: C.

    The WL colours of both sets are refined together (one dictionary), so a prototype's root tree — a colour of the
    candidates' own refinement of ``fit_flat`` — is read through its witness node as the same subtrees, round by
    round, that a validation graph counts.
    """

    def __init__(self, fit_flat: FlatGraphs, score_flat: FlatGraphs, depth: int, num_classes: int) -> None:
        joint = fit_flat.union(score_flat)
        self.colours = wl_colours(row_ids(joint.x), joint.edge_index, row_ids(joint.edge_attr), depth)
        self.offsets = np.cumsum([0] + [int(c.max()) + 1 for c in self.colours])
        self.n_fit = len(fit_flat.x)
        self.y = score_flat.y
        self.num_classes = num_classes
        self.graph_of_node = score_flat.graph_of_node
        self.num_graphs = score_flat.num_graphs
        self._valid: dict[int, sp.csr_matrix] = {}
        self._fit_colours: list[np.ndarray] | None = None
        # continuous node attributes: a candidate's roots carry their clusters' mean attributes, which the tree
        # counts do not see; without them a dataset whose classes live in its attributes scores at chance
        self.fit_flat = fit_flat
        self._attributes = None
        if fit_flat.x_cont is not None and score_flat.x_cont is not None:
            means = score_flat.attribute_means()
            self._attr_shift = means.mean(0)
            self._attr_scale = np.where(means.std(0) > 0, means.std(0), 1.0)
            self._attributes = (means - self._attr_shift) / self._attr_scale

    def fit_colours(self) -> list[np.ndarray]:
        """The WL colours ``fit_flat`` alone refines to (rounds 0..depth), read off the joint refinement: colour ids
        are ranks of lexicographically ordered signatures, so the dense re-ranking of the joint ids restricted to
        ``fit_flat``'s nodes is exactly ``wl_colours`` of ``fit_flat`` (one refinement instead of two). Computed once:
        the candidates are made from them and the prototypes' attributes read through them."""
        if self._fit_colours is None:
            out = []
            for c in self.colours:
                present = np.zeros(int(c.max()) + 1, dtype=bool)
                present[c[: self.n_fit]] = True
                out.append((np.cumsum(present) - 1).astype(c.dtype, copy=False)[c[: self.n_fit]])
            self._fit_colours = out
        return self._fit_colours

    def _features(self, h: int, nodes_of_rows: np.ndarray, rows: np.ndarray, weights: np.ndarray, n_rows: int):
        """``[n_rows, F_h]`` log(1 + weighted counts) of rounds 0..h of the given nodes."""
        cols = [self.colours[k][nodes_of_rows] + self.offsets[k] for k in range(h + 1)]
        m = sp.csr_matrix((np.tile(weights, h + 1), (np.tile(rows, h + 1), np.concatenate(cols))),
                          shape=(n_rows, int(self.offsets[h + 1])))
        m.sum_duplicates()
        m.data = np.log1p(m.data)
        return m

    def valid_features(self, h: int) -> sp.csr_matrix:
        if h not in self._valid:
            nodes = np.arange(self.n_fit, len(self.colours[0]))
            self._valid[h] = self._features(h, nodes, self.graph_of_node, np.ones(len(nodes)), self.num_graphs)
        return self._valid[h]

    def fit(self, est: TreePrototypes, witness: np.ndarray):
        """A logistic regression fitted on ``est``'s prototypes, and the validation graphs' features in its columns
        (``[N_valid, F]``); ``witness`` maps each of ``est``'s root tree ids to a node of ``fit_flat``. None when the
        prototypes hold one class only."""
        from sklearn.linear_model import LogisticRegression

        h = est.hops
        labels = np.array([c for c, _, _ in est.prototypes_])
        if len(np.unique(labels)) < 2:
            return None
        rows = np.concatenate([np.full(len(kept), i) for i, (_, kept, _) in enumerate(est.prototypes_)])
        nodes = witness[np.concatenate([kept for _, kept, _ in est.prototypes_])]
        weights = np.concatenate([w for _, _, w in est.prototypes_])
        X = self._features(h, nodes, rows, weights, len(labels))
        # only the subtrees the prototypes have: a column that is zero in every row keeps a zero weight under the
        # L2 penalty, and dropping it makes the solver's vectors short
        used = np.unique(X.indices)
        X, V = X[:, used], self.valid_features(h)[:, used]
        if self._attributes is not None:
            X = sp.hstack([X, sp.csr_matrix(self.root_attributes(est))], format="csr")
            V = sp.hstack([V, sp.csr_matrix(self._attributes)], format="csr")
        return LogisticRegression(C=1.0, max_iter=2000).fit(X, labels), V

    def score(self, est: TreePrototypes, witness: np.ndarray) -> float:
        """The validation ROC-AUC (several classes: macro one-vs-rest) of :meth:`fit`'s model. A class that no
        prototype has scores 0.5 (its column is constant); a class the validation graphs lack is left out of the
        mean."""
        from sklearn.metrics import roc_auc_score

        fitted = self.fit(est, witness)
        if fitted is None:
            return float("nan")
        model, V = fitted
        if self.num_classes == 2:
            if len(np.unique(self.y)) < 2:
                return float("nan")
            return float(roc_auc_score(self.y, model.decision_function(V)))
        # accuracy would score the validation split's class balance as much as the set: on a split with 1 % of one
        # class, deciding the majority beats every candidate; ROC-AUC per class does not depend on the balance
        from .training.metrics import macro_rocauc

        probs = np.zeros((V.shape[0], self.num_classes))
        probs[:, model.classes_] = model.predict_proba(V)
        return macro_rocauc(self.y, probs)

    @property
    def score_targets(self) -> np.ndarray:
        """The labels :meth:`score`'s ROC-AUC is taken over, as :func:`~graph_mirage.stats.score_error` reads them:
        the validation labels, for several classes one binary column per class (one-vs-rest)."""
        if self.num_classes == 2:
            return self.y
        return (self.y[:, None] == np.arange(self.num_classes)[None, :]).astype(float)

    def root_attributes(self, est: TreePrototypes) -> np.ndarray:
        """``[P, D]`` each prototype's continuous root attributes, averaged with its root weights and scaled as the
        validation graphs' mean attributes are: the attributes a prototype's roots carry in its graph (its cluster's
        mean per tree; in a tree bank, each tree's mean over all training graphs)."""
        colours = self.fit_colours()
        shared = cluster_attributes(self.fit_flat, colours, np.arange(self.fit_flat.num_graphs)) \
            if est.bank else None  # a bank's trees carry their means over every training graph: made once
        out = []
        for (_, kept, w), members in zip(est.prototypes_, est.members_):
            attrs = shared or cluster_attributes(self.fit_flat, colours, members)
            out.append(np.average(attrs(est.hops, kept), axis=0, weights=w))
        return (np.asarray(out) - self._attr_shift) / self._attr_scale
