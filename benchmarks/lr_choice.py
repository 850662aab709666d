"""A learning rate chosen on validation for each distilled set: the tables' sets trained at Adam's 1e-3 (plain) or
1e-2 (the bench's ``high-lr`` recipe), whichever scores better on the real validation split, paired with plain.

    python benchmarks/lr_choice.py          # the page's section, from the committed JSON (seconds)

The runs are the bench's (``mirage bench --recipes plain high-lr``, the "learning rate chosen on validation" lines of
``benchmarks/tables.sh``): each set and its permuted control choose per GNN and split on their own mean validation
metric over the seeds, as full data chooses between its recipes; herding's and random graphs in the default's bytes
choose the same way where the bench made them. ``benchmarks/recipes.py`` pairs each chosen cell with the tables'
plain runs (``recipes_lr_choice.json``); this script writes the section of docs/results/README.md between its
``lr-choice`` markers from that file and from the bench tables it pairs (the default against herding and random,
each under its own choice). An exploration of the protocol: a hypothesis, not a finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- lr-choice:start -->", "<!-- lr-choice:end -->"
MODELS = ("gcn", "gat", "gin")


def _iv(d: dict, verdict: str | None = None) -> str:
    from graph_mirage.stats import VERDICT_MARKS

    mark = f" {VERDICT_MARKS[verdict]}" if verdict else ""
    return f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]{mark}"


def _verdict(d: dict) -> str:
    """A paired difference's verdict, from its interval where it records none."""
    return d.get("verdict") or ("beats" if d["low"] > 0 else "loses" if d["high"] < 0 else "tie")


def _name(dataset: str) -> str:
    """``bace-potency3.csv`` -> ``BACE, 3 potency classes``; other names as they are."""
    if dataset.startswith("bace-potency"):
        return f"BACE, {dataset.removeprefix('bace-potency').removesuffix('.csv')} potency classes"
    return dataset


def pairs(results: Path = RESULTS) -> list[tuple[str, str]]:
    """The (chosen, plain) bench files ``recipes_lr_choice.json`` pairs, from its command."""
    blob = json.loads((results / "recipes_lr_choice.json").read_text())
    return [tuple(Path(p).name for p in pair.split(":")) for pair in blob["command"].split("--pairs ", 1)[1].split()]


