"""A learning rate chosen on validation for each distilled set: the tables' sets trained at Adam's 1e-3 (plain) or
1e-2 (the bench's ``high-lr`` recipe), paired with plain, under two rules.

    python benchmarks/lr_choice.py          # the page's section, from the committed JSON (seconds)

The runs are the bench's (``mirage bench --recipes plain high-lr``, the "learning rate chosen on validation" lines of
``benchmarks/tables.sh``). By the **score** rule each set and its permuted control choose per GNN and split on their
own mean validation metric over the seeds, as full data chooses between its recipes; by the **margin** rule
(``--recipe-rule margin``) the set takes the rate under which it scores most above its control on validation, and the
control is read at that rate. Herding's and random graphs in the default's bytes choose the same way where the bench
made them. ``benchmarks/recipes.py`` pairs each chosen cell with the tables' plain runs (``recipes_lr_choice.json``,
``recipes_lr_margin.json``); this script writes the section of docs/results/README.md between its ``lr-choice``
markers from those files and the bench tables they pair. An exploration of the protocol: a hypothesis, not a
finding.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.stats import paired_text

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- lr-choice:start -->", "<!-- lr-choice:end -->"
MODELS = ("gcn", "gat", "gin")


def _verdict(d: dict) -> str:
    """A paired difference's verdict, from its interval where it records none."""
    return d.get("verdict") or ("beats" if d["low"] > 0 else "loses" if d["high"] < 0 else "tie")


def _name(dataset: str) -> str:
    """``bace-potency3.csv`` -> ``BACE, 3 potency classes``; other names as they are."""
    if dataset.startswith("bace-potency"):
        return f"BACE, {dataset.removeprefix('bace-potency').removesuffix('.csv')} potency classes"
    return dataset


def pairs(stem: str, results: Path = RESULTS) -> list[tuple[str, str]]:
    """The (chosen, plain) bench files the pairing ``STEM.json`` of ``recipes.py`` pairs, from its command."""
    blob = json.loads((results / f"{stem}.json").read_text())
    return [tuple(Path(p).name for p in pair.split(":")) for pair in blob["command"].split("--pairs ", 1)[1].split()]


def default_table(stem: str, results: Path = RESULTS) -> str:
    """The default plain against its chosen learning rate, every dataset and GNN of the pairing ``STEM.json``."""
    recs = json.loads((results / f"{stem}.json").read_text())["rows"]
    order = {d: i for i, d in enumerate(dict.fromkeys(r["dataset"] for r in recs))}
    auto = sorted((r for r in recs if r["method"] == "mirage-auto"),
                  key=lambda r: (order[r["dataset"]], MODELS.index(r["model"])))
    lines = ["| dataset | GNN | 1e-2 chosen (splits) | plain | chosen | chosen − plain | margin over the control: "
             "plain → chosen | vs full: plain → chosen | macro ROC-AUC: plain → chosen |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in auto:
        high = sum(x == "high-lr" for x in r["recipes"])
        macro = (f"{100 * r['plain_rocauc_macro']:.1f} → {100 * r['chosen_rocauc_macro']:.1f} "
                 f"({paired_text(r['rocauc_macro_chosen_minus_plain'], r['rocauc_macro_chosen_minus_plain']['verdict'])})"
                 if r.get("chosen_rocauc_macro") is not None else "")
        lines.append(
            f"| {_name(r['dataset'])} | {r['model'].upper()} | {high}/{len(r['recipes'])} | "
            f"{100 * r['plain_test_mean']:.1f} | {100 * r['chosen_test_mean']:.1f} | "
            f"{paired_text(r['chosen_minus_plain'], r['verdict'])} | "
            f"{100 * r['plain_margin_over_control']['mean']:+.1f} → "
            f"{paired_text(r['chosen_margin_over_control'], _verdict(r['chosen_margin_over_control']))} | "
            f"{100 * r['plain_vs_full']['mean']:+.1f} → {100 * r['chosen_vs_full']['mean']:+.1f} | {macro} |")
    return "\n".join(lines)


def real_table(stem: str, results: Path = RESULTS) -> str:
    """Herding's and random graphs in the default's bytes, each choosing its rate by the same rule: their own change,
    and the default against them, each under its own choice (the bench tables the pairing names)."""
    recs = json.loads((results / f"{stem}.json").read_text())["rows"]
    by = {(r["dataset"], r["model"], r["method"]): r for r in recs}
    lines = ["| dataset | GNN | herding: chosen − plain | random: chosen − plain | default − herding, each chosen "
             "| default − random, each chosen |", "|---|---|---|---|---|---|"]
    for chosen in dict.fromkeys(c for c, _ in pairs(stem, results)):
        for row in json.loads((results / chosen).read_text())["rows"]:
            if row["method"] != "mirage-auto" or "herding-bytes" not in row.get("paired", {}):
                continue
            cells = [paired_text(by[(row["dataset"], row["model"], m)]["chosen_minus_plain"],
                         by[(row["dataset"], row["model"], m)]["verdict"]) for m in ("herding-bytes", "random-bytes")]
            cells += [paired_text(row["paired"][m], row["paired"][m]["verdict"]) for m in ("herding-bytes", "random-bytes")]
            lines.append(f"| {_name(row['dataset'])} | {row['model'].upper()} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def page(results: Path = RESULTS) -> str:
    """The page's section: the default and the real graphs under each rule."""
    def files(stem: str) -> str:
        return ", ".join(f"`{c}`" for c in dict.fromkeys(c for c, _ in pairs(stem, results)))

    return (f"Written by `python benchmarks/lr_choice.py` from `recipes_lr_choice.json` and `recipes_lr_margin.json` "
            f"(`benchmarks/recipes.py`'s pairings of the bench tables with the tables' plain runs). Test ROC-AUC ×100 "
            f"(accuracy on synthetic-motifs and BACE's potency classes, with the macro one-vs-rest ROC-AUC beside "
            f"it), means over the seeds (folds); differences paired over them [95 % interval] (↑ above zero, ↓ "
            f"below, ≈ contains it). \"1e-2 chosen\": on how many splits the rule chose Adam at 1e-2 for the set."
            f"\n\n**Chosen by the set's validation score** (the control choosing its own; {files('recipes_lr_choice')})"
            f":\n\n" + default_table("recipes_lr_choice", results)
            + "\n\nReal graphs in the default's bytes (herding, random), each choosing its own rate the same way:\n\n"
            + real_table("recipes_lr_choice", results)
            + f"\n\n**Chosen by the set's margin over its permuted control on validation** (the control read at the "
              f"set's rate: `mirage bench --recipe-rule margin`; {files('recipes_lr_margin')}):\n\n"
            + default_table("recipes_lr_margin", results)
            + "\n\nReal graphs in the default's bytes, each by its own margin over its control:\n\n"
            + real_table("recipes_lr_margin", results))


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
