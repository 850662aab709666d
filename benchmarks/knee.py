"""The bytes sweep's knee: per dataset and GNN, the smallest fraction of the training split's bytes at which each
method comes within 2 points of converged full data.

The runs are ``mirage bench --fractions ...`` (the "bytes sweep" lines of ``benchmarks/tables.sh``): graph-mirage's
default rule under a byte cap (its grid grown to 1000 prototypes per class, no floor of graphs per class), Herding
and Random with as many real graphs per class as fit in the cap, and the cached converged full-data runs of the same
splits and seeds (paired). The paper preset is one point per dataset, from ``tables.json`` (its own seeds or
folds x seeds: read beside the curve, not paired with it).

    python benchmarks/knee.py                       # reads benchmarks/results/sweep_*.json and tables.json
    python benchmarks/knee.py --from-json           # the page and plot again from the committed knee.json

Writes ``benchmarks/results/knee.json``, the plot ``knee.png`` beside it and the generated section of
``docs/results/bytes-sweep.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from graph_mirage.bench.tables import read_json, read_results, result_paths, write_section
from graph_mirage.errors import MirageError
from graph_mirage.stats import VERDICT_MARKS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results" / "bytes-sweep.md"
MARKERS = ("<!-- generated: knee -->", "<!-- end of knee -->")
SWEPT = ("mirage-auto", "mirage-bank", "herding-bytes", "random-bytes")
MINE = ("mirage-auto", "mirage-bank")  # graph-mirage's curves, each paired with the real graphs at the same cap
NAMES = {"mirage-auto": "graph-mirage (default rule, capped)", "mirage-bank": "graph-mirage tree bank (capped)",
         "herding-bytes": "Herding", "random-bytes": "Random", "mirage-paper": "paper preset"}
WITHIN = 2.0  # points of the metric x100


def knee(points: list[dict], full: float, within: float = WITHIN) -> dict | None:
    """The first point (by cap) whose mean test score is within ``within`` points (x100) of ``full``, or None."""
    for p in sorted(points, key=lambda p: p["cap"]):
        if 100 * p["test_mean"] >= 100 * full - within:
            return p
    return None


def _vs(r: dict, other: str) -> dict | None:
    vs = (r.get("paired") or {}).get(other)
    return None if vs is None else {k: vs[k] for k in ("mean", "low", "high", "verdict")}


def _point(r: dict) -> dict:
    out = {"cap": r["budget"], "fraction": r.get("size_fraction"), "graphs": r.get("graphs"),
           "test_mean": r["test_mean"], "test_ci": r.get("test_ci"), "units": r.get("units"),
           "settings": r.get("settings"), "k": r.get("k"), "vs_full": _vs(r, "full")}
    if r["method"] in MINE:  # paired with the real graphs at the same cap
        out["vs_herding"], out["vs_random"] = _vs(r, "herding-bytes"), _vs(r, "random-bytes")
    return out


def curves(sweep_rows: list[dict], table_rows: list[dict]) -> list[dict]:
    """One record per dataset and GNN: full data, every swept method's points and knee, the paper preset's point."""
    out = []
    keys = sorted({(r["dataset"], r["model"]) for r in sweep_rows})
    for dataset, model in keys:
        rows = [r for r in sweep_rows if (r["dataset"], r["model"]) == (dataset, model) and not r.get("error")]
        full = next((r for r in rows if r["method"] == "full"), None)
        if full is None:
            continue
        rec = {"dataset": dataset, "model": model, "metric": full["metric"], "full_mean": full["test_mean"],
               "full_ci": full.get("test_ci"), "units": full.get("units"), "methods": {}}
        for method in SWEPT:
            points = [_point(r) for r in rows if r["method"] == method and isinstance(r["budget"], float)]
            if not points:
                continue
            k = knee(points, full["test_mean"])
            kept = k is not None and all(100 * p["test_mean"] >= 100 * full["test_mean"] - WITHIN
                                         for p in points if p["cap"] >= k["cap"])
            rec["methods"][method] = {"points": sorted(points, key=lambda p: p["cap"]),
                                      "knee": None if k is None else {"cap": k["cap"], "fraction": k["fraction"],
                                                                      "kept": kept, "first": k["cap"] == min(
                                                                          p["cap"] for p in points)}}
        paper = next((r for r in table_rows if (r["dataset"], r["model"], r["method"]) ==
                      (dataset, model, "mirage-paper") and not r.get("error")), None)
        if paper is not None:
            within = 100 * paper["test_mean"] >= 100 * full["test_mean"] - WITHIN
            rec["paper"] = {"fraction": paper.get("size_fraction"), "test_mean": paper["test_mean"],
                            "units": paper.get("units"), "within_2_of_full": bool(within)}
        out.append(rec)
    return out


def _kf(m: dict | None) -> str:
    if m is None:
        return "—"
    k = m["knee"]
    if k is None:
        return "not reached"
    # at the smallest set already: the knee is at most that share
    return ("≤ " if k["first"] else "") + f"{100 * k['fraction']:.2g} %" + (
        "" if k["kept"] else " (a larger cap falls out again)")


def _ratio(rec: dict, other: str, method: str = "mirage-auto") -> str:
    mine, theirs = rec["methods"].get(method), rec["methods"].get(other)
    if not mine or not theirs or theirs["knee"] is None:
        return "—"
    if mine["knee"] is None:
        return "theirs only"
    a, b = mine["knee"], theirs["knee"]
    if a["first"] and b["first"]:
        return "— (both at their smallest set)"
    # a knee at the smallest set is an upper bound: so is their ratio's denominator or numerator
    return ("≥ " if a["first"] else "≤ " if b["first"] else "") + f"{b['fraction'] / a['fraction']:.2g}×"


def page_table(recs: list[dict]) -> str:
    """Per dataset and GNN: full data, each method's knee (the set's actual share of the bytes) and how many times
    smaller graph-mirage's knee is than Herding's and Random's (its tree bank's, where the sweep has it)."""
    bank = any("mirage-bank" in r["methods"] for r in recs)
    lines = ["| dataset | GNN | full data | graph-mirage knee | " + ("tree-bank knee | " if bank else "")
             + "Herding knee | Random knee | Herding / graph-mirage | Random / graph-mirage | "
             + ("Herding / tree bank | Random / tree bank | " if bank else "") + "paper preset (share, score) |",
             "|---|---|---:|---|" + ("---|" if bank else "") + "---|---|---:|---:|" + ("---:|---:|" if bank else "")
             + "---|"]
    for rec in recs:
        m = rec["methods"]
        p = rec.get("paper")
        paper = "—" if p is None else (f"{100 * p['fraction']:.2g} %, {100 * p['test_mean']:.1f}"
                                       f"{' (within 2)' if p['within_2_of_full'] else ''}")
        b = f"{_kf(m.get('mirage-bank'))} | " if bank else ""
        b_ratios = f"{_ratio(rec, 'herding-bytes', 'mirage-bank')} | {_ratio(rec, 'random-bytes', 'mirage-bank')} | " \
            if bank else ""
        lines.append(f"| {rec['dataset']} | {rec['model'].upper()} | {100 * rec['full_mean']:.1f} | "
                     f"{_kf(m.get('mirage-auto'))} | {b}{_kf(m.get('herding-bytes'))} | {_kf(m.get('random-bytes'))} | "
                     f"{_ratio(rec, 'herding-bytes')} | {_ratio(rec, 'random-bytes')} | {b_ratios}{paper} |")
    return "\n".join(lines) + "\n"


def points_table(recs: list[dict]) -> str:
    """Every point: the cap, the set's actual share, its test score and its paired differences (95 % interval) from
    full data and — graph-mirage's points — from Herding and Random at the same cap."""
    lines = ["| dataset | GNN | method | cap | share of bytes | graphs | test | − full | − Herding | − Random |",
             "|---|---|---|---:|---:|---:|---:|---|---|---|"]
    for rec in recs:
        for method, m in rec["methods"].items():
            for p in m["points"]:
                diffs = " | ".join(_diff(p.get(k)) for k in ("vs_full", "vs_herding", "vs_random"))
                lines.append(f"| {rec['dataset']} | {rec['model'].upper()} | {NAMES[method]} | {100 * p['cap']:g} % | "
                             f"{100 * p['fraction']:.2g} % | {p['graphs']} | {100 * p['test_mean']:.1f} | {diffs} |")
    return "\n".join(lines) + "\n"


