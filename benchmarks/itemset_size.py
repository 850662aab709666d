"""Why cap the itemset size? `python benchmarks/itemset_size.py [--root DIR] [--datasets ...] [--seeds 3]`

For each dataset, budget (10, 25) and ``max_itemset_size`` (none = the paper's algorithm, 1, 2, 3) this distils the
training split and reports, per class, the support threshold and the mean number of trees per distilled graph, then:

- ``vote``: a training-free check that the mined sets carry the class signal at all: each test graph scores
  (number of class-1 sets it contains) - (number of class-0 sets it contains); ROC-AUC of that score (binary only);
- GIN and GCN test ROC-AUC (mean ± std over the seeds) trained on the distilled set, as in ``mirage bench``.

When one class's sets are much larger than the other's, a GNN trained on the tree-union graphs can separate the
classes by how many trees a graph has instead of which ones, and on real graphs (which all have many trees) that
shortcut can invert the ranking even though the sets themselves vote the right way. Writes
benchmarks/results/itemset_size.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import roc_auc_score

from graph_mirage import MiningLimits, Mirage, load_dataset
from graph_mirage.data import as_flat
from graph_mirage.errors import BudgetError
from graph_mirage.training import TrainConfig, train_and_evaluate
from graph_mirage.trees import row_ids, wl_colours


def presence(flat, hops: int) -> tuple[sp.csc_matrix, np.ndarray]:
    """Graph x tree presence matrix of the whole dataset, and every node's tree id (one colouring for all splits)."""
    tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)[-1]
    m = sp.csr_matrix((np.ones(len(tree)), (flat.graph_of_node, tree)), shape=(flat.num_graphs, int(tree.max()) + 1))
    return (m > 0).astype(np.float64).tocsc(), tree


def vote_auc(ds, flat, mirage: Mirage, present, tree) -> float:
    """ROC-AUC on the test split of the training-free vote of the distilled itemsets (binary tasks)."""
    ptr = flat.node_ptr
    train_nodes = np.concatenate([np.arange(ptr[i], ptr[i + 1]) for i in ds.split["train"].numpy()])
    to_global = dict(zip(mirage.tree_ids_.tolist(), tree[train_nodes].tolist()))
    test = ds.split["test"].numpy()
    score = np.zeros(len(test))
    for c, sets in mirage.itemsets_.items():
        for items, _ in sets:
            cols = [to_global[t] for t in items]
            score += (1 if c == 1 else -1) * (np.asarray(present[test][:, cols].sum(1)).ravel() == len(cols))
    return float(roc_auc_score(flat.y[test], score))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=None)
    p.add_argument("--datasets", nargs="+", default=["ogbg-molbace", "NCI1"])
    p.add_argument("--budgets", nargs="+", type=int, default=[10, 25])
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--out", default="benchmarks/results/itemset_size.json")
    args = p.parse_args(argv)
    rows = []
    print(f"{'dataset':<13} {'k':>3} {'max size':>8} {'thresholds':<16} {'trees/graph by class':<22} {'vote':>6} "
          f"{'GIN':>14} {'GCN':>14}")
    for name in args.datasets:
        ds = load_dataset(name, args.root)
        train = ds[ds.split["train"]]
        hops = int(ds.meta.get("hops", 2))
        flat = as_flat(ds)
        present, tree = presence(flat, hops)
        for budget in args.budgets:
            for size in (None, 1, 2, 3):
                row = {"dataset": name, "budget": budget, "max_itemset_size": size}
                try:
                    m = Mirage(hops=hops, budget=budget, mining=MiningLimits(max_itemset_size=size)).fit(train)
                except BudgetError as e:
                    row["error"] = str(e)
                    rows.append(row)
                    print(f"{name:<13} {budget:>3} {str(size):>8} not made: {e}", flush=True)
                    continue
                row["thresholds"] = {str(c): int(s) for c, s in m.thresholds_.items()}
                row["trees_per_graph"] = {str(c): float(np.mean([len(i) for i, _ in sets]))
                                          for c, sets in m.itemsets_.items()}
                row["nodes"] = m.distilled_.summary()["nodes"]
                row["vote_test_rocauc"] = vote_auc(ds, flat, m, present, tree) if int(ds.meta["num_classes"]) == 2 \
                    else None
                for model in ("gin", "gcn"):
                    r = train_and_evaluate(ds, m.distilled_, model=model, seeds=range(args.seeds),
                                           config=TrainConfig(epochs=100, eval_every=5))
                    row[model] = {"test_mean": r["test_mean"], "test_std": r["test_std"], "val_mean": r["val_mean"]}
                rows.append(row)
                thr = "/".join(str(v) for v in row["thresholds"].values())
                tpg = "/".join(f"{v:.1f}" for v in row["trees_per_graph"].values())
                vote = f"{100 * row['vote_test_rocauc']:.1f}" if row["vote_test_rocauc"] is not None else "-"
                print(f"{name:<13} {budget:>3} {str(size):>8} {thr:<16} {tpg:<22} {vote:>6} "
                      + " ".join(f"{100 * row[mo]['test_mean']:6.2f} ± {100 * row[mo]['test_std']:4.2f}"
                                 for mo in ("gin", "gcn")), flush=True)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
