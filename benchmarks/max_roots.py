"""Prototypes with more roots: the default's rule at one byte cap with ``--max-roots`` raised, against the same rule
with the default's 32 roots, read from two ``mirage bench`` files made with the same ``--fractions``.

    python benchmarks/max_roots.py [--more benchmarks/results/maxroots_dd_256.json]
                                   [--base benchmarks/results/maxroots_dd_32.json]

With ``--coverage DATASET ...``, also the share of its cluster's tree mass (nodes) each prototype of the default set
keeps in its roots, per dataset (the default's choice on the validation split, as ``mirage distill`` makes it), and
how often its last roots are picked from a tie: trees exactly as frequent in the cluster as the last root kept, more
of them than were kept, taken in tree-id order; and the share of its roots' label mass on other node labels than its
cluster's (total variation), with the top rule and with ``roots="sampled"`` at the same setting.

Per dataset, GNN and fraction: both sets' test scores, each one's margin over its own permuted control, and the
paired differences (same seeds) of the scores and of the margins, with the first set against full data and herding
at the same bytes. Prints the table, writes ``benchmarks/results/max_roots.json`` and the table into
``docs/results/max-roots.md`` between its markers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from graph_mirage.bench.tables import replace_section
from graph_mirage.stats import VERDICT_MARKS, interval, paired, units, verdict

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
MARKERS = ("<!-- generated: max roots -->", "<!-- end of max roots -->")


def per_seed(row: dict | None) -> dict:
    if row is None:
        return {}
    return units([{"split": r.get("split", 0), "seed": r["seed"], "value": r.get("test")} for r in row["runs"]])


def find(rows: list[dict], dataset: str, model: str, method: str, budget) -> dict | None:
    return next((r for r in rows if (r["dataset"], r["model"], r["method"], r.get("budget")) ==
                 (dataset, model, method, budget) and not r.get("error")), None)


def margin(rows: list[dict], r: dict) -> dict:
    """Per seed, ``r``'s score minus its own permuted control's."""
    control = per_seed(find(rows, r["dataset"], r["model"], r["method"] + "~permuted", r.get("budget")))
    return {k: v - control[k] for k, v in per_seed(r).items() if k in control}


def compare(more: list[dict], base: list[dict], max_roots: int) -> list[dict]:
    out = []
    for r in more:
        if r["method"] != "mirage-auto" or r.get("budget") is None:
            continue
        d, m, f = r["dataset"], r["model"], r["budget"]
        b = find(base, d, m, "mirage-auto", f)
        if b is None:
            continue
        mine = per_seed(r)
        out.append({
            "dataset": d, "model": m, "fraction": f, "max_roots": max_roots, "metric": r["metric"],
            "more": {"test_mean": r["test_mean"], "test_std": r["test_std"], "bytes": r["bytes"],
                     "graphs": r["graphs"], "settings": r.get("settings")},
            "base": {"test_mean": b["test_mean"], "test_std": b["test_std"], "bytes": b["bytes"],
                     "graphs": b["graphs"], "settings": b.get("settings")},
            "more_minus_base": paired(mine, per_seed(b)),
            "margin_more": interval(list(margin(more, r).values())),
            "margin_base": interval(list(margin(base, b).values())),
            "margin_more_minus_base": paired(margin(more, r), margin(base, b)),
            "more_minus_full": paired(mine, per_seed(find(more, d, m, "full", None))),
            "more_minus_herding": paired(mine, per_seed(find(more, d, m, "herding-bytes", f))),
        })
    return out


def _d(p: dict) -> str:
    if not p or p.get("n", 0) < 2:
        return ""
    return (f"{100 * p['mean']:+.1f} [{100 * p['low']:+.1f}, {100 * p['high']:+.1f}]"
            + (f" {VERDICT_MARKS[verdict(p)]}" if "beats" in p else ""))


def coverage(name: str) -> dict:
    """The default set of ``name``: per prototype, the share of its cluster's mean tree counts its roots keep."""
    import numpy as np

    from graph_mirage import AutoPrototypes, TreePrototypes, load_dataset
    from graph_mirage.prototypes import tree_counts

    ds = load_dataset(name)
    train = ds[ds.split["train"]]
    auto = AutoPrototypes().fit(train, validation=ds[ds.split["valid"]])
    best = auto.best_estimator_
    flat = train.flat()
    trees = tree_counts(flat, best.hops)
    counts = trees.counts
    kept, ties = [], []
    for (_, roots, _), members in zip(best.prototypes_, best.members_):
        mean = np.asarray(counts[members].mean(0)).ravel()
        kept.append(float(mean[roots].sum() / mean.sum()))
        # the trees as frequent as the last root kept: where more of them exist than were kept, the cut fell inside
        # a tie and the roots among them are those of the lowest tree ids (the stable order of equal counts)
        last = mean[roots[-1]]
        ties.append((int(np.isclose(mean[roots], last, rtol=0, atol=1e-12).sum()),
                     int(np.isclose(mean[mean > 0], last, rtol=0, atol=1e-12).sum())))
    cut = [(k, n) for k, n in ties if n > k]
    sampled = TreePrototypes(**{**best.get_params(), "roots": "sampled"}).fit(train)
    return {"dataset": name, "settings": auto.best_params_, "prototypes": len(kept), "max_roots": best.max_roots,
            "roots_mean": float(np.mean([len(r) for _, r, _ in best.prototypes_])),
            "mass_kept_mean": float(np.mean(kept)), "mass_kept_min": float(np.min(kept)),
            "cut_in_tie": len(cut), "tie_roots_mean": float(np.mean([k for k, _ in cut])) if cut else 0.0,
            "tie_trees_mean": float(np.mean([n for _, n in cut])) if cut else 0.0,
            "label_tv_mean": label_tv(best, flat, trees.colours),
            "label_tv_sampled_mean": label_tv(sampled, flat, trees.colours)}


