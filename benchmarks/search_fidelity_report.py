"""The tables, plots and docs/search.md sections of ``search_fidelity.py`` (split from it: that script searches,
this module reads its records and JSON)."""

from __future__ import annotations

from pathlib import Path

# each distilled set is compared with real graphs chosen in its own bytes
BASELINES = {"default": ("herding-bytes", "random-bytes"), "paper": ("herding-bytes", "random-bytes"),
             "bank": ("herding-bank-bytes", "random-bank-bytes")}


def control_name(set_name: str) -> str:
    """The name of a set's permuted-label control (``--controls``)."""
    return set_name + "~permuted"


def is_control(set_name: str) -> bool:
    return set_name.endswith("~permuted")


def baselines(set_name: str) -> tuple:
    """The real-graph sets a distilled set is compared with: those drawn in its own bytes (a control: none)."""
    if is_control(set_name):
        return ()
    if set_name.startswith("bank@"):
        return (f"herding-{set_name}", f"random-{set_name}")
    return BASELINES.get(set_name, ())


def scores(rec: dict) -> dict:
    return {"val": [r["val_mean"] for r in rec["results"]], "test": [r["test_mean"] for r in rec["results"]]}


def plot(out: list, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(out), figsize=(4.2 * len(out), 4), squeeze=False)
    for ax, d in zip(axes[0], out):
        full = scores(d["searches"]["full"])["test"]
        names = [s for s in d["searches"] if s != "full"]
        for s, marker in zip(names, "os^vDPX<>*hp8"):
            rho = d["sets"][s]["spearman"]["value"]
            ax.scatter(full, scores(d["searches"][s])["test"], s=14, marker=marker, alpha=0.7,
                       label=f"{s} (ρ {rho:.2f})")
        ax.set_xlabel(f"test {d['metric']}, trained on full data")
        ax.set_ylabel(f"test {d['metric']}, trained on the set")
        ax.set_title(f"{d['dataset']}: {d['configurations']} configurations")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    if any(s.startswith("bank@") for d in out for s in d["sets"]):
        plot_caps(out, path.with_name(path.stem + "_curve.png"))


