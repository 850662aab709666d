"""Ranking configurations by a set's margin over its permuted-label control instead of by the set's own scores (#24)

    python benchmarks/search_margin.py --page

A set's search ranks each configuration by what it scores trained on the set. Part of that score is label-free: the
same set with its labels permuted ranks NCI1's and DD's configurations *against* the full data (docs/search.md,
"Against a permuted-label control"). If that part adds to the label signal, the difference set − control ranks them
better than the set alone. Read from the committed searches that have controls (``search_fidelity_*_controls.json``:
the set and its control searched with the same configurations and seeds), for each set:

* Spearman of the configurations' test scores against the full data's, the set's own and its margin's (set test −
  control test), and the paired difference on the same bootstrap resamples of configurations;
* top-1 regret: the full-data test points lost by the configuration each ranking picks on validation (the set's
  validation score, or its validation margin).

No run is trained: the margin ranking costs a second search (the control's) beside the set's. Writes
``benchmarks/results/search_margin.json`` and prints the table; with ``--page`` it also rewrites the section of
docs/search.md between ``<!-- search-margin:start -->`` and ``<!-- search-margin:end -->``. From records, not a new
protocol: a hypothesis, not a finding.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from graph_mirage.bench.scripts import publish, results_parser, script_command
from graph_mirage.search.fidelity import fidelity_interval, record_scores

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_fidelity_report import control_name, is_control  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "search.md"
START, END = "<!-- search-margin:start -->", "<!-- search-margin:end -->"


def scores(search: dict, names: list[str]) -> dict:
    """``{"val", "test"}`` arrays of a committed search's configurations, in the order of ``names``."""
    return record_scores({"configurations": search["results"]}, names)


def compare(searches: dict, set_name: str, rounds: int = 2000) -> dict:
    """The set's ranking and its margin's against the full data, with their paired differences (margin − set)."""
    names = [r["name"] for r in searches["full"]["results"]]
    full = scores(searches["full"], names)
    own = scores(searches[set_name], names)
    control = scores(searches[control_name(set_name)], names)
    margin = {k: own[k] - control[k] for k in own}
    out = {"set": set_name, "configurations": len(names),
           "own": fidelity_interval(own, full, rounds=rounds),
           "margin": fidelity_interval(margin, full, rounds=rounds, versus=own)}
    out["own_pick"] = names[int(np.nanargmax(own["val"]))]
    out["margin_pick"] = names[int(np.nanargmax(margin["val"]))]
    return out


def collect(results: Path, rounds: int = 2000) -> list[dict]:
    """Every set with a control in every committed ``search_fidelity_*_controls.json``."""
    rows = []
    for path in sorted(results.glob("search_fidelity_*_controls.json")):
        blob = json.loads(path.read_text())
        for d in blob["datasets"]:
            for name in d["searches"]:
                if name != "full" and not is_control(name) and control_name(name) in d["searches"]:
                    rows.append({"dataset": d["dataset"], "file": path.name, "seeds": blob["seeds"],
                                 **compare(d["searches"], name, rounds)})
    return rows


def _iv(x: dict, fmt: str = ".2f", scale: float = 1.0) -> str:
    """A bootstrap interval ``{"value", "low", "high"}`` as ``value [low, high]``."""
    return f"{scale * x['value']:{fmt}} [{scale * x['low']:{fmt}}, {scale * x['high']:{fmt}}]"


def _mark(x: dict, lower_is_better: bool = False) -> str:
    up, down = ("↓", "↑") if lower_is_better else ("↑", "↓")
    return up if x["low"] > 0 else down if x["high"] < 0 else "≈"


def markdown(rows: list[dict]) -> str:
    lines = ["| dataset | set (seeds) | Spearman: set | Spearman: set − control | Δ (margin − set) | top-1 regret: "
             "set | top-1 regret: margin | Δ regret |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        own, m = r["own"], r["margin"]
        lines.append(f"| {r['dataset']} | {r['set']} ({r['seeds']}) | {_iv(own['spearman'])} | "
                     f"{_iv(m['spearman'])} | {_iv(m['diff_spearman'], '+.2f')} {_mark(m['diff_spearman'])} | "
                     f"{100 * own['top1_regret']['value']:.1f} | {100 * m['top1_regret']['value']:.1f} | "
                     f"{_iv(m['diff_top1_regret'], '+.1f', 100)} {_mark(m['diff_top1_regret'], lower_is_better=True)} |")
    return "\n".join(lines)


def summary(rows: list[dict]) -> dict:
    """How many rankings the margin lifts or lowers beyond the interval, and the best margin Spearman."""
    d = [r["margin"]["diff_spearman"] for r in rows]
    best = max(rows, key=lambda r: r["margin"]["spearman"]["value"])
    return {"rows": len(rows), "lifted": sum(x["low"] > 0 for x in d), "lowered": sum(x["high"] < 0 for x in d),
            "best_margin": {"dataset": best["dataset"], "set": best["set"],
                            "spearman": best["margin"]["spearman"]["value"]}}


def section(blob: dict) -> str:
    """The docs/search.md section written from the committed JSON ``blob``."""
    return (f"Written by `{blob['header']['command']}` (`benchmarks/results/search_margin.json`) from the committed "
            "searches with controls (`search_fidelity_*_controls.json`). Spearman: the configurations' test scores "
            "(the set's, or the set's minus its control's) against the full data's; regret: full-data test points "
            "lost by the configuration picked on validation (by the set's score, or by its margin); 95 % bootstrap "
            "intervals over the configurations, the differences paired on the same resamples (↑ / ↓: the margin "
            "ranks better / worse beyond the interval; for the regret, lower is better).\n\n" + markdown(blob["rows"]))


def main(argv=None) -> int:
    args = results_parser(__doc__, RESULTS / "search_margin.json", PAGE.name, RESULTS).parse_args(argv)
    rows = collect(Path(args.results))
    blob = {"header": {"command": script_command("benchmarks/search_margin.py", argv)}, "rows": rows,
            "summary": summary(rows)}
    publish(blob, args.out, markdown(rows), (PAGE, START, END, section(blob)) if args.page else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
