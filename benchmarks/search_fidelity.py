"""Model-search fidelity: does a search on a distilled set rank GNN configurations as the same search on the full
training split does, and how much time does it save, the distillation counted?

    python benchmarks/search_fidelity.py [--datasets MUTAG IMDB-BINARY ogbg-molbace] [--seeds 1] [--jobs 2]
    python benchmarks/search_fidelity.py --datasets MUTAG IMDB-BINARY ogbg-molbace --seeds 2 \
        --out benchmarks/results/search_fidelity_seeds2.json --section search-fidelity-seeds2

For each dataset: the same space (the default space of ``mirage search`` with layers 1 and 2: GCN, GAT, GIN,
GraphSAGE x 2 depths x hidden 32, 64 x dropout 0, 0.5 x lr 1e-3, 1e-2 = 64 configurations) is searched on

- ``default``: graph-mirage's default (:class:`~graph_mirage.AutoPrototypes`) distilled at 2 hops, as ``mirage search``
  distils it when the space's deepest GNN has 2 layers;
- ``paper``: the paper's algorithm at the authors' released settings (threshold step chosen on validation as the
  release does), where the release has the dataset and its hops serve 2 layers;
- ``herding-bytes``, ``random-bytes``: real training graphs (herding; one random draw) in the default set's bytes;
- with ``--bank``: ``bank``, the default's rule with its prototypes in one tree bank (``mirage distill --bank``) at
  2 hops, and ``herding-bank-bytes``, ``random-bank-bytes``: real graphs in the bank set's bytes;
- with ``--caps F [F ...]`` (fractions of the training bytes): per cap, ``bank@F``, the bank's rule at 2 hops under
  that cap alone (over the bytes sweep's prototypes-per-class grid, as ``mirage bench --fractions`` makes it), and
  ``herding-bank@F``, ``random-bank@F``: real graphs in its bytes (``--cap-baselines`` picks which) — how fidelity
  grows with the set;
- with ``--learned``: ``doscond`` and ``kidd``, the learned baselines at their authors' settings (DosCond 1 graph per
  class, KiDD 10; as ``mirage bench`` makes them), which learn their sets from the full split;
- with ``--controls``: ``SET~permuted`` for each set above, the same set with its labels permuted (one fixed
  permutation, :func:`~graph_mirage.training.permuted_labels` with seed 0) — the ranking a search on the set gives
  without its labels (configurations that fail to learn, or that read graph size, rank alike on any set), against which
  the set's own fidelity is paired;
- ``full``: the full training split (200 epochs, stopped 25 epochs after the best validation score).

A set's runs take 100 epochs (``--set-patience N``: stopped N epochs after their best validation score;
``--set-eval-every N``: scored on validation every N epochs; ``--set-select-after N``: its epoch chosen on
validation from epoch N on, as ``mirage search --select-after``; ``--set-root-dropout P``: trained with root
dropout, as ``mirage search --root-dropout``, and paired against the same search without it); a tree
bank's prototypes train in batches that are sub-DAGs of the bank (:class:`~graph_mirage.training.BankLoader`; runs
cached before it trained them as separate graphs and are keyed apart). ``--sets NAME ...`` searches only the named
sets.

Reported per set against ``full``: Spearman and Kendall correlation of the configurations' test scores, top-1
regret (full-data test score of the configuration the set's validation ranking picks, minus the best full-data test
score; a row gives the full-data search's own regret — its validation choice against its best test score, the
control a set's regret is read against), top-5 overlap, each with a 95 % bootstrap interval over configurations;
the paired difference against herding-bytes and random-bytes on the same resamples (with ``--versus NAME ...``,
against those sets too); end-to-end seconds
(distillation + search) against the full search. With two seeds or more, a ``full replicate`` row compares the
full-data search's seed 1 with its seed 0 — how well one full-data search predicts another: the ceiling of any
set's agreement with a one-seed full-data ranking. With four seeds or more, a second row compares the means of two
disjoint halves of the seeds (a half-size search against another).
Each search is cached under ``benchmarks/results/search_runs/`` (keyed by dataset, set, space and seeds), and each
of its runs under ``search_runs/runs/`` (``ModelSearch(cache_dir=...)``), so a re-run only trains what is missing:
an interrupted search resumes, and more ``--seeds`` train only the new seeds (the runs of the same search with
fewer seeds are read, from its record when it ran before per-run caching; a search that read runs reports its
runs' training seconds over its workers as its time). Writes ``--out`` (default ``benchmarks/results/search_fidelity.json``) with its
plot beside it (with ``--caps`` also ``*_curve.png``: Spearman against the set's share of the bytes), and the
``--section`` of ``docs/search.md`` (``--page`` rewrites only that section, from ``--out``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
# the tables, plots and page, in a sibling module (page_section: read by the docs tests)
from search_fidelity_report import (  # noqa: E402, F401
    baselines,
    control_name,
    own_regret,
    page_section,
    plot,
    replicates,
    scores,
    write_page,
)

RESULTS = Path(__file__).resolve().parent / "results"
SPACE = {"model": ["gcn", "gat", "gin", "sage"], "layers": [1, 2], "hidden": [32, 64], "dropout": [0.0, 0.5],
         "lr": [0.001, 0.01]}
def make_sets(name: str, ds, root: str | None, log, bank: bool = False, caps: tuple = (),
              cap_baselines: tuple = ("herding", "random"), learned: bool = False, only=None) -> dict:
    """``set name -> (DistilledDataset, distillation seconds)`` for the sets that exist for this dataset (``only``:
    the paper's set, which trains GNNs to choose its step, is made only when named there)."""
    from graph_mirage.config.presets import PAPER_DISTILL
    from graph_mirage.distilled import flat_bytes
    from graph_mirage.workflows import DataSettings, DistillSettings, distill

    data = DataSettings(name, root)
    out = {}
    t0 = time.perf_counter()
    out["default"] = (distill(DistillSettings(data, hops=2), dataset=ds).distilled, time.perf_counter() - t0)
    if name in PAPER_DISTILL and PAPER_DISTILL[name].hops >= 2 and (only is None or "paper" in only):
        t0 = time.perf_counter()
        out["paper"] = (distill(DistillSettings(data, preset="paper"), dataset=ds).distilled,
                        time.perf_counter() - t0)
    train = ds[ds.split["train"]]
    flat = train.flat()
    size = (len(flat.y), len(flat.x), flat_bytes(flat))
    out.update(real_graphs(train, size, ds.num_classes, out["default"][0].nbytes(), "bytes"))
    if bank:
        t0 = time.perf_counter()
        out["bank"] = (distill(DistillSettings(data, hops=2, bank=True), dataset=ds).distilled,
                       time.perf_counter() - t0)
        out.update(real_graphs(train, size, ds.num_classes, out["bank"][0].nbytes(), "bank-bytes"))
    for f in caps:
        out.update(capped_bank(train, ds[ds.split["valid"]], size, ds.num_classes, f, cap_baselines))
    if learned:
        out.update(learned_sets(train))
    for s, (d, secs) in out.items():
        log(f"[{name}] {s}: {len(d)} graphs, {d.nbytes()} bytes ({d.nbytes() / size[2]:.2%}), {secs:.1f} s")
    return out


def learned_sets(train) -> dict:
    """DosCond and KiDD at their authors' settings, as ``mirage bench`` makes them (their GNNs on one thread)."""
    from graph_mirage.baselines import DosCond, KiDD
    from graph_mirage.bench.methods import LEARNED
    from graph_mirage.training.config import torch_threads

    out = {}
    with torch_threads(1):
        for method, cls in (("doscond", DosCond), ("kidd", KiDD)):
            est = cls(**LEARNED[method]).fit(train)
            out[method] = (est.distilled_, est.seconds_)
    return out


def cap_name(fraction: float) -> str:
    return f"bank@{100 * fraction:g}%"


def capped_bank(train, valid, size: tuple, classes: int, fraction: float, kinds: tuple = ("herding", "random")) -> dict:
    """The bank's rule at 2 hops under ``fraction`` of the training bytes alone, and real graphs in its bytes (of the
    given ``kinds``)."""
    from graph_mirage import AutoPrototypes
    from graph_mirage.config.defaults import SWEEP_PER_CLASS

    t0 = time.perf_counter()
    est = AutoPrototypes((2,), SWEEP_PER_CLASS, max_fraction=fraction, min_graphs=0, bank=True).fit(
        train, validation=valid)
    name = cap_name(fraction)
    out = {name: (est.distilled_, time.perf_counter() - t0)}
    real = real_graphs(train, size, classes, est.distilled_.nbytes(), "bank-bytes")
    out.update({k.replace("bank-bytes", name): v for k, v in real.items() if k.split("-")[0] in kinds})
    return out


def real_graphs(train, size: tuple, classes: int, target: int, suffix: str) -> dict:
    """Herding and one random draw of real training graphs, as many per class as fit ``target`` bytes."""
    from graph_mirage.baselines import HerdingSelection, RandomSelection
    from graph_mirage.bench.methods import k_for_bytes

    k = k_for_bytes(size, classes, target)
    t0 = time.perf_counter()
    d = HerdingSelection(k=k).fit(train).distilled_
    while d.nbytes() > target and k > 1:
        k -= 1
        d = HerdingSelection(k=k).fit(train).distilled_
    out = {f"herding-{suffix}": (d, time.perf_counter() - t0)}
    t0 = time.perf_counter()
    out[f"random-{suffix}"] = (RandomSelection(k=k, seed=0).fit(train).distilled_, time.perf_counter() - t0)
    return out


def search_key(name: str, set_name: str, train_set, seeds: int, patience: int | None, eval_every: int,
               select_after: int = 1, root_dropout: float = 0.0) -> str:
    from graph_mirage.bench.runs import set_key
    from graph_mirage.training import has_bank

    parts = [name, set_name, SPACE, seeds, None if train_set is None else set_key(train_set)]
    if train_set is not None and has_bank(train_set):  # trained as sub-DAGs of the bank, not as the earlier runs
        parts.append("bank-batches")
    if patience is not None:
        parts.append(f"patience-{patience}")
    if eval_every != 1:
        parts.append(f"eval-every-{eval_every}")
    if select_after != 1:
        parts.append(f"select-after-{select_after}")
    if root_dropout:
        parts.append(f"root-dropout-{root_dropout}")
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def cached_search(name: str, set_name: str, ds, train_set, seeds: int, jobs: int, cache: Path, log,
                  patience: int | None = None, eval_every: int = 1, select_after: int = 1,
                  root_dropout: float = 0.0) -> dict:
    """The search's record, from ``cache`` when this very search ran before; else searched, with every run kept in
    ``cache/runs`` (so an interrupted search resumes) and the runs of the same search with fewer seeds reused."""
    from graph_mirage.search import ModelSearch

    patience = None if train_set is None else patience  # the full split keeps its own early stopping
    eval_every = 1 if train_set is None else eval_every
    select_after = 1 if train_set is None else select_after  # the reference ranking keeps the usual selection
    root_dropout = 0.0 if train_set is None else root_dropout  # ... and pools every node
    key = (patience, eval_every, select_after, root_dropout)
    path = cache / f"{name}-{set_name}-{search_key(name, set_name, train_set, seeds, *key)}.json"
    if path.is_file():
        return json.loads(path.read_text())
    search = ModelSearch(space=SPACE, seeds=seeds, jobs=jobs, progress=True, patience=patience,
                         eval_every=eval_every, select_after=select_after, root_dropout=root_dropout,
                         cache_dir=cache / "runs")
    for fewer in range(seeds - 1, 0, -1):
        older = cache / f"{name}-{set_name}-{search_key(name, set_name, train_set, fewer, *key)}.json"
        if older.is_file():
            log(f"[{name}] {set_name}: seeds 0..{fewer - 1} from {older.name}")
            seed_runs(search, ds, train_set, json.loads(older.read_text()), older.name)
            break
    log(f"[{name}] searching {set_name} ...")
    s = search.fit(ds, train_set)
    rec = {"set": set_name, "metric": s.metric_, "seconds": s.seconds_, "jobs": jobs, "seeds": seeds,
           "patience": patience, "eval_every": eval_every, "select_after": select_after,
           **({"root_dropout": root_dropout} if root_dropout else {}), "cached_runs": s.cached_runs_,
           "run_seconds": float(sum(r["seconds"] for r in s.results_)),
           "graphs": None if train_set is None else len(train_set),
           "bytes": None if train_set is None else train_set.nbytes(), "results": s.results_}
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rec, indent=1))
    return rec


