"""The guard on the validation-fitted decision bias: where it refuses the bias, and what that does to the decisions.

Every run decides twice: with the prior correction, and after a bias fitted on the validation split by
cross-entropy (bias-corrected temperature scaling). Cross-entropy is not accuracy: where a few confidently wrong
graphs dominate it, the fitted bias decides even the validation split worse than the logits did. Since runs record
``outputs`` 3 the bias is kept only where it decides validation no worse than the prior correction
(:func:`graph_mirage.training.keep_decision_bias`); elsewhere the prior correction's decisions stand.

This script re-runs the cached runs of today's default table (the default, its permuted-label control; full data
where a run costs seconds) with ``mirage bench --refresh`` in a scratch copy of the cache — the same sets, seeds and
splits, so the same training — and pairs each refreshed run with its committed record from before the guard:

* ``refused``: runs whose bias the guard refused (of the refreshed runs);
* ``acc_before`` / ``acc_after``: mean test accuracy after the validation bias, unguarded and guarded (percent);
* ``bal_before`` / ``bal_after``: the same for balanced accuracy; ``one_class_*``: runs deciding one class for
  every test graph;
* ``reproduced``: refreshed runs whose validation-selected test score equals the committed one to 1e-9 (the same
  training on this machine; a run that differs is counted, not compared, in the accuracy columns).

    python benchmarks/decision_guard.py                          # about 50 minutes on 2 cores
    python benchmarks/decision_guard.py --datasets MUTAG NCI1
    python benchmarks/decision_guard.py --from-json              # the table again

Writes ``benchmarks/results/decision_guard.json`` and ``.md`` (the scratch cache is not kept), and the table into
docs/results/README.md between its markers.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CACHE = RESULTS / "runs"
# the default table's splits (benchmarks/tables.sh, "the default since the tree bank"), cheapest first
SPLITS = {
    "MUTAG": ["--folds", "10", "--fold-seeds", "3", "--seeds", "3"],
    "synthetic-motifs": ["--folds", "10", "--fold-seeds", "3", "--seeds", "3"],
    "IMDB-BINARY": ["--folds", "10", "--fold-seeds", "3", "--seeds", "3"],
    "ogbg-molbace": ["--seeds", "10"],
    "ogbg-molbbbp": ["--seeds", "10"],
    "NCI1": ["--seeds", "10"],
    "PROTEINS": ["--folds", "10", "--fold-seeds", "3", "--seeds", "3"],
    "ogbg-moltox21": ["--seeds", "10", "--full-seeds", "10"],
    "DD": ["--seeds", "10", "--full-seeds", "10"],
    "ogbg-molhiv": ["--seeds", "10", "--full-seeds", "10"],
}
WITH_FULL = ("MUTAG", "synthetic-motifs")  # where a full-data run costs about a second
PAGE = ROOT / "docs" / "results" / "README.md"
START, END = "<!-- generated: decision guard -->", "<!-- end of decision guard -->"


def refresh(dataset: str, scratch: Path, jobs: int) -> None:
    """Re-run the dataset's default cells with ``--refresh`` in ``scratch`` (a copy of its committed runs)."""
    src, dst = CACHE / dataset, scratch / "runs" / dataset
    if not dst.exists():
        shutil.copytree(src, dst)
    methods = (["full"] if dataset in WITH_FULL else []) + ["mirage-auto", "permuted"]
    cmd = ["mirage", "bench", "--datasets", dataset, *SPLITS[dataset], "--methods", *methods, "--refresh",
           "--cache-dir", str(scratch / "runs"), "--out", str(scratch / "out"), "--name", dataset.lower(),
           "--jobs", str(jobs), "--quiet"]
    print("$", " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def compare(dataset: str, scratch: Path, cache: Path = CACHE) -> list[dict]:
    """One row per GNN and method: the refreshed runs in ``scratch`` paired with their records in ``cache``."""
    # a run is found by its key, the end of its file name, under whichever method's name it was cached
    committed = {p.stem.rsplit("-", 1)[-1]: p for p in (cache / dataset).glob("*.json")}
    cells: dict[tuple, list] = {}
    for path in sorted((scratch / "runs" / dataset).glob("*.json")):
        new = json.loads(path.read_text())
        old_path = committed.get(path.stem.rsplit("-", 1)[-1])
        if new.get("outputs", 1) < 3 or old_path is None:
            continue  # not refreshed here (another table's run), or a run the committed cache never had
        old = json.loads(old_path.read_text())
        if old.get("outputs", 1) != 2:
            continue  # no unguarded decisions to compare with
        method = new["method"] + ("~permuted" if new.get("permuted") else "")
        cells.setdefault((new["model"], method), []).append((old["run"], new["run"]))
    rows = []
    for (model, method), pairs in sorted(cells.items()):
        same = [(o, n) for o, n in pairs if abs(o["test"] - n["test"]) <= 1e-9]
        om = [o["test_metrics"] for o, _ in same]
        nm = [n["test_metrics"] for _, n in same]
        rows.append({
            "dataset": dataset, "model": model, "method": method, "runs": len(pairs), "reproduced": len(same),
            "refused": int(sum(m.get("calibration_kept", 1.0) < 1 for m in nm)),
            "refused_share": float(np.mean([1 - m.get("calibration_kept", 1.0) for m in nm])) if nm else None,
            "acc_prior": _mean(nm, "accuracy"),
            "acc_before": _mean(om, "accuracy_calibrated"), "acc_after": _mean(nm, "accuracy_calibrated"),
            "bal_before": _mean(om, "balanced_accuracy_calibrated"),
            "bal_after": _mean(nm, "balanced_accuracy_calibrated"),
            "one_class_before": _one_class(om), "one_class_after": _one_class(nm),
        })
    return rows


def _mean(metrics: list[dict], key: str) -> float | None:
    vals = [m[key] for m in metrics if key in m]
    return round(100 * float(np.mean(vals)), 2) if vals else None


def _one_class(metrics: list[dict]) -> int:
    return int(sum(max(m.get("pred_share_calibrated") or [0]) >= 0.999 for m in metrics))


def table(rows: list[dict]) -> str:
    head = ("| dataset | GNN | method | runs (reproduced) | bias refused | accuracy: prior | validation bias before "
            "| after | balanced before | after | one class before | after |\n|---|---|---|---|---|---|---|---|---|---|"
            "---|---|")
    fmt = lambda v: "–" if v is None else f"{v:.1f}"  # noqa: E731
    lines = [f"| {r['dataset']} | {r['model'].upper()} | {r['method']} | {r['runs']} ({r['reproduced']}) | "
             f"{r['refused']} | {fmt(r['acc_prior'])} | {fmt(r['acc_before'])} | {fmt(r['acc_after'])} | "
             f"{fmt(r['bal_before'])} | {fmt(r['bal_after'])} | {r['one_class_before']} | {r['one_class_after']} |"
             for r in rows]
    return "\n".join([head, *lines])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--datasets", nargs="+", default=list(SPLITS), choices=list(SPLITS))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=str(RESULTS / "decision_guard.json"))
    ap.add_argument("--from-json", action="store_true", help="print the table of the results file")
    args = ap.parse_args(argv)
    out = Path(args.out)
    done = json.loads(out.read_text()) if out.is_file() else {"rows": [], "commands": []}
    if not args.from_json:
        with tempfile.TemporaryDirectory(prefix="decision-guard-") as tmp:
            for ds in args.datasets:
                refresh(ds, Path(tmp), args.jobs)
                done["rows"] = [r for r in done["rows"] if r["dataset"] != ds] + compare(ds, Path(tmp))
                done["commands"] = sorted(set(done["commands"]) | {f"python benchmarks/decision_guard.py "
                                                                   f"--datasets {ds}"})
                out.write_text(json.dumps(done, indent=1) + "\n")
                out.with_suffix(".md").write_text(table(done["rows"]) + "\n")
    text = PAGE.read_text()
    if START in text and done["rows"]:
        head, rest = text.split(START, 1)
        PAGE.write_text(head + START + "\n" + table(done["rows"]) + "\n" + END + rest.split(END, 1)[1])
    print(table(done["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
