"""The benchmark's Markdown: scores with intervals, the controls, the paired comparisons, the decisions, and a
detailed line per row; plus :func:`merge`, one table from several result files."""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import MirageError

ORDER = ("full", "size-only", "wl-kernel", "mirage-paper", "mirage-auto", "mirage-bank", "mirage-plain", "mirage-proto",
         "doscond", "kidd", "herding-bytes", "random-bytes", "mirage", "herding", "random")


def _key(r: dict):
    base = r["method"].split("~")[0]
    return (ORDER.index(base) if base in ORDER else len(ORDER), "~" in r["method"], r["budget"] or 0)


def _cell(r: dict | None, key: str = "test") -> str:
    if r is None:
        return ""
    if r.get("error"):
        return f"not made: {r['error'][:100]}"
    m, ci = r.get(f"{key}_mean"), r.get(f"{key}_ci", [None, None])
    if m is None or m != m:
        return "n/a"
    half = (ci[1] - ci[0]) / 2 if ci[0] is not None and ci[0] == ci[0] else None
    size = "" if r["method"] in ("full", "size-only", "wl-kernel") or "size_fraction" not in r else \
        f" ({100 * r['size_fraction']:.2g} %)"
    return f"{100 * m:.1f}" + (f" ± {100 * half:.1f}" if half is not None else "") + size


def _diff(p: dict | None) -> str:
    if not p:
        return ""
    if p["low"] != p["low"]:
        return f"{100 * p['mean']:+.1f}"
    word = {"beats": "**above**", "loses": "below", "tie": "tie"}[p["verdict"]]
    return f"{100 * p['mean']:+.1f} [{100 * p['low']:+.1f}, {100 * p['high']:+.1f}] {word}"


def _groups(rows: list[dict]) -> list[tuple[str, str, list[dict]]]:
    seen: dict = {}
    for r in rows:
        seen.setdefault((r["dataset"], r["model"]), []).append(r)
    return [(d, m, sorted(rs, key=_key)) for (d, m), rs in seen.items()]


def scores_table(rows: list[dict]) -> str:
    """Test metric ×100: mean ± the half-width of its 95 % interval over seeds (or folds); sizes in % of the bytes."""
    methods = sorted({r["method"] for r in rows if "~" not in r["method"]},
                     key=lambda m: _key({"method": m, "budget": None}))
    lines = ["| dataset | GNN | units | " + " | ".join(methods) + " |", "|---|---|---:|" + "---|" * len(methods)]
    for d, m, rs in _groups(rows):
        by: dict = {}
        for r in rs:  # with several budgets, the first (smallest) one's cell
            by.setdefault(r["method"], r)
        units = "/".join(sorted({str(r["units"]) for r in rs if "units" in r}))
        lines.append(f"| {d} | {m.upper()} | {units} | " + " | ".join(_cell(by.get(x)) for x in methods) + " |")
    return "\n".join(lines) + "\n"


def controls_table(rows: list[dict]) -> str:
    """Each distilled set against its own permuted-label control, the full split and the classic controls."""
    lines = ["| dataset | GNN | method | test | permuted control | margin over control | vs full | vs WL kernel | "
             "vs size only | vs herding-bytes | vs random-bytes |", "|---|---|---|---|---|---|---|---|---|---|---|"]
    for d, m, rs in _groups(rows):
        by = {(r["method"], r["budget"]): r for r in rs}
        for r in rs:
            if "paired" not in r:
                continue
            p = r["paired"]
            ctrl = by.get((r["method"] + "~permuted", r["budget"]))
            lines.append(f"| {d} | {m.upper()} | {r['method']}{budget_label(r['budget'])} | {_cell(r)} | "
                         f"{_cell(ctrl)} | "
                         f"{_diff(p.get('permuted'))} | {_diff(p.get('full'))} | {_diff(p.get('wl-kernel'))} | "
                         f"{_diff(p.get('size-only'))} | {_diff(p.get('herding-bytes'))} | "
                         f"{_diff(p.get('random-bytes'))} |")
    return "\n".join(lines) + "\n"


def pct(r: dict, key: str) -> str:
    """A row's measure ``key`` ×100 with one decimal ('' where the row lacks it)."""
    v = r.get(key)
    return "" if v is None else f"{100 * v:.1f}"


def one_class_runs(r: dict, calibrated: bool = False) -> str:
    """``k/n``: the runs that decide one class for every test graph, of the runs that measured it ('' for the
    validation bias where no run recorded it)."""
    if not calibrated:
        return f"{r.get('single_class_runs', '')}/{r['runs_total']}"
    return f"{r['single_class_runs_calibrated']}/{r['calibrated_runs']}" if "calibrated_runs" in r else ""


