"""Train a GNN on a distilled set (or on the full training split) and evaluate it on the real graphs.

The epoch is selected by the validation metric on the real validation split; the test metric at that epoch is
reported, with the last epoch's beside it. Metrics (:mod:`.metrics`): ROC-AUC for binary tasks (through
``ogb.graphproppred.Evaluator`` for OGB datasets) and accuracy; for multi-class tasks accuracy selects and macro
one-vs-rest ROC-AUC is reported beside it. Decisions on a distilled set are corrected for its class balance (logit
adjustment to the training split's priors; ``TrainConfig(prior_correction=False)`` switches it off). Results over
seeds are summarised as mean ± std over all seeds; the authors' protocol (mean of the 5 best of 10 runs by
validation) is available, labelled as such. Training uses one torch thread unless ``threads`` says otherwise.

Modules: :mod:`.config` (settings, devices, threads; no PyG import), :mod:`.metrics`, :mod:`.evalset` (evaluation
graphs collated once), :mod:`.loop` (one run), :mod:`.api` (seeds).

Example:
    >>> result = train_and_evaluate(ds, distilled, model="gin", seeds=[0, 1, 2])    # doctest: +SKIP
    >>> result["test_mean"], result["test_std"], result["test_last_mean"]          # doctest: +SKIP
"""

from .api import (
                     DEFAULT_DEPTH,
                     class_counts,
                     decision_shift,
                     eval_sets,
                     summarise,
                     train_and_evaluate,
)
from .config import (
                     DEFAULT_READOUT,
                     READOUT_NAMES,
                     SUPPORT_MODES,
                     TrainConfig,
                     check_device_name,
                     resolve_device,
                     seed_everything,
                     torch_threads,
)
from .evalset import EvalSet, predict
from .loop import RunResult, support_class_means, train_one
from .metrics import Metric, class_shift

__all__ = ["DEFAULT_DEPTH", "DEFAULT_READOUT", "READOUT_NAMES", "SUPPORT_MODES", "EvalSet", "Metric", "RunResult",
           "TrainConfig", "check_device_name", "class_counts", "class_shift", "decision_shift", "eval_sets",
           "predict", "resolve_device", "seed_everything", "summarise", "support_class_means", "torch_threads",
           "train_and_evaluate", "train_one"]
