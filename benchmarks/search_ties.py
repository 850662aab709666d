"""How many configurations can a search's validation split tell apart? The one-standard-error ties of the committed
model searches, and what choosing among them costs on full data.

    MIRAGE_DATA=../shared/datasets python benchmarks/search_ties.py

``mirage search`` marks the configurations whose validation score lies within one standard error of the best's
(:func:`graph_mirage.search.estimator.level_with_best`: a score's error on the validation graphs, Hanley and McNeil's
for a ROC-AUC, and the standard error of the best's mean over seeds, in quadrature). This script applies the same
rule to the searches of ``benchmarks/search_fidelity.py`` already committed — no GNN is trained — one file per
dataset (the one docs/search.md reads for it), and reports per search: the configurations level with its choice,
and the full-data test regret of its choice and of the configurations level with it (points below the best
full-data test score; the median is what a pick among the ties costs on average). Writes
``benchmarks/results/search_ties.json`` and the ``search-ties`` section of ``docs/search.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "search.md"
# per dataset, the committed search the docs read (its seeds: the file's)
FILES = {"NCI1": "search_fidelity_nci1_caps.json", "DD": "search_fidelity_dd_default.json",
         "ogbg-molbace": "search_fidelity_default.json", "IMDB-BINARY": "search_fidelity_default.json",
         "ogbg-molhiv": "search_fidelity_hiv_seeds2.json", "MUTAG": "search_fidelity_mutag_seeds10.json"}
SETS = ("full", "default", "paper", "herding-bytes", "random-bytes", "bank@5%")


def search_ties(results: list[dict], full: list[dict], dataset) -> dict:
    """The one-standard-error ties of one search's ``results`` (``ModelSearch.results_`` records) on ``dataset``,
    and their full-data test regret against the ``full`` search's records."""
    from graph_mirage.search.estimator import level_with_best

    best = max((r for r in results if np.isfinite(r["val_mean"])), key=lambda r: r["val_mean"])
    error, flags = level_with_best(results, best, dataset)
    level = [r for r, flag in zip(results, flags) if flag]
    test = {r["name"]: r["test_mean"] for r in full}
    top = max(test.values())
    regrets = [top - test[r["name"]] for r in level]
    return {"configurations": len(results), "seeds": len(best["val_runs"]), "best": best["name"],
            "best_val": best["val_mean"], "error": error, "level": len(level),
            "regret": top - test[best["name"]], "level_regret_min": min(regrets),
            "level_regret_median": float(np.median(regrets)), "level_regret_max": max(regrets)}


def measure(root: str | None) -> dict:
    from graph_mirage import load_dataset

    rows = []
    for name, file in FILES.items():
        blob = json.loads((RESULTS / file).read_text())
        d = next(x for x in blob["datasets"] if x["dataset"] == name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = load_dataset(name, root)
        full = d["searches"]["full"]["results"]
        for set_name in SETS:
            if set_name in d["searches"]:
                row = search_ties(d["searches"][set_name]["results"], full, ds)
                rows.append({"dataset": name, "set": set_name, "file": file,
                             "validation_graphs": int(len(ds.split["valid"])), **row})
                print(f"{name:<13} {set_name:<14} {row['level']:>2}/{row['configurations']} level with the choice "
                      f"(±{row['error']:.3f}, {row['seeds']} seed(s)); regret {100 * row['regret']:.1f}, among the "
                      f"level {100 * row['level_regret_min']:.1f}-{100 * row['level_regret_max']:.1f} (median "
                      f"{100 * row['level_regret_median']:.1f})")
    return {"command": "python benchmarks/search_ties.py", "rows": rows}


def page_section(blob: dict) -> str:
    """The ``search-ties`` section of docs/search.md, from the JSON."""
    lines = [f"Measured with `{blob['command']}` (`benchmarks/results/search_ties.json`; no GNN trained: the "
             "committed searches' scores), per dataset the file named in the last column. *Level*: configurations "
             "whose validation score is within one standard error of the chosen one's (the choice included); "
             "regret: points of full-data test score below the best full-data configuration.", "",
             "| dataset | set | validation graphs | seeds | level with the choice | ± one standard error | "
             "regret of the choice | regret among the level: min / median / max | file |",
             "|---|---|---:|---:|---:|---:|---:|---|---|"]
    for r in blob["rows"]:
        lines.append(f"| {r['dataset']} | {r['set']} | {r['validation_graphs']} | {r['seeds']} | "
                     f"{r['level']} of {r['configurations']} | {r['error']:.3f} | {100 * r['regret']:.1f} | "
                     f"{100 * r['level_regret_min']:.1f} / {100 * r['level_regret_median']:.1f} / "
                     f"{100 * r['level_regret_max']:.1f} | `{r['file']}` |")
    return "\n".join(lines) + "\n"


def write_page(blob: dict) -> None:
    from graph_mirage.bench.tables import write_section

    write_section(PAGE, "<!-- search-ties:start -->", "<!-- search-ties:end -->", page_section(blob))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=None, help="the data root (default: MIRAGE_DATA)")
    p.add_argument("--page", action="store_true", help="only rewrite docs/search.md's section from the JSON")
    args = p.parse_args()
    out = RESULTS / "search_ties.json"
    if args.page:
        write_page(json.loads(out.read_text()))
        return 0
    blob = measure(args.root)
    out.write_text(json.dumps(blob, indent=1) + "\n")
    write_page(blob)
    print(f"wrote {out} and the search-ties section of {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
