"""Automatic settings: choose the depth, the per-class budget and the readout on the validation split.

The rule (``mirage distill DATASET`` with no settings, ``Mirage(hops="auto", budget="auto")``):

1. candidates are :class:`~graph_mirage.prototypes.TreePrototypes` sets for every depth in ``hops`` (1, 2, 3) and
   every prototypes-per-class count in ``per_class`` (1, 2, 5, 10, 20), distilled from the training graphs only;
2. a candidate larger than the byte cap is not tried. The cap is ``max_bytes`` when given, else the larger of
   ``max_fraction`` (1 %) of the training split's bytes and the bytes of ``min_graphs`` (5) average training graphs
   per class (what Herding would keep at k = 5: on small datasets 1 % is less than one graph); when no candidate
   fits, the smallest one is the only one tried;
3. each candidate is scored, for each readout in ``readouts`` (sum, mean), by a few seconds of training of a small
   GIN on it (:data:`SELECT_CONFIG`: 50 epochs, validation every 5; ``seeds`` 0 and 1): the mean over seeds of the
   best validation metric. Only the validation graphs are looked at, never the test split. With no validation graphs
   given, a stratified 20 % of the training graphs is held out for scoring and the chosen settings are then distilled
   from all training graphs;
4. the best score wins; candidates within ``tolerance`` (0.005) of it are treated as ties and the one with the fewest
   bytes is taken (then fewer hops).

The chosen settings and every candidate's score are recorded in the artifact's ``meta["auto"]``.

Example:
    >>> from graph_mirage import Mirage, load_dataset
    >>> ds = load_dataset("synthetic-motifs")
    >>> m = Mirage(hops="auto", budget="auto").fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
    >>> m.settings_["hops"] in (1, 2, 3)
    True
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from .data import as_flat
from .distilled import full_bytes
from .errors import BudgetError, DatasetError, ParameterError
from .prototypes import TreePrototypes, tree_counts
from .training import EvalSet, Metric, TrainConfig, seed_everything, train_one

AUTO_HOPS = (1, 2, 3)
AUTO_PER_CLASS = (1, 2, 5, 10, 20)
AUTO_READOUTS = ("sum", "mean")
SELECT_CONFIG = TrainConfig(epochs=50, eval_every=5, hidden=64, batch_size=32)


def holdout(graphs, fraction: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
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


def auto_distill(train, validation=None, *, hops: Sequence[int] = AUTO_HOPS,
                 per_class: Sequence[int] = AUTO_PER_CLASS, readouts: Sequence[str] = AUTO_READOUTS,
                 max_fraction: float | None = 0.01, max_bytes: int | None = None, min_graphs: int = 5,
                 model: str | Sequence[str] = "gin",
                 seeds: Sequence[int] = (0, 1), config: TrainConfig = SELECT_CONFIG, tolerance: float = 0.005,
                 seed: int = 0, log: Callable[[str], None] | None = None) -> tuple[TreePrototypes, dict]:
    """Choose prototype settings on validation graphs (the module docstring has the rule) and distil ``train``.

    Args:
        train: the training graphs (a dataset subset with ``meta``; labels 0..C-1).
        validation: real graphs to score candidates on (None: a stratified 20 % holdout of ``train``).
        hops, per_class, readouts: the grid.
        max_fraction: byte cap as a share of the training split's bytes (None: no cap unless ``max_bytes``).
        max_bytes: byte cap in bytes (overrides ``max_fraction`` and ``min_graphs``).
        min_graphs: the cap is at least the bytes of this many average training graphs per class.
        model, seeds, config: the scoring GNN (or several: the score is the mean over all of them and the seeds), its
            seeds and its training settings.
        tolerance: validation scores this close to the best count as ties (fewest bytes wins).
        seed: seed of the prototypes' k-means and of the holdout.
        log: called with one line per candidate.

    Returns:
        ``(estimator, record)``: the fitted :class:`TreePrototypes` at the chosen settings (its ``distilled_``
        records the readout and ``meta["auto"]``) and the record: ``settings``, ``candidates`` (one dict per
        candidate: hops, per_class, bytes, fraction, and per readout the validation score), ``rule``, ``seconds``.
    """
    from .models import make_model

    models = (model,) if isinstance(model, str) else tuple(model)

    _check_grid(hops, per_class, readouts, max_fraction, max_bytes, seeds, tolerance)
    t0 = time.perf_counter()
    meta = dict(getattr(train, "meta", {}) or {})
    if "num_classes" not in meta or "node_vocab" not in meta:
        raise DatasetError("automatic settings need a dataset subset with its meta (num_classes, vocabularies); "
                           "use load_dataset(...)[indices]")
    if validation is None:
        fit_idx, score_idx = holdout(train, seed=seed)
        fit_graphs, score_graphs, scored_on = train[fit_idx], train[score_idx], "holdout of the training split"
    else:
        fit_graphs, score_graphs, scored_on = train, validation, "validation split"
    if len(score_graphs) == 0:
        raise DatasetError("automatic settings need validation graphs to score candidates on; none were given")
    evalset = EvalSet(score_graphs)
    metric = Metric(meta.get("name", "custom"), int(meta["num_classes"]), meta.get("kind", "tu"))
    flat, fit_flat = as_flat(train), as_flat(fit_graphs)
    total = full_bytes(flat.x, flat.edge_index, flat.edge_attr, flat.y)
    n_classes = len(np.unique(flat.y))
    cap = max_bytes if max_bytes is not None else (
        None if max_fraction is None else max(max_fraction * total, min_graphs * n_classes * total / flat.num_graphs))
    made = []  # (hops, per_class, fitted TreePrototypes)
    for h in hops:
        trees = tree_counts(fit_flat, h)  # one tree stage per depth, shared by every per-class count
        for k in per_class:
            try:
                made.append((h, k, TreePrototypes(hops=h, per_class=k, seed=seed).fit_trees(fit_flat, trees, meta)))
            except BudgetError:
                continue
    if not made:
        raise BudgetError("no candidate distilled set could be made (every one would be at least as large as the "
                          "training split)")
    # candidates fitted on a holdout: bytes as of the full split
    scale = total / max(made[0][2].distilled_.meta["full_bytes"], 1)
    fits = [m for m in made if cap is None or m[2].distilled_.nbytes() * scale <= cap]
    if not fits:
        fits = [min(made, key=lambda m: (m[2].distilled_.nbytes(), m[0], m[1]))]
    candidates, fitted = [], {}
    for h, k, est in fits:
        d = est.distilled_
        fitted[(h, k)] = est
        row = {"hops": h, "per_class": k, "graphs": len(d), "bytes": int(d.nbytes() * scale),
               "fraction": d.nbytes() * scale / total, "val": {}}
        for readout in readouts:
            cfg = replace(config, readout=readout, num_layers=h)
            vals = []
            for name in models:
                for s in seeds:
                    seed_everything(s)  # the initial weights too: the same inputs give the same choice
                    net = make_model(name, int(meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"],
                                     encoder=meta.get("encoder", "embedding"), num_layers=h, hidden=cfg.hidden,
                                     dropout=cfg.dropout, readout=readout)
                    vals.append(train_one(net, d, evalset, evalset, metric, cfg, s).val)
            row["val"][readout] = float(np.nanmean(vals)) if np.isfinite(vals).any() else float("nan")
            row.setdefault("runs", {})[readout] = [float(v) for v in vals]
        candidates.append(row)
        if log:
            scores = ", ".join(f"{r} {v:.4f}" for r, v in row["val"].items())
            log(f"hops {h}, {k} per class: {len(d)} graphs, {100 * row['fraction']:.3f} % of the bytes; "
                f"validation {scores}")
    flat_scores = [(c["val"][r], c, r) for c in candidates for r in readouts if np.isfinite(c["val"][r])]
    if not flat_scores:
        raise BudgetError("no candidate could be scored: the validation metric is undefined (one class only in the "
                          "validation graphs?)")
    best = max(v for v, _, _ in flat_scores)
    ties = [(c["bytes"], c["hops"], c["per_class"], readouts.index(r), c, r) for v, c, r in flat_scores
            if v >= best - tolerance]
    _, _, _, _, chosen, readout = min(ties, key=lambda t: t[:4])
    settings = {"hops": chosen["hops"], "per_class": chosen["per_class"], "readout": readout,
                "val": chosen["val"][readout]}
    if validation is None:  # the candidates saw the fitting part only: distil all the training graphs
        final = TreePrototypes(hops=chosen["hops"], per_class=chosen["per_class"], seed=seed, readout=readout
                               ).fit(train)
    else:  # the chosen candidate is already the set distilled from the training graphs
        final = fitted[(chosen["hops"], chosen["per_class"])]
        final.readout = final.distilled_.meta["readout"] = readout
    record = {"settings": settings, "candidates": candidates, "scored_on": scored_on,
              "rule": (f"best mean validation {metric.name} of {' and '.join(m.upper() for m in models)} "
                       f"({len(seeds)} seed(s), "
                       f"{config.epochs} epochs) over hops {list(hops)} x per-class {list(per_class)} x readout "
                       f"{list(readouts)}; candidates above {'no cap' if cap is None else f'{int(cap):,} bytes'} "
                       f"not tried; ties within {tolerance}: fewest bytes"),
              "seconds": time.perf_counter() - t0}
    # the file records the choice, not how long it took: the same inputs give a byte-identical file
    final.distilled_.meta["auto"] = {k: v for k, v in record.items() if k != "seconds"}
    final.distilled_.meta["method"] = "mirage-auto"
    return final, record


def _check_grid(hops, per_class, readouts, max_fraction, max_bytes, seeds, tolerance) -> None:
    for name, values in (("hops", hops), ("per_class", per_class)):
        if not len(values) or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1
                                  for v in values):
            raise ParameterError(f"{name} must be a non-empty list of integers >= 1, got {list(values)!r}")
    if not len(readouts) or any(r not in ("sum", "mean") for r in readouts):
        raise ParameterError(f"readouts must be a non-empty list of 'sum' / 'mean', got {list(readouts)!r}")
    if max_fraction is not None and not (isinstance(max_fraction, (int, float)) and 0 < max_fraction <= 1):
        raise ParameterError(f"max_fraction must be in (0, 1] or None, got {max_fraction!r}")
    if max_bytes is not None and (isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1):
        raise ParameterError(f"max_bytes must be an integer >= 1, got {max_bytes!r}")
    if not len(seeds):
        raise ParameterError("seeds must not be empty")
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0):
        raise ParameterError(f"tolerance must be a number >= 0, got {tolerance!r}")
