"""What orders the configurations: each search factor's share of the spread of test scores, full data against a set (#24)

    python benchmarks/search_factors.py [--page]

A search ranks 64 configurations: convolution × layers × hidden size × dropout × learning rate. Where a set ranks
them unlike the full data, which factors does each respond to? From the committed fidelity results, per dataset and
training set (the full data, and graph-mirage's sets), the share of the spread of the configurations' mean test
scores that each factor's levels explain on their own (its main effect: the between-level sum of squares over the
total, eta squared — the factors are crossed and balanced, so the shares of the five main effects plus the
interactions sum to one), and the factor's best level (the JSON has every level's mean). A set that ranks like the full data responds to the same
factors with the same best levels. Writes ``benchmarks/results/search_factors.json`` and prints the table; with
``--page`` it also rewrites the section of docs/search.md between ``<!-- search-factors:start -->`` and
``<!-- search-factors:end -->``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "search.md"
START, END = "<!-- search-factors:start -->", "<!-- search-factors:end -->"
FACTORS = ("model", "layers", "hidden", "dropout", "lr")
# (file, dataset, the sets read beside the full data): today's default and the set that ranks best on each
SOURCES = (("search_fidelity_nci1_controls.json", "NCI1", ("bank@5%", "default")),
           ("search_fidelity_mutag_seeds10.json", "MUTAG", ("default",)),
           ("search_fidelity_dd_caps5.json", "DD", ("bank@5%",)),
           ("search_fidelity_dd_default.json", "DD", ("default",)),
           ("search_fidelity_hiv_default.json", "ogbg-molhiv", ("default",)),
           ("search_fidelity_default.json", "ogbg-molbace", ("default",)),
           ("search_fidelity_default.json", "IMDB-BINARY", ("default",)))


def shares(results: list[dict]) -> dict:
    """Each factor's share of the spread of ``test_mean`` over ``results`` (its main effect) and its best level;
    ``rest``: what no main effect explains (interactions)."""
    y = np.array([r["test_mean"] for r in results], dtype=float)
    total = float(((y - y.mean()) ** 2).sum())
    out, explained = {}, 0.0
    for f in FACTORS:
        levels = [r["params"][f] for r in results]
        if len(set(levels)) < 2:
            continue
        between, best, means = 0.0, None, {}
        for level in sorted(set(levels), key=str):
            v = y[[lv == level for lv in levels]]
            between += len(v) * (v.mean() - y.mean()) ** 2
            means[str(level)] = float(v.mean())
            if best is None or v.mean() > best[1]:
                best = (level, float(v.mean()))
        share = between / total if total > 0 else 0.0
        explained += share
        out[f] = {"share": share, "best": best[0], "best_mean": best[1], "means": means}
    out["rest"] = {"share": max(0.0, 1 - explained)}
    return out


def collect(results: Path) -> list[dict]:
    rows = []
    for name, dataset, sets in SOURCES:
        blob = json.loads((results / name).read_text())
        d = next(x for x in blob["datasets"] if x["dataset"] == dataset)
        for key in ("full", *sets):
            search = d["searches"][key]
            rows.append({"dataset": dataset, "set": key, "file": name, "seeds": blob.get("seeds"),
                         "spearman": None if key == "full" else d["sets"][key]["spearman"]["value"],
                         "factors": shares(search["results"])})
    return rows


def markdown(rows: list[dict]) -> str:
    head = " | ".join(f"{f}: share (best)" for f in FACTORS)
    lines = [f"| dataset | trained on | Spearman vs full | {head} | interactions |",
             "|---|---|---|" + "---|" * (len(FACTORS) + 1)]
    for r in rows:
        cells = []
        for f in FACTORS:
            x = r["factors"].get(f)
            cells.append("—" if x is None else f"{100 * x['share']:.0f} % ({x['best']})")
        sp = "" if r["spearman"] is None else f"{r['spearman']:.2f}"
        lines.append(f"| {r['dataset']} | {'full data' if r['set'] == 'full' else r['set']} | {sp} | "
                     + " | ".join(cells) + f" | {100 * r['factors']['rest']['share']:.0f} % |")
    return "\n".join(lines)


def section(blob: dict) -> str:
    return (f"Written by `{blob['header']['command']}` (`benchmarks/results/search_factors.json`) from the committed "
            f"fidelity results: each factor's share of the spread of the configurations' mean test scores (its main "
            f"effect), and in brackets its best level.\n\n" + markdown(blob["rows"]))


def main(argv=None) -> int:
    from graph_mirage.bench.scripts import publish, results_parser, script_command

    args = results_parser(__doc__, RESULTS / "search_factors.json", PAGE.name, RESULTS).parse_args(argv)
    rows = collect(Path(args.results))
    blob = {"header": {"command": script_command("benchmarks/search_factors.py", argv)}, "rows": rows}
    publish(blob, args.out, markdown(rows), (PAGE, START, END, section(blob)) if args.page else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
