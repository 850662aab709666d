"""The evaluation metric of a dataset, separate from any model (as OGB's ``Evaluator`` is).

Binary tasks select and report ROC-AUC (through ``ogb.graphproppred.Evaluator`` for OGB datasets, sklearn
otherwise); multi-class tasks select by accuracy and report macro one-vs-rest ROC-AUC beside it. Every call also
reports the decisions: accuracy, balanced accuracy, the share of graphs predicted in each class, and the accuracy
without the prior correction (see :class:`~graph_mirage.training.TrainConfig`'s ``prior_correction``); given a
decision bias fitted on the validation split (:func:`fit_decision_bias`), the same decisions after it
(``*_calibrated``; a run records in ``calibration_kept`` whether the bias passed :func:`keep_decision_bias`). A run
scores its validation split every epoch with :meth:`Metric.score`, the selection metric alone and the same float
(:func:`binary_rocauc` is scikit-learn's ROC-AUC without its input checks).

Example:
    >>> m = Metric("MUTAG", num_classes=2)
    >>> out = m(np.array([0, 1, 1]), np.array([[1.0, 0.0], [0.0, 2.0], [0.5, 0.2]]))
    >>> out["rocauc"], round(out["accuracy"], 3)
    (1.0, 0.667)
"""

from __future__ import annotations

import numpy as np

# the scalar measures summarised over runs (besides the selection metric's own name)
METRIC_KEYS = ("accuracy", "balanced_accuracy", "accuracy_raw", "accuracy_calibrated", "balanced_accuracy_calibrated",
               "calibration_kept", "rocauc", "rocauc_macro")


