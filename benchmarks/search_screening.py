"""Screen on a set, confirm on the full data: what ``mirage search --confirm K`` would have chosen in the committed
model searches, its regret, its cost, and the same number of configurations confirmed at random.

    python benchmarks/search_screening.py

No GNN is trained: per dataset, the committed ``benchmarks/search_fidelity.py`` searches that docs/search.md reads
(each set's search and the full-data search over the same configurations and seeds). For each set and K: the set's K
best configurations by its own validation ranking, the one among them with the best full-data validation score
(:func:`graph_mirage.search.fidelity.screened_regret`, what :class:`~graph_mirage.search.ScreenedSearch` does), and
its regret in points of full-data test score (K = 1: the set's own choice, the fidelity tables' top-1 regret); the
control is the expected regret of confirming K configurations drawn at random
(:func:`~graph_mirage.search.fidelity.random_screen_regret`), and the full data choosing on its own validation among
all of them; the screen against the random control is paired on bootstrap resamples of the configurations (95 %
interval). Cost: the confirmed configurations' full-data training seconds (as the full search recorded them) plus
the set's distillation and search, against the whole full-data search. Writes
``benchmarks/results/search_screening.json``, its plot, and the ``search-screening`` section of ``docs/search.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
PAGE = Path(__file__).resolve().parents[1] / "docs" / "search.md"
# per dataset, the committed search the docs read for today's default (its seeds: the file's)
FILES = {"NCI1": "search_fidelity_nci1_learned.json", "DD": "search_fidelity_dd_default.json",
         "ogbg-molbace": "search_fidelity_default.json", "IMDB-BINARY": "search_fidelity_default.json",
         "ogbg-molhiv": "search_fidelity_hiv_seeds2.json", "MUTAG": "search_fidelity_mutag_seeds10.json"}
SETS = ("default", "paper", "herding-bytes", "random-bytes", "doscond", "kidd")
KS = (1, 3, 5, 10)
ROUNDS = 2000  # bootstrap resamples of the configurations


def versus_random(on_set: dict, on_full: dict, k: int, rounds: int = ROUNDS, seed: int = 0) -> dict:
    """The screen's regret minus the expected regret of K configurations confirmed at random, with a 95 %
    percentile-bootstrap interval over the configurations (both on the same resample): "the set screens better than
    chance" only where the interval lies below zero."""
    from graph_mirage.search.fidelity import random_screen_regret, screened_regret

    def diff(idx):
        a = {key: v[idx] for key, v in on_set.items()}
        b = {key: v[idx] for key, v in on_full.items()}
        return screened_regret(a, b, k)["regret"] - random_screen_regret(b, k)

    n = len(on_full["val"])
    rng = np.random.default_rng(seed)
    boot = [diff(rng.integers(0, n, n)) for _ in range(rounds)]
    lo, hi = np.percentile(boot, [2.5, 97.5])
    return {"value": diff(np.arange(n)), "low": float(lo), "high": float(hi)}


def scores(results: list[dict]) -> dict:
    return {"val": np.array([r["val_mean"] for r in results], dtype=float),
            "test": np.array([r["test_mean"] for r in results], dtype=float)}


def dataset_rows(name: str, file: str, ks=KS) -> tuple[dict, list[dict]]:
    """The dataset's controls (random K, the full data's own choice) and one row per set of ``file``."""
    from graph_mirage.search.fidelity import random_screen_regret, screened_regret

    blob = json.loads((RESULTS / file).read_text())
    d = next(x for x in blob["datasets"] if x["dataset"] == name)
    full = d["searches"]["full"]["results"]
    on_full = scores(full)
    n = len(full)
    seconds = np.array([r["seconds"] for r in full], dtype=float)
    control = {"dataset": name, "file": file, "seeds": blob["seeds"], "configurations": n,
               "full_seconds": d["full_seconds"], "own_regret": screened_regret(on_full, on_full, 1)["regret"],
               "random": {str(k): random_screen_regret(on_full, k) for k in ks},
               "random_curve": [random_screen_regret(on_full, k) for k in range(1, n + 1)]}
    rows = []
    for set_name in SETS:
        if set_name not in d["searches"] or set_name not in d["sets"]:
            continue
        on_set = scores(d["searches"][set_name]["results"])
        e2e = d["sets"][set_name]["end_to_end_seconds"]
        row = {"dataset": name, "set": set_name, "graphs": d["sets"][set_name]["graphs"], "set_seconds": e2e,
               "regret": {}, "confirm_seconds": {}, "speedup": {}, "picks": {}, "vs_random": {}}
        for k in ks:
            s = screened_regret(on_set, on_full, k)
            confirm = float(seconds[s["kept"]].sum())
            row["regret"][str(k)] = s["regret"]
            row["picks"][str(k)] = full[s["pick"]]["name"]
            row["confirm_seconds"][str(k)] = confirm
            row["speedup"][str(k)] = d["full_seconds"] / (e2e + confirm)
            if 1 < k < n:
                row["vs_random"][str(k)] = versus_random(on_set, on_full, k)
        row["curve"] = [screened_regret(on_set, on_full, k)["regret"] for k in range(1, n + 1)]
        rows.append(row)
    return control, rows


