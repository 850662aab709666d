"""Train a GNN on a distilled set (or on the full training split) and evaluate it on the real graphs.

The epoch is selected by the validation metric on the real validation split; the test metric at that epoch is
reported, with the last epoch's beside it. Metrics (:mod:`.metrics`): ROC-AUC for binary tasks (through
``ogb.graphproppred.Evaluator`` for OGB datasets) and accuracy; for multi-class tasks accuracy selects and macro
one-vs-rest ROC-AUC is reported beside it. Decisions on a distilled set are corrected for its class balance (logit
adjustment to the training split's priors; ``TrainConfig(prior_correction=False)`` switches it off), and every run
also reports its decisions after a bias fitted on the validation split (:func:`fit_decision_bias`). Results over
seeds are summarised as mean ± std over all seeds; the authors' protocol (mean of the 5 best of 10 runs by
validation) is available, labelled as such. Training uses one torch thread unless ``threads`` says otherwise.

Modules: :mod:`.config` (settings, devices, threads; no PyG import), :mod:`.metrics`, :mod:`.evalset` (evaluation
graphs collated once), :mod:`.bankloader` (a tree bank's prototypes batched as sub-DAGs of the bank), :mod:`.loop`
(one run), :mod:`.augment` (root dropout while training), :mod:`.api` (seeds), :mod:`.control` (a distilled set
beside its permuted-label control).

Example:
    >>> result = train_and_evaluate(ds, distilled, model="gin", seeds=[0, 1, 2])    # doctest: +SKIP
    >>> result["test_mean"], result["test_std"], result["test_last_mean"]          # doctest: +SKIP
"""

from .._lazy import lazy

_LAZY = {
    "DEFAULT_DEPTH": ".api", "check_evaluable": ".api", "class_counts": ".api", "decision_shift": ".api",
    "eval_sets": ".api", "summarise": ".api", "train_and_evaluate": ".api", "warn_if_deeper": ".api",
    "warn_if_early": ".api",
    "DEFAULT_READOUT": ".config", "READOUT_NAMES": ".config", "SUPPORT_MODES": ".config", "TrainConfig": ".config",
    "check_device_name": ".config", "resolve_device": ".config", "seed_everything": ".config",
    "torch_threads": ".config", "EvalSet": ".evalset", "predict": ".evalset", "RunResult": ".loop",
    "support_class_means": ".loop", "train_one": ".loop", "Metric": ".metrics", "class_shift": ".metrics",
    "fit_decision_bias": ".metrics", "keep_decision_bias": ".metrics", "task_shift": ".metrics",
    "task_loss": ".loop", "BankLoader": ".bankloader",
    "BankBatches": ".bankloader", "has_bank": ".bankloader", "permuted_labels": ".control",
    "train_with_control": ".control", "choose_by_margin": ".control", "drop_roots": ".augment",
}

__all__ = sorted(_LAZY)


__getattr__, __dir__ = lazy(__name__, _LAZY)