def binary_rocauc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC-AUC of ``score [n]`` against two-valued ``y_true [n]`` (the larger value positive; NaN with one value, or
    with a score that is not finite — a diverged model's epoch is then never chosen):
    the same float as scikit-learn's ``roc_auc_score`` — its ROC curve (ties one threshold, collinear points dropped)
    and its trapezoids (``scipy.integrate.trapezoid``), in the same arithmetic — without its input validation, which
    took half of a multi-task run on a distilled set (ogbg-moltox21: 12 tasks scored every epoch). A test checks the
    equality, bit for bit, against the installed scikit-learn and OGB's evaluator.

    Example:
        >>> binary_rocauc(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8]))
        0.75
    """
    from scipy.integrate import trapezoid

    y_true, score = np.asarray(y_true).reshape(-1), np.asarray(score).reshape(-1)
    values = np.unique(y_true)
    if len(values) != 2 or not np.isfinite(score).all():
        return float("nan")
    order = np.argsort(score, kind="stable")[::-1]  # descending; the order within a tie does not matter (one threshold)
    s, t = score[order], (y_true[order] == values[1]).astype(np.float64)
    thresholds = np.concatenate([np.flatnonzero(np.diff(s)), [len(s) - 1]])
    tps = np.cumsum(t)[thresholds]
    fps = 1 + thresholds.astype(np.float64) - tps
    if len(fps) > 2:  # scikit-learn's drop_intermediate: a point collinear with its neighbours adds no area
        keep = np.concatenate([[True], np.logical_or(np.diff(fps, 2), np.diff(tps, 2)), [True]])
        fps, tps = fps[keep], tps[keep]
    fps, tps = np.concatenate([[0.0], fps]), np.concatenate([[0.0], tps])
    return float(trapezoid(tps / tps[-1], fps / fps[-1]))


def task_shift(data_labels: np.ndarray, set_labels: np.ndarray) -> np.ndarray:
    """Per binary task, ``logit p_data - logit p_set`` of the positive class among the labelled entries (``[N, T]``
    with NaN where missing): logit adjustment for several tasks (zero where a task lacks a class in either)."""
    out = np.zeros(data_labels.shape[1])
    for t in range(data_labels.shape[1]):
        d, s = data_labels[:, t], set_labels[:, t]
        d, s = d[~np.isnan(d)], s[~np.isnan(s)]
        if len(d) and len(s) and 0 < d.mean() < 1 and 0 < s.mean() < 1:
            out[t] = np.log(d.mean() / (1 - d.mean())) - np.log(s.mean() / (1 - s.mean()))
    return out


def class_shift(data_prior, set_prior) -> np.ndarray:
    """``log p_data - log p_set`` per class: what logit adjustment adds to a model trained on a set with class shares
    ``set_prior`` to decide for data with class shares ``data_prior`` (zero where a class is missing in either)."""
    d, s = np.asarray(data_prior, dtype=float), np.asarray(set_prior, dtype=float)
    d, s = d / max(d.sum(), 1e-300), s / max(s.sum(), 1e-300)
    ok = (d > 0) & (s > 0)
    out = np.zeros(len(d))
    out[ok] = np.log(d[ok]) - np.log(s[ok])
    return out


def fit_decision_bias(y: np.ndarray, logits: np.ndarray, num_tasks: int | None = None,
                      prior: np.ndarray | None = None, fallback: np.ndarray | None = None,
                      guard: bool = True) -> np.ndarray | None:
    """The decision bias that held-out graphs ask for: bias-corrected temperature scaling (Alexandari et al., ICML
    2020; Platt scaling for two classes) fitted on the validation split, deciding for the class shares ``prior``.

    A temperature ``T > 0`` and biases ``b [C]`` minimise the cross-entropy of ``softmax(T z + b)`` on ``(y,
    logits)``: calibrated probabilities for graphs distributed as the validation split. A validation split's class
    shares ``p_valid`` need not be the data's (OGB's scaffold splits differ by up to 45 points), so the decision is
    taken for ``prior`` instead (Saerens et al., Neural Computation 2002): ``argmax(T z + b + log prior - log
    p_valid)``, that is ``argmax(z + shift)`` with the returned ``shift = (b + log prior - log p_valid) / T``. The
    ranking (ROC-AUC) is unchanged; only where the decision falls moves, so a model selected early on a small
    validation split, or trained on a class-balanced set, still decides for the data. A model without signal gets
    ``T`` near 0 and decides the prior's majority class, as it should. With ``guard``, a shift that decides the
    validation split less accurately than ``fallback`` (beyond two standard errors) is not taken
    (:func:`keep_decision_bias`): ``fallback`` is returned in its place (per task for several).

    Args:
        y: ``[N]`` classes, or ``[N, T]`` binary labels with NaN where missing (``num_tasks`` set).
        logits: ``[N, C]`` (``[N, T]`` for several tasks).
        prior: ``[C]`` class shares to decide for (``[T]`` positive shares per task); None: the validation split's.
        fallback: ``[C]`` (``[T]``) the shift decided with otherwise (e.g. the prior correction); None: zeros.
        guard: check the fitted shift against ``fallback`` on the validation split; False: return it as fitted.

    Returns:
        ``[C]`` (``[T]``: per task, added to the task's logit) or None when ``y`` has fewer than two classes (a
        task without both classes gets 0).

    Example:
        >>> z = np.array([[0.0, 1.0], [0.0, 1.5], [0.0, 2.0], [0.0, 2.5]])      # every graph leans to class 1
        >>> shift = fit_decision_bias(np.array([0, 0, 1, 1]), z)
        >>> (z + shift).argmax(1).tolist()
        [0, 0, 1, 1]
    """
    logits = np.asarray(logits, dtype=float)
    if num_tasks:
        y = np.asarray(y, dtype=float)
        out = np.zeros(logits.shape[1])
        for t in range(logits.shape[1]):
            lab = ~np.isnan(y[:, t])
            z = np.stack([np.zeros(int(lab.sum())), logits[lab, t]], axis=1)
            p = None if prior is None else np.array([1 - prior[t], prior[t]])
            b = _bcts(y[lab, t].astype(np.int64), z, 2, p)
            out[t] = 0.0 if b is None else b[1] - b[0]
    else:
        y = np.asarray(y).reshape(-1).astype(np.int64)
        out = _bcts(y, logits, logits.shape[1], None if prior is None else np.asarray(prior, dtype=float))
    return guarded_bias(y, logits, out, fallback, num_tasks, prior)[0] if guard else out


def guarded_bias(y: np.ndarray, logits: np.ndarray, shift: np.ndarray | None, fallback: np.ndarray | None = None,
                 num_tasks: int | None = None, prior: np.ndarray | None = None
                 ) -> tuple[np.ndarray | None, np.ndarray | None]:
    """``shift`` where :func:`keep_decision_bias` keeps it, ``fallback`` (None: zeros) elsewhere, and the verdict
    (``[1]`` or ``[T]`` bool); ``(None, None)`` without a shift."""
    if shift is None:
        return None, None
    keep = keep_decision_bias(y, logits, shift, fallback, num_tasks, prior)
    return np.where(keep, shift, np.zeros_like(shift) if fallback is None else np.asarray(fallback, dtype=float)), keep


def keep_decision_bias(y: np.ndarray, logits: np.ndarray, shift: np.ndarray, fallback: np.ndarray | None = None,
                       num_tasks: int | None = None, prior: np.ndarray | None = None) -> np.ndarray:
    """Whether the fitted ``shift`` (:func:`fit_decision_bias`) decides the validation split at least as accurately
    as ``fallback`` (the decision it would replace: the prior correction's shift; None: the raw logits).

    Cross-entropy is not accuracy. Where a few confidently wrong graphs dominate it — heavy-tailed logits, e.g. a sum
    readout on real graphs much larger than a distilled set's — the fitted temperature falls near 0 and the biases
    alone decide, less accurately than the logits did, on the very split they were fitted on (GIN on generated dense
    ego-networks, ``benchmarks/dense_social.py``: 54.8–56.9 % of the validation graphs after the bias, 56.9–64.8 %
    with the prior correction). So a shift is kept unless ``fallback`` is more accurate on the
    validation split, each graph weighted by ``prior / p_valid`` of its class (the accuracy on graphs distributed as
    ``prior``, as the shift decides), by more than two standard errors of the paired difference (McNemar's
    comparison: only graphs the two decide differently count).

    Args:
        y, logits, num_tasks, prior: as for :func:`fit_decision_bias`.
        shift: ``[C]`` (``[T]``) the fitted shift.
        fallback: ``[C]`` (``[T]``) or None (zeros).

    Returns:
        ``[1]`` bool for one task, ``[T]`` for several: per task, keep ``shift`` (True) or take ``fallback``.

    Example:
        >>> z = np.array([[0.0, 1.0], [0.0, 1.5], [0.0, 2.0], [0.0, 2.5]])
        >>> keep_decision_bias(np.array([0, 0, 1, 1]), z, np.array([0.0, -1.75])).tolist()
        [True]
    """
    logits = np.asarray(logits, dtype=float)
    shift = np.asarray(shift, dtype=float)
    fallback = np.zeros_like(shift) if fallback is None else np.asarray(fallback, dtype=float)
    if not num_tasks:
        y = np.asarray(y).reshape(-1).astype(np.int64)
        p = None if prior is None else np.asarray(prior, dtype=float)
        return np.array([_kept(y, (logits + shift).argmax(1), (logits + fallback).argmax(1), logits.shape[1], p)])
    y = np.asarray(y, dtype=float)
    keep = np.ones(logits.shape[1], dtype=bool)
    for t in range(logits.shape[1]):
        lab = ~np.isnan(y[:, t])
        z = logits[lab, t]
        p = None if prior is None else np.array([1 - prior[t], prior[t]])
        keep[t] = _kept(y[lab, t].astype(np.int64), (z + shift[t] > 0).astype(np.int64),
                        (z + fallback[t] > 0).astype(np.int64), 2, p)
    return keep


def prior_weights(y: np.ndarray, num_classes: int, prior: np.ndarray | None = None) -> np.ndarray:
    """``[N]`` weights ``prior_c / p_c`` of graphs of class ``c`` (``p_c`` their share in ``y``): sums over the
    weighted graphs estimate sums over graphs distributed as ``prior``. Ones without ``prior``.

    Example:
        >>> prior_weights(np.array([0, 1, 1, 1]), 2, np.array([0.5, 0.5])).tolist()
        [2.0, 0.6666666666666666, 0.6666666666666666, 0.6666666666666666]
    """
    y = np.asarray(y).reshape(-1).astype(np.int64)
    if prior is None or not len(y):
        return np.ones(len(y))
    prior = np.asarray(prior, dtype=float)
    share = np.bincount(y, minlength=num_classes) / len(y)
    return np.divide(prior / max(prior.sum(), 1e-300), share, out=np.zeros(num_classes), where=share > 0)[y]


def _kept(y: np.ndarray, fitted: np.ndarray, other: np.ndarray, num_classes: int, prior: np.ndarray | None) -> bool:
    w = prior_weights(y, num_classes, prior)
    d = w * ((other == y).astype(float) - (fitted == y).astype(float))
    return not d.sum() > 2.0 * np.sqrt(float(d @ d))


def _bcts(y: np.ndarray, z: np.ndarray, num_classes: int, prior: np.ndarray | None) -> np.ndarray | None:
    if len(y) == 0 or len(np.unique(y)) < 2:
        return None
    from scipy.optimize import minimize
    from scipy.special import logsumexp, softmax

    z = z - z.mean(1, keepdims=True)
    counts = np.bincount(y, minlength=num_classes)
    onehot = np.eye(num_classes)[y]
    ridge = 1e-4  # keeps the biases finite where a class is absent from validation or the classes separate

    def nll(p):
        t, b = np.exp(p[0]), p[1:]
        s = t * z + b
        loss = float(np.mean(logsumexp(s, axis=1) - (s * onehot).sum(1))) + 0.5 * ridge * float(b @ b)
        g = (softmax(s, axis=1) - onehot) / len(y)
        return loss, np.concatenate([[t * float((g * z).sum())], g.sum(0) + ridge * b])

    bounds = [(-10.0, 10.0)] + [(-50.0, 50.0)] * num_classes
    res = minimize(nll, np.zeros(num_classes + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    t, b = np.exp(res.x[0]), res.x[1:]
    if prior is not None:  # from the validation split's class shares (Jeffreys-smoothed) to ``prior``'s
        valid = (counts + 0.5) / (len(y) + 0.5 * num_classes)
        b = b + np.log(np.clip(prior / max(prior.sum(), 1e-300), 1e-12, None)) - np.log(valid)
    return (b - b.mean()) / t


class Metric:
    """The evaluation metric of a dataset: ``rocauc`` for binary, ``accuracy`` for multi-class.

    Args:
        dataset_name: the dataset (OGB datasets use OGB's own evaluator).
        num_classes: C.
        kind: ``"ogb"`` or anything else.
        shift: ``[C]`` added to the logits before decisions (:func:`class_shift`); None: no correction.
        num_tasks: None for one task; T for T binary tasks (labels ``[N, T]``, NaN where missing).
        prior: the data's class shares (``[T]`` positive shares per task) that the validation-fitted decisions are
            taken for (:func:`fit_decision_bias`); None: the validation split's own.
    """

    def __init__(self, dataset_name: str, num_classes: int, kind: str = "tu", shift=None,
                 num_tasks: int | None = None, prior=None) -> None:
        self.num_classes = num_classes
        self.prior = None if prior is None else np.asarray(prior, dtype=float)
        self.num_tasks = num_tasks  # None: one task; T: T binary tasks, labels [N, T] with NaN where missing
        self.name = "rocauc" if num_classes == 2 or num_tasks else "accuracy"
        self.shift = None if shift is None else np.asarray(shift, dtype=float)
        self.evaluator = None
        if kind == "ogb" and (num_classes == 2 or num_tasks):
            from ogb.graphproppred import Evaluator

            self.evaluator = Evaluator(dataset_name)

    def with_shift(self, shift) -> "Metric":
        """The same metric deciding with ``shift`` (the evaluator is shared)."""
        other = Metric.__new__(Metric)
        other.__dict__.update(self.__dict__, shift=None if shift is None else np.asarray(shift, dtype=float))
        return other

    def __call__(self, y_true: np.ndarray, logits: np.ndarray, calibration: np.ndarray | None = None
                 ) -> dict[str, float]:
        """Every measure of ``logits`` against ``y_true``; with ``calibration`` (:func:`fit_decision_bias` of the
        validation split) also the decisions after it, keys ending in ``_calibrated``."""
        if self.num_tasks:
            return self._tasks(np.asarray(y_true, dtype=float), np.asarray(logits, dtype=float), calibration)
        y_true = np.asarray(y_true).reshape(-1)
        logits = np.asarray(logits, dtype=float)
        z = logits if self.shift is None else logits + self.shift[None, :]
        out = self._decisions(y_true, z.argmax(1))
        out["accuracy_raw"] = float((logits.argmax(1) == y_true).mean()) if len(y_true) else float("nan")
        if calibration is not None:
            cal = self._decisions(y_true, (logits + np.asarray(calibration)[None, :]).argmax(1))
            out.update({f"{k}_calibrated": v for k, v in cal.items()})
        if self.num_classes == 2:
            out["rocauc"] = self._binary_auc(y_true, logits[:, 1] - logits[:, 0])
        else:
            out["rocauc_macro"] = macro_rocauc(y_true, _softmax(z))
        return out

    def score(self, y_true: np.ndarray, logits: np.ndarray) -> float:
        """The selection metric alone, ``self(y_true, logits)[self.name]`` to the last bit: what a run computes on
        its validation split every epoch (the decisions and the other measures are computed once, at the end)."""
        logits = np.asarray(logits, dtype=float)
        if self.num_tasks:
            y = np.asarray(y_true, dtype=float)
            labelled = ~np.isnan(y)
            aucs = [binary_rocauc(y[labelled[:, t], t], logits[labelled[:, t], t]) for t in range(y.shape[1])
                    if len(np.unique(y[labelled[:, t], t])) == 2]
            if not aucs:
                return float("nan")
            # OGB's evaluator averages with Python's sum, the other path with numpy's mean: each kept as it rounds
            return float(sum(aucs) / len(aucs)) if self.evaluator is not None else float(np.mean(aucs))
        y_true = np.asarray(y_true).reshape(-1)
        if self.num_classes == 2:
            return binary_rocauc(y_true, logits[:, 1] - logits[:, 0])
        z = logits if self.shift is None else logits + self.shift[None, :]
        return float((z.argmax(1) == y_true).mean()) if len(y_true) else float("nan")

    def _decisions(self, y_true: np.ndarray, pred: np.ndarray) -> dict:
        return {"accuracy": float((pred == y_true).mean()) if len(y_true) else float("nan"),
                "balanced_accuracy": _balanced_accuracy(y_true, pred, self.num_classes),
                "pred_share": np.bincount(pred, minlength=self.num_classes).astype(float).__truediv__(
                    max(len(pred), 1)).round(6).tolist()}

    def _tasks(self, y: np.ndarray, logits: np.ndarray, calibration: np.ndarray | None = None) -> dict:
        """Several binary tasks: ROC-AUC averaged over the tasks that have both classes (OGB's rule; its evaluator for
        OGB datasets), decisions at logit 0 (after the per-task shift), every measure over the labelled entries only."""
        labelled = ~np.isnan(y)
        if self.evaluator is not None:
            try:
                auc = float(self.evaluator.eval({"y_true": y, "y_pred": logits})["rocauc"])
            except RuntimeError:  # no task with both classes
                auc = float("nan")
        else:
            from sklearn.metrics import roc_auc_score

            aucs = [roc_auc_score(y[labelled[:, t], t], logits[labelled[:, t], t]) for t in range(y.shape[1])
                    if len(np.unique(y[labelled[:, t], t])) == 2]
            auc = float(np.mean(aucs)) if aucs else float("nan")
        z = logits if self.shift is None else logits + self.shift[None, :]
        out = {"rocauc": auc, **_task_decisions(y, (z > 0).astype(float)),
               "accuracy_raw": _task_decisions(y, (logits > 0).astype(float))["accuracy"]}
        if calibration is not None:
            cal = _task_decisions(y, (logits + np.asarray(calibration)[None, :] > 0).astype(float))
            out.update({f"{k}_calibrated": v for k, v in cal.items()})
        return out

    def _binary_auc(self, y_true: np.ndarray, score: np.ndarray) -> float:
        if len(np.unique(y_true)) < 2:
            return float("nan")
        if self.evaluator is not None:
            return float(self.evaluator.eval({"y_true": y_true.reshape(-1, 1),
                                              "y_pred": score.reshape(-1, 1)})["rocauc"])
        from sklearn.metrics import roc_auc_score

        return float(roc_auc_score(y_true, score))


def _task_decisions(y: np.ndarray, pred: np.ndarray) -> dict:
    """Accuracy, balanced accuracy (mean over tasks) and the positive share, over the labelled entries only."""
    labelled = ~np.isnan(y)
    balanced = [np.mean([float((pred[labelled[:, t], t][y[labelled[:, t], t] == c] == c).mean())
                         for c in (0, 1) if (y[labelled[:, t], t] == c).any()])
                for t in range(y.shape[1]) if labelled[:, t].any()]
    share = float(pred[labelled].mean()) if labelled.any() else float("nan")
    return {"accuracy": float((pred == y)[labelled].sum() / max(int(labelled.sum()), 1)),
            "balanced_accuracy": float(np.mean(balanced)) if balanced else float("nan"),
            "pred_share": [round(1 - share, 6), round(share, 6)]}


def macro_rocauc(y: np.ndarray, probs: np.ndarray) -> float:
    """One-vs-rest ROC-AUC averaged over the classes that ``y`` holds beside others (scikit-learn's macro "ovr"
    where every class is present; a class absent from a small split is left out, as OGB's evaluator leaves out a task
    without both labels, instead of making the mean undefined). ``probs``: ``[n, C]``."""
    from sklearn.metrics import roc_auc_score

    aucs = [roc_auc_score(y == c, probs[:, c]) for c in range(probs.shape[1]) if 0 < int((y == c).sum()) < len(y)]
    return float(np.mean(aucs)) if aucs else float("nan")


def _balanced_accuracy(y: np.ndarray, pred: np.ndarray, num_classes: int) -> float:
    """Mean recall over the classes present in ``y``."""
    recalls = [float((pred[y == c] == c).mean()) for c in range(num_classes) if (y == c).any()]
    return float(np.mean(recalls)) if recalls else float("nan")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(1, keepdims=True)
