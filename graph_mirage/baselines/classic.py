"""Classic non-GNN baselines on the real training split: graph size alone, and the Weisfeiler-Lehman kernel.

They are the controls a distilled set is read against (``mirage bench --methods size-only wl-kernel``):

* :class:`SizeOnly`: logistic regression on each graph's number of nodes and edges (log-scaled, standardised) —
  how much of a dataset graph size alone explains;
* :class:`WLKernel`: a linear model on the WL subtree counts of rounds ``0..h`` (Shervashidze et al., *Weisfeiler-
  Lehman Graph Kernels*, JMLR 2011) — the explicit feature map of the WL subtree kernel, i.e. a linear SVM /
  logistic regression on it. Its features are the counts of exactly the computation trees Mirage distils, so it is
  also the information limit of those trees for a linear reader. With continuous node attributes loaded, each
  graph's mean attributes stand beside the counts.

Both choose their hyper-parameters (the regularisation ``C``; the depth ``h`` for the WL kernel) on the validation
split by the dataset's metric (ROC-AUC for two classes, accuracy otherwise), never on the test split. The WL colour
dictionary is built over all graphs of the dataset at once (the features use no labels), so a test graph's trees
get the same ids as a training graph's.

Example:
    >>> ds = load_dataset("MUTAG")                                         # doctest: +SKIP
    >>> wl = WLKernel().fit(ds)                                            # doctest: +SKIP
    >>> wl.best_params_, wl.logits(ds.split["test"]).shape                 # doctest: +SKIP
    ({'hops': 2, 'C': 1.0}, (19, 2))
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator

from ..data import GraphDataset, as_flat
from ..errors import ParameterError
from ..trees import row_ids, wl_colours, wl_counts

C_GRID = (0.01, 0.1, 1.0, 10.0, 100.0)


def _val_score(y: np.ndarray, logits: np.ndarray, n_classes: int) -> float:
    """The selection metric on validation: ROC-AUC for two classes, accuracy otherwise (NaN when undefined)."""
    if n_classes == 2:
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y, logits[:, 1] - logits[:, 0])) if len(np.unique(y)) == 2 else float("nan")
    return float((logits.argmax(1) == y).mean())


def _log_proba(model, X, n_classes: int) -> np.ndarray:
    """``[G, n_classes]`` log-probabilities (classes absent from training get -inf... clipped to a large negative)."""
    out = np.full((X.shape[0], n_classes), -1e9)
    out[:, model.classes_] = model.predict_log_proba(X).clip(-1e9)
    return out


class _LinearProbe(BaseEstimator):
    """Shared fit: a grid of feature sets x ``C``, logistic regression on the training rows, the best validation
    score wins (ties: the earlier grid point)."""

    def _features(self, dataset) -> dict:  # grid key -> [num_graphs, F] features of every graph of the dataset
        raise NotImplementedError

    def _check_C(self) -> tuple:
        Cs = tuple(self.C) if np.iterable(self.C) else (self.C,)
        if not Cs or any(isinstance(c, bool) or not isinstance(c, (int, float)) or not c > 0 for c in Cs):
            raise ParameterError(f"C must be a number > 0 or a list of them, got {self.C!r}")
        return Cs

    def fit(self, dataset: GraphDataset, y: object = None) -> "_LinearProbe":
        """Fit on ``dataset.split["train"]``, choose on ``dataset.split["valid"]`` (a :class:`GraphDataset`)."""
        from sklearn.linear_model import LogisticRegression

        Cs = self._check_C()
        t0 = time.perf_counter()
        labels = as_flat(dataset).y
        self.n_classes_ = int(dataset.meta.get("num_classes", np.nanmax(labels) + 1))
        tr, va = np.asarray(dataset.split["train"]), np.asarray(dataset.split["valid"])
        self.cv_results_, best = [], None
        self._feats = self._features(dataset)
        for key, X in self._feats.items():
            for C in Cs:
                if labels.ndim == 2:  # several binary tasks: one model per task, on its labelled graphs
                    model = _PerTaskLR(C).fit(X[tr], labels[tr])
                    score = model.score(X[va], labels[va])
                else:
                    model = LogisticRegression(C=C, max_iter=2000, solver="liblinear" if self.n_classes_ == 2
                                               else "lbfgs").fit(X[tr], labels[tr])
                    score = _val_score(labels[va], _log_proba(model, X[va], self.n_classes_), self.n_classes_)
                self.cv_results_.append({**dict(key), "C": C, "val": score})
                if best is None or (np.isfinite(score) and not score <= best[0]):
                    best = (score if np.isfinite(score) else -np.inf, key, C, model)
        _, key, C, self.model_ = best
        self.best_params_ = {**dict(key), "C": C}
        self.best_score_ = best[0]
        self._X = self._feats[key]
        self.seconds_ = time.perf_counter() - t0
        return self

    def logits(self, index) -> np.ndarray:
        """``[len(index), num_classes]`` log-probabilities of the dataset's graphs ``index`` (several tasks:
        ``[len(index), T]`` logits)."""
        X = self._X[np.asarray(index)]
        if isinstance(self.model_, _PerTaskLR):
            return self.model_.logits(X)
        return _log_proba(self.model_, X, self.n_classes_)


class _PerTaskLR:
    """One logistic regression per binary task, each fitted on the graphs labelled for it (NaN: missing)."""

    def __init__(self, C: float) -> None:
        self.C = C

    def fit(self, X, Y: np.ndarray) -> "_PerTaskLR":
        from sklearn.linear_model import LogisticRegression

        self.models = []
        for t in range(Y.shape[1]):
            known = ~np.isnan(Y[:, t])
            y = Y[known, t].astype(int)
            self.models.append(LogisticRegression(C=self.C, max_iter=2000, solver="liblinear").fit(X[known], y)
                               if len(np.unique(y)) == 2 else float(y.mean()) if len(y) else 0.5)
        return self

    def logits(self, X) -> np.ndarray:
        out = np.zeros((X.shape[0], len(self.models)))
        for t, m in enumerate(self.models):
            out[:, t] = m.decision_function(X) if not isinstance(m, float) else np.log((m + 1e-6) / (1 - m + 1e-6))
        return out

    def score(self, X, Y: np.ndarray) -> float:
        """Mean ROC-AUC over the tasks with both classes among the labelled graphs."""
        from sklearn.metrics import roc_auc_score

        z = self.logits(X)
        aucs = [roc_auc_score(Y[k, t], z[k, t]) for t in range(Y.shape[1])
                if len(np.unique(Y[(k := ~np.isnan(Y[:, t])), t])) == 2]
        return float(np.mean(aucs)) if aucs else float("nan")


class SizeOnly(_LinearProbe):
    """Logistic regression on the log number of nodes and edges of each graph (see the module docstring).

    Args:
        C: inverse regularisation strength, or a list of values chosen among on the validation split.
    """

    def __init__(self, C=C_GRID) -> None:
        self.C = C

    def _features(self, dataset) -> dict:
        flat = as_flat(dataset)
        X = np.log1p(np.stack([np.diff(flat.node_ptr), np.diff(flat.edge_ptr) / 2], axis=1).astype(float))
        tr = np.asarray(dataset.split["train"])
        X = (X - X[tr].mean(0)) / np.maximum(X[tr].std(0), 1e-12)
        return {(): X}


class WLKernel(_LinearProbe):
    """A linear model on Weisfeiler-Lehman subtree counts (see the module docstring).

    Args:
        hops: the WL depths tried (rounds ``0..h`` are the features); a list is searched on validation.
        C: inverse regularisation strength, or a list searched on validation.

    Features are ``log(1 + count)``: the raw counts of frequent small trees would otherwise dominate a linear model.
    A dataset loaded with continuous node attributes adds each graph's mean attributes (standardised on the training
    split), which the colours, made of the categorical labels, do not see.
    """

    def __init__(self, hops=(1, 2, 3), C=C_GRID) -> None:
        self.hops = hops
        self.C = C

    def _features(self, dataset) -> dict:
        depths = tuple(self.hops) if np.iterable(self.hops) else (self.hops,)
        if not depths or any(isinstance(h, bool) or not isinstance(h, (int, np.integer)) or h < 0 for h in depths):
            raise ParameterError(f"hops must be an integer >= 0 or a list of them, got {self.hops!r}")
        flat = as_flat(dataset)
        colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), max(depths))
        attrs = None
        if flat.x_cont is not None:  # the WL colours see the categorical labels only
            A = flat.attribute_means()
            tr = np.asarray(dataset.split["train"])
            attrs = sp.csr_matrix((A - A[tr].mean(0)) / np.where(A[tr].std(0) > 0, A[tr].std(0), 1.0))
        out = {}
        for h in depths:
            X = wl_counts(colours[: h + 1], flat.graph_of_node, flat.num_graphs)
            X.data = np.log1p(X.data)
            out[(("hops", int(h)),)] = X if attrs is None else sp.hstack([X, attrs], format="csr")
        return out
