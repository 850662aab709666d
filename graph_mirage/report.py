"""``mirage inspect``: a self-contained HTML report of a distilled set, with its PNG figures beside it.

The report shows the rank-frequency plot of computation trees per class (the skew Mirage relies on), the distilled
graphs drawn as trees (root on top), a per-class summary table and, given a benchmark result JSON, accuracy against
size for Mirage and the baselines. Everything comes from the distilled file's own metadata.
"""

from __future__ import annotations

import base64
import html
import json
import os
from pathlib import Path

import numpy as np

from .bank import ROOT_BYTES
from .distilled import DistilledDataset
from .errors import MirageError
from .fileio import atomic_directory

BOND_TYPES = {0: "-", 1: "=", 2: "#", 3: ":", 4: "?"}  # OGB bond_type index: single, double, triple, aromatic, misc
MAX_DRAWN_PER_CLASS = 6
MAX_LABELLED_NODES = 60


def write_report(artifact: str | os.PathLike, out_dir: str | os.PathLike, results: str | os.PathLike | None = None,
                 dataset_root: str | os.PathLike | None = None) -> Path:
    """Write ``index.html`` and its PNG figures into ``out_dir``; returns the HTML path.

    Raises:
        ArtifactError: the artifact is missing or not a valid distilled set.
        MirageError: the results file cannot be read.
    """
    try:
        import matplotlib
        import networkx  # noqa: F401 - the tree drawings need it
    except ImportError as e:
        raise MirageError(f"the report needs {e.name}, which is not installed: pip install 'graph-mirage[plot]'") \
            from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = DistilledDataset.load(artifact)
    res_rows = _read_results(results) if results else None
    out = Path(out_dir)

    def fill(tmp: Path) -> None:
        figures = [("rank_frequency.png", "Computation-tree frequencies per class (rank-frequency, log-log)",
                    lambda: _plot_rank_frequency(d))]
        for key, title, idx, _ in groups(d):
            figures.append((f"trees_{key}.png", f"Distilled graphs of {title}, drawn as trees (roots on top)",
                            lambda title=title, idx=idx: _plot_trees(d, title, idx)))
        if res_rows is not None:
            figures.append(("accuracy_vs_size.png", "Test metric against distilled size (benchmark results)",
                            lambda: _plot_results(res_rows, d.meta.get("dataset"))))
        for name, _, draw in figures:  # one open figure at a time (a multi-task set has many)
            fig = draw()
            fig.savefig(tmp / name, dpi=110, bbox_inches="tight")
            plt.close(fig)
        (tmp / "index.html").write_text(_html(d, artifact, figures, tmp), encoding="utf-8")

    atomic_directory(out, fill, "report directory")
    return out / "index.html"


def groups(d: DistilledDataset) -> list[tuple[str, str, list[int], int | str]]:
    """The distilled graphs by what they teach: per class, or for a multi-task set per (task, label). Each group is
    ``(file key, title, graph indices, training graphs with that label)``."""
    meta = d.meta
    y = d.y.numpy()
    if meta.get("num_tasks"):
        tasks = meta.get("tasks") or [str(t) for t in range(int(meta["num_tasks"]))]
        counts = meta.get("class_counts") or [["", ""]] * len(tasks)
        return [(f"task{t}_label{lab}", f"task {name} = {lab}", np.flatnonzero(y[:, t] == lab).tolist(),
                 counts[t][lab]) for t, name in enumerate(tasks) for lab in (0, 1) if (y[:, t] == lab).any()]
    y = y.reshape(-1)
    n_train = meta.get("class_graphs") or {str(c): n for c, n in enumerate(meta.get("class_counts", []))}
    return [(f"class{c}", class_title(meta, c), np.flatnonzero(y == c).tolist(), n_train.get(str(c), ""))
            for c in sorted(set(y.tolist()))]


def class_title(meta: dict, c) -> str:
    """``class 1``, or ``class 1 (active)`` where the set records its classes' names (a CSV's label column)."""
    return f"class {_class_label(meta, c)}"


def _class_label(meta: dict, c) -> str:
    names = meta.get("class_names")
    return f"{c} ({names[c]})" if names and isinstance(c, int) and 0 <= c < len(names) else str(c)


