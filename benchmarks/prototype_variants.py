"""Variants of the default's prototypes, each paired with the default over the same splits and seeds.

``degrees`` — do the prototypes teach more when their leaves carry their real degrees? A computation DAG's leaves have
no in-edges, and GCN divides each message by the square root of its sender's degree, so a GCN on a prototype sees
other numbers than on the real graphs it stands for (26-56 % relative error in the node embeddings of MUTAG's trees;
``TreePrototypes(degrees=True)`` makes depth 1 exact and depth 2-3 within 2 %). Runs: ``mirage bench --degrees``.

``roots`` — do they teach more when their roots are sampled over all of a cluster's trees instead of its most frequent
ones? Where nearly every tree is distinct (DD: thousands of distinct one-hop trees per cluster, 32 roots) the most
frequent trees, rescaled, over-represent the commonest kinds of node; ``TreePrototypes(roots="sampled")`` keeps each
kind in its share. Runs: ``mirage bench --roots sampled``.

``even-ties`` — do they teach more when the roots a prototype keeps from a run of equally frequent trees at its cut
are spread over that run instead of being its lowest tree ids (the lowest labels)? On DD 99 of the default's 100
prototypes are cut inside such a run ([max-roots.md](../docs/results/max-roots.md)). Runs: ``mirage bench --roots
even-ties``, paired with today's default (``defaults.json``).

``by-label`` — do they teach more when their roots are stratified by their root node's label, so that a prototype's
node labels have its cluster's mean counts exactly? On DD the default's 32 roots put 36 % of the label mass on other
labels than their clusters' (``TreePrototypes(roots="by-label")``, :mod:`graph_mirage.roots`). Runs: ``mirage bench
--roots by-label``, paired with today's default (``defaults.json``).

``max-roots`` — do they teach more with up to 256 roots each under the default's 1 % cap (``--max-roots 256``)? On
DD a prototype's 32 roots keep 4 % of its cluster's nodes, and at 6 % of the bytes more roots helped GIN
([max-roots.md](../docs/results/max-roots.md)); under the cap they cost prototypes. Runs: ``mirage bench --max-roots
256``, paired with today's default (``defaults.json``).

``bank-degrees`` — the same leaf degrees in a tree bank (``AutoPrototypes(bank=True, degrees=True)``): does GCN
learn more from the default's bank when its leaves carry their degrees? Runs: ``mirage bench --degrees`` with method
``mirage-bank``, paired with the bank without degrees (``mirage-bank`` of the bank tables, the default's set on one
task).

The runs of a variant are the default's rule with the variant (the bytes count against its cap, so the choice may
differ), its permuted-label control and the cached full-data runs (``benchmarks/tables.sh``); each is paired here
with the default of ``tables.json``.

    python benchmarks/prototype_variants.py degrees              # reads benchmarks/results/degrees_*.json, tables.json
    python benchmarks/prototype_variants.py roots                # reads benchmarks/results/roots_*.json, tables.json
    python benchmarks/prototype_variants.py degrees --from-json  # the page again from the committed JSON
    python benchmarks/prototype_variants.py bank-degrees         # reads degrees_bank_*.json, bank_*.json
    python benchmarks/prototype_variants.py even-ties            # reads even_ties_*.json, defaults.json
    python benchmarks/prototype_variants.py by-label             # reads by_label_*.json, defaults.json
    python benchmarks/prototype_variants.py max-roots            # reads maxroots_dd_256_cap1.json, defaults.json

Writes ``benchmarks/results/leaf_degrees.json`` / ``sampled_roots.json`` / ``bank_degrees.json`` /
``even_ties.json`` / ``by_label.json`` / ``max_roots_cap.json`` and the generated section of ``docs/results/leaf-degrees.md`` (two sections)
/ ``sampled-roots.md``
/ ``max-roots.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.bench.rows import unit_values
from graph_mirage.bench.tables import read_json, read_results, result_paths, write_section
from graph_mirage.errors import MirageError
from graph_mirage.stats import VERDICT_MARKS, paired, verdict

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
# per variant: the bench runs' files, the JSON and page written, the page's markers, the column names; "method": the
# method of the variant's rows and of the rows it is paired with, "tables": the files of those (default tables.json)
VARIANTS = {
    # degrees: own DAGs' runs (degrees_a, _dd, _folds, _tox21), not the bank-degrees variant's degrees_bank_*.json
    "degrees": {"runs": "degrees_[!b]*.json", "out": "leaf_degrees.json", "page": "leaf-degrees.md",
                "markers": ("<!-- generated: leaf degrees -->", "<!-- end of leaf degrees -->"),
                "name": "with leaf degrees", "short": "degrees", "lines": "leaf-degrees"},
    "roots": {"runs": "roots_*.json", "out": "sampled_roots.json", "page": "sampled-roots.md",
              "markers": ("<!-- generated: sampled roots -->", "<!-- end of sampled roots -->"),
              "name": "with sampled roots", "short": "sampled", "lines": "sampled-roots"},
    "even-ties": {"runs": "even_ties_*.json", "out": "even_ties.json", "page": "max-roots.md",
                  "markers": ("<!-- generated: even ties -->", "<!-- end of even ties -->"),
                  "name": "ties spread", "short": "spread", "lines": "even-ties", "tables": ("defaults.json",)},
    "by-label": {"runs": "by_label_*.json", "out": "by_label.json", "page": "max-roots.md",
                 "markers": ("<!-- generated: roots by label -->", "<!-- end of roots by label -->"),
                 "name": "roots by label", "short": "by label", "lines": "by-label", "tables": ("defaults.json",)},
    "max-roots": {"runs": "maxroots_dd_256_cap1.json", "out": "max_roots_cap.json", "page": "max-roots.md",
                  "markers": ("<!-- generated: more roots at the cap -->", "<!-- end of more roots at the cap -->"),
                  "name": "256 roots", "short": "256 roots", "lines": "max-roots", "tables": ("defaults.json",)},
    "bank-degrees": {"runs": "degrees_bank_*.json", "out": "bank_degrees.json", "page": "leaf-degrees.md",
                     "markers": ("<!-- generated: bank with leaf degrees -->", "<!-- end of bank with leaf degrees -->"),
                     "name": "bank with leaf degrees", "short": "degrees", "lines": "bank-degrees",
                     "method": "mirage-bank",
                     "tables": ("bank_multiclass.json", "bank_folds.json", "bank_mol.json", "bank_nci1.json",
                                "bank_dd.json", "bank_hiv.json")},
}


def _units(row: dict) -> dict:
    return unit_values(row["runs"])


def _settings(row: dict) -> str:
    seen = sorted({(s["hops"], s["per_class"]) for s in row.get("settings") or [] if s})
    return ", ".join(f"{h}/{k}" for h, k in seen)


def _paired(p: dict | None) -> dict | None:
    return None if p is None else {k: p[k] for k in ("mean", "low", "high", "units", "verdict")}


def compare(variant_rows: list[dict], table_rows: list[dict], method: str = "mirage-auto") -> list[dict]:
    """One record per dataset and GNN: ``method`` with and without the variant, paired over the same units."""
    ref = {(r["dataset"], r["model"], r["method"]): r for r in table_rows if r.get("budget") is None}
    out = []
    for r in variant_rows:
        if r["method"] != method or r.get("budget") is not None:
            continue
        key = (r["dataset"], r["model"])
        plain = ref.get(key + (method,))
        if plain is None:
            continue
        diff = paired(_units(r), _units(plain))
        diff["verdict"] = verdict(diff)
        plain_control = plain.get("paired", {}).get("permuted")
        out.append({
            "dataset": r["dataset"], "model": r["model"], "metric": r["metric"], "units": diff["units"],
            "plain": {"test_mean": plain["test_mean"], "macro_rocauc": plain.get("test_rocauc_macro_mean"),
                      "bytes": plain["bytes"], "fraction": plain["size_fraction"],
                      "settings": _settings(plain), "vs_permuted": _paired(plain_control),
                      "vs_full": _paired(plain.get("paired", {}).get("full"))},
            "variant": {"test_mean": r["test_mean"], "macro_rocauc": r.get("test_rocauc_macro_mean"),
                        "bytes": r["bytes"], "fraction": r["size_fraction"],
                        "settings": _settings(r), "vs_permuted": _paired(r.get("paired", {}).get("permuted")),
                        "vs_full": _paired(r.get("paired", {}).get("full"))},
            "variant_minus_plain": {k: diff[k] for k in ("mean", "low", "high", "units", "verdict")},
        })
    return sorted(out, key=lambda c: (c["dataset"], c["model"]))


def _pts(p: dict | None) -> str:
    if p is None:
        return "—"
    return f"{100 * p['mean']:+.1f} [{100 * p['low']:+.1f}, {100 * p['high']:+.1f}] {VERDICT_MARKS[p['verdict']]}"


def _macro(plain: dict, variant: dict) -> str:
    if plain.get("macro_rocauc") is None or variant.get("macro_rocauc") is None:
        return "—"
    return f"{100 * plain['macro_rocauc']:.1f} → {100 * variant['macro_rocauc']:.1f}"


def page_table(rows: list[dict], variant: str = "degrees") -> str:
    v = VARIANTS[variant]
    lines = [f"| dataset | GNN | default | {v['name']} | {v['short']} − default | default − control | "
             f"{v['name']} − control | {v['name']} − full | macro ROC-AUC (several classes) | "
             "settings (hops/per class) | % of the bytes |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in rows:
        p, d = c["plain"], c["variant"]
        settings = p["settings"] if p["settings"] == d["settings"] else f"{p['settings']} → {d['settings']}"
        lines.append(f"| {c['dataset']} | {c['model'].upper()} | {100 * p['test_mean']:.1f} | "
                     f"{100 * d['test_mean']:.1f} | {_pts(c['variant_minus_plain'])} | {_pts(p['vs_permuted'])} | "
                     f"{_pts(d['vs_permuted'])} | {_pts(d['vs_full'])} | {_macro(p, d)} | {settings} | "
                     f"{100 * p['fraction']:.2f} → {100 * d['fraction']:.2f} |")
    return "\n".join(lines)


def write_page(rows: list[dict], header: dict, page: Path, variant: str = "degrees") -> None:
    body = (f"Generated by `{header['command']}` from `benchmarks/results/{VARIANTS[variant]['out']}`; runs: "
            + "; ".join(f"`{c}`" for c in header["bench_commands"])
            + ". Test metric ×100 (ROC-AUC on binary data, accuracy on synthetic-motifs), mean over the units; "
              "differences paired over the same splits and seeds with 95 % intervals (↑ above zero, ↓ below, "
              "≈ contains it).\n\n" + page_table(rows, variant) + "\n")
    write_section(page, *VARIANTS[variant]["markers"], body)


def main(argv=None) -> int:
    try:
        return run(argv)
    except MirageError as e:  # a missing or unreadable result file, a page without its markers: one line
        raise SystemExit(f"prototype_variants.py: {e}") from None


def run(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("variant", choices=list(VARIANTS), help="which variant of the default's prototypes")
    p.add_argument("--runs", nargs="+", default=None, help="its mirage bench JSON (default: "
                   "benchmarks/results/degrees_*.json or roots_*.json)")
    p.add_argument("--tables", nargs="+", default=None, help="the rows to pair with (default: "
                   "benchmarks/results/tables.json; the bank tables, bank_*.json, for bank-degrees)")
    p.add_argument("--out", default=None, help="default: benchmarks/results/leaf_degrees.json or sampled_roots.json")
    p.add_argument("--page", default=None, help="default: docs/results/leaf-degrees.md or sampled-roots.md")
    p.add_argument("--from-json", action="store_true", help="the page again from --out")
    args = p.parse_args(argv)
    v = VARIANTS[args.variant]
    out = Path(args.out or RESULTS / v["out"])
    page = Path(args.page or ROOT / "docs" / "results" / v["page"])
    if args.from_json:
        blob = read_json(out)
    else:
        paths = result_paths(args.runs, RESULTS, v["runs"], f"run the {v['lines']} lines of benchmarks/tables.sh")
        rows, headers = read_results(paths)
        commands = [h["command"] for h in headers]
        header = {"command": "python benchmarks/prototype_variants.py " + " ".join(argv if argv is not None
                                                                                   else sys.argv[1:]),
                  "bench_commands": commands}
        tables = args.tables or [RESULTS / t for t in v.get("tables", ("tables.json",))]
        ref = [r for t in tables for r in json.loads(Path(t).read_text())["rows"]]
        blob = {"header": header, "rows": compare(rows, ref, v.get("method", "mirage-auto"))}
        out.write_text(json.dumps(blob, indent=1) + "\n")
    write_page(blob["rows"], blob["header"], page, args.variant)
    print(page_table(blob["rows"], args.variant))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
