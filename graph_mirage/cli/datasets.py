"""``mirage datasets``: which datasets are known and found, and their statistics (read from the processed-data
cache when the dataset was processed before, without loading it)."""

from __future__ import annotations

import json
from pathlib import Path

from ..workflows.settings import DataSettings


def _found(spec, root) -> Path | None:
    from ..data.sources import source_for

    return source_for(spec, root).raw()


def _attributes(spec, found: Path, loaded: bool) -> dict:
    """Whether a TU dataset's raw files hold continuous node attributes, how many per node, and whether this command
    loaded them: they are off unless ``--node-attributes`` is given, which a user could not tell otherwise."""
    from ..data.loading import attributes_file

    path = attributes_file(spec, found)
    if path is None:
        return {}
    with path.open() as f:
        first = f.readline().strip()
    return {"node_attributes": len(first.split(",")) if first else 0, "node_attributes_loaded": loaded}


def _stats(name: str, data: DataSettings) -> dict:
    """:func:`~graph_mirage.data.dataset_stats` of ``name`` with ``data``'s split, from the cache when possible."""
    from dataclasses import replace

    from ..data.loading import cached_meta
    from ..data.registry import is_csv_path
    from ..data.splits import random_split_sizes

    meta = None if is_csv_path(name) else cached_meta(name, data.root)  # a CSV's cache depends on its columns
    # the cached statistics are the raw files' (binned degrees are applied after loading: their labels differ)
    if meta is not None and "stats" in meta and data.folds is None and not data.degree_bins:
        st = meta["stats"]
        if meta.get("split_sizes"):
            split = meta["split_sizes"]
        else:
            split = random_split_sizes(list(st["class_counts"].values()), data.stratify)
        return {"name": meta["name"], "kind": meta["kind"], **st, "split": split,
                "split_kind": meta.get("split_kind"), "source": meta.get("source", ""),
                "skipped": int(meta.get("skipped", 0))}
    from ..data import dataset_stats

    return dataset_stats(replace(data, dataset=name).load())


def show_datasets(args, data: DataSettings) -> int:
    from ..config.datasets import DATASETS
    from ..data.registry import default_root, found_tu_names, resolve_spec

    data.check()
    root = Path(args.root) if args.root else default_root()
    names = [args.name] if args.name else list(DATASETS) + found_tu_names(root)
    rows = []
    for name in names:
        spec = resolve_spec(name, root)
        found = _found(spec, root)
        row = {"name": spec.name, "kind": spec.kind, "description": spec.description, "in_paper": spec.in_paper,
               "found": found is not None, "path": str(found) if found else None}
        if found is not None and (args.name or args.stats):
            row.update(_stats(name if spec.kind == "csv" else spec.name, data))
            row.update(_attributes(spec, found, data.node_attributes))
        rows.append(row)
    if args.json:
        print(json.dumps(rows[0] if args.name else rows, indent=1))
        return 0
    if args.name:
        from .output import fmt_per

        row = rows[0]
        if "node_attributes" in row:  # one line that says what the flag does
            row["node_attributes"] = (f"{row['node_attributes']} continuous per node, "
                                      + ("loaded" if row.pop("node_attributes_loaded") else
                                         "not loaded (--node-attributes loads them)"))
        for k, v in row.items():
            print(f"{k:>22}: {fmt_per(v, 'graphs per class') if k == 'class_counts' else v}")
        return 0
    print(f"data root: {root}")
    header = f"{'dataset':<18} {'kind':<10} {'found':<6} description"
    if args.stats:
        header += "  [graphs, classes, avg nodes/edges, split]"
    print(header)
    for r in rows:
        line = f"{r['name']:<18} {r['kind']:<10} {'yes' if r['found'] else 'no':<6} {r['description']}"
        if args.stats and r["found"]:
            line += (f"  [{r['graphs']}, {r['classes']}, {r['avg_nodes']}/{r['avg_edges']}, "
                     f"{r['split']['train']}/{r['split']['valid']}/{r['split']['test']}]")
        print(line)
    return 0
