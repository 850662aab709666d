"""Sum vs mean readout, cell by cell: `python benchmarks/readout_compare.py SUM.json MEAN.json [...]`.

SUM.json is a table run with the recorded (sum) readout (benchmarks/paper_table.sh), MEAN.json (one or more) the same
distilled methods with `--readout mean` (benchmarks/readout.sh). Prints a Markdown table of the cells both measured
and writes benchmarks/results/readout_compare.json.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def main(argv: list[str]) -> None:
    if len(argv) < 2:
        sys.exit(__doc__)
    key = lambda r: (r["dataset"], r["model"], r["method"])  # noqa: E731
    ok = lambda r: not r.get("error") and r.get("test_mean") is not None  # noqa: E731
    summed = {key(r): r for r in json.loads(Path(argv[0]).read_text())["rows"] if ok(r)}
    mean = {key(r): r for p in argv[1:] for r in json.loads(Path(p).read_text())["rows"] if ok(r)}
    rows, wins = [], {"sum": 0, "mean": 0, "tie": 0}
    print("| dataset | GNN | method | sum | mean | difference (sum − mean) |")
    print("|---|---|---|---|---|---:|")
    for k in sorted(set(summed) & set(mean)):
        s, m = summed[k], mean[k]
        diff = 100 * (s["test_mean"] - m["test_mean"])
        wins["tie" if abs(diff) < 0.5 else "sum" if diff > 0 else "mean"] += 1
        rows.append({"dataset": k[0], "model": k[1], "method": k[2], "sum": s["test_mean"], "sum_std": s["test_std"],
                     "mean": m["test_mean"], "mean_std": m["test_std"], "difference": diff})
        print(f"| {k[0]} | {k[1].upper()} | {k[2]} | {100 * s['test_mean']:.1f} ± {100 * s['test_std']:.1f} | "
              f"{100 * m['test_mean']:.1f} ± {100 * m['test_std']:.1f} | {diff:+.1f} |")
    by_method = {}
    for r in rows:
        by_method.setdefault(r["method"], []).append(r["difference"])
    summary = {m: {"cells": len(d), "mean_difference": sum(d) / len(d), "sum_better": sum(x >= 0.5 for x in d),
                   "mean_better": sum(x <= -0.5 for x in d)} for m, d in by_method.items()}
    print(f"\ncells: {len(rows)}; sum better by >= 0.5: {wins['sum']}, mean better: {wins['mean']}, within 0.5: "
          f"{wins['tie']}; per method: {json.dumps(summary)}")
    Path("benchmarks/results/readout_compare.json").write_text(json.dumps(
        {"sum": argv[0], "mean": argv[1:], "wins": wins, "by_method": summary, "rows": rows}, indent=1))


if __name__ == "__main__":
    main(sys.argv[1:])