def seed_runs(search, ds, train_set, rec: dict, source: str) -> None:
    """Write the runs of an earlier search record (fewer seeds, same search otherwise) into ``search``'s run cache,
    each marked with the record it came from. Records written before per-run caching hold each run's validation and
    test scores; a one-seed record also its last-epoch test score; older ones not the epochs it trained (None)."""
    from graph_mirage.search.estimator import RunFiles, depth_limit
    from graph_mirage.search.space import config_name

    full = train_set is None
    files = RunFiles(search.cache_dir, ds, train_set, full)
    by_name = {r["name"]: r for r in rec["results"]}
    for c in search.check_params(None if full else depth_limit(train_set)):
        r = by_name[config_name(c)]
        for seed in range(rec["seeds"]):
            config = search.train_config(c, full)
            if files.read(c, seed, config) is not None:
                continue
            epochs = r.get("epochs_runs")
            run = {"seed": seed, "val": r["val_runs"][seed], "test": r["test_runs"][seed],
                   "test_last": r["test_last_mean"] if rec["seeds"] == 1 else None,
                   "epochs_run": epochs[seed] if epochs else None}
            files.write(c, {"runs": [run], "metric": rec["metric"]}, r["seconds"] / rec["seeds"], config,
                        source=source)


def search_cost(rec: dict) -> float:
    """Seconds a search took: its wall time, or for a search that read runs from the cache, its runs' training
    seconds over its workers (the wall time of the runs it trained would leave the read ones out)."""
    return rec["seconds"] if not rec.get("cached_runs") else rec["run_seconds"] / rec["jobs"]


