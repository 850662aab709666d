"""The default's closed-form score on several classes: macro one-vs-rest ROC-AUC against the accuracy it replaced.

Until this script's commit the rule scored a candidate on more than two classes by the validation accuracy of its
linear model's decisions (taken for the training split's class balance); it now scores the macro one-vs-rest ROC-AUC,
which does not depend on the validation split's class balance. This script fits the default (no GNN trained) on every
multi-class split the repository measures — synthetic-motifs' 10 folds x 3 seeds (the tables' splits), BACE's potency
in 3 and 5 classes with its stratified random split (the ``potency{K}.json`` benches) — and on the potency classes'
scaffold split, the one a user's CSV gets by default, whose validation split is far from the training split's class
balance. Per candidate both scores are recorded (the accuracy as the earlier code computed it, with its binomial
standard error), and per split both rules' choices and whether each would warn that no candidate beats chance (ROC-AUC
0.5; the accuracy of always deciding the validation split's most frequent class).

    python benchmarks/multiclass_score.py            # about a minute on 2 cores

Writes ``benchmarks/results/multiclass_score.json`` and, with ``--page``, the section of docs/results/README.md
between its ``multiclass-score`` markers. The potency CSVs are derived as ``potency_classes.py`` derives them, into the
processed-data cache (never the repository).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
import warnings
from pathlib import Path
from unittest import mock

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- multiclass-score:start -->", "<!-- multiclass-score:end -->"


def earlier_accuracy(probe, est, witness) -> float:
    """The score the rule had on several classes: the accuracy of the linear model's decisions on the validation
    graphs, taken for the training split's class balance (logit adjustment), not the prototypes'."""
    from graph_mirage.training.metrics import class_shift

    fitted = probe.fit(est, witness)
    if fitted is None:
        return float("nan")
    model, V = fitted
    z = model.decision_function(V)
    if z.ndim == 1:
        z = np.stack([np.zeros_like(z), z], axis=1)
    labels = np.array([c for c, _, _ in est.prototypes_])
    shift = class_shift(np.bincount(probe.fit_flat.y, minlength=probe.num_classes),
                        np.bincount(labels, minlength=probe.num_classes))
    pred = model.classes_[(z + shift[model.classes_]).argmax(1)]
    return float((pred == probe.y).mean())


def both_rules(train, valid) -> dict:
    """Fit the default on ``train`` scored on ``valid``; both scores of every candidate and both rules' choices."""
    from graph_mirage import auto as auto_module
    from graph_mirage.wlprobe import WLProbe

    accuracy: dict = {}

    class Recording(WLProbe):
        def score(self, est, witness):
            accuracy[(est.hops, est.per_class)] = earlier_accuracy(self, est, witness)
            return super().score(est, witness)

    with mock.patch.object(auto_module, "WLProbe", Recording), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = auto_module.AutoPrototypes().fit(train, validation=valid)
    y = valid.flat().y
    majority = float(np.bincount(y).max() / len(y))
    rows, earlier = [], []
    for r in est.cv_results_:
        if not r["scored"]:
            continue
        acc = accuracy[(r["hops"], r["per_class"])]
        rows.append({"hops": r["hops"], "per_class": r["per_class"], "fraction": r["fraction"], "auc": r["val"],
                     "auc_se": r["val_se"], "accuracy": acc, "accuracy_se": math.sqrt(acc * (1 - acc) / len(y))})
        earlier.append(dict(r, val=acc, val_se=rows[-1]["accuracy_se"]))
    then = auto_module.choose(earlier)
    best_auc = max(rows, key=lambda r: r["auc"])
    best_acc = max(rows, key=lambda r: r["accuracy"])
    return {"valid_classes": np.bincount(y).tolist(), "majority_share": majority, "candidates": rows,
            "chosen": [est.best_params_["hops"], est.best_params_["per_class"]],
            "chosen_earlier": [then["hops"], then["per_class"]],
            "warns": bool(best_auc["auc"] - best_auc["auc_se"] <= 0.5),
            "warned_earlier": bool(best_acc["accuracy"] - best_acc["accuracy_se"] <= majority)}