def _diff(v: dict | None) -> str:
    """A paired difference x100 with its 95 % interval and verdict (no interval from one unit)."""
    if v is None:
        return ""
    if not np.isfinite(v["low"]):
        return f"{100 * v['mean']:+.1f}"
    mark = VERDICT_MARKS[v["verdict"]]
    return f"{100 * v['mean']:+.1f} [{100 * v['low']:+.1f}, {100 * v['high']:+.1f}] {mark}"


def verdicts_table(recs: list[dict]) -> str:
    """Per dataset and graph-mirage curve (the default's rule; its tree bank where swept): over every GNN and cap,
    how often its set is above (↑), level with (≈) or below (↓) Herding's and Random's at the same cap, by the
    paired 95 % interval (caps that make the very same sets count once)."""
    lines = ["| dataset | set | vs Herding ↑ / ≈ / ↓ | vs Random ↑ / ≈ / ↓ |", "|---|---|---|---|"]
    for dataset in sorted({r["dataset"] for r in recs}):
        for method in MINE:
            mine = [r["methods"][method] for r in recs if r["dataset"] == dataset and method in r["methods"]]
            if not mine:
                continue
            counts = {k: {"beats": 0, "tie": 0, "loses": 0} for k in ("vs_herding", "vs_random")}
            for m in mine:
                seen = set()
                for pt in m["points"]:
                    # two caps below the smallest sets make the same sets and runs: one comparison
                    same = (pt["graphs"], pt["test_mean"],
                            *(None if pt.get(k) is None else pt[k]["mean"] for k in counts))
                    if same in seen:
                        continue
                    seen.add(same)
                    for k in counts:
                        if pt.get(k) is not None:
                            counts[k][pt[k]["verdict"]] += 1
            cells = [" / ".join(str(counts[k][v]) for v in ("beats", "tie", "loses")) for k in counts]
            lines.append(f"| {dataset} | {'tree bank' if method == 'mirage-bank' else 'default rule'} | {cells[0]} | "
                         f"{cells[1]} |")
    return "\n".join(lines) + "\n"