def section(results: Path = RESULTS) -> str:
    """The page's two tables: the default plain against its chosen learning rate, every dataset and GNN; and, where the
    bench made them, herding's and random graphs in its bytes, each under its own choice."""
    recs = json.loads((results / "recipes_lr_choice.json").read_text())["rows"]
    order = {d: i for i, d in enumerate(dict.fromkeys(r["dataset"] for r in recs))}
    auto = sorted((r for r in recs if r["method"] == "mirage-auto"),
                  key=lambda r: (order[r["dataset"]], MODELS.index(r["model"])))
    lines = ["| dataset | GNN | 1e-2 chosen (splits) | plain | chosen | chosen − plain | margin over the control: "
             "plain → chosen | vs full: plain → chosen | macro ROC-AUC: plain → chosen |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in auto:
        high = sum(x == "high-lr" for x in r["recipes"])
        macro = (f"{100 * r['plain_rocauc_macro']:.1f} → {100 * r['chosen_rocauc_macro']:.1f} "
                 f"({_iv(r['rocauc_macro_chosen_minus_plain'], r['rocauc_macro_chosen_minus_plain']['verdict'])})"
                 if r.get("chosen_rocauc_macro") is not None else "")
        lines.append(
            f"| {_name(r['dataset'])} | {r['model'].upper()} | {high}/{len(r['recipes'])} | "
            f"{100 * r['plain_test_mean']:.1f} | {100 * r['chosen_test_mean']:.1f} | "
            f"{_iv(r['chosen_minus_plain'], r['verdict'])} | "
            f"{100 * r['plain_margin_over_control']['mean']:+.1f} → "
            f"{_iv(r['chosen_margin_over_control'], _verdict(r['chosen_margin_over_control']))} | "
            f"{100 * r['plain_vs_full']['mean']:+.1f} → {100 * r['chosen_vs_full']['mean']:+.1f} | {macro} |")
    real = ["| dataset | GNN | herding: chosen − plain | random: chosen − plain | default − herding, each chosen "
            "| default − random, each chosen |", "|---|---|---|---|---|---|"]
    by = {(r["dataset"], r["model"], r["method"]): r for r in recs}
    for chosen, _ in pairs(results):
        for row in json.loads((results / chosen).read_text())["rows"]:
            if row["method"] != "mirage-auto" or "herding-bytes" not in row.get("paired", {}):
                continue
            cells = [_iv(by[(row["dataset"], row["model"], m)]["chosen_minus_plain"],
                         by[(row["dataset"], row["model"], m)]["verdict"]) for m in ("herding-bytes", "random-bytes")]
            cells += [_iv(row["paired"][m], row["paired"][m]["verdict"]) for m in ("herding-bytes", "random-bytes")]
            real.append(f"| {_name(row['dataset'])} | {row['model'].upper()} | " + " | ".join(cells) + " |")
    files = ", ".join(f"`{c}`" for c, _ in pairs(results))
    return (f"Written by `python benchmarks/lr_choice.py` from `recipes_lr_choice.json` (the pairing of {files} with "
            f"the tables' plain runs). Test ROC-AUC ×100 (accuracy on synthetic-motifs and BACE's potency classes, "
            f"with the macro one-vs-rest ROC-AUC beside it), means over the seeds (folds); differences paired over "
            f"them [95 % interval] (↑ above zero, ↓ below, ≈ contains it). \"1e-2 chosen\": on how many splits "
            f"validation chose Adam at 1e-2 for the set.\n\n" + "\n".join(lines)
            + "\n\nReal graphs in the default's bytes (herding, random), each choosing its own learning rate the "
              "same way:\n\n" + "\n".join(real))


def _runs(path: Path, dataset: str, model: str, method: str) -> list[dict]:
    rows = json.loads(path.read_text())["rows"]
    return next((r["runs"] for r in rows if (r["dataset"], r["model"], r["method"]) == (dataset, model, method)), [])


def _by_split(runs: list[dict], key: str) -> dict:
    """``split -> {seed: value}`` of ``key``."""
    out: dict = {}
    for r in runs:
        out.setdefault(r["split"], {})[r["seed"]] = r[key]
    return out


def margin_rule(results: Path = RESULTS) -> list[dict]:
    """The learning rate chosen by the set's margin over its permuted control **on validation** (the recipe whose set
    scores most above its control there; ties: plain), the set and its control trained alike. Per dataset and GNN of
    the default: how often 1e-2 is chosen, the set's test score plain and under the rule paired over the units, and
    its margin over the control (test) under each. Reads the plain runs from the tables the pairing names and the
    1e-2 runs from ``highlr_only.json`` (``mirage bench --recipes high-lr``: the same cached runs)."""
    from graph_mirage.bench.rows import unit_values
    from graph_mirage.stats import paired, verdict

    high_file = results / "highlr_only.json"
    out = []
    for chosen, plain in pairs(results):
        for row in json.loads((results / chosen).read_text())["rows"]:
            if row["method"] != "mirage-auto":
                continue
            key = (row["dataset"], row["model"])
            runs = {(tag, m): _runs(path, *key, m) for tag, path in (("plain", results / plain), ("high", high_file))
                    for m in ("mirage-auto", "mirage-auto~permuted")}
            if not all(runs.values()):
                continue
            val = {k: _by_split(v, "val") for k, v in runs.items()}
            pick = {}
            for split in val[("plain", "mirage-auto")]:
                margin = {tag: np.mean(list(val[(tag, "mirage-auto")][split].values()))
                          - np.mean(list(val[(tag, "mirage-auto~permuted")][split].values())) for tag in ("plain", "high")}
                pick[split] = "high" if margin["high"] > margin["plain"] else "plain"

            def under_rule(method: str) -> list[dict]:
                return [r for tag in ("plain", "high") for r in runs[(tag, method)] if pick[r["split"]] == tag]

            rule, base = unit_values(under_rule("mirage-auto")), unit_values(runs[("plain", "mirage-auto")])
            diff = paired(rule, base)
            macro = [(r.get("test_metrics") or {}).get("rocauc_macro") for r in under_rule("mirage-auto")]
            out.append({"dataset": key[0], "model": key[1], "high_chosen": sum(v == "high" for v in pick.values()),
                        "splits": len(pick), "plain_test_mean": float(np.mean(list(base.values()))),
                        "rule_test_mean": float(np.mean(list(rule.values()))),
                        "rule_minus_plain": dict(diff, verdict=verdict(diff)),
                        "plain_margin": paired(base, unit_values(runs[("plain", "mirage-auto~permuted")])),
                        "rule_margin": paired(rule, unit_values(under_rule("mirage-auto~permuted"))),
                        "rule_rocauc_macro": float(np.mean(macro)) if all(m is not None for m in macro) else None})
    return out


def margin_section(rows: list[dict]) -> str:
    lines = ["| dataset | GNN | 1e-2 chosen (splits) | plain | by the margin on validation | its − plain | margin over the "
             "control: plain → by the margin | macro ROC-AUC |", "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        rule = r["rule_margin"]
        lines.append(f"| {_name(r['dataset'])} | {r['model'].upper()} | {r['high_chosen']}/{r['splits']} | "
                     f"{100 * r['plain_test_mean']:.1f} | {100 * r['rule_test_mean']:.1f} | "
                     f"{_iv(r['rule_minus_plain'], r['rule_minus_plain']['verdict'])} | "
                     f"{100 * r['plain_margin']['mean']:+.1f} → {_iv(rule, _verdict(rule))} | "
                     + (f"{100 * r['rule_rocauc_macro']:.1f} |" if r["rule_rocauc_macro"] is not None else " |"))
    return "\n".join(lines)


def page(results: Path = RESULTS) -> str:
    """The page's section: both rules' tables."""
    return (section(results) + "\n\nChosen instead by the set's margin over its permuted control on validation (the "
            "set and its control trained alike at the rate chosen; read from the same runs, `highlr_only.json` "
            "beside the plain tables):\n\n" + margin_section(margin_rule(results)))


def write_page() -> None:
    from graph_mirage.bench.tables import write_section

    write_section(PAGE, START, END, page() + "\n")


def main(argv: list[str] | None = None) -> int:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    write_page()
    print(page())
    return 0


if __name__ == "__main__":
    sys.exit(main())
