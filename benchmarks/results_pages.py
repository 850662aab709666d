"""Write docs/results/tables.md, the summary tables of docs/results/README.md and its plot from the committed
benchmark JSON.

    python benchmarks/results_pages.py [--results benchmarks/results/tables.json]

tables.md is the benchmark's own Markdown (scores with 95 % intervals, every distilled set against its permuted
control and the opponents, decisions, details). README.md gets, between its generated-table markers, one table per
GNN: per dataset, where each distilled set stands between its control, the classic controls and full data.
A second generated table there gives the default's decisions (accuracy with the prior correction and with the
bias fitted on the validation split, single-class runs; once for the tables' default, once for today's from
``defaults.json``), a third sets today's default beside the earlier default's choices (``old_default.json``), a
fourth beside the learned baselines (``default_vs_learned.json``). ``docs/results/paired.png`` shows the first
tables' two paired differences (against the control and against full data) with their 95 % intervals, for every
dataset, GNN and distilled set.
The project's README gets, between its own markers, the default's row per dataset (results at a glance), from
``defaults.json``: today's default beside its rule without a tree bank, and from ``equal_bytes.json`` its paired
differences from herding's and random real graphs in its bytes.
``docs/results/glance.png`` draws that table: per dataset and GNN, the default between its permuted control and
full data, with graph size alone and the WL kernel.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.bench.rows import unit_values
from graph_mirage.bench.tables import markdown, one_class_runs, pct, replace_section
from graph_mirage.stats import VERDICT_MARKS as MARKS
from graph_mirage.stats import interval, paired, units, verdict

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
    return f"{100 * p['mean']:+.1f}{MARKS[p['verdict']]}"


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
        metric = next(iter(by.values())).get("metric")
        cells = [d + (" (accuracy)" if metric == "accuracy" else ""), _pm(by.get("full")), _pm(by.get("size-only")),
                 _pm(by.get("wl-kernel"))]
        for m in present:
            r = by.get(m)
            extra = f" [{_margin(r, 'permuted')}, {_margin(r, 'full')}]" if r and "paired" in r else ""
            size = f" ({100 * r['size_fraction']:.2g} %)" if r and r.get("size_fraction") else ""
            cells.append(_pm(r) + size + extra if r else "")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


COLOURS = {"mirage-auto": "tab:blue", "mirage-paper": "tab:orange", "herding-bytes": "tab:green",
           "random-bytes": "tab:gray", "doscond": "tab:red", "kidd": "tab:purple"}


def paired_plot(rows: list[dict], path: Path) -> None:
    """Two panels, one line per dataset and GNN: each distilled set's margin over its own permuted control, and its
    difference from full data (×100, paired 95 % interval); the dashed line in the first is the controls issue's
    goal of a 5-point margin."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = list(dict.fromkeys((r["dataset"], r["model"]) for r in rows if r["method"] in DISTILLED))
    present = [m for m in DISTILLED if any(r["method"] == m for r in rows)]
    fig, axes = plt.subplots(1, 2, figsize=(12, 0.32 * len(keys) + 1.6), sharey=True)
    for ax, which, title in ((axes[0], "permuted", "margin over its permuted-label control"),
                             (axes[1], "full", "difference from full data")):
        for j, m in enumerate(present):
            off = (j - (len(present) - 1) / 2) * 0.8 / max(len(present), 1)
            for i, (d, model) in enumerate(keys):
                r = next((x for x in rows if (x["dataset"], x["model"], x["method"]) == (d, model, m)
                          and x["budget"] is None), None)
                p = (r or {}).get("paired", {}).get(which)
                if not p or p["low"] != p["low"]:
                    continue
                ax.errorbar(100 * p["mean"], i + off, xerr=[[100 * (p["mean"] - p["low"])],
                                                          [100 * (p["high"] - p["mean"])]],
                            fmt="o", ms=3, lw=1, color=COLOURS[m], label=m if i == 0 or not ax.lines else None)
        ax.axvline(0, color="black", lw=0.8)
        if which == "permuted":
            ax.axvline(5, color="black", lw=0.8, ls="--")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("paired difference, test ROC-AUC ×100 (95 % interval)")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(keys)), [f"{d} · {m.upper()}" for d, m in keys], fontsize=8)
    axes[0].invert_yaxis()
    handles, labels = axes[0].get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    fig.legend(uniq.values(), uniq.keys(), loc="lower center", ncol=len(uniq), fontsize=8, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


EARLIER = ("<!-- generated: earlier default -->", "<!-- end of earlier default -->")
EARLIER_FOLDS = ("<!-- generated: earlier default by folds -->", "<!-- end of earlier default by folds -->")


DECISIONS = ("<!-- generated: decisions -->", "<!-- end of decisions -->")
DECISIONS_TODAY = ("<!-- generated: decisions of the default -->", "<!-- end of decisions of the default -->")


def decisions_summary(rows: list[dict], methods=("full", "mirage-auto", "mirage-auto~permuted")) -> str:
    """Per dataset, GNN and method: ROC-AUC, then accuracy and balanced accuracy with the prior correction and with
    the bias fitted on the validation split, and the runs that decide one class for every test graph (k/n; the
    second count is over the runs that recorded the bias)."""
    lines = ["| dataset | GNN | method | ROC-AUC (macro for more classes) | accuracy (prior) | balanced (prior) | one class (prior) | "
             "accuracy (validation bias) | balanced (validation bias) | one class (validation bias) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["method"] not in methods or r.get("error") or r.get("budget") is not None:
            continue
        auc = _pm(r) if r.get("metric") != "accuracy" else pct(r, "test_rocauc_macro_mean")
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {r['method']} | {auc} | "
                     f"{pct(r, 'test_accuracy_mean')} | {pct(r, 'test_balanced_accuracy_mean')} | "
                     f"{one_class_runs(r)} | {pct(r, 'test_accuracy_calibrated_mean')} | "
                     f"{pct(r, 'test_balanced_accuracy_calibrated_mean')} | {one_class_runs(r, True)} |")
    return "\n".join(lines) + "\n"


def earlier_table(rows: list[dict]) -> str:
    """Per dataset and GNN: today's default, the earlier default's choice (``mirage-proto`` at that setting, which
    the earlier rule chose by training GIN on each candidate), that choice's margin over its own permuted control
    (where run) and the paired difference (earlier minus today)."""
    lines = ["| dataset | GNN | today's default [vs control] | earlier default's choice [vs control] | "
             "earlier − today | margin over control: earlier − today |", "|---|---|---|---|---|---|"]

    def row(method: str, dataset: str, model: str) -> dict | None:
        return next((x for x in rows if (x["dataset"], x["model"], x["method"]) == (dataset, model, method)), None)

    for r in rows:
        if r["method"] != "mirage-proto":
            continue
        today = row("mirage-auto", r["dataset"], r["model"])
        p = r.get("paired", {}).get("mirage-auto")
        margins = _margin_difference(r, row("mirage-proto~permuted", r["dataset"], r["model"]), today,
                                     row("mirage-auto~permuted", r["dataset"], r["model"]))
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {_setting(today)} | {_setting(r)} | {_diff(p)} | "
                     f"{_diff(margins)} |")
    return "\n".join(lines) + "\n"


