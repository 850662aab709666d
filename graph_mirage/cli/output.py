"""What the commands print: sizes, a training result on one line, and ``mirage run``'s side-by-side table."""

from __future__ import annotations


def fmt_bytes(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GB"


def fmt_per(per: dict, unit: str, limit: int = 12) -> str:
    """Graphs per class (or per task) as a summary line says them: the mapping itself for up to
    ``limit`` entries, else its range and how many (a 100-class dataset's mapping is a paragraph)."""
    if len(per) <= limit:
        return f"{per} {unit}"
    lo, hi = min(per.values()), max(per.values())
    return f"{lo if lo == hi else f'{lo}-{hi}'} {unit}, {len(per)} {'tasks' if 'task' in unit else 'classes'}"


def describe_lines(info: dict) -> str:
    """``mirage inspect FILE``: :func:`~graph_mirage.workflows.files.describe` in a few lines."""
    made = f"{info['method']} set of {info['dataset']}" + (f" (graph-mirage {info['package_version']})"
                                                           if info.get("package_version") else "")
    per = fmt_per(info["per_class"], "informing each task" if info.get("tasks") else "per class")
    lines = [f"{info['file']}: {made}",
             f"  {info['graphs']} graphs ({per}), {info['nodes']} nodes, {info['edges']} edges"
             + (", roots in one tree bank" if info.get("tree_bank") else "")
             + (f", {info['node_attributes']} continuous node attribute(s)" if info.get("node_attributes") else "")
             + (f", node labels: {info['degree_bins']}-binned degrees" if info.get("degree_bins") else "")]
    if info.get("full_bytes"):
        lines.append(f"  {fmt_bytes(info['bytes'])}: {100 * info['size_fraction']:.3g} % of the training split's "
                     f"{fmt_bytes(info['full_bytes'])} ({info['train_graphs']} graphs)")
    shape = ([f"depth {info['hops']}"] if info.get("hops") is not None else []) + \
        ([f"{info['readout']} readout"] if info.get("readout") else []) + \
        ([f"split: {info['split']}"] if info.get("split") else [])
    if shape:
        lines.append("  " + ", ".join(shape))
    if info.get("params"):
        lines.append("  parameters: " + ", ".join(f"{k} {v}" for k, v in sorted(info["params"].items())))
    if info.get("chosen"):
        chosen = dict(info["chosen"])
        score = chosen.pop("val", None)
        lines.append(f"  chosen on the {info.get('chosen_on') or 'validation split'}: "
                     + ", ".join(f"{k} {v}" for k, v in chosen.items())
                     + (f" (its validation score {score:.4f})" if score is not None else ""))
    return "\n".join(lines)


def result_line(r: dict) -> str:
    line = (f"{r['dataset']} {r['model']} on {r['source']} ({r['train_graphs']} graphs, {r['readout']} readout): "
            f"test {r['metric']} {r['test_mean']:.4f} ± {r['test_std']:.4f} over seeds {r['seeds']} "
            f"(val {r['val_mean']:.4f}; last epoch {r['test_last_mean']:.4f})")
    if "test_accuracy_mean" in r:
        line += f", accuracy {r['test_accuracy_mean']:.4f}"
    if "test_accuracy_calibrated_mean" in r:
        kept = r.get("test_calibration_kept_mean", 1.0)
        line += (f" ({r['test_accuracy_calibrated_mean']:.4f} with the decision bias fitted on validation"
                 + (f"; refused in {1 - kept:.0%} of runs, where it decided validation worse" if kept < 1 else "")
                 + ")")
    line += f", {r['train_seconds']:.1f} s training + {r['eval_seconds']:.1f} s evaluation per seed"
    if "paper_top5_test_mean" in r:
        line += (f"; authors' protocol (mean of 5 best of {len(r['seeds'])} by validation): "
                 f"{r['paper_top5_test_mean']:.4f} ± {r['paper_top5_test_std']:.4f}")
    return line


def without_runs(result: dict | None) -> dict | None:
    """A training result for ``--json``: without its per-seed runs (its control's neither)."""
    if result is None:
        return None
    out = {k: v for k, v in result.items() if k != "runs"}
    if "control" in out:
        out["control"] = {k: v for k, v in out["control"].items() if k != "runs"}
    return out


def margin_line(r: dict) -> str:
    """A :func:`~graph_mirage.training.train_with_control` result's control and the set's margin over it."""
    from ..stats import VERDICT_MARKS, verdict

    c, m = r["control"], r["margin"]
    line = (f"permuted-label control: test {r['metric']} {c['test_mean']:.4f} ± {c['test_std']:.4f} (last epoch "
            f"{c['test_last_mean']:.4f}); the set's margin over it {m['mean']:+.4f}")
    if m["n"] < 2:
        return line + " (one seed: no interval)"
    reading = ("the set teaches beyond what epoch selection gives for free" if m["beats"] else
               "the set scores below its own control" if m["loses"] else
               "the interval contains zero: no evidence that the set teaches more than epoch selection gives for free")
    return (line + f" [{m['low']:+.4f}, {m['high']:+.4f}] {VERDICT_MARKS[verdict(m)]} paired over {m['n']} seeds: "
            + reading)


def choice_lines(choice: dict) -> str:
    """:func:`~graph_mirage.training.choose_by_margin`'s candidates, each set's validation score beside its
    control's, and the one kept."""
    lines = [f"choosing by {choice['rule']}:"]
    for c in choice["candidates"]:
        mark = "  <- chosen" if c["name"] == choice["chosen"] else ""
        lines.append(f"  {c['name']:<10} validation: set {c['val_mean']:.4f}, control {c['control_val_mean']:.4f}, "
                     f"margin {c['val_margin']:+.4f}{mark}")
    return "\n".join(lines)


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
          f"  last epoch   accuracy  calibrated  train s/run")
    rows = [("Mirage", on_set, summary["graphs"], summary["bytes"])]
    if "control" in on_set:
        rows.append(("  permuted", on_set["control"], summary["graphs"], summary["bytes"]))
    if full:
        rows.append(("full", full, len(ds.split["train"]), summary["full_bytes"]))
    for label, r, g, b in rows:
        acc = r.get("test_accuracy_mean", float("nan"))
        cal = r.get("test_accuracy_calibrated_mean", float("nan"))
        print(f"{label:<14} {g:>7} {fmt_bytes(b):>10} {b / summary['full_bytes']:>8.2%}  "
              f"{r['test_mean']:.4f} ± {r['test_std']:.4f}{'':>17}{r['test_last_mean']:>10.4f} {acc:>10.4f}"
              f" {cal:>11.4f}{r['train_seconds']:>12.1f}")
    refused = [(label, 1 - r["test_calibration_kept_mean"]) for label, r, _, _ in rows
               if r.get("test_calibration_kept_mean", 1.0) < 1]
    if refused:
        print("calibrated: the validation bias was refused (it decided validation worse than the prior correction) in "
              + ", ".join(f"{share:.0%} of the runs on {label.strip()}" for label, share in refused)
              + " (of runs x tasks, with several tasks); there the decisions are the accuracy column's")
    if "choice" in on_set:
        print(f"\n{choice_lines(on_set['choice'])}")
    if "control" in on_set:
        print(f"\n{margin_line(on_set)}")
    print(f"\ncompression: the distilled set is {summary['compression']}x smaller than the training split")