def measure() -> dict:
    controls, rows = [], []
    for name, file in FILES.items():
        control, found = dataset_rows(name, file)
        controls.append(control)
        rows.extend(found)
        for r in found:
            print(f"{name:<13} {r['set']:<14} regret at K " + "  ".join(
                f"{k}: {100 * r['regret'][str(k)]:4.1f} (random {100 * control['random'][str(k)]:4.1f}, "
                f"{r['speedup'][str(k)]:4.1f}x)" for k in KS) + f"; full data's own {100 * control['own_regret']:.1f}")
    return {"command": "python benchmarks/search_screening.py", "ks": list(KS), "controls": controls, "rows": rows}


def page_section(blob: dict) -> str:
    """The ``search-screening`` section of docs/search.md, from the JSON."""
    ks = [str(k) for k in blob["ks"]]
    controls = {c["dataset"]: c for c in blob["controls"]}
    lines = [f"Measured with `{blob['command']}` (`benchmarks/results/search_screening.json`, plot "
             "`search_screening.png`; no GNN trained: the committed searches' scores, per dataset the file named in "
             "the table below). Regret: points of full-data test score below the best configuration's, after "
             "confirming the set's K best on the full data (K = 1: the set's own choice); *random*: the expected "
             "regret of confirming K configurations drawn at random; *own*: the full data choosing among all of "
             "them on its own validation; speed-up: the full-data search's seconds over the set's distillation and "
             "search plus the K confirming runs.", "",
             "| dataset | set | seeds | regret K = " + " / ".join(ks) + " | random K = " + " / ".join(ks[1:]) +
             " | own | vs random, K = 3 [95 % CI] | speed-up K = " + " / ".join(ks[1:3]) + " |",
             "|---|---|---:|---|---|---:|---|---|"]
    for r in blob["rows"]:
        c = controls[r["dataset"]]
        lines.append(f"| {r['dataset']} | {r['set']} | {c['seeds']} | "
                     + " / ".join(f"{100 * r['regret'][k]:.1f}" for k in ks) + " | "
                     + " / ".join(f"{100 * c['random'][k]:.1f}" for k in ks[1:]) + f" | {100 * c['own_regret']:.1f} | "
                     + _versus(r["vs_random"]["3"]) + " | "
                     + " / ".join(f"{r['speedup'][k]:.1f}x" for k in ks[1:3]) + " |")
    lines += ["", "Files: " + ", ".join(f"{c['dataset']} `{c['file']}`" for c in blob["controls"]) + "."]
    return "\n".join(lines) + "\n"


def _versus(v: dict) -> str:
    """A paired difference in points with its interval and its reading (below zero: the screen is better)."""
    word = "better" if v["high"] < 0 else "worse" if v["low"] > 0 else "level"
    return f"{100 * v['value']:+.1f} [{100 * v['low']:+.1f}, {100 * v['high']:+.1f}] {word}"


def plot(blob: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    controls = blob["controls"]
    fig, axes = plt.subplots(2, (len(controls) + 1) // 2, figsize=(4 * ((len(controls) + 1) // 2), 6.5),
                             squeeze=False)
    for ax, c in zip(axes.flat, controls):
        k = np.arange(1, 11)
        for r in (r for r in blob["rows"] if r["dataset"] == c["dataset"]):
            ax.plot(k, 100 * np.array(r["curve"][:10]), marker="o", ms=3, label=r["set"])
        ax.plot(k, 100 * np.array(c["random_curve"][:10]), "k--", lw=1, label="K at random")
        ax.axhline(100 * c["own_regret"], color="grey", ls=":", lw=1, label="full data's own choice")
        ax.set_title(f"{c['dataset']} ({c['seeds']} seeds)", fontsize=9)
        ax.set_xlabel("K configurations confirmed on the full data", fontsize=8)
        ax.set_ylabel("regret (points of test score)", fontsize=8)
    for ax in list(axes.flat)[len(controls):]:
        ax.axis("off")
    axes.flat[0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_page(blob: dict) -> None:
    from graph_mirage.bench.tables import write_section

    write_section(PAGE, "<!-- search-screening:start -->", "<!-- search-screening:end -->", page_section(blob))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--page", action="store_true", help="only rewrite docs/search.md's section from the JSON")
    args = p.parse_args()
    out = RESULTS / "search_screening.json"
    if args.page:
        write_page(json.loads(out.read_text()))
        return 0
    blob = measure()
    out.write_text(json.dumps(blob, indent=1) + "\n")
    plot(blob, out.with_suffix(".png"))
    write_page(blob)
    print(f"wrote {out}, its plot and the search-screening section of {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
