"""The learning-rate sections of docs/results: generated from the committed JSON, their readings quoting it."""

import json

from .conftest import benchmark_module
from .test_docs import DOCS, _recomputed_pairing


def _auto_rows(mod) -> dict:
    """lr_margin.json's rows of the default, by dataset and GNN."""
    import json

    rows = json.loads((mod.RESULTS / "lr_margin.json").read_text())["rows"]
    return {(r["dataset"], r["model"]): r for r in rows if r["method"] == "mirage-auto"}


def test_the_learning_rate_choice_section_is_its_json_and_its_reading_quotes_it():
    """docs/results' "Choosing a set's learning rate on validation": the generated tables are lr_choice.py's from the
    committed JSON, and the reading's numbers are the pairing's and the margin rule's."""
    import json

    mod = benchmark_module("lr_choice")
    page = (DOCS / "results" / "README.md").read_text()
    assert page.split(mod.START, 1)[1].split(mod.END, 1)[0].strip() == mod.page().strip()
    for stem in ("recipes_lr_choice", "recipes_lr_margin"):  # each pairing is recipes.py's of the tables it names
        _recomputed_pairing(stem)
    text = " ".join(page.split("## Choosing a set's learning rate on validation", 1)[1].split("\n## ", 1)[0].split())
    recs = json.loads((mod.RESULTS / "recipes_lr_choice.json").read_text())["rows"]
    by = {(r["dataset"], r["model"], r["method"]): r for r in recs}

    def iv(d: dict) -> str:
        return f"{100 * d['mean']:+.1f} [{100 * d['low']:+.1f}, {100 * d['high']:+.1f}]".replace("-", "−")

    gin = by[("synthetic-motifs", "gin", "mirage-auto")]
    assert f"from {100 * gin['plain_test_mean']:.1f} to {100 * gin['chosen_test_mean']:.1f} " \
           f"({iv(gin['chosen_minus_plain'])} ↑" in text and gin["verdict"] == "beats"
    three = [by[("bace-potency3.csv", m, "mirage-auto")] for m in ("gcn", "gat", "gin")]
    assert f"GCN {iv(three[0]['chosen_minus_plain'])} ↑ and GAT {iv(three[1]['chosen_minus_plain'])} ↑" in text
    assert f"ROC-AUC {100 * three[0]['plain_rocauc_macro']:.1f} / {100 * three[1]['plain_rocauc_macro']:.1f} → " \
           f"{100 * three[0]['chosen_rocauc_macro']:.1f} / {100 * three[1]['chosen_rocauc_macro']:.1f}" in text
    assert all(x == "plain" for m in ("gcn", "gat", "gin")
               for x in by[("bace-potency5.csv", m, "mirage-auto")]["recipes"])  # "keep 1e-3 with every GNN"
    multi = ("synthetic-motifs", "bace-potency3.csv", "bace-potency5.csv")
    binary = [r for r in recs if r["method"] == "mirage-auto" and r["dataset"] not in multi]
    fell = sum(r["chosen_margin_over_control"]["mean"] < r["plain_margin_over_control"]["mean"] for r in binary)
    taken = sum("high-lr" in r["recipes"] for r in binary)
    assert f"somewhere in {taken} of the {len(binary)} binary cells" in text
    assert f"the margin falls in {fell} of the {len(binary)} cells" in text
    moved = sorted(100 * r["chosen_minus_plain"]["mean"] for r in binary)
    assert f"the sets move by {moved[0]:+.1f} to {moved[-1]:+.1f}".replace("-", "−") in text
    assert {(r["dataset"], r["model"]) for r in binary if r["verdict"] != "tie"} == \
        {("ogbg-molbace", "gat"), ("ogbg-molbace", "gin")}
    margin = json.loads((mod.RESULTS / "recipes_lr_margin.json").read_text())["rows"]
    rule = {(r["dataset"], r["model"]): r for r in margin if r["method"] == "mirage-auto"}
    rbin = [r for (d, _), r in rule.items() if d not in multi]
    assert len(rbin) == len(binary) and all(r["verdict"] == "tie" for r in rbin)
    rmoved = sorted(100 * r["chosen_minus_plain"]["mean"] for r in rbin)
    assert f"the sets move by {rmoved[0]:+.1f} to {rmoved[-1]:+.1f} (≈ in all {len(rbin)} cells)".replace("-", "−") \
        in text
    rfell = [r for r in rbin if r["chosen_margin_over_control"]["mean"] < r["plain_margin_over_control"]["mean"]]
    assert f"the margins fall in {len(rfell)}, most on ogbg-molhiv with GIN" in text
    most = max(rfell, key=lambda r: r["plain_margin_over_control"]["mean"] - r["chosen_margin_over_control"]["mean"])
    assert most is rule[("ogbg-molhiv", "gin")]
    assert all(x == "plain" for d in ("NCI1", "DD", "ogbg-molbace", "ogbg-molbbbp") for m in ("gcn", "gat", "gin")
               for x in rule[(d, m)]["recipes"])
    aucs = [rule[("bace-potency3.csv", m)]["chosen_rocauc_macro"] for m in ("gcn", "gat", "gin")]
    assert min(aucs) >= 0.65 and " / ".join(f"{100 * a:.1f}" for a in aucs) in text
    whole = " ".join(page.split())
    assert "3 classes reach " + " / ".join(f"{100 * a:.1f}" for a in aucs) + " — met with every GNN there" in whole
    sg = rule[("synthetic-motifs", "gin")]
    assert f"GIN {100 * sg['chosen_test_mean']:.1f}, {iv(sg['chosen_minus_plain'])} ↑" in text
    real = [r for r in margin if r["method"] in ("herding-bytes", "random-bytes")]
    moved = sorted(100 * r["chosen_minus_plain"]["mean"] for r in real)
    up = [r for r in real if r["verdict"] != "tie"]
    assert len(up) == 1 and (up[0]["dataset"], up[0]["model"], up[0]["method"], up[0]["verdict"]) == \
        ("ogbg-moltox21", "gin", "herding-bytes", "beats")
    assert f"choosing by their own margins move by {moved[0]:+.1f} to {moved[-1]:+.1f} (above plain in 1 of " \
           f"{len(real)} cells: ogbg-moltox21's herding with GIN, {100 * up[0]['chosen_minus_plain']['mean']:+.1f})" \
        .replace("-", "−").replace("ogbg−", "ogbg-") in text
    nci1 = [lm_row["paired"][b]["mean"] for (d, _), lm_row in _auto_rows(mod).items() if d == "NCI1"
            for b in ("herding-bytes", "random-bytes")]
    assert f"(NCI1 {100 * min(nci1):+.1f} to {100 * max(nci1):+.1f} ↑)" in text
    plain_rows = {(r["dataset"], r["model"]): r for r in json.loads((mod.RESULTS / "equal_bytes.json").read_text())[
        "rows"] if r["method"] == "mirage-auto"}
    turned = [(d, m, b) for (d, m), r in _auto_rows(mod).items() if d not in multi and (d, m) in plain_rows
              for b in ("herding-bytes", "random-bytes")
              if r["paired"][b]["verdict"] != plain_rows[(d, m)]["paired"][b]["verdict"]]
    cells = sum(1 for (d, m) in _auto_rows(mod) if d not in multi and (d, m) in plain_rows) * 2
    assert f"two verdicts of the {cells} turn" in text and \
        sorted(turned) == [("DD", "gcn", "herding-bytes"), ("ogbg-molhiv", "gin", "herding-bytes")]
    for d, m, mark0, mark1 in (("DD", "gcn", "↑", "≈"), ("ogbg-molhiv", "gin", "≈", "↑")):
        before = plain_rows[(d, m)]["paired"]["herding-bytes"]["mean"]
        after = _auto_rows(mod)[(d, m)]["paired"]["herding-bytes"]["mean"]
        assert f"({100 * before:+.1f} {mark0} → {100 * after:+.1f} {mark1})" in text
    score_real = [r for r in recs if r["method"] in ("herding-bytes", "random-bytes") and r["dataset"] not in multi]
    top = sorted(score_real, key=lambda r: -r["chosen_minus_plain"]["mean"])[:2]
    assert f"above plain in {sum(r['verdict'] == 'beats' for r in score_real)} of their {len(score_real)} binary " \
           f"cells (most DD's herding graphs with GAT, {100 * top[0]['chosen_minus_plain']['mean']:+.1f}; " \
           f"ogbg-molbace's random molecules with GCN {100 * top[1]['chosen_minus_plain']['mean']:+.1f})" in text
    assert [(r["dataset"], r["model"], r["method"]) for r in top] == [("DD", "gat", "herding-bytes"),
                                                                      ("ogbg-molbace", "gcn", "random-bytes")]
    assert len(score_real) == 52  # herding's and random graphs at both rates on every binary dataset
    def vs_herding(stem: str) -> dict:  # the default minus herding's graphs on DD, by GNN, in a bench table
        rows = json.loads((mod.RESULTS / f"{stem}.json").read_text())["rows"]
        return {r["model"]: r["paired"]["herding-bytes"] for r in rows
                if r["dataset"] == "DD" and r["method"] == "mirage-auto"}

    chosen_dd, plain_dd = vs_herding("highlr_dd"), vs_herding("equal_bytes")
    assert all(d["verdict"] == "tie" for d in chosen_dd.values())
    lo, hi = sorted(100 * d["mean"] for d in chosen_dd.values())[::2]
    assert f"level with herding's graphs on DD with every GNN ({lo:+.1f} to {hi:+.1f} ≈; plain, the README's table: " \
           f"{100 * plain_dd['gcn']['mean']:+.1f} ↑ and {100 * plain_dd['gat']['mean']:+.1f} ↑ with GCN and GAT)" \
        in text and plain_dd["gcn"]["verdict"] == plain_dd["gat"]["verdict"] == "beats"
    lm = _auto_rows(mod)
    gin = lm[("synthetic-motifs", "gin")]["paired"]
    assert f"with GIN ({100 * gin['herding-bytes']['mean']:+.1f} and {100 * gin['random-bytes']['mean']:+.1f} ↑)" \
        in text and gin["herding-bytes"]["verdict"] == gin["random-bytes"]["verdict"] == "beats"
    gcn = lm[("synthetic-motifs", "gcn")]["paired"]["herding-bytes"]
    assert f"herding with GCN ({100 * gcn['mean']:+.1f} ↓)".replace("-", "−") in text and gcn["verdict"] == "loses"
    assert all(lm[(d, m)]["paired"][b]["verdict"] == "beats" for d in ("bace-potency3.csv", "bace-potency5.csv")
               for m in ("gcn", "gat", "gin") for b in ("herding-bytes", "random-bytes"))
    readme = " ".join((DOCS.parent / "README.md").read_text().split())
    assert f"macro ROC-AUC of {100 * min(aucs):.1f}–{100 * max(aucs):.1f} with every GNN" in readme
    sa = rule[("synthetic-motifs", "gat")]
    lifts = [100 * r["chosen_minus_plain"]["mean"] for r in (sg, sa)]
    assert f"GIN {lifts[0]:+.1f} ↑ (GAT {lifts[1]:+.1f} ↑)" in readme and sg["verdict"] == sa["verdict"] == "beats"
    assert f"the margin falls in {fell} of {len(binary)} binary cells" in readme


