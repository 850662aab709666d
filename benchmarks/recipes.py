"""Distilled sets trained plain vs under a recipe chosen on validation, paired over the same seeds.

The committed tables train every distilled set plain (dropout 0, no weight decay) while full data chooses between
plain and regularised (dropout 0.5, weight decay 1e-4) on validation. ``mirage bench --recipes plain regularised``
gives the distilled sets, and their permuted controls, the same choice. This script reads such a table beside the
plain one of the same command (the plain runs are the same cached runs) and reports per dataset, GNN and method:

* the recipe chosen on validation, and the validation means that chose it;
* test mean ± std over seeds, plain and chosen, and the paired difference chosen − plain [95 % interval];
* the margin over the permuted control (each under its own chosen recipe) and the difference from full data.

    python benchmarks/recipes.py --pairs benchmarks/results/recipes_dd.json:benchmarks/results/table_dd.json \
        benchmarks/results/recipes_nci1.json:benchmarks/results/table_nci1.json

With ``--variant NAME`` the two files differ by a training option rather than a recipe (``mirage bench --epochs 300``
against the tables' 100): every distilled cell of the first is paired with the second's, its "recipe" named NAME.

Writes ``benchmarks/results/recipes.json`` and ``.md`` (``--out``).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
MODELS = {"gcn": "GCN", "gat": "GAT", "gin": "GIN", "sage": "SAGE"}


def _by_seed(row: dict, metric: str | None = None) -> dict:
    """The row's independent units, as the tables pair them (folds averaged over their seeds); ``metric``: one of
    the runs' ``test_metrics`` (the macro ROC-AUC of several classes) instead of the row's own test metric."""
    from graph_mirage.bench.rows import unit_values

    if metric is None:
        return unit_values(row["runs"])
    return unit_values([dict(u, test=(u.get("test_metrics") or {}).get(metric)) for u in row["runs"]])


def compare(chosen_rows: list[dict], plain_rows: list[dict], variant: str | None = None) -> list[dict]:
    """One record per distilled cell of ``chosen_rows`` that ``plain_rows`` also has (``variant``: the name of what
    ``chosen_rows`` changed, where their rows name no recipe)."""
    from graph_mirage.bench.methods import PROBES
    from graph_mirage.stats import paired, verdict

    plain = {(r["dataset"], r["model"], r["method"], r["budget"]): r for r in plain_rows if r.get("runs")}
    out = []
    for r in chosen_rows:
        # one recipe alone (--recipes drop-roots) is not chosen, so the row lists none; its runs name it
        recipes = r.get("recipes") or sorted({u["recipe"] for u in r.get("runs") or [] if u.get("recipe")}) \
            or ([variant] if variant else [])
        if not recipes or r["method"] in ("full", *PROBES) or "~" in r["method"] or r.get("error"):
            continue
        p = plain.get((r["dataset"], r["model"], r["method"], r["budget"]))
        if p is None:
            continue
        d = paired(_by_seed(r), _by_seed(p))
        rec = {"dataset": r["dataset"], "model": r["model"], "method": r["method"], "recipes": recipes,
               "plain_test_mean": p["test_mean"], "plain_test_std": p["test_std"], "plain_val_mean": p["val_mean"],
               "chosen_test_mean": r["test_mean"], "chosen_test_std": r["test_std"], "chosen_val_mean": r["val_mean"],
               "chosen_minus_plain": {k: d[k] for k in ("mean", "low", "high", "units")}, "verdict": verdict(d)}
        if r.get("metric", "rocauc") != "rocauc":  # the table's metric where it is not ROC-AUC (several classes)
            rec["metric"] = r["metric"]
        if "test_rocauc_macro_mean" in r and "test_rocauc_macro_mean" in p:  # several classes: the ranking metric too
            rec["plain_rocauc_macro"] = p["test_rocauc_macro_mean"]
            rec["chosen_rocauc_macro"] = r["test_rocauc_macro_mean"]
            m = paired(_by_seed(r, "rocauc_macro"), _by_seed(p, "rocauc_macro"))
            if m.get("units"):
                rec["rocauc_macro_chosen_minus_plain"] = dict({k: m[k] for k in ("mean", "low", "high", "units")},
                                                              verdict=verdict(m))
        for key, name in (("permuted", "margin_over_control"), ("full", "vs_full")):
            for src, tag in ((r, "chosen"), (p, "plain")):
                q = (src.get("paired") or {}).get(key)
                if q:
                    rec[f"{tag}_{name}"] = {k: q[k] for k in ("mean", "low", "high")}
        out.append(rec)
    return out


def _pm(m: float, s: float) -> str:
    return f"{100 * m:.1f} ± {100 * s:.1f}"


def _iv(q: dict | None) -> str:
    return "" if not q else f"{100 * q['mean']:+.1f} [{100 * q['low']:+.1f}, {100 * q['high']:+.1f}]"


def markdown(recs: list[dict], command: str, variant: str | None = None) -> str:
    from graph_mirage.stats import VERDICT_MARKS

    title = f"the tables' training vs {variant} (in the columns: plain vs chosen)" if variant \
        else "plain training vs a recipe chosen on validation"
    macro = any("rocauc_macro_chosen_minus_plain" in r for r in recs)
    metrics = {r.get("metric", "rocauc") for r in recs}
    metric = "ROC-AUC" if metrics == {"rocauc"} else "accuracy" if metrics == {"accuracy"} else \
        "metric (ROC-AUC; accuracy on several classes)"
    lines = [f"# Distilled sets: {title}", "",
             f"`{command}` — test {metric} ×100, mean ± std over seeds; differences paired over the same seeds "
             "[95 % interval]. Margins: over each set's permuted control, each under its own chosen recipe."
             + (" Macro ROC-AUC: one-vs-rest, averaged over the classes." if macro else ""), "",
             "| dataset | GNN | method | chosen recipe | plain | chosen | chosen − plain | margin plain → chosen "
             "| vs full plain → chosen |" + (" macro ROC-AUC plain → chosen | its chosen − plain |" if macro else ""),
             "|---|---|---|---|---|---|---|---|---|" + ("---|---|" if macro else "")]
    for r in recs:
        line = (f"| {r['dataset']} | {MODELS.get(r['model'], r['model'])} | {r['method']} | "
                f"{', '.join(map(str, r['recipes']))} | {_pm(r['plain_test_mean'], r['plain_test_std'])} | "
                f"{_pm(r['chosen_test_mean'], r['chosen_test_std'])} | {_iv(r['chosen_minus_plain'])} "
                f"{VERDICT_MARKS[r['verdict']]} | "
                f"{_iv(r.get('plain_margin_over_control'))} → {_iv(r.get('chosen_margin_over_control'))} | "
                f"{_iv(r.get('plain_vs_full'))} → {_iv(r.get('chosen_vs_full'))} |")
        if macro:
            m = r.get("rocauc_macro_chosen_minus_plain")
            line += (f" {100 * r['plain_rocauc_macro']:.1f} → {100 * r['chosen_rocauc_macro']:.1f} | "
                     f"{_iv(m)} {VERDICT_MARKS[m['verdict']]} |" if m else " | |")
        lines.append(line)
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    from graph_mirage.fileio import atomic_write_text

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pairs", nargs="+", required=True, metavar="CHOSEN.json:PLAIN.json",
                   help="a table run with --recipes, and the plain table of the same command")
    p.add_argument("--out", default=str(RESULTS / "recipes"))
    p.add_argument("--variant", default=None, metavar="NAME",
                   help="the first file of each pair changed a training option, not the recipe: pair every cell")
    args = p.parse_args(argv)
    recs = []
    for pair in args.pairs:
        chosen, sep, plain = pair.partition(":")
        if not sep or not Path(chosen).is_file() or not Path(plain).is_file():
            p.error(f"--pairs wants CHOSEN.json:PLAIN.json, two existing files; got {pair!r}")
        recs += compare(json.loads(Path(chosen).read_text())["rows"], json.loads(Path(plain).read_text())["rows"],
                        args.variant)
    if not recs:
        p.error("no distilled cell with a chosen recipe is in both files of any pair (run mirage bench --recipes)")
    command = "python benchmarks/recipes.py " + (f"--variant {args.variant} " if args.variant else "") \
        + "--pairs " + " ".join(args.pairs)
    md = markdown(recs, command, args.variant)
    atomic_write_text(Path(args.out).with_suffix(".json"), json.dumps({"command": command, "rows": recs}, indent=1))
    atomic_write_text(Path(args.out).with_suffix(".md"), md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