def earlier_folds_table(earlier: list[dict], today: list[dict], paired_datasets: set[str]) -> str:
    """The cross-validated datasets, where the earlier rule chose per fold (so no one ``mirage-proto`` setting
    re-runs it): its test scores as recorded then (``auto_table.json``: one run per fold, listed fold by fold) beside
    today's default (``defaults.json``), paired by fold (today's seeds averaged per fold first), with the 95 %
    intervals over the folds."""
    lines = ["| dataset | GNN | earlier default, as run then (folds x seeds) | today's default (folds x seeds) | "
             "today − earlier, paired by fold |", "|---|---|---|---|---|"]
    for r in earlier:
        if r["method"] != "mirage-auto" or r["dataset"] in paired_datasets or r.get("error"):
            continue
        now = next((x for x in today if (x["dataset"], x["model"], x["method"]) == (r["dataset"], r["model"],
                                                                                       "mirage-auto")), None)
        if now is None or len(r["runs"]) != r["splits"]:
            continue
        before = units([{"split": fold, "seed": run["seed"], "value": run["test"]} for fold, run in enumerate(r["runs"])])
        after = unit_values(now["runs"])
        b, a = interval(list(before.values())), interval(list(after.values()))
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {100 * b['mean']:.1f} ± {100 * b['half']:.1f} "
                     f"({len(before)} x 1) | {100 * a['mean']:.1f} ± {100 * a['half']:.1f} ({len(after)} x "
                     f"{len(now['runs']) // len(after)}) | {_diff(paired(after, before))} |")
    return "\n".join(lines) + "\n"


