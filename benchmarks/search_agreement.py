"""Can a search tell that its ranking is noise? Seed agreement against fidelity, from the committed searches (#24)

    python benchmarks/search_agreement.py --page

A user who searches on a distilled set has no full-data ranking to compare with. What the search itself can measure
is how alike its seeds order the configurations (``mirage search --seeds 2`` prints it:
:func:`graph_mirage.search.agreement.seed_agreement`): the mean Spearman correlation between seeds, the reliability
of their mean ranking (Spearman–Brown) and its ceiling, the square root of that reliability — about the most the
ranking can agree with any other. This page holds that number, computed from the validation scores alone, against
the fidelity the benchmark measured with the full data (Spearman of the configurations' test scores, set vs full),
for every search with two seeds or more in ``benchmarks/results/search_fidelity*.json`` — graph-mirage's sets,
herding's and random real graphs, the learned baselines, the permuted controls and the full data's own search. A
search reused by several files (the same runs from the run cache) counts once: the first file in name order.

Writes ``benchmarks/results/search_agreement.json`` and a plot, prints the table; with ``--page`` it also rewrites
the section of docs/search.md between ``<!-- search-agreement:start -->`` and ``<!-- search-agreement:end -->``.
No model is trained.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from graph_mirage.bench.scripts import publish, results_parser, script_command
from graph_mirage.search.agreement import seed_agreement

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "search.md"
START, END = "<!-- search-agreement:start -->", "<!-- search-agreement:end -->"
GOAL = 0.8
AGREE = 0.6  # seeds that agree at least this much (one-seed Spearman)


def validation_fidelity(search: dict, full: dict) -> float:
    """Spearman correlation of a search's validation scores (the ranking its user sees) with the full data's test
    scores, over the configurations both define."""
    from scipy.stats import spearmanr

    truth = {r["name"]: r["test_mean"] for r in full["results"]}
    pairs = np.array([(r["val_mean"], truth.get(r["name"], np.nan)) for r in search["results"]], dtype=float)
    ok = np.isfinite(pairs).all(axis=1)
    return float(spearmanr(pairs[ok, 0], pairs[ok, 1]).statistic) if ok.sum() > 2 else float("nan")


def collect(results: Path) -> list[dict]:
    """One row per (dataset, search) with two seeds or more: its seed agreement on validation and on test, the
    fidelity its file recorded and its validation ranking's Spearman with the full data's test scores (both None for
    the full data's own search)."""
    rows, seen = [], set()
    for path in sorted(results.glob("search_fidelity*.json")):
        blob = json.loads(path.read_text())
        for d in blob.get("datasets", []):
            searches = d.get("searches") or {}
            for name, search in searches.items():
                val, test = seed_agreement(search["results"], "val"), seed_agreement(search["results"], "test")
                if val is None:
                    continue
                key = (d["dataset"], name, round(val["pairwise"], 6), round(test["pairwise"], 6))
                if key in seen:
                    continue
                seen.add(key)
                fidelity = None if name == "full" else d["sets"][name]["spearman"]
                rows.append({"file": path.name, "dataset": d["dataset"], "set": name, "seeds": val["seeds"],
                             "val": val, "test": test,
                             "val_fidelity": None if fidelity is None else validation_fidelity(search,
                                                                                               searches["full"]),
                             "fidelity": None if fidelity is None else fidelity["value"],
                             "fidelity_low": None if fidelity is None else fidelity["low"],
                             "fidelity_high": None if fidelity is None else fidelity["high"]})
    return sorted(rows, key=lambda r: (r["dataset"], r["set"] != "full", -(r["fidelity"] or 0.0)))


def summary(rows: list[dict]) -> dict:
    """What the rows say: the faithful searches' seed agreement, the agreeing searches' fidelity, and how often a
    fidelity exceeds the ceiling its own test scores allow."""
    sets = [r for r in rows if r["fidelity"] is not None]
    faithful = [r for r in sets if r["fidelity"] >= GOAL]
    agreeing = [r for r in sets if r["val"]["pairwise"] >= AGREE]
    over = [r for r in sets if r["val_fidelity"] > r["val"]["ceiling"]]
    return {"searches": len(sets), "faithful": len(faithful),
            "faithful_min_val_agreement": min((r["val"]["pairwise"] for r in faithful), default=None),
            "faithful_sets": sorted({f"{r['dataset']} {r['set']}" for r in faithful}),
            "agreeing": len(agreeing), "agreeing_faithful": sum(r["fidelity"] >= GOAL for r in agreeing),
            "agreeing_below_half": sum(r["fidelity"] < 0.5 for r in agreeing),
            "below_agree_max_fidelity": max((r["fidelity"] for r in sets if r["val"]["pairwise"] < AGREE),
                                            default=None),
            "val_fidelity_over_ceiling": len(over),
            "over_ceiling": [{"dataset": r["dataset"], "set": r["set"], "file": r["file"], "ceiling": r["val"]["ceiling"],
                              "val_fidelity": r["val_fidelity"]} for r in over]}


def markdown(rows: list[dict]) -> str:
    lines = ["| dataset | search | seeds | seeds agree (validation, Spearman) | its ceiling | its validation ranking "
             "vs the full data's test scores | seeds agree (test) | fidelity: test vs test [95 % interval] | file |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        ref = r["fidelity"] is None
        fid = "— (the reference)" if ref else (f"{r['fidelity']:.2f} [{r['fidelity_low']:.2f}, "
                                               f"{r['fidelity_high']:.2f}]")
        vfid = "—" if ref else f"{r['val_fidelity']:.2f}"
        lines.append(f"| {r['dataset']} | {r['set']} | {r['seeds']} | {r['val']['pairwise']:.2f} | "
                     f"{r['val']['ceiling']:.2f} | {vfid} | {r['test']['pairwise']:.2f} | {fid} | `{r['file']}` |")
    return "\n".join(lines)


def plot(rows: list[dict], out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sets = [r for r in rows if r["fidelity"] is not None]
    names = sorted({r["dataset"] for r in sets})
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    for i, name in enumerate(names):
        mine = [r for r in sets if r["dataset"] == name]
        ax.scatter([r["val"]["pairwise"] for r in mine], [r["fidelity"] for r in mine], s=22, label=name,
                   color=plt.cm.tab10(i), alpha=0.85)
    ax.axhline(GOAL, color="grey", lw=0.8, ls="--")
    ax.axvline(AGREE, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("seeds agree: Spearman between two seeds' validation scores")
    ax.set_ylabel("fidelity: Spearman with the full data's search")
    ax.set_title("What a search can see of itself, and what it is worth", fontsize=10)
    ax.legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)


def section(blob: dict) -> str:
    """The docs/search.md section written from the committed JSON ``blob``."""
    s = blob["summary"]
    return (f"Written by `{blob['header']['command']}` (`benchmarks/results/search_agreement.json`, plot "
            f"`search_agreement.png`) from the committed fidelity results; {s['searches']} searches on sets with two "
            f"seeds or more.\n\n![seed agreement against fidelity](../benchmarks/results/search_agreement.png)\n\n"
            + markdown(blob["rows"]))


def main(argv=None) -> int:
    args = results_parser(__doc__, RESULTS / "search_agreement.json", PAGE.name, RESULTS).parse_args(argv)
    rows = collect(Path(args.results))
    header = {"command": script_command("benchmarks/search_agreement.py", argv), "goal": GOAL, "agree": AGREE}
    blob = {"header": header, "summary": summary(rows), "rows": rows}
    plot(rows, Path(args.out).with_suffix(".png"))
    publish(blob, args.out, markdown(rows) + "\n" + json.dumps(blob["summary"], indent=1),
            (PAGE, START, END, section(blob)) if args.page else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