def plot(recs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = sorted({r["dataset"] for r in recs})
    models = sorted({r["model"] for r in recs})
    fig, axes = plt.subplots(len(models), len(datasets), figsize=(3.2 * len(datasets), 2.6 * len(models)),
                             squeeze=False, sharex=True)
    colours = {"mirage-auto": "C0", "mirage-bank": "C4", "herding-bytes": "C1", "random-bytes": "C2"}
    for ax_row, model in zip(axes, models):
        for ax, dataset in zip(ax_row, datasets):
            rec = next((r for r in recs if (r["dataset"], r["model"]) == (dataset, model)), None)
            ax.set_xscale("log")
            if rec is None:
                ax.set_axis_off()
                continue
            full = 100 * rec["full_mean"]
            ax.axhline(full, color="k", lw=1)
            ax.axhspan(full - WITHIN, full, color="k", alpha=0.08, lw=0)
            for method, m in rec["methods"].items():
                xs = [100 * p["fraction"] for p in m["points"]]
                ys = [100 * p["test_mean"] for p in m["points"]]
                lo = [100 * p["test_ci"][0] if p["test_ci"] and p["test_ci"][0] is not None else y
                      for p, y in zip(m["points"], ys)]
                hi = [100 * p["test_ci"][1] if p["test_ci"] and p["test_ci"][1] is not None else y
                      for p, y in zip(m["points"], ys)]
                ax.errorbar(xs, ys, yerr=[np.subtract(ys, lo), np.subtract(hi, ys)], color=colours[method],
                            marker="o", ms=3, lw=1, capsize=2, label=NAMES[method])
            if rec.get("paper"):
                ax.plot([100 * rec["paper"]["fraction"]], [100 * rec["paper"]["test_mean"]], "D", color="C3", ms=4,
                        label=NAMES["mirage-paper"])
            ax.set_title(f"{rec['dataset']} · {model.upper()}", fontsize=8)
            ax.tick_params(labelsize=7)
    axes[-1][0].set_xlabel("% of the training bytes", fontsize=8)
    axes[0][0].set_ylabel("test metric ×100", fontsize=8)
    handles, labels = [], []
    for ax in axes.ravel():
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_page(recs: list[dict], header: dict, page: Path) -> None:
    body = (f"Sources: {', '.join(f'`{s}`' for s in header['sources'])}; command: `{header['command']}`.\n\n"
            "### Knees\n\n" + page_table(recs) + "\n### graph-mirage against real graphs at the same cap\n\n"
            + verdicts_table(recs) + "\n### Every point\n\n" + points_table(recs))
    write_section(page, *MARKERS, body)


def main(argv=None) -> int:
    try:
        return run(argv)
    except MirageError as e:  # a missing or unreadable result file, a page without its markers: one line
        raise SystemExit(f"knee.py: {e}") from None


def run(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sweeps", nargs="+", default=None, help="mirage bench --fractions JSON (default: "
                   "benchmarks/results/sweep_*.json)")
    p.add_argument("--tables", default=str(RESULTS / "tables.json"), help="where the paper preset's points come from")
    p.add_argument("--out", default=str(RESULTS / "knee.json"))
    p.add_argument("--page", default=str(PAGE))
    p.add_argument("--from-json", action="store_true", help="the page and plot again from --out")
    args = p.parse_args(argv)
    out = Path(args.out)
    if args.from_json:
        blob = read_json(out)
    else:
        paths = result_paths(args.sweeps, RESULTS, "sweep_*.json", "run the bytes-sweep lines of benchmarks/tables.sh")
        sweep_rows, headers = read_results(paths)
        commands = [h["command"] for h in headers]
        table_rows = json.loads(Path(args.tables).read_text())["rows"] if Path(args.tables).exists() else []
        header = {"command": "python benchmarks/knee.py " + " ".join(argv if argv is not None else sys.argv[1:]),
                  "sources": [str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p) for p in paths],
                  "bench_commands": commands, "within_points": WITHIN}
        blob = {"header": header, "curves": curves(sweep_rows, table_rows)}
        out.write_text(json.dumps(blob, indent=1) + "\n")
    plot(blob["curves"], out.with_suffix(".png"))
    write_page(blob["curves"], blob["header"], Path(args.page))
    print(page_table(blob["curves"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
