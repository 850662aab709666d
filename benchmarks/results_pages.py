"""Write docs/results/tables.md and the summary tables of docs/results/README.md from the committed benchmark JSON.

    python benchmarks/results_pages.py [--results benchmarks/results/tables.json]

tables.md is the benchmark's own Markdown (scores with 95 % intervals, every distilled set against its permuted
control and the opponents, decisions, details). README.md gets, between its generated-table markers, one table per
GNN: per dataset, where each distilled set stands between its control, the classic controls and full data.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.bench.tables import markdown

ROOT = Path(__file__).resolve().parents[1]
START, END = "<!-- generated: summary tables -->", "<!-- end of generated tables -->"
DISTILLED = ("mirage-auto", "mirage-paper", "herding-bytes", "random-bytes", "doscond", "kidd")


def _pm(r: dict | None) -> str:
    if r is None or r.get("error") or r.get("test_mean") is None:
        return ""
    low, high = r.get("test_ci", [None, None])
    half = "" if low is None or low != low else f" ± {100 * (high - low) / 2:.1f}"
    return f"{100 * r['test_mean']:.1f}{half}"


def _margin(r: dict | None, key: str) -> str:
    p = (r or {}).get("paired", {}).get(key)
    if not p or p["low"] != p["low"]:
        return ""
    mark = {"beats": "↑", "loses": "↓", "tie": "≈"}[p["verdict"]]
    return f"{100 * p['mean']:+.1f}{mark}"


def summary_table(rows: list[dict], model: str) -> str:
    """Per dataset: full data, the classic controls, and each distilled set with (in brackets) its margin over its
    own permuted control and its difference from full data; ↑ / ↓ a paired 95 % interval above / below zero, ≈ one
    that contains zero."""
    datasets = list(dict.fromkeys(r["dataset"] for r in rows))
    present = [m for m in DISTILLED if any(r["method"] == m for r in rows)]
    head = ["dataset", "full", "size only", "WL kernel"] + [f"{m} [vs control, vs full]" for m in present]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for d in datasets:
        by = {r["method"]: r for r in rows if r["dataset"] == d and r["model"] == model and r["budget"] is None}
        if not by:
            continue
        cells = [d, _pm(by.get("full")), _pm(by.get("size-only")), _pm(by.get("wl-kernel"))]
        for m in present:
            r = by.get(m)
            extra = f" [{_margin(r, 'permuted')}, {_margin(r, 'full')}]" if r and "paired" in r else ""
            size = f" ({100 * r['size_fraction']:.2g} %)" if r and r.get("size_fraction") else ""
            cells.append(_pm(r) + size + extra if r else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "tables.json"))
    args = p.parse_args(argv)
    blob = json.loads(Path(args.results).read_text())
    rows, header = blob["rows"], blob["header"]
    out = ROOT / "docs" / "results"
    out.mkdir(parents=True, exist_ok=True)
    commands = "\n".join(f"    {c.strip()}" for c in header["command"].split(";"))
    (out / "tables.md").write_text(
        "# The benchmark tables\n\nWritten by `python benchmarks/results_pages.py` from "
        f"`{Path(args.results).relative_to(ROOT)}`, which these commands produced (`bash benchmarks/tables.sh`):\n\n"
        f"{commands}\n\n" + markdown(rows, header))
    models = [m for m in ("gcn", "gat", "gin") if any(r["model"] == m for r in rows)]
    generated = "\n".join(f"**{m.upper()}** (test ROC-AUC ×100, mean ± half-width of the 95 % interval)\n\n"
                          f"{summary_table(rows, m)}" for m in models)
    page = out / "README.md"
    text = page.read_text() if page.exists() else f"# Results\n\n{START}\n{END}\n"
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    page.write_text(f"{before}{START}\n{generated}\n{END}{after}")
    print(f"wrote {out / 'tables.md'} and the tables of {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