def plot_caps(out: list, path: Path) -> None:
    """Spearman against the set's share of the training bytes, per kind of set, with the full replicate's level."""
    import matplotlib
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(out), figsize=(5 * len(out), 4), squeeze=False)
    for ax, d in zip(axes[0], out):
        for kind, colour in (("bank", "C0"), ("herding-bank", "C1"), ("random-bank", "C2")):
            # the bank at the default cap and under each larger one, and the real graphs drawn in its bytes
            pts = sorted(((r["bytes"] / d["train_bytes"], r["spearman"]) for s, r in d["sets"].items()
                          if (s in (kind, kind + "-bytes") or s.startswith(kind + "@")) and not is_control(s)),
                         key=lambda p: p[0])
            if pts:
                x = [100 * f for f, _ in pts]
                ax.errorbar(x, [sp["value"] for _, sp in pts], color=colour, marker="o", capsize=3,
                            yerr=[[sp["value"] - sp["low"] for _, sp in pts], [sp["high"] - sp["value"] for _, sp in pts]],
                            label={"bank": "tree bank", "herding-bank": "herding", "random-bank": "random"}[kind])
        if d.get("replicate"):
            ax.axhline(d["replicate"]["spearman"]["value"], color="grey", ls="--", label="full replicate")
        ax.axhline(0.8, color="k", lw=0.5, ls=":")
        ax.set_xscale("log")
        ax.set_xticks([t for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50) if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]])
        ax.xaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%g"))
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("% of the training bytes")
        ax.set_ylabel("Spearman vs full-data ranking")
        ax.set_title(f"{d['dataset']}: fidelity against set size")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def page_section(blob: dict) -> str:
    """The fidelity section of docs/search.md, from the JSON."""
    out = Path(blob.get("out", "search_fidelity.json")).name  # runs before --out was recorded used the default
    lines = [f"Measured with `{blob['command']}` (`benchmarks/results/{out}`, plot "
             f"`{Path(out).with_suffix('.png').name}`): "
             f"{blob['datasets'][0]['configurations']} configurations, {blob['seeds']} "
             f"seed{'s' if blob['seeds'] > 1 else ''} each, "
             f"worker processes per search: {workers(blob)}; seconds compare within a dataset (its searches ran alike), "
             "not across datasets or with other pages. Spearman and Kendall: configurations' test scores, set vs full; regret: points of "
             "full-data test score lost by choosing on the set (the row *full data, chosen on its own validation*: "
             "lost by choosing on the full data's own validation scores, the regret's control); intervals: 95 % "
             "bootstrap over configurations.", "",
             "| dataset | set | graphs | Spearman [95 % CI] | Kendall | top-1 regret | top-5 overlap | "
             "distil + search s | full search s | speed-up | vs herding (Δ Spearman) | vs random (Δ Spearman) |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for d in blob["datasets"]:
        for name, r in d["sets"].items():
            sp = r["spearman"]

            def vs(i: int) -> str:  # against herding (0) or random (1) in this set's own bytes
                bases = baselines(name)
                x = r.get("vs_" + bases[i], {}).get("diff_spearman") if bases else None
                if not x:
                    return ""
                return delta(x)

            lines.append(f"| {d['dataset']} | {name} | {r['graphs']} | {sp['value']:.2f} [{sp['low']:.2f}, "
                         f"{sp['high']:.2f}] | {r['kendall']['value']:.2f} | "
                         f"{100 * r['top1_regret']['value']:.1f} | {r['top5_overlap']['value']:.1f} | "
                         f"{r['end_to_end_seconds']:.0f} | {d['full_seconds']:.0f} | {r['speedup']:.1f}x | "
                         f"{vs(0)} | {vs(1)} |")
        own = own_regret(d)
        lines.append(f"| {d['dataset']} | full data, chosen on its own validation | all | | | {100 * own:.1f} |"
                     + " |" * 6)
        for label, _, rep in replicates(d):
            sp = rep["spearman"]
            lines.append(f"| {d['dataset']} | {label} | all | {sp['value']:.2f} [{sp['low']:.2f}, {sp['high']:.2f}] | "
                         f"{rep['kendall']['value']:.2f} | {100 * rep['top1_regret']['value']:.1f} | "
                         f"{rep['top5_overlap']['value']:.1f} | | | | | |")
    lines += control_lines(blob) + versus_lines(blob) + warmup_lines(blob) + root_dropout_lines(blob)
    return "\n".join(lines) + "\n"


def delta(x: dict) -> str:
    """A paired difference in Spearman with its interval and verdict (``better``/``worse`` where the interval
    excludes zero)."""
    verdict = "better" if x["low"] > 0 else "worse" if x["high"] < 0 else "tie"
    return f"{x['value']:+.2f} [{x['low']:+.2f}, {x['high']:+.2f}] {verdict}"


def control_lines(blob: dict) -> list[str]:
    """With ``--controls``: each set's fidelity against its own permuted-label control's, under the table."""
    return paired_lines(blob, "vs_control", "each set against its own permuted-label control (`~permuted`; Δ "
                                            "Spearman, paired on the same resamples)")


def versus_lines(blob: dict) -> list[str]:
    """With ``--versus``: each set's paired difference in Spearman against each named set, under the table."""
    out = []
    for v in blob.get("versus") or []:
        for d in blob["datasets"]:
            each = []
            for name, r in d["sets"].items():
                x = r.get("vs_" + v, {}).get("diff_spearman")
                if x:
                    each.append(f"{name} {delta(x)}")
            if each:
                out.append(f"\n{d['dataset']}, Spearman against `{v}`'s, paired on the same resamples: "
                           + "; ".join(each) + ".")
    return out


def warmup_lines(blob: dict) -> list[str]:
    """With ``--set-select-after N``: each set against the same set's search choosing any epoch, under the table."""
    return paired_lines(blob, "vs_select_after_1",
                        f"each set's runs choosing their epoch from epoch {blob.get('select_after')} on, against the "
                        "same set's search choosing any epoch (Δ Spearman; paired on the same resamples)")


def root_dropout_lines(blob: dict) -> list[str]:
    """With ``--set-root-dropout P``: each set against the same set's search without root dropout, under the table."""
    return paired_lines(blob, "vs_root_dropout_0",
                        f"each set's runs trained with root dropout {blob.get('root_dropout')}, against the same "
                        "set's search without it (Δ Spearman; paired on the same resamples)")


def paired_lines(blob: dict, key: str, what: str) -> list[str]:
    """Per dataset, one line under the table: ``what``, then each set's paired differences under ``key`` (Spearman
    and top-1 regret)."""
    out = []
    for d in blob["datasets"]:
        each = []
        for name, r in d["sets"].items():
            x = r.get(key)
            if x:
                regret = x["diff_top1_regret"]
                each.append(f"{name} {delta(x['diff_spearman'])} (top-1 regret {100 * regret['value']:+.1f} points "
                            f"[{100 * regret['low']:+.1f}, {100 * regret['high']:+.1f}])")
        if each:
            out.append(f"\n{d['dataset']}, {what}: " + "; ".join(each) + ".")
    return out


def replicates(d: dict) -> list[tuple[str, str, dict]]:
    """A dataset's full-data replicate rows — one seed against another, and with four seeds or more the means of two
    halves of them — as ``(label on the page, short label in the printed table, record)``."""
    rows = []
    if d.get("replicate"):
        rows.append(("full replicate (seed 1 vs seed 0)", "full replicate", d["replicate"]))
    if d.get("replicate_halves"):
        (a, b), (c, e) = d["replicate_halves"]["seeds"]
        rows.append((f"full replicate (mean of seeds {c}–{e} vs {a}–{b})", "full halves", d["replicate_halves"]))
    return rows


def own_regret(d: dict) -> float:
    """The full-data search's own top-1 regret: its best test score minus the test score of the configuration its
    own validation ranking picks — what choosing on a real validation split costs with no distillation at all, the
    control a set's regret is read against."""
    return float(d["full_top_test"] - d["full_best_test"])


def workers(blob: dict) -> str:
    """How many worker processes each dataset's searches used (cached searches keep theirs)."""
    return ", ".join(f"{d['dataset']} {'/'.join(str(j) for j in sorted({r['jobs'] for r in d['searches'].values()}))}"
                     for d in blob["datasets"])


def write_page(blob: dict, section: str = "search-fidelity",
               page: Path = Path(__file__).resolve().parents[1] / "docs" / "search.md") -> None:
    from graph_mirage.bench.tables import write_section
    from graph_mirage.errors import MirageError

    try:
        write_section(page, f"<!-- {section}:start -->", f"<!-- {section}:end -->", page_section(blob))
    except MirageError as e:
        raise SystemExit(f"error: {e}") from None