def test_the_margin_glance_section_is_its_json_and_its_reading_quotes_it():
    """docs/results' README table under the margin rule: the section and margin_glance.json are margin_glance.py's
    from the committed tables, and the reading quotes the verdicts that turn and how far the sets move."""
    mod = benchmark_module("margin_glance")
    page = (DOCS / "results" / "README.md").read_text()
    assert page.split(mod.START, 1)[1].split(mod.END, 1)[0] == "\n" + mod.page()
    blob = json.loads((mod.RESULTS / "margin_glance.json").read_text())
    assert blob == json.loads(json.dumps(mod.summary()))
    text = " ".join(page.split(mod.END, 1)[1].split("\n## ", 1)[0].split())

    def arrow(t: dict, side: str) -> str:
        return f"{t[side]:+.1f} {mod.VERDICT_MARKS[t[side + '_verdict']]}".replace("-", "−")

    turned = {(t["dataset"], t["model"], t["column"]): t for t in blob["turned"]}
    assert len(turned) == 6 and f"**Six of the {blob['compared']} verdicts turn" in text
    assert sum(d == "synthetic-motifs" for d, _, _ in turned) == 4
    assert all(t["chosen"] > t["plain"] for t in turned.values() if t["dataset"] == "synthetic-motifs")
    for key in turned:
        assert f"{arrow(turned[key], 'plain')} → {arrow(turned[key], 'chosen')}" in text, key
    auto, own = blob["moves"]["mirage-auto"], blob["moves"]["mirage-plain"]
    two = auto["two classes"]
    assert f"move by {two['least'][0]:+.1f} to {two['most'][0]:+.1f} on two classes".replace("-", "−") in text
    several = auto["several classes"]
    assert f"({several['least'][0]:+.1f} to {several['most'][0]:+.1f})" in text
    assert own["two classes"]["most"] == [7.1, "DD GIN"] and "DD's set with GIN gains +7.1" in text
    assert f"by {own['several classes']['least'][0]:+.1f} to {own['several classes']['most'][0]:+.1f}" in text
    rows = json.loads((mod.RESULTS / "margin_tables.json").read_text())["rows"]
    plain_vs_default = [r["paired"]["mirage-auto"]["verdict"] for r in rows if r["method"] == "mirage-plain"]
    assert "beats" not in plain_vs_default  # "the tree bank stays above its own DAGs or level with them"
    readme = " ".join((DOCS.parent / "README.md").read_text().split())
    gin = [turned[("synthetic-motifs", "gin", f"vs {b}, same bytes")]["chosen"] for b in ("herding", "random")]
    assert (f"turns 6 of its {blob['compared']} paired verdicts, 4 of them on synthetic-motifs, all for the default "
            f"(with GIN above herding's and random graphs, {gin[0]:+.1f} and {gin[1]:+.1f} ↑)") in readme
