"""DosCond and KiDD beside Mirage: the README's table and the paper's size and speed ratios, as measured here.

Reads a merged table (default ``benchmarks/results/learned_table.json``, made by ``benchmarks/learned_table.sh``),
prints per dataset x GNN the test ROC-AUC (and accuracy), bytes and distillation seconds of DosCond, KiDD, Mirage at
the paper's preset and Mirage's automatic settings, and the ratios the Mirage paper claims (learned set bytes /
Mirage bytes, learned distillation seconds / Mirage seconds). Writes ``learned_table_summary.json``.

    python benchmarks/learned_table.py [--table benchmarks/results/learned_table.json]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
METHODS = ("full", "doscond", "kidd", "mirage-paper", "mirage-auto")
NAMES = {"full": "full data", "doscond": "DosCond", "kidd": "KiDD", "mirage-paper": "Mirage (paper preset)",
         "mirage-auto": "Mirage (automatic)"}


def _cell(r: dict | None, key: str = "test_rocauc") -> str:
    if r is None or r.get(f"{key}_mean") is None:
        return ""
    return f"{100 * r[f'{key}_mean']:.1f} ± {100 * r[f'{key}_std']:.1f}"


def summarise(rows: list[dict]) -> dict:
    by = {(r["dataset"], r["model"], r["method"]): r for r in rows if not r.get("error")}
    cells = []
    order = {"gcn": 0, "gat": 1, "gin": 2}
    for dataset, model in sorted({(d, m) for d, m, meth in by if meth in ("doscond", "kidd")},
                                 key=lambda k: (k[0], order.get(k[1], 9), k[1])):
        c = {"dataset": dataset, "model": model}
        for meth in METHODS:
            r = by.get((dataset, model, meth))
            if r is None:
                continue
            c[meth] = {"rocauc": r.get("test_rocauc_mean"), "rocauc_std": r.get("test_rocauc_std"),
                       "accuracy": r.get("test_accuracy_mean"), "accuracy_std": r.get("test_accuracy_std"),
                       "bytes": r["bytes"], "distill_seconds": r["distill_seconds"],
                       "distilled_with": r.get("distilled_with"), "runs": r.get("runs_total")}
        for learned in ("doscond", "kidd"):
            for mirage in ("mirage-paper", "mirage-auto"):
                if learned in c and mirage in c:
                    c[f"{learned}/{mirage}"] = {
                        "bytes_ratio": c[learned]["bytes"] / max(c[mirage]["bytes"], 1),
                        "seconds_ratio": c[learned]["distill_seconds"] / max(c[mirage]["distill_seconds"], 1e-9)}
        cells.append(c)
    ratios = {}
    for dataset in dict.fromkeys(c["dataset"] for c in cells):
        mine = [c for c in cells if c["dataset"] == dataset]
        ratios[dataset] = {}
        for key in ("doscond/mirage-paper", "doscond/mirage-auto", "kidd/mirage-paper", "kidd/mirage-auto"):
            vals = [c[key] for c in mine if key in c]
            if vals:  # a set's bytes and seconds do not depend on the GNN, except the preset's chosen step
                ratios[dataset][key] = {f: float(sum(v[f] for v in vals) / len(vals))
                                        for f in ("bytes_ratio", "seconds_ratio")}
    return {"cells": cells, "ratios": ratios}


def markdown(summary: dict) -> str:
    lines = ["| dataset | GNN | " + " | ".join(NAMES[m] for m in METHODS) + " |",
             "|---|---|" + "---|" * len(METHODS)]
    for c in summary["cells"]:
        row = []
        for m in METHODS:
            v = c.get(m)
            if v is None:
                row.append("")
                continue
            auc = "" if v["rocauc"] is None else f"{100 * v['rocauc']:.1f} ± {100 * v['rocauc_std']:.1f}"
            acc = "" if v["accuracy"] is None else f" (acc. {100 * v['accuracy']:.1f})"
            size = "" if m == "full" else f"<br>{v['bytes']:,} B, {v['distill_seconds']:.1f} s"
            row.append(auc + acc + size)
        lines.append(f"| {c['dataset']} | {c['model'].upper()} | " + " | ".join(row) + " |")
    lines += ["", "| dataset | DosCond / Mirage bytes | KiDD / Mirage bytes | DosCond / Mirage seconds | "
              "KiDD / Mirage seconds |", "|---|---:|---:|---:|---:|"]

    def fmt(x: float) -> str:
        return f"{x:,.0f}×" if x >= 10 else f"{x:.1f}×"

    for dataset, r in summary["ratios"].items():
        def pair(learned, field):
            return " / ".join(fmt(r[f"{learned}/{m}"][field]) for m in ("mirage-paper", "mirage-auto")
                              if f"{learned}/{m}" in r)
        lines.append(f"| {dataset} | {pair('doscond', 'bytes_ratio')} | {pair('kidd', 'bytes_ratio')} | "
                     f"{pair('doscond', 'seconds_ratio')} | {pair('kidd', 'seconds_ratio')} |")
    lines.append("")
    lines.append("Ratios: against Mirage at the paper's preset / at the automatic settings (whose seconds include "
                 "scoring candidates with a small GIN).")
    return "\n".join(lines) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default=str(RESULTS / "learned_table.json"))
    p.add_argument("--out", default=str(RESULTS / "learned_table_summary.json"))
    args = p.parse_args()
    table = json.loads(Path(args.table).read_text())
    summary = summarise(table["rows"])
    summary["source"] = args.table
    summary["command"] = "python benchmarks/learned_table.py"
    Path(args.out).write_text(json.dumps(summary, indent=1) + "\n")
    print(markdown(summary))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
