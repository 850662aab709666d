"""Why a permuted-label control scores so high: after one epoch a sum-readout GNN ranks real graphs by their size.

The tables select each run's epoch on the real validation split. A model that has barely trained already orders the
graphs by something, and on datasets where graph size separates the classes (DD, NCI1, PROTEINS, ogbg-molhiv) that
something is size: its sum readout grows with the number of nodes. Whether the order is right or inverted depends on
the initialisation, not on the labels; epoch selection then keeps an epoch where it is right. This script measures
it for the default's set and its permuted-label control (the permutation of the tables' seed), one training epoch,
10 seeds, GCN / GAT / GIN, on each dataset's random split (TU datasets: the tables' random split, not their folds):

* ``test``: the test ROC-AUC after one epoch, and how many runs are below 50 (the order inverted);
* ``size_rho``: the Spearman correlation of the model's score (logit of class 1 minus class 0) with the number of
  nodes of the test graphs; ``|rho|`` near 1 says the score is the size, whichever its sign;
* ``size_only``: what graph size alone scores (:class:`~graph_mirage.baselines.SizeOnly`).

    python benchmarks/early_epochs.py                       # about 5 minutes on 2 cores
    python benchmarks/early_epochs.py --datasets DD --seeds 3
    python benchmarks/early_epochs.py --from-json           # the table again (selected epochs from tables.json)

Writes ``benchmarks/results/early_epochs.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
DATASETS = ("DD", "NCI1", "PROTEINS", "ogbg-molhiv", "ogbg-molbace")
MODELS = ("gcn", "gat", "gin")


def one_epoch(ds, train_set, model: str, seed: int, evals, test_graphs) -> tuple[float, float]:
    """Test ROC-AUC and Spearman(score, nodes) of ``model`` after one epoch on ``train_set``; ``test_graphs`` is the
    test split as :class:`~graph_mirage.data.FlatGraphs` (labels and node counts in the split's order)."""
    from scipy.stats import spearmanr

    from graph_mirage.models import make_model
    from graph_mirage.training import Metric, TrainConfig, predict, seed_everything, train_one

    meta = ds.meta
    seed_everything(seed)
    net = make_model(model, int(meta["num_classes"]), meta["node_vocab"], meta["edge_vocab"], encoder=meta["encoder"],
                     num_layers=int(train_set.meta["hops"]), readout=train_set.meta.get("readout", "sum"))
    metric = Metric(meta["name"], int(meta["num_classes"]), meta["kind"])
    valid, test = evals
    run = train_one(net, train_set, valid, test, metric, TrainConfig(epochs=1), seed)
    logits, y = predict(net, test, "cpu")
    assert np.array_equal(np.asarray(y).ravel(), test_graphs.y)  # the test graphs in the split's order
    score = np.asarray(logits[:, 1] - logits[:, 0], dtype=np.float64)
    return float(run.test), float(spearmanr(score, np.diff(test_graphs.node_ptr)).statistic)


def measure(name: str, root, seeds: list[int], models: list[str]) -> list[dict]:
    from sklearn.metrics import roc_auc_score

    from graph_mirage import AutoPrototypes, load_dataset
    from graph_mirage.baselines import SizeOnly
    from graph_mirage.data import as_flat
    from graph_mirage.training import eval_sets, permuted_labels, torch_threads

    ds = load_dataset(name, root)
    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]
    default = AutoPrototypes().fit(train, validation=valid).distilled_
    size = SizeOnly().fit(ds)
    test_graphs = as_flat(ds[ds.split["test"]])
    size_logits = size.logits(ds.split["test"].numpy())
    size_only = float(roc_auc_score(test_graphs.y, size_logits[:, 1] - size_logits[:, 0]))
    evals = eval_sets(ds)
    rows = []
    with torch_threads(1):
        for model in models:
            for label, make in (("default", lambda s: default), ("permuted", lambda s: permuted_labels(default, s))):
                out = [one_epoch(ds, make(s), model, s, evals, test_graphs) for s in seeds]
                test, rho = np.array([o[0] for o in out]), np.array([o[1] for o in out])
                rows.append({"dataset": name, "model": model, "set": label, "graphs": len(default),
                             "seeds": seeds, "test": test.tolist(), "size_rho": rho.tolist(),
                             "test_mean": float(test.mean()), "inverted": int((test < 0.5).sum()),
                             "abs_rho_mean": float(np.abs(rho).mean()), "size_only": size_only})
                print(f"{name} {model} {label}: epoch-1 test {100 * test.mean():.1f} ({rows[-1]['inverted']}/"
                      f"{len(seeds)} below 50), |rho(score, nodes)| {np.abs(rho).mean():.2f}; size only "
                      f"{100 * size_only:.1f}", flush=True)
    return rows


