"""Does a full-data search's ranking of part of its space repeat with another seed? A second seed for the
configurations of a committed search that match ``--only`` (e.g. ``lr=0.01``), on the full training split, with the
first seed read from the run cache.

    MIRAGE_DATA=../shared/datasets python benchmarks/search_reseed.py --dataset ogbg-molhiv --only lr=0.001 lr=0.01 --jobs 2

Written for ogbg-molhiv, whose one-seed full-data search (``search_fidelity_hiv.json``, 8,165 s over 2 workers) has
14 of its 32 runs at learning rate 0.01 at test ROC-AUC <= 0.57 — among them the configuration the default set's
search chose (regret 28.6). The 32 runs at 0.01 stop 25 epochs after their best, so a second seed of them takes
about 40 minutes on 2 cores (``--only lr=0.01``); those at 0.001 learn for longer, about 1.6 hours (``--only
lr=0.001 lr=0.01``: the whole space). Reported: per configuration both seeds' test and validation scores, which runs
did not learn (test ROC-AUC <= ``--collapsed``), whether the two seeds agree on that, the Spearman correlation of
the two seeds' test scores, and the configuration each seed's validation scores choose with its regret on the other
seed's test scores (the whole space, and with several learning rates each one's part apart). Runs are cached in
``benchmarks/results/search_runs/runs`` (the fidelity benchmark's cache: seed 0 is the committed search's own).
Writes ``benchmarks/results/search_reseed_<dataset>.json`` and, with two seeds, a plot of one seed's test scores against
the other's beside it (``.png``).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_fidelity import RESULTS, SPACE  # noqa: E402  (the fidelity benchmark's space and cache)


def parse_only(items: list[str]) -> dict:
    """``["lr=0.01", "model=gcn"]`` -> ``{"lr": [0.01], "model": ["gcn"]}`` (each value read as YAML; the space
    the result makes is validated by :class:`~graph_mirage.search.SearchSpace`)."""
    import yaml

    out: dict = {}
    for item in items:
        key, _, value = item.partition("=")
        if not key or not value:
            raise SystemExit(f"search_reseed.py: --only {item!r}: expected KEY=VALUE")
        out.setdefault(key, []).append(yaml.safe_load(value))
    return out


def summarise(rows: list[dict]) -> dict:
    """Failed runs per seed, configurations failing with both seeds or one, the two seeds' Spearman correlation,
    and, with two seeds, the choice each seed's validation scores make, read on the other seed's test scores
    (``choice_regret``: points below the best of that seed's test scores; the replicate's regret)."""
    from scipy.stats import spearmanr

    from graph_mirage.search.fidelity import rank_fidelity, seed_scores

    tests = np.array([r["test"] for r in rows])
    vals = np.array([r["val"] for r in rows])
    collapsed = np.array([r["collapsed"] for r in rows])
    out = {"configurations": len(rows), "collapsed_per_seed": collapsed.sum(0).tolist(),
           "collapsed_in_both": int(collapsed.all(1).sum()),
           "collapsed_in_one": int((collapsed.any(1) & ~collapsed.all(1)).sum()),
           "spearman_seed0_seed1": float(spearmanr(tests[:, 0], tests[:, 1]).statistic) if tests.shape[1] >= 2
           else float("nan")}
    if tests.shape[1] == 2:  # each seed as a "set" against the other as the "full data": the replicate's regret
        runs = [{"val_runs": r["val"], "test_runs": r["test"]} for r in rows]
        out["choice_regret"] = [100 * rank_fidelity(seed_scores(runs, s), seed_scores(runs, 1 - s))["top1_regret"]
                                for s in (0, 1)]
        out["choices"] = [rows[int(np.argmax(vals[:, s]))]["name"] for s in (0, 1)]
    return out


def plot(rows: list[dict], collapsed_at: float, dataset: str, path: Path) -> None:
    """Each configuration's test score with seed 0 against seed 1, a marker per learning rate; the failure line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 4.6))
    for lr, marker in zip(sorted({r["params"]["lr"] for r in rows}), "os^vD"):
        part = [r for r in rows if r["params"]["lr"] == lr]
        ax.scatter([r["test"][0] for r in part], [r["test"][1] for r in part], s=18, marker=marker, alpha=0.75,
                   label=f"lr {lr:g} (ρ {summarise(part)['spearman_seed0_seed1']:.2f})")
    lo = min(min(r["test"]) for r in rows) - 0.02
    ax.plot([lo, 1], [lo, 1], color="grey", lw=0.8)
    for line in (ax.axvline, ax.axhline):
        line(collapsed_at, color="firebrick", lw=0.8, ls="--")
    ax.set_xlim(lo, max(max(r["test"]) for r in rows) + 0.02)
    ax.set_ylim(ax.get_xlim())
    ax.set_xlabel("test ROC-AUC, seed 0")
    ax.set_ylabel("test ROC-AUC, seed 1")
    ax.set_title(f"{dataset}: full-data search, {len(rows)} configurations, "
                 f"ρ {summarise(rows)['spearman_seed0_seed1']:.2f}", fontsize=9)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main() -> int:
    from graph_mirage import load_dataset
    from graph_mirage.errors import ParameterError
    from graph_mirage.search import ModelSearch, SearchSpace

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--dataset", default="ogbg-molhiv")
    p.add_argument("--only", nargs="+", default=["lr=0.01"], metavar="KEY=VALUE")
    p.add_argument("--seeds", type=int, default=2)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--collapsed", type=float, default=0.57, help="a run at or below this test score did not learn")
    p.add_argument("--root", default=None)
    args = p.parse_args()
    space = dict(SPACE, **parse_only(args.only))
    try:
        searched = SearchSpace.from_dict(space, "--only")
    except ParameterError as e:
        raise SystemExit(f"search_reseed.py: {e}") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(args.dataset, args.root)
    search = ModelSearch(space=searched, seeds=args.seeds, jobs=args.jobs, progress=True,
                         cache_dir=RESULTS / "search_runs" / "runs").fit(ds)
    rows = []
    for r in search.results_:
        rows.append({"name": r["name"], "params": r["params"], "test": r["test_runs"], "val": r["val_runs"],
                     "epochs": r["epochs_runs"], "collapsed": [t <= args.collapsed for t in r["test_runs"]]})
        print(f"{r['name']:<26} test " + " ".join(f"{t:.3f}" for t in r["test_runs"]) + "   val "
              + " ".join(f"{v:.3f}" for v in r["val_runs"]))
    summary = summarise(rows)
    if len(space["lr"]) > 1:  # the learning rate decides most failures: each one's part of the space apart
        summary["by_lr"] = {str(lr): summarise([r for r in rows if r["params"]["lr"] == lr]) for lr in space["lr"]}
    print(json.dumps(summary))
    blob = {"command": "python benchmarks/search_reseed.py " + " ".join(sys.argv[1:]), "dataset": args.dataset,
            "space": space, "seeds": args.seeds, "collapsed_at": args.collapsed, "summary": summary, "rows": rows,
            "cached_runs": search.cached_runs_, "seconds": search.seconds_,
            # this call's wall seconds cover only what it trained; every run's own seconds (cached or not) sum here
            "run_seconds": float(sum(r["seconds"] for r in search.results_))}
    out = RESULTS / f"search_reseed_{args.dataset}.json"
    out.write_text(json.dumps(blob, indent=1) + "\n")
    if args.seeds == 2:
        plot(rows, args.collapsed, args.dataset, out.with_suffix(".png"))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