def _read_results(path) -> list[dict]:
    try:
        data = json.loads(Path(path).read_text())
        rows = data["rows"] if isinstance(data, dict) else data
        assert isinstance(rows, list)
        return rows
    except FileNotFoundError:
        raise MirageError(f"results file {path}: no such file; run the benchmark first") from None
    except (ValueError, KeyError, AssertionError):
        raise MirageError(f"results file {path}: not a benchmark result JSON (expected {{'rows': [...]}})") from None


# ----------------------------------------------------------------------------------------------------------------------
# figures
# ----------------------------------------------------------------------------------------------------------------------
def _plot_rank_frequency(d: DistilledDataset):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    drawn = False
    for c, freq in enumerate(d.tree_freq):
        if len(freq):
            ax.loglog(np.arange(1, len(freq) + 1), freq, marker=".", linestyle="-", markersize=3,
                      label=f"{class_title(d.meta, c)}: {len(freq)} distinct trees")
            drawn = True
    ax.set_xlabel("rank of computation tree")
    ax.set_ylabel("number of nodes with this tree")
    ax.set_title(f"{d.meta.get('dataset', '?')}: {d.meta.get('hops', '?')}-hop trees")
    if drawn:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no tree frequencies in this file", ha="center", transform=ax.transAxes)
    ax.grid(True, which="major", alpha=0.3)
    return fig


def _node_text(d: DistilledDataset, x_row) -> str:
    if d.meta.get("encoder") == "ogb":
        from rdkit import Chem

        try:
            return Chem.GetPeriodicTable().GetElementSymbol(int(x_row[0]) + 1)
        except RuntimeError:
            return "?"
    return str(int(x_row[0]))


def _edge_text(d: DistilledDataset, e_row) -> str:
    if d.meta.get("encoder") == "ogb":
        return BOND_TYPES.get(int(e_row[0]), "?")
    return str(int(e_row[0]))


def _plot_trees(d: DistilledDataset, title: str, members: list[int]):
    import matplotlib.pyplot as plt
    import networkx as nx

    idx = members[:MAX_DRAWN_PER_CLASS]
    cols = min(3, len(idx))
    rows = -(-len(idx) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 4.2 * rows), squeeze=False)
    for ax in axes.ravel():
        ax.axis("off")
    for ax, i in zip(axes.ravel(), idx):
        g = d[i]
        tree = nx.DiGraph()
        tree.add_nodes_from(range(g.num_nodes))
        parent_of = {}
        for (child, parent) in g.edge_index.t().tolist():
            tree.add_edge(parent, child)  # drawn parent -> child
            parent_of[child] = parent
        depth = {}
        for v in range(g.num_nodes):  # children always come after parents (breadth-first emission)
            depth[v] = 0 if v not in parent_of else depth[parent_of[v]] + 1
        nx.set_node_attributes(tree, depth, "depth")
        pos = nx.multipartite_layout(tree, subset_key="depth", align="horizontal")
        ys = {depth[v]: p[1] for v, p in pos.items()}
        if len(ys) > 1 and ys[0] < ys[max(ys)]:  # make the roots the top row
            pos = {v: (p[0], -p[1]) for v, p in pos.items()}
        roots = g.root_mask.numpy()
        colours = ["#d62728" if roots[v] else "#1f77b4" for v in range(g.num_nodes)]
        small = g.num_nodes <= MAX_LABELLED_NODES
        nx.draw_networkx_edges(tree, pos, ax=ax, arrows=False, width=0.6, alpha=0.6)
        nx.draw_networkx_nodes(tree, pos, ax=ax, node_color=colours, node_size=160 if small else 12)
        if small:
            nx.draw_networkx_labels(tree, pos, {v: _node_text(d, g.x[v]) for v in range(g.num_nodes)}, ax=ax,
                                    font_size=7, font_color="white")
            elabels = {(p, ch): _edge_text(d, g.edge_attr[k]) for k, (ch, p) in enumerate(g.edge_index.t().tolist())}
            nx.draw_networkx_edge_labels(tree, pos, elabels, ax=ax, font_size=6, rotate=False)
        n_roots = int(roots.sum())
        what = "cluster of" if d.meta.get("prototypes") else "support"
        ax.set_title(f"graph {i}: {n_roots} root tree{'s' if n_roots != 1 else ''}, {g.num_nodes} nodes, "
                     f"{what} {float(g.weight):.0f}", fontsize=9)
    fig.suptitle(f"{title} (red: roots; {len(idx)} of {len(members)} shown)", fontsize=11)
    return fig


