"""Why the Spark engine mines on the driver: MLlib's FPGrowth against pyfim's closed sets at Mirage's thresholds.

    python benchmarks/spark_fpgrowth.py [--master local[2]]

For each dataset, ``Mirage(hops, budget=10)`` is fitted in memory to find the support threshold of each class. At that
threshold the class's transactions (each training graph's set of tree ids) are mined twice: with Spark MLlib's
``FPGrowth`` (parallel FP-growth; it returns *every* frequent set, with no closed or maximal target and no size limit)
followed by a closed filter (a set is kept when no superset has the same support), and with pyfim's closed FP-growth on
the merged transactions the Spark engine sends to the driver. Reported: sets MLlib returns, closed sets after the
filter, whether they equal pyfim's, seconds of each. Writes ``benchmarks/results/spark_fpgrowth.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = [("ogbg-molbace", 2), ("ogbg-molbbbp", 2), ("NCI1", 3), ("ogbg-molhiv", 3)]


def closed(sets: dict[frozenset, int]) -> set[tuple[tuple[int, ...], int]]:
    """The closed sets among all frequent ones: no proper superset with the same support."""
    by_support: dict[int, list[frozenset]] = {}
    for s, f in sets.items():
        by_support.setdefault(f, []).append(s)
    return {(tuple(sorted(s)), f) for s, f in sets.items()
            if not any(len(o) > len(s) and o > s for o in by_support[f])}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--master", default="local[2]")
    p.add_argument("--out", default=str(RESULTS / "spark_fpgrowth.json"))
    args = p.parse_args()

    import numpy as np
    from pyspark.ml.fpm import FPGrowth

    from graph_mirage import Mirage, load_dataset
    from graph_mirage.data import as_flat
    from graph_mirage.mining import mine_itemsets, transaction_matrix, transactions_of
    from graph_mirage.spark_engine import spark_session

    rows = []
    with spark_session(args.master, partitions=8, driver_memory="6g") as spark:
        for name, hops in RUNS:
            ds = load_dataset(name)
            train = ds[ds.split["train"]]
            m = Mirage(hops=hops, budget=10).fit(train)
            flat = as_flat(train)
            matrix = transaction_matrix(flat.graph_of_node, m.tree_ids_, flat.num_graphs, m.n_trees_).tocsr()
            for c, s in sorted(m.thresholds_.items()):
                sub = matrix[np.flatnonzero(flat.y == c)]
                sub.sort_indices()
                tracts = [sub.indices[a:b].tolist() for a, b in zip(sub.indptr[:-1], sub.indptr[1:])]
                t0 = time.perf_counter()
                expect = set(mine_itemsets(transactions_of(sub), s, "closed"))
                pyfim_s = time.perf_counter() - t0
                df = spark.createDataFrame([(t,) for t in tracts], "items array<int>").repartition(8).cache()
                df.count()
                t0 = time.perf_counter()
                model = FPGrowth(itemsCol="items", minSupport=(s - 0.5) / len(tracts)).fit(df)
                found = {frozenset(r["items"]): int(r["freq"]) for r in model.freqItemsets.collect()
                         if int(r["freq"]) >= s}
                mllib_s = time.perf_counter() - t0
                t0 = time.perf_counter()
                got = closed(found)
                filter_s = time.perf_counter() - t0
                df.unpersist()
                row = {"dataset": name, "hops": hops, "class": int(c), "graphs": len(tracts), "support": int(s),
                       "mllib_sets": len(found), "closed_sets": len(got), "pyfim_closed_sets": len(expect),
                       "equal": got == expect, "mllib_seconds": mllib_s, "closed_filter_seconds": filter_s,
                       "pyfim_seconds": pyfim_s}
                rows.append(row)
                print(f"{name} class {c} (support {s} of {len(tracts)}): MLlib {len(found):,} sets in "
                      f"{mllib_s:.1f} s -> {len(got):,} closed ({filter_s:.2f} s filter), pyfim {len(expect):,} "
                      f"closed in {pyfim_s:.2f} s, equal: {got == expect}", flush=True)
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/spark_fpgrowth.py " + " ".join(sys.argv[1:]),
                                          "master": args.master, "rows": rows}, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
