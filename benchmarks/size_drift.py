"""What a GNN does with a distilled set epoch by epoch: how its test score, its reliance on graph size and its fit of
the set move while it trains.

On DD a model trained on the default's set is best at epoch 1-3 (``warmup_selection.json``), and graph size alone
scores about as much as the set does. Per GNN, seed and training recipe, the default's set (and, with
``--permuted``, its permuted-label control) is trained as the tables train it, and at the checkpoint epochs this
records: the test ROC-AUC, the Spearman correlation of the model's test logits with the test graphs' node counts (the
table shows its absolute value: its sign is the initialisation's), and the model's accuracy on the set's own
prototypes (for the labels it trains on). Epoch 0 is the model as initialised.

    python benchmarks/size_drift.py [--dataset DD] [--models gcn gat gin] [--seeds 5] [--recipes plain high-lr]

Writes ``benchmarks/results/size_drift.json`` (``--out``) and prints the means over seeds.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
CHECKPOINTS = (0, 1, 3, 10, 30, 100)  # 0: the model as initialised, before any update
_DATA: dict = {}


def _dataset(name: str, root: str | None):
    if name not in _DATA:
        from graph_mirage import AutoPrototypes, load_dataset
        from graph_mirage.training import eval_sets

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_dataset(name, root)
        d = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]]).distilled_
        sizes = np.array([ds[int(i)].num_nodes for i in ds.split["test"]])
        _DATA[name] = (ds, d, eval_sets(ds), sizes)
    return _DATA[name]


def _logit(out) -> np.ndarray:
    out = np.asarray(out)
    return out[:, 1] - out[:, 0] if out.ndim == 2 and out.shape[1] == 2 else out.reshape(-1)


def run(task: tuple) -> dict:
    """One run: ``(dataset, root, model, seed, recipe, permuted)``, with its checkpoints."""
    import torch
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.training import TrainConfig, loop, permuted_labels, train_and_evaluate

    name, root, model, seed, recipe, control = task
    torch.set_num_threads(1)
    ds, d, (valid, test), sizes = _dataset(name, root)
    train = permuted_labels(d, seed) if control else d
    config = TrainConfig(**TRAIN_RECIPES[recipe])
    points, epoch_of = [], [0]
    original = loop._epoch

    def point(net, device, cfg) -> None:
        logits, y = loop.predict(net, test, device)
        z = _logit(logits)
        net.eval()
        fit, labels = [], []
        with torch.no_grad():
            for batch in loop._loader(train, cfg, seed, None):
                fit.append(_logit(net(batch.to(device)).cpu().numpy()))
                labels.append(batch.y.view(-1).cpu().numpy())
        net.train()
        fit, labels = np.concatenate(fit), np.concatenate(labels)
        points.append({"epoch": epoch_of[0], "test": float(roc_auc_score(np.asarray(y).reshape(-1), z)),
                       "size_spearman": float(spearmanr(z, sizes).statistic),
                       "set_accuracy": float(((fit > 0).astype(int) == labels).mean())})

    def epoch(net, loader, opt, device, cfg, means):  # epoch 0: the initialisation; then after each epoch's updates
        if epoch_of[0] == 0:
            point(net, device, cfg)
        original(net, loader, opt, device, cfg, means)
        epoch_of[0] += 1
        if epoch_of[0] in CHECKPOINTS:
            point(net, device, cfg)

    loop._epoch = epoch
    try:
        r = train_and_evaluate(ds, train, model=model, seeds=[seed], config=config, evals=(valid, test))
    finally:
        loop._epoch = original
    one = r["runs"][0]
    return {"dataset": name, "model": model, "seed": seed, "recipe": recipe, "set": "permuted" if control else "set",
            "selected_epoch": one["best_epoch"], "selected_test": one["test"], "checkpoints": points}


def summary(runs: list[dict]) -> list[dict]:
    rows = []
    keys = sorted({(r["model"], r["recipe"], r["set"]) for r in runs}, key=lambda k: (k[0], k[1], k[2] != "set"))
    for model, recipe, kind in keys:
        rs = [r for r in runs if (r["model"], r["recipe"], r["set"]) == (model, recipe, kind)]
        row = {"model": model, "recipe": recipe, "set": kind, "seeds": len(rs),
               "selected_test": float(np.mean([r["selected_test"] for r in rs])),
               "selected_epoch_median": float(np.median([r["selected_epoch"] for r in rs]))}
        for e in CHECKPOINTS:
            at = [p for r in rs for p in r["checkpoints"] if p["epoch"] == e]
            row[e] = {k: float(np.mean([p[k] for p in at])) for k in ("test", "size_spearman", "set_accuracy")}
            row[e]["size_abs_spearman"] = float(np.mean([abs(p["size_spearman"]) for p in at]))  # its sign: the init's
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    head = "| GNN | recipe | set | selected test (median epoch) | " + " | ".join(
        f"epoch {e}: test / abs ρ(size) / set acc." for e in CHECKPOINTS) + " |"
    lines = [head, "|" + "---|" * (4 + len(CHECKPOINTS))]
    for r in rows:
        cells = [f"{100 * r[e]['test']:.1f} / {r[e]['size_abs_spearman']:.2f} / {100 * r[e]['set_accuracy']:.0f}"
                 for e in CHECKPOINTS]
        lines.append(f"| {r['model'].upper()} | {r['recipe']} | {r['set']} | {100 * r['selected_test']:.1f} "
                     f"({r['selected_epoch_median']:g}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from graph_mirage.bench.scripts import script_command
    from graph_mirage.config.defaults import TRAIN_RECIPES
    from graph_mirage.fileio import atomic_write_text

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="DD")
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--models", nargs="+", default=["gcn", "gat", "gin"])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--recipes", nargs="+", default=["plain", "high-lr"], choices=list(TRAIN_RECIPES))
    p.add_argument("--permuted", action="store_true", help="also the permuted-label control")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS / "size_drift.json"))
    a = p.parse_args(argv)
    tasks = [(a.dataset, a.root, m, s, rc, c) for m in a.models for rc in a.recipes for c in (False, True)[:1 + a.permuted]
             for s in range(a.seeds)]
    t0 = time.time()
    with ProcessPoolExecutor(a.jobs) as ex:
        runs = list(ex.map(run, tasks))
    rows = summary(runs)
    command = script_command("benchmarks/size_drift.py", argv)
    atomic_write_text(Path(a.out), json.dumps({"header": {"command": command, "seconds": time.time() - t0,
                                                          "checkpoints": list(CHECKPOINTS)},
                                               "rows": rows, "runs": runs}, indent=1))
    print(f"{a.dataset}: the default's set, test ROC-AUC ×100 / absolute Spearman of the test logits with graph size / "
          f"accuracy on the set's own graphs, means over {a.seeds} seeds\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
