"""FP-growth backends on real transactions: `python benchmarks/mining_backends.py [--root DIR]`.

Mines the closed frequent tree sets of each class of NCI1 and ogbg-molbace (2-hop trees, training split) at several
relative supports with pyfim and mlxtend, checks that both return the same sets, and prints the seconds of each.
Writes benchmarks/results/mining_backends.json.
"""

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from graph_mirage import load_dataset
from graph_mirage.mining import mine_itemsets, transaction_matrix, transactions_of
from graph_mirage.trees import row_ids, wl_colours


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--root", default=None)
    p.add_argument("--out", default="benchmarks/results/mining_backends.json")
    args = p.parse_args(argv)
    rows = []
    print(f"{'dataset':<13} {'class':>5} {'support':>8} {'sets':>6} {'pyfim s':>8} {'mlxtend s':>10} same")
    # mlxtend's dense one-hot table makes low supports on molbace take minutes: 0.05 is left out there
    for name, supports in (("NCI1", (0.2, 0.1, 0.05)), ("ogbg-molbace", (0.2, 0.1))):
        flat = load_dataset(name, args.root)
        flat = flat[flat.split["train"]].flat()
        tree = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 2)[-1]
        m = transaction_matrix(flat.graph_of_node, tree, flat.num_graphs, int(tree.max()) + 1)
        for c in np.unique(flat.y):
            tracts = transactions_of(m[np.flatnonzero(flat.y == c)])
            for rel in supports:
                count = max(1, int(rel * len(tracts)))
                t0 = time.perf_counter()
                a = mine_itemsets(tracts, count, "closed", "pyfim")
                ta = time.perf_counter() - t0
                t0 = time.perf_counter()
                b = mine_itemsets(tracts, count, "closed", "mlxtend")
                tb = time.perf_counter() - t0
                same = set(a) == set(b)
                rows.append({"dataset": name, "class": int(c), "support": rel, "sets": len(a), "pyfim_seconds": ta,
                             "mlxtend_seconds": tb, "same": same})
                print(f"{name:<13} {int(c):>5} {rel:>8} {len(a):>6} {ta:>8.3f} {tb:>10.3f} {same}", flush=True)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(rows, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
