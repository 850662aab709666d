"""What ``mirage run`` prints: the split, the distillation, and the two training sets side by side."""

from __future__ import annotations

from .commands import fmt_bytes


def print_run(outcome, seeds: int) -> None:
    ds, summary, on_set, full = outcome.dataset, outcome.distilled.summary, outcome.on_set, outcome.full
    m = on_set["metric"]
    print(f"dataset {ds.name}: {len(ds)} graphs, split {len(ds.split['train'])}/{len(ds.split['valid'])}/"
          f"{len(ds.split['test'])}")
    how = (f"automatic settings: {summary['settings']['per_class']} prototype(s) per class" if "settings" in summary
           else "Mirage")
    print(f"distilled with {how} (hops={summary['hops']}) in {summary['seconds']:.2f} s: {summary['graphs']} graphs, "
          f"{summary['nodes']} nodes; {on_set['readout']} readout")
    print()
    print(f"{'training set':<14} {'graphs':>7} {'bytes':>10} {'size':>8}  test {m} (mean ± std, {seeds} seeds)"
          f"  last epoch   accuracy  train s/run")
    rows = [("Mirage", on_set, summary["graphs"], summary["bytes"])]
    if full:
        rows.append(("full", full, len(ds.split["train"]), summary["full_bytes"]))
    for label, r, g, b in rows:
        acc = r.get("test_accuracy_mean", float("nan"))
        print(f"{label:<14} {g:>7} {fmt_bytes(b):>10} {b / summary['full_bytes']:>8.2%}  "
              f"{r['test_mean']:.4f} ± {r['test_std']:.4f}{'':>17}{r['test_last_mean']:>10.4f} {acc:>10.4f}"
              f"{r['train_seconds']:>12.1f}")
    print(f"\ncompression: the distilled set is {summary['compression']}x smaller than the training split")