def label_tv(est, flat, colours) -> float:
    """The mean over ``est``'s prototypes of the total variation between its roots' node labels (weighted) and its
    cluster's mean node labels: the share of the label mass a prototype puts on other labels than its cluster's.
    ``colours``: the WL colours of the graphs ``flat`` it was fitted on, rounds 0..its hops."""
    import numpy as np

    from graph_mirage.roots import tree_labels

    of_tree, labels = tree_labels(colours), colours[0]
    per_graph = np.zeros((flat.num_graphs, int(labels.max()) + 1))
    np.add.at(per_graph, (flat.graph_of_node, labels), 1)
    out = []
    for (_, roots, w), members in zip(est.prototypes_, est.members_):
        got = np.bincount(of_tree[roots], weights=w, minlength=per_graph.shape[1])
        want = per_graph[members].mean(0)
        out.append(0.5 * float(np.abs(got / got.sum() - want / want.sum()).sum()))
    return float(np.mean(out))


def coverage_table(rows: list[dict]) -> str:
    lines = ["| dataset | default's setting | roots per prototype (mean) | share of its cluster's nodes kept: mean "
             "(lowest) | prototypes cut inside a tie | there: roots taken from the tie / tied trees (mean) | label mass "
             "on other labels than the cluster's: top roots / sampled (`by-label`: 0) |",
             "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['dataset']} | hops {r['settings']['hops']}, {r['settings']['per_class']} per class | "
              f"{r['roots_mean']:.1f} | {100 * r['mass_kept_mean']:.0f} % ({100 * r['mass_kept_min']:.0f} %) | "
              + (f"{r['cut_in_tie']} of {r['prototypes']} | {r['tie_roots_mean']:.1f} / {r['tie_trees_mean']:.1f} |"
                 if "cut_in_tie" in r else " | |")
              + (f" {100 * r['label_tv_mean']:.0f} % / {100 * r['label_tv_sampled_mean']:.0f} % |"
                 if "label_tv_mean" in r else " |")
              for r in rows]
    return "\n".join(lines) + "\n"


def table(rows: list[dict]) -> str:
    lines = ["| dataset | GNN | % of the bytes | 32 roots (setting) [margin over control] | more roots (setting) "
             "[margin] | more − 32 | margin: more − 32 | more − full | more − herding |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        def cell(side: str, m: dict) -> str:
            s = r[side]
            setting = s["settings"][0] if s.get("settings") else {}
            return (f"{100 * s['test_mean']:.1f} ± {100 * s['test_std']:.1f} (hops {setting.get('hops')}, "
                    f"{setting.get('per_class')} per class) [{_d(m)}]")

        lines.append(f"| {r['dataset']} | {r['model'].upper()} | {100 * r['fraction']:g} | "
                     f"{cell('base', r['margin_base'])} | {cell('more', r['margin_more'])} | "
                     f"{_d(r['more_minus_base'])} | {_d(r['margin_more_minus_base'])} | "
                     f"{_d(r['more_minus_full'])} | {_d(r['more_minus_herding'])} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--more", default=str(RESULTS / "maxroots_dd_256.json"))
    p.add_argument("--base", default=str(RESULTS / "maxroots_dd_32.json"))
    p.add_argument("--page", default=str(ROOT / "docs" / "results" / "max-roots.md"))
    p.add_argument("--coverage", nargs="*", default=[], metavar="DATASET",
                   help="also the default set's root coverage on these datasets (else: as last written)")
    p.add_argument("--out", default=str(RESULTS / "max_roots.json"), help="the JSON written (and read for the coverage)")
    args = p.parse_args(argv)
    out = Path(args.out)
    before = json.loads(out.read_text()) if out.exists() else {}
    cover = [coverage(name) for name in args.coverage] or before.get("coverage", [])
    more, base = (json.loads(Path(x).read_text()) for x in (args.more, args.base))
    max_roots = more["header"].get("max_roots")
    rows = compare(more["rows"], base["rows"], max_roots)
    header = {"command": "python benchmarks/max_roots.py " + " ".join(sys.argv[1:] if argv is None else argv),
              "more": more["header"]["command"], "base": base["header"]["command"]}
    if not args.coverage and before.get("header", {}).get("command"):  # the coverage as that command computed it
        header["command"] = before["header"]["command"]
    text = (f"Generated by `{header['command']}` into `benchmarks/results/max_roots.json`; runs: `{header['more']}`; "
            f"`{header['base']}`. Test ROC-AUC ×100, mean ± std over 10 seeds; margins and differences paired over "
            "the same seeds with 95 % intervals (↑ above zero, ↓ below, ≈ contains it).\n\n"
            + (coverage_table(cover) + "\n" if cover else "") + table(rows))
    print(text)
    out.write_text(json.dumps({"header": header, "rows": rows, "coverage": cover}, indent=1) + "\n")
    page = Path(args.page)
    if page.exists() and MARKERS[0] in page.read_text():
        page.write_text(replace_section(page.read_text(), *MARKERS, text))
    return 0


if __name__ == "__main__":
    sys.exit(main())