BANK = ("<!-- generated: tree banks -->", "<!-- end of tree banks -->")
DEFAULT = ("<!-- generated: the default -->", "<!-- end of the default -->")
LEARNED = ("<!-- generated: the default and the learned baselines -->",
           "<!-- end of the default and the learned baselines -->")


def pair_table(rows: list[dict], a: str, b: str, names: tuple[str, str]) -> str:
    """Per dataset and GNN: method ``a`` against method ``b`` (test score, margin over its own permuted control,
    bytes, graphs), their paired difference in score and in margin, ``a`` against full data (and against herding at
    the default's bytes where the rows have herding), and the accuracy after the validation bias of both."""
    na, nb = names
    herding = any(r["method"] == "herding-bytes" for r in rows)
    lines = [f"| dataset | GNN | {nb} [vs control] (% bytes, graphs) | {na} [vs control] (% bytes, graphs) | "
             f"{na} − {nb} | margin: {na} − {nb} | {na} − full | " + (f"{na} − herding | " if herding else "")
             + f"accuracy (validation bias): {nb} → {na} |", "|" + "---|" * (8 + herding)]

    def row(method: str, dataset: str, model: str) -> dict | None:
        return next((x for x in rows if (x["dataset"], x["model"], x["method"]) == (dataset, model, method)
                     and not x.get("error") and x.get("budget") is None), None)

    def cell(r: dict) -> str:
        margin = _margin(r, "permuted")
        return f"{_pm(r)}" + (f" [{margin}]" if margin else "") + f" ({100 * r['size_fraction']:.2g} %, {r['graphs']})"

    for r in rows:
        if r["method"] != a or r.get("budget") is not None:
            continue
        d, m = r["dataset"], r["model"]
        other = row(b, d, m)
        if other is None:
            continue
        p = r.get("paired", {})
        versus = p.get(b) or _flipped(other.get("paired", {}).get(a))  # the bench pairs a later method with earlier
        margins = _margin_difference(r, row(a + "~permuted", d, m), other, row(b + "~permuted", d, m))
        acc = f"{pct(other, 'test_accuracy_calibrated_mean')} → {pct(r, 'test_accuracy_calibrated_mean')}"
        vs_herding = f"{_diff(p.get('herding-bytes'))} | " if herding else ""
        lines.append(f"| {d} | {m.upper()} | {cell(other)} | {cell(r)} | {_diff(versus)} | "
                     f"{_diff(margins)} | {_diff(p.get('full'))} | {vs_herding}{acc} |")
    return "\n".join(lines) + "\n"


def bank_table(rows: list[dict]) -> str:
    """``bank.json``: the default's rule with a tree bank against the default of then (each prototype its own DAG)."""
    return pair_table(rows, "mirage-bank", "mirage-auto", ("bank", "then default"))


GLANCE = ("<!-- generated: results at a glance -->", "<!-- end of results at a glance -->")


