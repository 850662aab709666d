"""What one lucky epoch gives a set and its control: the epoch chosen on a smoothed validation curve.

The tables choose each run's epoch as its best validation score over 100 evaluations. On a small validation split
one noisy epoch can win: a permuted-label control (the same set with its labels permuted) then scores well above
chance. This script trains nothing: it reads the runs that ``benchmarks/warmup_selection.py`` recorded epoch by epoch
(validation and test, committed in ``warmup_selection*.json``) and chooses each run's epoch on its validation curve
smoothed by a centred moving average of W epochs (:func:`warmup_selection.chosen`; W = 1 is the tables' rule), for
the default's set, its permuted control and full data where it was run:

    python benchmarks/selection_window.py [--windows 1 3 5 9]

A set that teaches holds its score under a smoothed rule; a score that was one epoch's luck falls. An exploration of
the protocol, not a change of it. Writes ``benchmarks/results/selection_window.json`` and its table in
docs/results/README.md (``--page``: only the table, from the committed JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import warmup_selection as ws

RESULTS = ws.RESULTS
SOURCES = ("warmup_selection.json", "warmup_selection_gat.json", "warmup_selection_gat_hiv.json",
           "warmup_selection_folds.json")
START, END = "<!-- generated: selection window -->", "<!-- end of selection window -->"
SHOWN = 5  # the window the page's table sets beside the tables' rule


def runs_of(names=SOURCES) -> list[dict]:
    """Every recorded run of the committed files, in the form :func:`warmup_selection.summary` reads."""
    runs = []
    for name in names:
        runs += [dict(r, exact_val=r["val"], exact_test=r["test"])
                 for r in json.loads((RESULTS / name).read_text())["runs"]]
    return runs


def rows_of(runs: list[dict], windows=(1, 3, 5, 9)) -> list[dict]:
    return ws.summary(runs, windows=tuple(windows), warmups=(1,))


def table(rows: list[dict], shown: int = SHOWN) -> str:
    """Per dataset and GNN: the set, its control, the margin and the set's std, under the tables' rule -> window
    ``shown``."""
    by = {(r["dataset"], r["model"], r.get("window", 1)): r for r in rows}
    order = sorted({(d, m) for d, m, _ in by}, key=lambda k: (k[0], ["gcn", "gat", "gin"].index(k[1])))

    def mean(r, k):
        return f"{100 * r[k]['mean']:.1f}" if k in r else ""

    def std(r, k):
        return f"{100 * r[k]['std']:.1f}" if k in r else ""

    def margin(r):
        d = r["margin"]
        mark = "↑" if d["low"] > 0 else "↓" if d["high"] < 0 else "≈"
        return f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}] {mark}"

    lines = [f"| dataset | GNN | default set: W 1 → {shown} | its std | permuted control | margin, W 1 | margin, "
             f"W {shown} | full data |", "|---|---|---|---|---|---|---|---|"]
    for d, m in order:
        a, b = by[(d, m, 1)], by[(d, m, shown)]
        full = f"{mean(a, 'full')} → {mean(b, 'full')}" if "full" in a else ""
        lines.append(f"| {d} | {m.upper()} | {mean(a, 'set')} → {mean(b, 'set')} | {std(a, 'set')} → "
                     f"{std(b, 'set')} | {mean(a, 'permuted')} → {mean(b, 'permuted')} | {margin(a)} | {margin(b)} | "
                     f"{full} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--windows", nargs="+", type=int, default=[1, 3, 5, 9])
    p.add_argument("--out", default=str(RESULTS / "selection_window.json"))
    p.add_argument("--page", action="store_true", help="only rewrite the page's table from --out")
    args = p.parse_args(argv)
    if args.page:
        rows = json.loads(Path(args.out).read_text())["rows"]
    else:
        if any(w < 1 or w % 2 == 0 for w in args.windows) or 1 not in args.windows or SHOWN not in args.windows:
            p.error(f"--windows: odd numbers of epochs, among them 1 (the tables' rule) and {SHOWN}")
        rows = rows_of(runs_of(), args.windows)
        header = {"command": " ".join(["python benchmarks/selection_window.py", *(sys.argv[1:] if argv is None
                                                                                   else argv)]),
                  "sources": list(SOURCES), "windows": args.windows,
                  "reading": "an exploration of the protocol (the epoch chosen on a smoothed validation curve), not a "
                             "change of it; no run trained here: the runs are those of the sources"}
        Path(args.out).write_text(json.dumps({"header": header, "rows": rows}) + "\n")
    if Path(args.out).resolve().parent == RESULTS.resolve():
        from graph_mirage.bench.tables import write_section

        write_section(ws.PAGE, START, END, table(rows))
    print(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