def decisions_table(rows: list[dict]) -> str:
    """Accuracy (with the prior correction, and with the bias fitted on the validation split), balanced accuracy, runs
    that predict one class for every test graph, the last epoch's test metric beside the validation-selected one, and
    the authors' top-5-of-10 protocol."""
    lines = ["| dataset | GNN | method | test (selected epoch) | test (last epoch) | accuracy | balanced accuracy | "
             "accuracy without correction | single-class runs | accuracy, validation-fitted bias | balanced "
             "accuracy, validation-fitted bias | single-class runs, validation-fitted bias | top 5 of runs by "
             "validation |", "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for d, m, rs in _groups(rows):
        for r in (r for r in rs if not r.get("error")):
            lines.append(f"| {d} | {m.upper()} | {r['method']} | {_cell(r)} | {_cell(r, 'test_last')} | "
                         f"{pct(r, 'test_accuracy_mean')} | {pct(r, 'test_balanced_accuracy_mean')} | "
                         f"{pct(r, 'test_accuracy_raw_mean')} | {one_class_runs(r)} | "
                         f"{pct(r, 'test_accuracy_calibrated_mean')} | "
                         f"{pct(r, 'test_balanced_accuracy_calibrated_mean')} | {one_class_runs(r, True)} | "
                         f"{pct(r, 'paper_top5_test_mean')} |")
    return "\n".join(lines) + "\n"


def budget_label(budget) -> str:
    """`` (k=5)`` for the itemset form's graphs per class, `` (cap 1 %)`` for a bytes sweep's fraction."""
    if budget is None:
        return ""
    return f" (cap {100 * budget:g} %)" if isinstance(budget, float) else f" (k={budget})"


def detail_table(rows: list[dict], header: dict) -> str:
    lines = [f"Machine: {header.get('machine', '?')}; command: `{header.get('command', '?')}`; total "
             f"{header.get('seconds', 0) / 60:.1f} min.", "",
             "| dataset | GNN | method | runs | graphs | nodes | bytes | % of full | distill s | train s/run | "
             "eval s/run | epochs (best) | notes |", "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for d, m, rs in _groups(rows):
        for r in (r for r in rs if not r.get("error")):
            notes = []
            for k in ("steps", "recipes", "settings", "k", "probe_params", "distilled_with"):
                if r.get(k):
                    notes.append(f"{k}: {r[k]}")
            k = budget_label(r["budget"])
            lines.append(f"| {d} | {m.upper()} | {r['method']}{k} "
                         f"| {r['runs_total']} | {r.get('graphs', '')} | {r.get('nodes', '')} | {r.get('bytes', '')} | "
                         f"{100 * r.get('size_fraction', 1.0):.3f} | {r.get('distill_seconds', 0):.2f} | "
                         f"{r['train_seconds']:.1f} | {r['eval_seconds']:.1f} | {r['epochs_run']:.0f} "
                         f"({r['best_epoch']:.0f}) | {'; '.join(notes)[:300]} |")
    return "\n".join(lines) + "\n"


def markdown(rows: list[dict], header: dict) -> str:
    return "\n".join([
        "## Test metric ×100, mean ± half-width of the 95 % interval (sizes: % of the training bytes)", "",
        scores_table(rows), "## Controls and paired comparisons (difference ×100 [95 % interval])", "",
        controls_table(rows), "## Decisions and epoch selection", "", decisions_table(rows), "## Detail", "",
        detail_table(rows, header)])


def replace_section(text: str, start: str, end: str, body: str, where: str = "the page") -> str:
    """``text`` with what lies between the markers ``start`` and ``end`` replaced by a newline and ``body`` (a
    generated section of a results page); a page without both markers is refused in one line."""
    if start not in text or end not in text:
        raise MirageError(f"{where} has no {start} ... {end} section to write")
    before, rest = text.split(start, 1)
    return f"{before}{start}\n{body}{end}{rest.split(end, 1)[1]}"


def write_section(page: Path, start: str, end: str, body: str) -> None:
    """Rewrite the generated section of the file ``page`` (:func:`replace_section`)."""
    page.write_text(replace_section(page.read_text(), start, end, body, str(page)))


def read_results(paths) -> tuple[list[dict], list[dict]]:
    """The rows and the headers of several ``mirage bench`` result files (a file that is not one: one line)."""
    rows, headers = [], []
    for p in paths:
        try:
            blob = json.loads(Path(p).read_text())
            rows += blob["rows"]
            headers.append(blob["header"])
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise MirageError(f"{p} is not a benchmark result file ({type(e).__name__})") from None
    return rows, headers


def result_paths(given, results: Path, pattern: str, hint: str) -> list[Path]:
    """The result files a generated page reads: ``given`` (paths on the command line), else the files of ``results``
    matching ``pattern``; none is one line saying what to run first (``hint``)."""
    paths = [Path(s) for s in given] if given else sorted(Path(results).glob(pattern))
    if not paths:
        raise MirageError(f"no {pattern} in {results} ({hint})")
    return paths


def read_json(path: Path) -> dict:
    """A page's committed JSON (what ``--from-json`` regenerates the page from); a missing file is one line."""
    if not Path(path).is_file():
        raise MirageError(f"{path} does not exist (run without --from-json first)")
    return json.loads(Path(path).read_text())


def merge(paths, json_path: Path, md_path: Path) -> list[dict]:
    """One JSON + Markdown table from several result files (each keeps its own command in the header list)."""
    from ..fileio import atomic_write_text
    from .rows import compare

    rows, headers = read_results(paths)
    compare(rows)  # rows from separate runs of the same dataset are compared too
    header = {"merged_from": [str(p) for p in paths], "headers": headers,
              "complete": all(h.get("complete") for h in headers),
              "seconds": sum(h.get("seconds", 0) for h in headers),
              "command": " ; ".join(h["command"] for h in headers), "machine": headers[0]["machine"]}
    atomic_write_text(json_path, json.dumps({"header": header, "rows": rows}, indent=1))
    atomic_write_text(md_path, markdown(rows, header))
    return rows