def glance_table(rows: list[dict], versus: list[dict] | None = None, models=("gcn", "gat", "gin")) -> str:
    """The README's table: per dataset, the default's score with GCN / GAT / GIN, its margin over its own permuted
    control and its difference from full data (paired, with ↑ / ↓ / ≈), beside full data, the WL kernel and graph
    size alone (one number: no GNN), the default against herding's and random real graphs in its bytes (paired over
    the same seeds, from ``versus``: the rows of a benchmark that ran ``herding-bytes`` and ``random-bytes`` beside
    the same default), and the default's rule with each prototype its own DAG (``mirage-plain``, the default before
    the tree bank); a GNN not trained is a dash."""
    against = {(r["dataset"], r["model"]): r for r in versus or []
               if r["method"] == "mirage-auto" and r["budget"] is None and not r.get("error")}
    lines = ["| dataset | default (% of the bytes) | over its control | vs full data | full data | WL kernel | "
             "size only | vs herding, same bytes | vs random, same bytes | own DAGs, `--no-bank` (% of the bytes) |",
             "|---|---|---|---|---|---|---|---|---|---|"]

    def mean(r: dict) -> str:
        return f"{100 * r['test_mean']:.1f}" if r.get("test_mean") is not None else ""

    def each(by: dict, method: str, show) -> str:
        return " / ".join((show(by[(m, method)]) or "–") if (m, method) in by else "–" for m in models)

    def one(by: dict, method: str) -> str:
        return next((mean(by[(m, method)]) for m in models if (m, method) in by), "")

    for d in dict.fromkeys(r["dataset"] for r in rows):
        by = {(r["model"], r["method"]): r for r in rows
              if r["dataset"] == d and r["budget"] is None and not r.get("error")}
        auto = next((by[(m, "mirage-auto")] for m in models if (m, "mirage-auto") in by), None)
        if auto is None:
            continue
        plain = next((by[(m, "mirage-plain")] for m in models if (m, "mirage-plain") in by), None)
        plain_cell = f"{each(by, 'mirage-plain', mean)} ({100 * plain['size_fraction']:.2g} %)" if plain else ""
        lines.append(f"| {d}{' (accuracy)' if auto['metric'] == 'accuracy' else ''} | "
                     f"{each(by, 'mirage-auto', mean)} ({100 * auto['size_fraction']:.2g} %) | "
                     f"{each(by, 'mirage-auto', lambda r: _margin(r, 'permuted'))} | "
                     f"{each(by, 'mirage-auto', lambda r: _margin(r, 'full'))} | {each(by, 'full', mean)} | "
                     f"{one(by, 'wl-kernel')} | {one(by, 'size-only')} | "
                     f"{each(by, 'mirage-auto', lambda r: _margin(against.get((d, r['model'])), 'herding-bytes'))} | "
                     f"{each(by, 'mirage-auto', lambda r: _margin(against.get((d, r['model'])), 'random-bytes'))} | "
                     f"{plain_cell} |")
    return "\n".join(lines) + "\n"


GLANCE_MARKS = (("mirage-auto~permuted", "its permuted control", "tab:gray", "x"),
                ("size-only", "graph size alone", "tab:orange", "s"),
                ("mirage-auto", "the default", "tab:blue", "o"),
                ("wl-kernel", "WL kernel", "tab:purple", "D"),
                ("full", "full data, tuned", "black", "|"))


