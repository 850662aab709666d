"""How long `mirage bench` takes to make the training sets of a dataset's folds: in order, or on its workers.

`python benchmarks/set_making.py [--dataset PROTEINS] [--folds 10] [--methods ...]` makes every set of the given
methods on every fold twice — with one process (the sets one split after the other, as `mirage bench --jobs 1` does)
and with two worker processes (side by side, as `--jobs 2` does) — checks that both give the same files byte for
byte, and reports the wall time of each. Writes benchmarks/results/set_making.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from pathlib import Path

from graph_mirage.bench.runs import Runner
from graph_mirage.bench.schedule import Collected, Options, collect_sets, splits_of


def timed(name: str, jobs: int, o: Options, folds: int) -> tuple[float, list[bytes], list]:
    """Wall seconds of making every set with ``jobs`` processes, the files' bytes and the sets' records."""
    splits, col = splits_of(name, o.root, folds), Collected()
    runner = Runner(jobs)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            # off the clock: each process imports the libraries and reads the dataset once (the workers of a bench
            # do so for their first training run anyway; this process has done so already)
            warm = Options(models=["gin"], seeds=[0], budgets=[], methods=("random-bytes",), root=o.root,
                           log=lambda *a: None)
            collect_sets(name, runner, Path(tmp), warm, splits[:max(jobs, 2)], Collected())
            t0 = time.perf_counter()
            collect_sets(name, runner, Path(tmp), o, splits, col)
            seconds = time.perf_counter() - t0
            files = [Path(s.path).read_bytes() if s.path else b"" for s in col.sets]
    finally:
        runner.close()
    return seconds, files, [(s.method, s.split, s.budget, s.size) for s in col.sets]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dataset", default="PROTEINS")
    p.add_argument("--folds", type=int, default=10)
    p.add_argument("--methods", nargs="+",
                   default=["mirage-auto", "mirage-bank", "herding-bytes", "random-bytes", "size-only", "wl-kernel"])
    p.add_argument("--out", default="benchmarks/results/set_making.json")
    args = p.parse_args()
    warnings.simplefilter("ignore")
    import torch

    torch.set_num_threads(1)  # as `mirage bench`'s own process, which makes the sets with one worker
    o = Options(models=["gin"], seeds=[0], budgets=[], methods=tuple(args.methods), root=os.environ.get("MIRAGE_DATA"),
                log=lambda *a: None)
    one, files_one, sets_one = timed(args.dataset, 1, o, args.folds)
    two, files_two, sets_two = timed(args.dataset, 2, o, args.folds)
    same = files_one == files_two and sets_one == sets_two
    print(f"{args.dataset}, {args.folds} folds, {len(sets_one)} sets ({', '.join(args.methods)}): one process "
          f"{one:.1f} s, two workers {two:.1f} s ({one / two:.2f}x); the same files: {same}")
    out = {"command": "python " + " ".join([Path(sys.argv[0]).as_posix(), *sys.argv[1:]]), "dataset": args.dataset,
           "folds": args.folds, "methods": args.methods, "sets": len(sets_one), "seconds_one_process": round(one, 2),
           "seconds_two_workers": round(two, 2), "speedup": round(one / two, 2), "same_files": same,
           "machine": f"{platform.machine()}, {os.cpu_count()} cores"}
    Path(args.out).write_text(json.dumps(out, indent=1) + "\n")
    print(f"wrote {args.out}")
    if not same:
        sys.exit("the sets made on the workers differ from the sets made in order")


if __name__ == "__main__":
    main()