def print_search(outcome, top: int) -> None:
    s, ts = outcome.search, outcome.train_set
    where = "the full training split" if ts is None else f"{len(ts)} distilled graphs ({ts.meta.get('hops')} hops)"
    print(f"{outcome.dataset.name}: {s.n_configurations_} configurations x {s.seeds} seed(s) on {where}, ranked by "
          f"validation {s.metric_}")
    print(f"{'rank':>4}  {'configuration':<32} {'val':>8} {'':>1} {'test':>8} {'last epoch':>11}")
    for r in s.ranking()[:top]:
        level = "≈" if r["level_with_best"] and r["rank"] > 1 else ""
        print(f"{r['rank']:>4}  {r['name']:<32} {r['val_mean']:>8.4f} {level:>1} {r['test_mean']:>8.4f} "
              f"{r['test_last_mean']:>11.4f}")
    took = f"{outcome.search_seconds:.1f} s search"
    if outcome.distill_seconds:
        took = f"{outcome.distill_seconds:.1f} s distillation + " + took
    print(f"chosen: {s.ranking()[0]['name']}: validation {s.best_score_:.4f}, test {s.best_test_:.4f} ({took})")
    print(level_line(s, len(outcome.dataset.split["valid"])))
    print(agreement_line(s.seed_agreement_, s.seeds))
    if outcome.versus is not None:
        print(versus_lines(outcome.versus))
    if outcome.screened is not None:
        print_confirmed(outcome.screened)