def _plot_results(rows: list[dict], dataset: str | None):
    import matplotlib.pyplot as plt

    # cells that could not be made, classic controls (no set) and permuted-label controls have no point of their own
    rows = [r for r in rows if r.get("test_mean") is not None and r.get("bytes") and "~" not in r["method"]]
    sel = [r for r in rows if r.get("dataset") == dataset] or rows
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    markers = {"full": "*", "mirage": "o", "mirage-s2": "P", "mirage+ctx": "D", "herding": "s", "random": "^"}
    for method in sorted({r["method"] for r in sel}):
        pts = [r for r in sel if r["method"] == method]
        ax.errorbar([r["bytes"] for r in pts], [r["test_mean"] for r in pts], yerr=[r["test_std"] for r in pts],
                    fmt=markers.get(method, "o"), label=method, capsize=3, markersize=7, alpha=0.85)
        for r in pts:
            ax.annotate(r["model"], (r["bytes"], r["test_mean"]), fontsize=6, xytext=(3, 3),
                        textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel("training-set size (bytes, log)")
    ax.set_ylabel(f"test {sel[0].get('metric', 'metric') if sel else 'metric'} (mean ± std)")
    ax.set_title(f"{dataset if any(r.get('dataset') == dataset for r in rows) else 'all datasets'}: "
                 f"accuracy vs size")
    ax.legend(fontsize=8)
    ax.grid(True, alpha=0.3)
    return fig


# ----------------------------------------------------------------------------------------------------------------------
# page
# ----------------------------------------------------------------------------------------------------------------------
def _class_table(d: DistilledDataset) -> str:
    meta = d.meta
    full = meta.get("full_bytes") or 0
    rows = []
    for key, title, idx, n_train in groups(d):
        gs = [d[i] for i in idx]
        sup = [float(g.weight) for g in gs]
        nodes = sum(g.num_nodes for g in gs)
        edges = sum(g.edge_index.size(1) for g in gs)
        if d.bank is None:
            nbytes = sum(sum(t.numel() * t.element_size() for t in (g.x, g.edge_index, g.edge_attr, g.root_mask, g.y,
                                                                     g.weight)) for g in gs)
        else:  # a bank set: the graphs' root ids and weights, labels and supports (the trees are the bank's row)
            nbytes = sum(ROOT_BYTES * int(g.root_mask.sum()) + g.y.element_size() + g.weight.element_size()
                         for g in gs)
        c = key.removeprefix("class")  # a class's support threshold is keyed by its number
        rows.append(f"<tr><td>{html.escape(title)}</td><td>{n_train}</td><td>{len(gs)}</td>"
                    f"<td>{meta.get('thresholds', {}).get(c, '') if not meta.get('num_tasks') else ''}</td>"
                    f"<td>{min(sup):.0f} / {np.median(sup):.0f} / {max(sup):.0f}</td><td>{nodes}</td>"
                    f"<td>{edges}</td><td>{nbytes:,}</td></tr>")
    total = d.nbytes()
    if d.bank is not None:
        bank_bytes = d.bank.dag_nbytes()
        rows.append(f"<tr><td>tree bank (shared)</td><td></td><td></td><td></td><td></td>"
                    f"<td>{d.bank.dag.num_nodes}</td><td>{d.bank.dag.edge_index.size(1)}</td><td>{bank_bytes:,}</td></tr>")
    rows.append(f"<tr class='total'><td>all</td><td>{meta.get('train_graphs', '')}</td><td>{len(d)}</td><td></td>"
                f"<td></td><td>{d.summary()['nodes']}</td><td>{d.summary()['edges']}</td>"
                f"<td>{total:,}</td></tr>")
    compression = f"{full / total:.1f}x smaller than the training split ({full:,} bytes)" if full else ""
    kind = {"mirage": "itemsets", "mirage-auto": "prototypes", "mirage-proto": "prototypes", "herding": "real graphs",
            "random": "real graphs"}.get(meta.get("method"), "synthetic graphs")
    weight = "cluster size" if kind == "prototypes" else "support"
    group = "task and label" if meta.get("num_tasks") else "class"
    return (f"<table><tr><th>{group}</th><th>training graphs</th><th>distilled graphs ({kind})</th>"
            f"<th>support threshold</th><th>{weight} min / median / max</th><th>nodes</th><th>edges</th>"
            f"<th>bytes</th></tr>{''.join(rows)}</table><p>Compression: {compression}</p>")


def _prototype_table(d: DistilledDataset) -> str:
    """Per prototype: its class, cluster size, root trees and their weights (the occurrences each stands for)."""
    protos = d.meta.get("prototypes")
    if not protos:
        return ""
    rows = []
    for i, (c, size, trees) in enumerate(protos):
        g = d[i]
        w = g.root_weight[g.root_mask].tolist() if getattr(g, "root_weight", None) is not None else []
        shown = ", ".join(f"{t}×{x:.1f}" for t, x in list(zip(trees, w))[:8]) + (" ..." if len(trees) > 8 else "")
        rows.append(f"<tr><td>{i}</td><td>{html.escape(_class_label(d.meta, c))}</td><td>{size}</td>"
                    f"<td>{len(trees)}</td><td>{sum(w):.1f}</td>"
                    f"<td>{g.num_nodes}</td><td><code>{html.escape(shown)}</code></td></tr>")
    return ("<h2>Prototypes</h2><table><tr><th>graph</th><th>class</th><th>cluster size</th><th>root trees</th>"
            "<th>nodes it stands for</th><th>DAG nodes</th><th>tree id × weight (first 8)</th></tr>"
            f"{''.join(rows)}</table>")


def _auto_table(d: DistilledDataset) -> str:
    """The automatic settings: the choice, the rule, and every candidate's score."""
    auto = d.meta.get("auto")
    if not auto:
        return ""
    s = auto["settings"]
    rows = []
    for c in auto["candidates"]:
        val = f"{c['val']:.4f} ± {c['val_se']:.4f}" if c.get("scored") else "not scored (above the byte cap)"
        mark = " class='total'" if c.get("chosen") else ""
        rows.append(f"<tr{mark}><td>{c['hops']}</td><td>{c['per_class']}</td><td>{c['graphs']}</td>"
                    f"<td>{c['bytes']:,}</td><td>{100 * c['fraction']:.3f}</td><td>{val}</td></tr>")
    return (f"<h2>Automatic settings</h2><p>Chosen: hops {s['hops']}, {s['per_class']} prototype(s) per class, "
            f"{s['readout']} readout (scored on the {html.escape(auto.get('scored_on', ''))}). Rule: "
            f"{html.escape(auto.get('rule', ''))}.</p><table><tr><th>hops</th><th>per class</th><th>graphs</th>"
            f"<th>bytes</th><th>% of the training bytes</th><th>validation score</th></tr>{''.join(rows)}</table>")


def _html(d: DistilledDataset, artifact, figures, out: Path) -> str:
    meta = d.meta
    facts = {k: meta.get(k) for k in ("dataset", "method", "hops", "split_kind", "split_seed", "trees_unique",
                                      "max_degree", "package_version")}
    facts["params"] = json.dumps(meta.get("params", {}))
    fact_rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape('n/a' if v is None else str(v))}</td></tr>"
                        for k, v in facts.items())
    sections = []
    for name, caption, _ in figures:
        data = base64.b64encode((out / name).read_bytes()).decode()
        sections.append(f"<figure><img src='data:image/png;base64,{data}' alt='{html.escape(caption)}'>"
                        f"<figcaption>{html.escape(caption)} (<a href='{name}'>{name}</a>)</figcaption></figure>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>graph-mirage report: {html.escape(str(meta.get('dataset')))}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1100px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; }} th, td {{ border: 1px solid #ccc; padding: 4px 8px; }}
th {{ background: #f3f3f3; text-align: left; }} tr.total td {{ font-weight: bold; }}
figure {{ margin: 1.5em 0; }} img {{ max-width: 100%; border: 1px solid #eee; }}
figcaption {{ color: #555; font-size: 0.9em; }}
</style></head><body>
<h1>graph-mirage report</h1>
<p>Distilled set <code>{html.escape(str(artifact))}</code>: {len(d)} graphs, {d.summary()['nodes']} nodes,
{d.nbytes():,} bytes.</p>
<h2>Source and settings</h2><table>{fact_rows}</table>
<h2>{'Per task and label' if meta.get('num_tasks') else 'Per class'}</h2>{_class_table(d)}
{_auto_table(d)}
{_prototype_table(d)}
<h2>Figures</h2>{''.join(sections)}
</body></html>
"""