def splits(root: str, csv_dir: Path):
    """``(dataset, split, train, valid)`` for every split measured."""
    from graph_mirage import load_dataset

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from potency_classes import potency_csv

    for seed in range(3):
        for fold in range(10):
            ds = load_dataset("synthetic-motifs", root, folds=10, fold=fold, seed=seed)
            yield "synthetic-motifs", f"fold {fold}, seed {seed}", ds[ds.split["train"]], ds[ds.split["valid"]]
    for k in (3, 5):
        path = csv_dir / f"bace-potency{k}.csv"
        if not path.exists():
            potency_csv(Path(root) / "molecules" / "bace.csv.gz", k, path)
        for split_column, name in (("split", "stratified random"), (None, "scaffold")):
            ds = load_dataset(str(path), root, split_column=split_column, label_columns=["potency"],
                              smiles_column="smiles")
            yield f"bace-potency{k}", name, ds[ds.split["train"]], ds[ds.split["valid"]]


def summary(results: list[dict]) -> list[dict]:
    """Per dataset and kind of split: how many splits, how many choices changed, how many warnings each rule gives."""
    out: dict = {}
    for r in results:
        kind = "10 folds x 3 seeds" if r["dataset"] == "synthetic-motifs" else r["split"]
        s = out.setdefault((r["dataset"], kind), {"dataset": r["dataset"], "split": kind, "splits": 0, "changed": 0,
                                                   "warns": 0, "warned_earlier": 0, "rows": []})
        s["splits"] += 1
        s["changed"] += r["chosen"] != r["chosen_earlier"]
        s["warns"] += r["warns"]
        s["warned_earlier"] += r["warned_earlier"]
        s["rows"].append(r)
    return list(out.values())


def _range(values) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f}" if round(lo, 2) == round(hi, 2) else f"{lo:.2f}–{hi:.2f}"


def table(results: list[dict]) -> str:
    lines = ["| dataset | split | splits | validation classes | choices changed | best ROC-AUC (macro) | best accuracy "
             "| chance: accuracy of the majority | warns of chance: ROC-AUC / accuracy |",
             "|---|---|---:|---|---:|---|---|---|---|"]
    for s in summary(results):
        rows = s["rows"]
        classes = rows[0]["valid_classes"] if len(rows) == 1 else f"{len(rows[0]['valid_classes'])} classes"
        lines.append(
            f"| {s['dataset']} | {s['split']} | {s['splits']} | {classes} | {s['changed']} "
            f"| {_range([max(c['auc'] for c in r['candidates']) for r in rows])} "
            f"| {_range([max(c['accuracy'] for c in r['candidates']) for r in rows])} "
            f"| {_range([r['majority_share'] for r in rows])} | {s['warns']} / {s['warned_earlier']} |")
    return "\n".join(lines)


def section(blob: dict) -> str:
    h = blob["header"]
    return (f"Written by `python benchmarks/multiclass_score.py --page` from "
            f"`benchmarks/results/multiclass_score.json` (`{h['command']}`, {h['seconds']:.0f} s); no GNN trained. "
            f"Per split, the default fitted on the training graphs and scored on the validation graphs; *choices "
            f"changed*: splits where the macro ROC-AUC rule chooses another (hops, prototypes per class) than the "
            f"accuracy rule would; best scores: over the scored candidates (ranges over the splits); *warns of "
            f"chance*: splits where no candidate is above chance by more than its standard error.\n\n"
            f"{table(blob['results'])}")


def main(argv: list[str] | None = None) -> int:
    from graph_mirage.bench.scripts import publish, script_header
    from graph_mirage.data.registry import default_cache

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=None, help="data root (default $MIRAGE_DATA)")
    p.add_argument("--out", default=str(RESULTS / "multiclass_score.json"))
    p.add_argument("--csv-dir", default=None, help="where the potency CSVs go (default: the cache's derived/)")
    p.add_argument("--page", action="store_true", help=f"only rewrite the section of {PAGE} from --out")
    args = p.parse_args(argv)
    if args.page:
        import json

        from graph_mirage.bench.tables import write_section

        write_section(PAGE, START, END, section(json.loads(Path(args.out).read_text())) + "\n")
        print(f"rewrote the section of {PAGE}")
        return 0
    import os

    import torch

    torch.set_num_threads(1)
    t0 = time.perf_counter()
    root = args.root or os.environ.get("MIRAGE_DATA")
    csv_dir = Path(args.csv_dir) if args.csv_dir else default_cache() / "derived"
    results = []
    for dataset, split, train, valid in splits(root, csv_dir):
        results.append({"dataset": dataset, "split": split, **both_rules(train, valid)})
        print(f"{dataset}, {split}: chosen {results[-1]['chosen']} (accuracy rule {results[-1]['chosen_earlier']})",
              flush=True)
    blob = {"header": script_header("benchmarks/multiclass_score.py", argv, jobs=1, t0=t0), "results": results}
    publish(blob, args.out, table(results), (PAGE, START, END, section(blob)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