def versus_lines(v: dict) -> str:
    """This search's fidelity against a reference record (``mirage search --versus FILE``)."""
    import math

    def iv(stat: dict, scale: float = 1.0, fmt: str = ".2f") -> str:
        return f"{scale * stat['value']:{fmt}} [{scale * stat['low']:{fmt}}, {scale * stat['high']:{fmt}}]"

    overlap = next(k for k in v if k.startswith("top") and k.endswith("_overlap"))
    ref = "the full training split" if v.get("trained_on") == "full" else (v.get("trained_on") or "a search")
    lines = [f"against {v['file']} ({ref}, {v.get('seeds')} seed(s)), test scores of the same {v['configurations']} "
             f"configurations, 95 % bootstrap intervals: Spearman {iv(v['spearman'])}, Kendall {iv(v['kendall'])}, "
             f"top-1 regret {iv(v['top1_regret'], 100, '.1f')} points, "
             f"{overlap.replace('top', 'top-').replace('_', ' ')} {iv(v[overlap])}"]
    a = v.get("reference_agreement")
    if a is not None and a["pairs"]:
        bounds = math.isfinite(a["low"])
        agree = f"{a['pairwise']:+.2f}" + (f" [{a['low']:+.2f}, {a['high']:+.2f}]" if bounds else "")
        cap = f"{a['ceiling']:.2f}" + (f" ({a['ceiling_low']:.2f} to {a['ceiling_high']:.2f})" if bounds else "")
        lines.append(f"  the reference's own seeds agree at Spearman {agree} (test), so a ranking can agree with it "
                     f"at most about {cap}")
    return "\n".join(lines)


def print_confirmed(c) -> None:
    """The confirmation of a screened search: the set's best configurations trained on the full split."""
    f = c.confirm_
    print(f"\nconfirmed on the full training split ({f.n_configurations_} configurations x {f.seeds} seed(s), "
          f"{c.full_runs_} run(s) trained, {f.seconds_:.1f} s):")
    print(f"{'set rank':>8}  {'configuration':<32} {'val':>8} {'test':>8}")
    ranks = {r["name"]: r["rank"] for r in c.screen_.results_}
    for r in f.ranking():
        print(f"{ranks[r['name']]:>8}  {r['name']:<32} {r['val_mean']:>8.4f} {r['test_mean']:>8.4f}")
    print(f"chosen after confirmation: {f.ranking()[0]['name']} (rank {c.screen_rank_} on the set): full-data "
          f"validation {c.best_score_:.4f}, test {c.best_test_:.4f}")


def agreement_line(a: dict | None, seeds: int = 1, goal: float = 0.8) -> str:
    """How far the seeds' own disagreement caps the ranking (:func:`~graph_mirage.search.agreement.seed_agreement`;
    None where it is not measured: one seed, or fewer than three configurations to order)."""
    import math

    from ..search.agreement import seeds_for_ceiling

    if a is None and seeds > 1:
        return (f"seed agreement: not measured with fewer than three configurations (a rank correlation of the "
                f"{seeds} seeds needs three to order)")
    if a is None:
        return ("one seed: how much seed noise there is in this ranking is not measured (--seeds 2 measures it; "
                "docs/search.md, seed agreement)")
    if not a["pairs"]:
        return f"seed agreement: the {a['seeds']} seeds' validation scores are all tied: their order is undefined"
    interval = "" if not math.isfinite(a["low"]) else f" [{a['low']:+.2f}, {a['high']:+.2f}]"
    head = (f"seed agreement: the {a['seeds']} seeds order the {a['configurations']} configurations alike at Spearman "
            f"{a['pairwise']:+.2f}{interval} (validation; 95 % interval)\n  so their mean ranking can agree with any "
            f"other, the full data's included, at most about {a['ceiling']:.2f}")
    top = a["ceiling"]
    if math.isfinite(a["low"]):
        head += f" ({a['ceiling_low']:.2f} to {a['ceiling_high']:.2f})"
        top = a["ceiling_high"]
    if a["ceiling"] >= goal:
        return head + "; seeds that agree are necessary for a faithful ranking, not sufficient"
    need = seeds_for_ceiling(a["pairwise"], goal)
    more = ("at this agreement no number of seeds would lift that to " if need is None else
            f"about {need} seeds would lift that to ") + f"{goal}; a larger set may"
    return head + f": seed noise {'alone keeps' if top < goal else 'may keep'} it from being faithful ({more})"


def level_line(s, n_valid: int) -> str:
    """How many configurations the validation split cannot order against the chosen one (≈ in the ranking)."""
    seeds = f" and {s.seeds} seeds" if s.seeds > 1 else ""
    error = (f"one standard error of its validation score (±{s.validation_error_:.4f}: {n_valid} validation "
             f"graphs{seeds})")
    others = s.n_level_with_best_ - 1
    if others == 0:
        return f"no other configuration is within {error}"
    rest = s.n_configurations_ - 1
    return (f"{others} of the {rest} other configuration{'s' if rest != 1 else ''} (≈) within {error}: the validation "
            f"split does not order {'them' if others > 1 else 'it'}")