def selected_epochs(rows: list[dict], tables: Path) -> None:
    """Adds the median epoch the tables' runs selected (``tables.json``: the same sets, 100 epochs) to each row."""
    if not tables.is_file():
        return
    table = json.loads(tables.read_text())["rows"]
    method = {"default": "mirage-auto", "permuted": "mirage-auto~permuted"}
    for r in rows:
        hit = [t for t in table if (t["dataset"], t["model"], t["method"]) == (r["dataset"], r["model"],
                                                                                method[r["set"]])
               and t.get("budget") is None]
        if hit:
            r["selected_epoch_median"] = float(np.median([x["best_epoch"] for x in hit[0]["runs"]]))


def markdown(rows: list[dict]) -> str:
    lines = ["| dataset | GNN | set | test ROC-AUC ×100 after 1 epoch (mean) | runs below 50 | mean \\|Spearman(score, "
             "nodes)\\| | size only | epoch the tables select (median) |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        sel = r.get("selected_epoch_median")
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {r['set']} | {100 * r['test_mean']:.1f} | "
                     f"{r['inverted']}/{len(r['seeds'])} | {r['abs_rho_mean']:.2f} | {100 * r['size_only']:.1f} | "
                     f"{'' if sel is None else f'{sel:g}'} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from graph_mirage.cli.types import positive

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=list(DATASETS))
    p.add_argument("--models", nargs="+", default=list(MODELS), choices=MODELS)
    p.add_argument("--seeds", type=positive(1), default=10)
    p.add_argument("--root", default=None, help="data root (default: $MIRAGE_DATA)")
    p.add_argument("--out", default=str(RESULTS / "early_epochs"))
    p.add_argument("--from-json", action="store_true", help="re-read OUT.json instead of training")
    args = p.parse_args(argv)
    from graph_mirage.errors import MirageError

    if args.from_json:
        data = json.loads(Path(args.out + ".json").read_text())
        return write(data["rows"], data["header"], args.out)
    from graph_mirage.data.registry import resolve_spec

    t0 = time.perf_counter()
    try:
        for name in args.datasets:  # an unknown name is one line before any dataset trains
            resolve_spec(name, args.root)
        rows = [r for name in args.datasets for r in measure(name, args.root, list(range(args.seeds)), args.models)]
    except MirageError as e:
        print(f"early_epochs: error: {e}", file=sys.stderr)
        return 2
    command = "python benchmarks/early_epochs.py " + " ".join(argv if argv is not None else sys.argv[1:])
    return write(rows, {"command": command.strip(), "seconds": time.perf_counter() - t0}, args.out)


def write(rows: list[dict], header: dict, out: str) -> int:
    from graph_mirage.fileio import atomic_write_text

    selected_epochs(rows, RESULTS / "tables.json")
    atomic_write_text(out + ".json", json.dumps({"header": header, "rows": rows}, indent=1) + "\n")
    md = markdown(rows) + f"\nCommand: `{header['command']}`; {header['seconds'] / 60:.1f} min.\n"
    atomic_write_text(out + ".md", md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