def glance_plot(rows: list[dict], path: Path, models=("gcn", "gat", "gin")) -> None:
    """The README's table as a picture: one line per dataset and GNN, from the default's permuted control to full
    data, with the default, graph size alone and the WL kernel on it (test score ×100 with its 95 % interval): where
    the default stands between what the protocol gives for free and what the data teaches."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [(d, m) for d in dict.fromkeys(r["dataset"] for r in rows) for m in models
            if any((r["dataset"], r["model"], r["method"]) == (d, m, "mirage-auto") for r in rows)]
    by = {(r["dataset"], r["model"], r["method"]): r for r in rows if r["budget"] is None and not r.get("error")}
    fig, ax = plt.subplots(figsize=(8, 0.24 * len(keys) + 1.4))
    for i, (d, m) in enumerate(keys):
        ends = [by[(d, m, k)]["test_mean"] for k in ("mirage-auto~permuted", "full") if (d, m, k) in by]
        if len(ends) == 2:
            ax.plot([100 * e for e in ends], [i, i], color="lightgray", lw=3, zorder=0)
        for method, label, colour, marker in GLANCE_MARKS:
            r = by.get((d, m, method))
            if r is None or r.get("test_mean") is None:
                continue
            low, high = r.get("test_ci") or [r["test_mean"]] * 2
            err = [[100 * (r["test_mean"] - low)], [100 * (high - r["test_mean"])]] if low == low else None
            ax.errorbar(100 * r["test_mean"], i, xerr=err, fmt=marker, ms=5 if marker != "|" else 9, lw=1,
                        color=colour, label=label if i == 0 or label not in ax.get_legend_handles_labels()[1]
                        else None)
    metric = {r["dataset"]: r.get("metric") for r in rows}
    ax.set_yticks(range(len(keys)), [f"{d}{' (acc.)' if metric[d] == 'accuracy' else ''} · {m.upper()}"
                                     for d, m in keys], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("test score ×100 (ROC-AUC; accuracy on synthetic-motifs), 95 % interval")
    ax.grid(axis="x", alpha=0.3)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles))
    fig.legend(uniq.values(), uniq.keys(), loc="lower center", ncol=len(uniq), fontsize=7, frameon=False)
    fig.tight_layout(rect=(0, 0.035, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _flipped(p: dict | None) -> dict | None:
    """A paired difference B − A read as A − B."""
    if not p:
        return None
    flip = {"beats": "loses", "loses": "beats", "tie": "tie"}
    return dict(p, mean=-p["mean"], low=-p["high"], high=-p["low"], verdict=flip[p.get("verdict") or verdict(p)])


def _diff(p: dict | None) -> str:
    if not p or p["low"] != p["low"]:
        return ""
    return f"{100 * p['mean']:+.1f} [{100 * p['low']:+.1f}, {100 * p['high']:+.1f}] {MARKS[p.get('verdict') or verdict(p)]}"


def _margin_difference(a: dict, a_control: dict | None, b: dict, b_control: dict | None) -> dict | None:
    """The paired difference of two sets' margins over their own permuted controls, ``(a - a_control) - (b -
    b_control)``, over the units (seeds, or splits) all four cells share: whether one set teaches more than the
    other beyond what epoch selection gives for free."""
    if a_control is None or b_control is None:
        return None

    def per_unit(r: dict) -> dict:
        return units([{"split": x.get("split", 0), "seed": x["seed"], "value": x.get("test")} for x in r["runs"]])

    (ua, uac), (ub, ubc) = map(per_unit, (a, a_control)), map(per_unit, (b, b_control))
    keys = set(ua) & set(uac) & set(ub) & set(ubc)
    return paired({k: ua[k] - uac[k] for k in keys}, {k: ub[k] - ubc[k] for k in keys})


def _setting(r: dict) -> str:
    s = r["settings"][0]
    margin = _margin(r, "permuted")
    return (f"{_pm(r)} ({100 * r['size_fraction']:.2g} %; hops {s['hops']}, {s['per_class']} per class)"
            + (f" [{margin}]" if margin else ""))


def _between(text: str, markers: tuple[str, str], body: str) -> str:
    return replace_section(text, *markers, body + "\n")


def _shown(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--results", default=str(ROOT / "benchmarks" / "results" / "tables.json"))
    p.add_argument("--docs", default=str(ROOT / "docs" / "results"), help="the pages' directory")
    p.add_argument("--earlier", default=str(ROOT / "benchmarks" / "results" / "old_default.json"),
                   help="today's default beside the earlier default's choices (benchmarks/tables.sh, last lines)")
    p.add_argument("--earlier-folds", default=str(ROOT / "benchmarks" / "results" / "auto_table.json"),
                   help="the earlier default as run then, for the cross-validated datasets (per-fold choices)")
    p.add_argument("--readme", default=str(ROOT / "README.md"),
                   help="the front page whose results-at-a-glance table is regenerated")
    p.add_argument("--bank", default=str(ROOT / "benchmarks" / "results" / "bank.json"),
                   help="the default of then with and without a tree bank (benchmarks/tables.sh)")
    p.add_argument("--defaults", default=str(ROOT / "benchmarks" / "results" / "defaults.json"),
                   help="today's default (a tree bank on one task) beside its rule without one, its controls and full "
                        "data (benchmarks/tables.sh): the README's table and the default's section")
    p.add_argument("--learned", default=str(ROOT / "benchmarks" / "results" / "default_vs_learned.json"),
                   help="today's default beside DosCond and KiDD over the same seeds (benchmarks/tables.sh)")
    p.add_argument("--equal-bytes", default=str(ROOT / "benchmarks" / "results" / "equal_bytes.json"),
                   help="today's default beside herding's and random graphs in its bytes (benchmarks/tables.sh): the "
                        "README table's paired columns against them")
    args = p.parse_args(argv)
    blob = json.loads(Path(args.results).read_text())
    rows, header = blob["rows"], blob["header"]
    out = Path(args.docs)
    out.mkdir(parents=True, exist_ok=True)
    commands = "\n".join(f"    {c.strip()}" for c in header["command"].split(";"))
    (out / "tables.md").write_text(
        "# The benchmark tables\n\nWritten by `python benchmarks/results_pages.py` from "
        f"`{_shown(Path(args.results))}`, which these commands produced (`bash benchmarks/tables.sh`):\n\n"
        f"{commands}\n\n" + markdown(rows, header))
    models = [m for m in ("gcn", "gat", "gin") if any(r["model"] == m for r in rows)]
    generated = "\n".join(f"**{m.upper()}** (test ROC-AUC ×100, mean ± half-width of the 95 % interval)\n\n"
                          f"{summary_table(rows, m)}" for m in models)
    page = out / "README.md"
    text = page.read_text() if page.exists() else f"# Results\n\n{START}\n{END}\n"
    text = _between(text, (START, END), generated)
    if DECISIONS[0] in text:
        text = _between(text, DECISIONS, decisions_summary(rows))
    defaults = Path(args.defaults)
    default_rows = json.loads(defaults.read_text())["rows"] if defaults.exists() else []
    earlier = Path(args.earlier)
    if earlier.exists() and EARLIER[0] in text:
        earlier_rows = json.loads(earlier.read_text())["rows"]
        text = _between(text, EARLIER, earlier_table(earlier_rows))
        folds = Path(args.earlier_folds)
        if folds.exists() and default_rows and EARLIER_FOLDS[0] in text:
            text = _between(text, EARLIER_FOLDS, earlier_folds_table(
                json.loads(folds.read_text())["rows"], default_rows, {x["dataset"] for x in earlier_rows}))
    bank = Path(args.bank)
    if bank.exists() and BANK[0] in text:
        text = _between(text, BANK, bank_table(json.loads(bank.read_text())["rows"]))
    if default_rows and DEFAULT[0] in text:
        text = _between(text, DEFAULT, pair_table(default_rows, "mirage-auto", "mirage-plain",
                                                  ("default", "own DAGs")))
    learned = Path(args.learned)
    if learned.exists() and LEARNED[0] in text:
        pairs = json.loads(learned.read_text())["rows"]
        text = _between(text, LEARNED, "\n".join(pair_table(pairs, "mirage-auto", b, ("default", name))
                                                 for b, name in (("doscond", "DosCond"), ("kidd", "KiDD"))))
    if default_rows and DECISIONS_TODAY[0] in text:
        text = _between(text, DECISIONS_TODAY, decisions_summary(default_rows))
    page.write_text(text)
    readme = Path(args.readme)
    versus = Path(args.equal_bytes)
    versus_rows = json.loads(versus.read_text())["rows"] if versus.exists() else []
    if default_rows and readme.exists() and GLANCE[0] in readme.read_text():
        readme.write_text(_between(readme.read_text(), GLANCE, glance_table(default_rows, versus_rows)))
    paired_plot(rows, out / "paired.png")
    if default_rows:
        glance_plot(default_rows, out / "glance.png")
    print(f"wrote {out / 'tables.md'}, the tables of {page}, {out / 'paired.png'} and {out / 'glance.png'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
