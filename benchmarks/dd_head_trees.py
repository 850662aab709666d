"""Is it the trees a prototype leaves out? DD's models scored on the test nodes whose trees the set keeps (#20, #22)

On DD a prototype's 32 roots keep about 4 % of its cluster's nodes (docs/results/max-roots.md), and a model trained
plain on the default's set ends near or below chance in test (its last epochs: ``defaults.json``). One reading: what
it fits on the kept trees does not extrapolate to the nodes whose trees no prototype holds. This trains the default's
set as the tables train it (``train_and_evaluate``, plain) and, at checkpoint epochs, scores every test graph three
ways with the same model: whole (as the tables do); pooled only over its nodes whose one-hop tree is one of the set's
roots (refined together with the training graphs, so a tree is the same id on both sides), weighted up to the
graph's node count as a prototype's roots are (*kept*); and pooled only over the others (*left out*). A graph without
any kept node keeps all. Beside each, the Spearman correlation of the whole graphs' logits with their node counts.

    python benchmarks/dd_head_trees.py [--models gcn gat gin] [--seeds 5] [--jobs 2]

Writes ``benchmarks/results/dd_head_trees.json`` and prints the means over seeds. An exploration (no permuted
controls): a hypothesis, not a finding.
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
CHECKPOINTS = (1, 3, 10, 30, 100)
VIEWS = ("whole", "kept", "left_out")
_DATA: dict = {}


def kept_nodes(estimator, train_flat, test_flat) -> np.ndarray:
    """``[test nodes]`` whether each test node's tree is one of the fitted ``estimator``'s roots: the training and
    test graphs refined together (one dictionary), each training tree id mapped to its joint id through a witness."""
    from graph_mirage.prototypes import tree_counts
    from graph_mirage.trees import row_ids, wl_colours

    hops = estimator.hops
    own = tree_counts(train_flat, hops).colours[-1]
    x = np.vstack([train_flat.x, test_flat.x])
    edge_attr = np.vstack([train_flat.edge_attr, test_flat.edge_attr])
    edge_index = np.hstack([train_flat.edge_index, test_flat.edge_index + len(train_flat.x)])
    joint = wl_colours(row_ids(x), edge_index, row_ids(edge_attr), hops)[-1]
    witness = np.full(int(own.max()) + 1, -1, dtype=np.int64)
    witness[own[::-1]] = np.arange(len(own))[::-1]  # the first training node of each tree
    roots = np.unique(np.concatenate([ids for _, ids, _ in estimator.prototypes_]))
    return np.isin(joint[len(train_flat.x):], joint[witness[roots]])


def _views(test, kept: np.ndarray, ptr: np.ndarray) -> dict:
    """The test graphs collated whole, and pooled over their kept / left-out nodes (weights up to the node count)."""
    import torch
    from torch_geometric.data import Batch

    graphs = [test[i] for i in range(len(test))]

    def pooled(which: bool):
        out = []
        for g, a, b in zip(graphs, ptr[:-1], ptr[1:]):
            mask = kept[a:b] == which
            if not mask.any():
                mask = np.ones(b - a, dtype=bool)
            g = g.clone()
            g.root_mask = torch.from_numpy(mask)
            g.root_weight = torch.full((b - a,), float((b - a) / mask.sum()))
            out.append(g)
        return Batch.from_data_list(out)

    return {"whole": Batch.from_data_list(graphs), "kept": pooled(True), "left_out": pooled(False)}


def _dataset(root: str | None):
    if "DD" not in _DATA:
        from graph_mirage import AutoPrototypes, load_dataset
        from graph_mirage.data import as_flat
        from graph_mirage.training import eval_sets

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_dataset("DD", root)
        train, test = ds[ds.split["train"]], ds[ds.split["test"]]
        auto = AutoPrototypes().fit(train, validation=ds[ds.split["valid"]])
        test_flat = as_flat(test)
        kept = kept_nodes(auto.best_estimator_, as_flat(train), test_flat)
        y = np.array([int(test[i].y) for i in range(len(test))])
        sizes = np.diff(test_flat.node_ptr)
        _DATA["DD"] = (ds, auto.distilled_, eval_sets(ds), _views(test, kept, test_flat.node_ptr), y, sizes,
                       float(kept.mean()))
    return _DATA["DD"]


def run(task: tuple) -> dict:
    """One run ``(root, model, seed)``: the tables' plain training, each view scored at the checkpoints."""
    import torch
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score

    from graph_mirage.training import TrainConfig, loop, train_and_evaluate

    root, model, seed = task
    torch.set_num_threads(1)
    ds, d, evals, views, y, sizes, share = _dataset(root)
    points, epoch_of, original = [], [0], loop._epoch

    def epoch(net, loader, opt, device, cfg, means):
        original(net, loader, opt, device, cfg, means)
        epoch_of[0] += 1
        if epoch_of[0] in CHECKPOINTS:
            net.eval()
            with torch.no_grad():
                z = {k: (lambda o: (o[:, 1] - o[:, 0]).numpy())(net(b.to(device)).cpu()) for k, b in views.items()}
            net.train()
            points.append({"epoch": epoch_of[0], **{k: float(roc_auc_score(y, v)) for k, v in z.items()},
                           "size_spearman": float(spearmanr(z["whole"], sizes).statistic)})

    loop._epoch = epoch
    try:
        train_and_evaluate(ds, d, model=model, seeds=[seed], config=TrainConfig(), evals=evals)
    finally:
        loop._epoch = original
    return {"model": model, "seed": seed, "kept_share": share, "checkpoints": points}


def summary(runs: list[dict]) -> list[dict]:
    rows = []
    for model in sorted({r["model"] for r in runs}):
        rs = [r for r in runs if r["model"] == model]
        for e in CHECKPOINTS:
            at = [p for r in rs for p in r["checkpoints"] if p["epoch"] == e]
            rows.append({"model": model, "epoch": e, "seeds": len(at),
                         **{k: float(np.mean([p[k] for p in at])) for k in (*VIEWS, "size_spearman")},
                         "kept_minus_whole": float(np.mean([p["kept"] - p["whole"] for p in at]))})
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| GNN | epoch | whole | kept nodes only | left-out nodes only | kept − whole | ρ(logit, size) |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['model'].upper()} | {r['epoch']} | {100 * r['whole']:.1f} | {100 * r['kept']:.1f} | "
                     f"{100 * r['left_out']:.1f} | {100 * r['kept_minus_whole']:+.1f} | {r['size_spearman']:+.2f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    from graph_mirage.bench.scripts import script_command
    from graph_mirage.fileio import atomic_write_text

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--models", nargs="+", default=["gcn", "gat", "gin"])
    p.add_argument("--seeds", type=int, default=5)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out", default=str(RESULTS / "dd_head_trees.json"))
    a = p.parse_args(argv)
    tasks = [(a.root, m, s) for m in a.models for s in range(a.seeds)]
    t0 = time.time()
    with ProcessPoolExecutor(a.jobs) as ex:
        runs = list(ex.map(run, tasks))
    rows = summary(runs)
    command = script_command("benchmarks/dd_head_trees.py", argv)
    atomic_write_text(Path(a.out), json.dumps({"header": {"command": command, "seconds": time.time() - t0,
                                                          "kept_share": runs[0]["kept_share"]},
                                               "rows": rows, "runs": runs}, indent=1))
    print(f"DD: the default's set trained plain; test ROC-AUC ×100 of the whole test graphs and of their kept / "
          f"left-out nodes ({100 * runs[0]['kept_share']:.1f} % of the test nodes have a kept tree), means over "
          f"{a.seeds} seeds\n")
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