def run_dataset(name: str, args, log) -> dict:
    from graph_mirage import load_dataset
    from graph_mirage.distilled import flat_bytes
    from graph_mirage.search.fidelity import fidelity_interval, seed_scores

    ds = load_dataset(name, args.root)
    sets = make_sets(name, ds, args.root, log, bank=args.bank, caps=tuple(args.caps),
                     cap_baselines=tuple(args.cap_baselines), learned=args.learned, only=args.sets)
    if args.sets:
        sets = {s: v for s, v in sets.items() if s in args.sets}
    if args.controls:  # each set again with its labels permuted (one fixed permutation): what it ranks without them
        from graph_mirage.training import permuted_labels

        sets.update({control_name(s): (permuted_labels(d, 0), secs) for s, (d, secs) in list(sets.items())})
    cache = RESULTS / "search_runs"
    full = cached_search(name, "full", ds, None, args.seeds, args.jobs, cache, log)
    rows = {}
    recs = {s: cached_search(name, s, ds, d, args.seeds, args.jobs, cache, log, args.set_patience,
                           args.set_eval_every, args.set_select_after, args.set_root_dropout)
            for s, (d, _) in sets.items()}
    usual = {}  # with a warm-up or root dropout (never both): the same searches without it, to pair its effect against
    if args.set_select_after != 1 or args.set_root_dropout:
        usual = {s: cached_search(name, s, ds, d, args.seeds, args.jobs, cache, log, args.set_patience,
                                  args.set_eval_every)
                 for s, (d, _) in sets.items()}
    usual_key = "vs_select_after_1" if args.set_select_after != 1 else "vs_root_dropout_0"
    for s, rec in recs.items():
        row = fidelity_interval(scores(rec), scores(full), k=5, rounds=args.rounds)
        if s in usual:
            diff = fidelity_interval(scores(rec), scores(full), k=5, rounds=args.rounds, versus=scores(usual[s]))
            row[usual_key] = {k: v for k, v in diff.items() if k.startswith("diff_")}
        if control_name(s) in recs:
            diff = fidelity_interval(scores(rec), scores(full), k=5, rounds=args.rounds,
                                     versus=scores(recs[control_name(s)]))
            row["vs_control"] = {k: v for k, v in diff.items() if k.startswith("diff_")}
        for base in [*baselines(s), *(v for v in args.versus if v != s)]:
            if base in recs:
                diff = fidelity_interval(scores(rec), scores(full), k=5, rounds=args.rounds, versus=scores(recs[base]))
                row["vs_" + base] = {k: v for k, v in diff.items() if k.startswith("diff_")}
        distil_s = sets[s][1]
        row.update(graphs=rec["graphs"], bytes=rec["bytes"], distill_seconds=distil_s, search_seconds=search_cost(rec),
                   end_to_end_seconds=distil_s + search_cost(rec),
                   speedup=search_cost(full) / (distil_s + search_cost(rec)),
                   best_on_set=max(rec["results"], key=lambda r: r["val_mean"])["name"])
        rows[s] = row
    best_full = max(full["results"], key=lambda r: r["val_mean"])
    replicate = None
    if args.seeds >= 2:  # the full-data search against itself: seed 1's ranking vs seed 0's
        replicate = fidelity_interval(seed_scores(full["results"], 1), seed_scores(full["results"], 0), k=5,
                                      rounds=args.rounds)
    halves = None
    if args.seeds >= 4:  # two half-size full-data searches (disjoint seeds): what one n/2-seed mean predicts of another
        h = args.seeds // 2
        halves = fidelity_interval(seed_scores(full["results"], range(h, 2 * h)), seed_scores(full["results"], range(h)),
                                   k=5, rounds=args.rounds)
        halves["seeds"] = [[0, h - 1], [h, 2 * h - 1]]
    return {"dataset": name, "metric": full["metric"], "configurations": len(full["results"]),
            "train_bytes": flat_bytes(ds[ds.split["train"]].flat()),
            "full_seconds": search_cost(full), "full_best": best_full["name"], "full_best_test": best_full["test_mean"],
            "full_top_test": max(r["test_mean"] for r in full["results"]), "sets": rows, "replicate": replicate,
            "replicate_halves": halves,
            "searches": {"full": full, **recs}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--datasets", nargs="+", default=["MUTAG", "IMDB-BINARY", "ogbg-molbace"])
    p.add_argument("--seeds", type=int, default=1, help="seeds per configuration (default 1)")
    p.add_argument("--jobs", type=int, default=2, help="worker processes (default 2)")
    p.add_argument("--rounds", type=int, default=2000, help="bootstrap rounds")
    p.add_argument("--root", default=os.environ.get("MIRAGE_DATA"))
    p.add_argument("--out", default=str(RESULTS / "search_fidelity.json"))
    p.add_argument("--section", default="search-fidelity", help="the marked section of docs/search.md to write")
    p.add_argument("--bank", action="store_true", help="add the tree-bank set and real graphs in its bytes")
    p.add_argument("--learned", action="store_true", help="add DosCond and KiDD at their authors' settings")
    p.add_argument("--versus", nargs="+", default=[], metavar="NAME",
                   help="also compare every set with these sets, paired on the same resamples (listed under the table)")
    p.add_argument("--caps", nargs="+", type=float, default=[], metavar="F",
                   help="add the bank under each cap (a fraction of the training bytes) and real graphs in its bytes")
    p.add_argument("--cap-baselines", nargs="+", choices=["herding", "random"], default=["herding", "random"],
                   help="the real graphs drawn in each capped bank's bytes (default both)")
    p.add_argument("--sets", nargs="+", default=None, metavar="NAME",
                   help="search only these sets (e.g. bank@5%% herding-bank@5%%; default every set made)")
    p.add_argument("--controls", action="store_true",
                   help="also search each set with its labels permuted (SET~permuted, one fixed permutation): the "
                        "ranking a set gives without its labels, each set's fidelity paired against its control's")
    p.add_argument("--set-patience", type=int, default=None, metavar="N",
                   help="stop a run on a set after N epochs without a better validation score (default: never)")
    p.add_argument("--set-eval-every", type=int, default=1, metavar="N",
                   help="score the validation split every N epochs of a run on a set (default 1)")
    p.add_argument("--set-select-after", type=int, default=1, metavar="N",
                   help="let validation choose a run's epoch on a set only from epoch N on (default 1: any)")
    p.add_argument("--set-root-dropout", type=float, default=0.0, metavar="P",
                   help="train each run on a set with root dropout P (TrainConfig.root_dropout), paired against the "
                        "same search without it (default 0)")
    p.add_argument("--page", action="store_true", help="only rewrite docs/search.md's section from --out")
    args = p.parse_args()
    if args.set_select_after != 1 and args.set_root_dropout:  # each is paired against the search without it
        p.error("give --set-select-after or --set-root-dropout, not both: each is paired against the same search "
                "without it")
    if args.page:
        write_page(json.loads(Path(args.out).read_text()), args.section)
        return 0

    def log(m: str) -> None:
        print(m, file=sys.stderr, flush=True)

    out = [run_dataset(name, args, log) for name in args.datasets]
    print(f"{'dataset':<14} {'set':<14} {'graphs':>6} {'Spearman (95% CI)':>22} {'Kendall':>8} {'regret':>7} "
          f"{'top-5':>6} {'end-to-end s':>12} {'speed-up':>9}")
    for d in out:
        for s, r in d["sets"].items():
            sp = r["spearman"]
            print(f"{d['dataset']:<14} {s:<14} {r['graphs']:>6} {sp['value']:>8.2f} [{sp['low']:>5.2f}, "
                  f"{sp['high']:>5.2f}] {r['kendall']['value']:>8.2f} {100 * r['top1_regret']['value']:>7.1f} "
                  f"{r['top5_overlap']['value']:>6.1f} {r['end_to_end_seconds']:>12.0f} {r['speedup']:>8.1f}x")
        print(f"{d['dataset']:<14} {'full':<14} {'':>6} {'':>22} {'':>8} {100 * own_regret(d):>7.1f} {'':>6} "
              f"{d['full_seconds']:>12.0f}")
        for _, short, rep in replicates(d):
            sp = rep["spearman"]
            print(f"{d['dataset']:<14} {short:<14} {'':>6} {sp['value']:>8.2f} [{sp['low']:>5.2f}, "
                  f"{sp['high']:>5.2f}] {rep['kendall']['value']:>8.2f} {100 * rep['top1_regret']['value']:>7.1f} "
                  f"{rep['top5_overlap']['value']:>6.1f}")
    blob = {"space": SPACE, "seeds": args.seeds, "jobs": args.jobs, "rounds": args.rounds, "versus": args.versus,
            "select_after": args.set_select_after, **({"root_dropout": args.set_root_dropout}
                                                      if args.set_root_dropout else {}),
            "command": "python benchmarks/search_fidelity.py " + " ".join(sys.argv[1:]),
            "out": Path(args.out).name, "datasets": out}
    from graph_mirage.fileio import atomic_write_text

    atomic_write_text(args.out, json.dumps(blob, indent=1, default=float))  # never a half-written JSON
    plot(out, Path(args.out).with_suffix(".png"))
    write_page(blob, args.section)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
