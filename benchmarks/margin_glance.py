"""The README's table again, every distilled set's learning rate chosen by its margin over its permuted control.

    python benchmarks/margin_glance.py          # the page's section and margin_glance.json, from committed JSON

The README's table (``defaults.json`` and ``equal_bytes.json``) trains every distilled set at Adam's 1e-3, as
``mirage train`` does by default. ``margin_tables.json`` holds the same columns — the default, its rule without a
tree bank (``mirage-plain``), herding's and random graphs in its bytes, each with its permuted control, full data
and the classic controls — with each set's rate chosen per GNN and split between 1e-3 and 1e-2 by its margin over
its control on validation (``mirage bench --recipes plain high-lr --recipe-rule margin``, what ``mirage train
--choose-lr 0.001 0.01`` does; the commands are the last lines of ``benchmarks/tables.sh``; every run comes from the
cache the other tables wrote). This script writes that table, and every verdict of the README's table that turns
under the rule, into the section of docs/results/README.md between its ``margin-glance`` markers and into
``benchmarks/results/margin_glance.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.stats import VERDICT_MARKS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- margin-glance:start -->", "<!-- margin-glance:end -->"
# the README table's paired columns: the row that holds the difference, and the opponent it is paired with
COLUMNS = (("over its control", "permuted"), ("vs full data", "full"), ("vs herding, same bytes", "herding-bytes"),
           ("vs random, same bytes", "random-bytes"))


def _rows(path: Path) -> list[dict]:
    return [r for r in json.loads(path.read_text())["rows"] if r.get("budget") is None and not r.get("error")]


def _cells(rows: list[dict], versus: list[dict]) -> dict[tuple[str, str, str, str], dict]:
    """(dataset, GNN, method, column) -> the paired difference the README's table prints there; ``versus`` holds the
    rows that paired the default with herding's and random graphs."""
    out = {}
    for source, columns in ((rows, COLUMNS[:2]), (versus, COLUMNS[2:])):
        for r in source:
            if r["method"] != "mirage-auto":
                continue
            for name, key in columns:
                p = r.get("paired", {}).get(key)
                if p and p["low"] == p["low"]:
                    out[(r["dataset"], r["model"], r["method"], name)] = p
    return out


def turned(before: dict, after: dict) -> list[dict]:
    """Every cell of both tables whose verdict differs, with both paired differences ×100."""
    out = []
    for key in sorted(set(before) & set(after)):
        a, b = before[key], after[key]
        if a["verdict"] != b["verdict"]:
            d, m, method, column = key
            out.append({"dataset": d, "model": m, "method": method, "column": column,
                        "plain": round(100 * a["mean"], 1), "plain_verdict": a["verdict"],
                        "chosen": round(100 * b["mean"], 1), "chosen_verdict": b["verdict"]})
    return out


def moves(plain: list[dict], chosen: list[dict]) -> dict:
    """Per set (the default, its rule without a bank): the least and the most its test mean moves ×100 from the
    README's rate to the chosen one, over the binary and the multi-class cells (accuracy there), and the cell of each
    end."""
    before = {(r["dataset"], r["model"], r["method"]): r for r in plain if r.get("test_mean") is not None}
    out: dict = {}
    for r in chosen:
        key = (r["dataset"], r["model"], r["method"])
        if r["method"] not in ("mirage-auto", "mirage-plain") or key not in before or r.get("test_mean") is None:
            continue
        kind = "several classes" if r["metric"] == "accuracy" else "two classes"
        d = round(100 * (r["test_mean"] - before[key]["test_mean"]), 1)
        out.setdefault(r["method"], {}).setdefault(kind, []).append((d, f"{r['dataset']} {r['model'].upper()}"))
    return {m: {k: {"least": min(v), "most": max(v)} for k, v in kinds.items()} for m, kinds in out.items()}


def summary(results: Path = RESULTS) -> dict:
    """What the margin rule changes in the README's table: the cells compared, the verdicts that turn and each set's
    learning-rate choices (how many (GNN, split) cells took 1e-2)."""
    margin, plain = _rows(results / "margin_tables.json"), _rows(results / "defaults.json")
    before = _cells(plain, _rows(results / "equal_bytes.json"))
    after = _cells(margin, margin)
    chose = {}
    for r in margin:
        if r["method"] in ("mirage-auto", "mirage-plain") and r.get("recipes"):
            c = chose.setdefault(r["method"], [0, 0])
            c[0] += sum(x == "high-lr" for x in r["recipes"])
            c[1] += len(r["recipes"])
    return {"compared": len(set(before) & set(after)), "turned": turned(before, after),
            "moves": moves(plain, margin),
            "high_lr_chosen": {k: {"cells": v[1], "high_lr": v[0]} for k, v in chose.items()},
            "sources": ["margin_tables.json", "defaults.json", "equal_bytes.json"]}


def _turned_table(rows: list[dict]) -> str:
    lines = ["| dataset | GNN | column | README (1e-3) | margin rule |", "|---|---|---|---|---|"]
    for t in rows:
        lines.append(f"| {t['dataset']} | {t['model'].upper()} | {t['column']} | "
                     f"{t['plain']:+.1f}{VERDICT_MARKS[t['plain_verdict']]} | "
                     f"{t['chosen']:+.1f}{VERDICT_MARKS[t['chosen_verdict']]} |")
    return "\n".join(lines)


def page(results: Path = RESULTS) -> str:
    """The page's section: the table under the rule, and the verdicts that turn."""
    if str(ROOT / "benchmarks") not in sys.path:  # results_pages.py is a script beside this one, not a package
        sys.path.insert(0, str(ROOT / "benchmarks"))
    from results_pages import glance_table

    s = summary(results)
    margin = _rows(results / "margin_tables.json")
    chosen = "; ".join(f"{'the default' if k == 'mirage-auto' else 'own DAGs'} {v['high_lr']} of {v['cells']}"
                       for k, v in s["high_lr_chosen"].items())
    return (f"Written by `python benchmarks/margin_glance.py` from `margin_tables.json` (the README's columns, each "
            f"set's rate chosen by its margin over its control), paired with the README's `defaults.json` and "
            f"`equal_bytes.json` into `margin_glance.json`. The same layout as the README's table (test ROC-AUC ×100, "
            f"accuracy on synthetic-motifs; ↑ / ↓ / ≈ paired 95 % intervals). Cells (GNN × split) that chose 1e-2: "
            f"{chosen}.\n\n" + glance_table(margin, margin)
            + f"\nVerdicts of the README's table that turn under the rule ({len(s['turned'])} of the {s['compared']} "
              f"paired cells of the default):\n\n" + _turned_table(s["turned"]) + "\n")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=str(RESULTS / "margin_glance.json"))
    args = p.parse_args(argv)
    from graph_mirage.bench.tables import write_section

    Path(args.out).write_text(json.dumps(summary(), indent=1) + "\n")
    write_section(PAGE, START, END, page())
    print(page())
    return 0


if __name__ == "__main__":
    sys.exit(main())
