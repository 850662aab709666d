"""How much of a distilled set's gap to full data is depth: full data trained at the set's own depth.

The default chooses its trees' depth on validation (one hop on NCI1, DD, ogbg-moltox21 and the TU fold datasets,
three on ogbg-molbace), and a GNN trained on the set has that many layers; the tables' full-data reference has two.
``mirage bench --methods full --full-layers L`` trains the same full-data reference (its recipe chosen on validation,
the same seeds and folds) with L layers. This script sets it beside the tables' rows (``defaults.json``): per dataset
and GNN, the default's set (depth L), full data at depth L and at the tables' depth 2, and the paired differences
set − full data at L (what the distillation loses at its own depth) and full data at 2 − at L (what the depth the
set was made for gives up):

    python benchmarks/depth_gap.py [--depth benchmarks/results/full_depth_*.json]

Writes ``benchmarks/results/depth_gap.json`` and its table in docs/results/README.md (``--page``: only the table,
from the committed JSON).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parents[1] / "benchmarks" / "results"
PAGE = RESULTS.parents[1] / "docs" / "results" / "README.md"
START, END = "<!-- generated: depth gap -->", "<!-- end of depth gap -->"
DEEP_START, DEEP_END = "<!-- generated: deeper sets -->", "<!-- end of deeper sets -->"
MODELS = ("gcn", "gat", "gin")


def _units(row: dict) -> dict:
    """The row's independent units, as the tables pair them (folds averaged over their seeds)."""
    from graph_mirage.bench.rows import unit_values

    return unit_values(row["runs"])


def _paired(a: dict, b: dict) -> dict:
    """Row ``a`` − row ``b`` over the units both have: mean, 95 % interval, units."""
    from graph_mirage.stats import paired

    return {k: v for k, v in paired(_units(a), _units(b)).items() if k in ("mean", "low", "high", "units")}


def compare(table: dict, depth_files: list[dict]) -> list[dict]:
    """One record per dataset and GNN that a depth file has at the depth of the table's default set."""
    rows = {(r["dataset"], r["model"], r["method"]): r for r in table["rows"] if r.get("runs")}
    out = []
    for blob in depth_files:
        layers = blob["header"]["full_layers"]
        for full_l in (r for r in blob["rows"] if r["method"] == "full" and r.get("runs")):
            key = (full_l["dataset"], full_l["model"])
            s, full_2 = rows.get((*key, "mirage-auto")), rows.get((*key, "full"))
            if s is None or full_2 is None:
                continue
            hops = sorted({h["hops"] for h in s.get("settings") or []})
            if hops != [layers]:
                raise SystemExit(f"{key[0]}: the default's set has depth {hops}, the full data of the depth file "
                                 f"{layers} layers")
            out.append({"dataset": key[0], "model": key[1], "hops": layers, "metric": s["metric"],
                        "set": {k: s[k] for k in ("test_mean", "test_std")},
                        "full_at_hops": {k: full_l[k] for k in ("test_mean", "test_std", "recipes")},
                        "full_at_2": {k: full_2[k] for k in ("test_mean", "test_std", "recipes")},
                        "set_minus_full_at_hops": _paired(s, full_l),
                        "full_2_minus_full_at_hops": _paired(full_2, full_l)})
    return _sorted(out)


def _sorted(recs: list[dict]) -> list[dict]:
    order = {m: i for i, m in enumerate(MODELS)}
    return sorted(recs, key=lambda r: (r["dataset"], order.get(r["model"], 9)))


def deeper(table: dict, deep_files: list[dict]) -> list[dict]:
    """The default's rule held to deeper trees (``mirage bench --hops``) beside the default, per dataset and GNN: each
    set's test score, its margin over its own permuted control, and deeper − default, paired."""
    rows = {(r["dataset"], r["model"], r["method"]): r for r in table["rows"] if r.get("runs")}
    out = []
    for blob in deep_files:
        by = {(r["dataset"], r["model"], r["method"]): r for r in blob["rows"] if r.get("runs")}
        for (dataset, model, method), d in by.items():
            base = rows.get((dataset, model, method))
            if method != "mirage-auto" or base is None:
                continue
            dc, bc = by[(dataset, model, method + "~permuted")], rows[(dataset, model, method + "~permuted")]
            out.append({"dataset": dataset, "model": model, "settings": d["settings"][0],
                        "default_settings": base["settings"][0], "bytes_fraction": d["size_fraction"],
                        "default_bytes_fraction": base["size_fraction"],
                        "deeper": {k: d[k] for k in ("test_mean", "test_std")},
                        "default": {k: base[k] for k in ("test_mean", "test_std")},
                        "deeper_minus_default": _paired(d, base),
                        "deeper_margin": _paired(d, dc),
                        "default_margin": _paired(base, bc)})
    return _sorted(out)


def _iv(q: dict) -> str:
    mark = "↑" if q["low"] > 0 else "↓" if q["high"] < 0 else "≈"
    return f"{100 * q['mean']:+.1f} [{100 * q['low']:+.1f}, {100 * q['high']:+.1f}] {mark}"


def table(recs: list[dict]) -> str:
    lines = ["| dataset | GNN | set's depth L | default set | full data, L layers | full data, 2 layers (tables) | "
             "set − full at L | full: 2 layers − L |", "|---|---|---:|---|---|---|---|---|"]
    for r in recs:
        cells = [f"{100 * r[k]['test_mean']:.1f} ± {100 * r[k]['test_std']:.1f}"
                 for k in ("set", "full_at_hops", "full_at_2")]
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {r['hops']} | {' | '.join(cells)} | "
                     f"{_iv(r['set_minus_full_at_hops'])} | {_iv(r['full_2_minus_full_at_hops'])} |")
    return "\n".join(lines) + "\n"


def deeper_table(recs: list[dict]) -> str:
    lines = ["| dataset | GNN | default (setting, % of the bytes) [margin over its control] | deeper (setting, %) "
             "[margin] | deeper − default |", "|---|---|---|---|---|"]

    def cell(r, k, settings, frac, margin):
        st = r[settings]
        return (f"{100 * r[k]['test_mean']:.1f} ± {100 * r[k]['test_std']:.1f} (hops {st['hops']}, {st['per_class']} "
                f"per class, {100 * r[frac]:.2f} %) [{_iv(r[margin])}]")

    for r in recs:
        lines.append(f"| {r['dataset']} | {r['model'].upper()} | "
                     f"{cell(r, 'default', 'default_settings', 'default_bytes_fraction', 'default_margin')} | "
                     f"{cell(r, 'deeper', 'settings', 'bytes_fraction', 'deeper_margin')} | "
                     f"{_iv(r['deeper_minus_default'])} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default=str(RESULTS / "defaults.json"))
    p.add_argument("--depth", nargs="+", default=None,
                   help="mirage bench --full-layers results (default: benchmarks/results/full_depth_*.json)")
    p.add_argument("--deeper", nargs="+", default=None,
                   help="mirage bench --hops results of the default's rule held to deeper trees (default: "
                        "benchmarks/results/deep_*.json)")
    p.add_argument("--out", default=str(RESULTS / "depth_gap.json"))
    p.add_argument("--page", action="store_true", help="only rewrite the page's table from --out")
    args = p.parse_args(argv)
    if args.page:
        blob = json.loads(Path(args.out).read_text())
        recs, deep = blob["rows"], blob["deeper"]
    else:
        paths = [Path(x) for x in args.depth] if args.depth else sorted(RESULTS.glob("full_depth_*.json"))
        deep_paths = [Path(x) for x in args.deeper] if args.deeper else sorted(RESULTS.glob("deep_*.json"))
        base = json.loads(Path(args.table).read_text())
        recs = compare(base, [json.loads(x.read_text()) for x in paths])
        deep = deeper(base, [json.loads(x.read_text()) for x in deep_paths])
        header = {"command": " ".join(["python benchmarks/depth_gap.py", *(sys.argv[1:] if argv is None else argv)]),
                  "table": Path(args.table).name, "depth_files": [x.name for x in paths],
                  "deeper_files": [x.name for x in deep_paths],
                  "commands": [json.loads(x.read_text())["header"]["command"] for x in paths + deep_paths]}
        Path(args.out).write_text(json.dumps({"header": header, "rows": recs, "deeper": deep}, indent=1) + "\n")
    if Path(args.out).resolve().parent == RESULTS.resolve() and START in PAGE.read_text():
        from graph_mirage.bench.tables import write_section

        write_section(PAGE, START, END, table(recs))
        write_section(PAGE, DEEP_START, DEEP_END, deeper_table(deep))
    print(table(recs))
    print(deeper_table(deep))
    return 0


if __name__ == "__main__":
    sys.exit(main())
