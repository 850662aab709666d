"""`mirage inspect`: the report is written, its images are real pictures, its links resolve, bad input is refused."""

import json
import re

import numpy as np
import pytest
from matplotlib import image as mpimg

from graph_mirage import ArtifactError, Mirage
from graph_mirage.report import write_report

from . import forked
from .conftest import without_start_up


@pytest.fixture(scope="module")
def artifact(synthetic, tmp_path_factory):
    path = tmp_path_factory.mktemp("art") / "s.npz"
    Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_.save(path)
    return path


def _results(tmp_path):
    rows = [{"dataset": "synthetic-motifs", "model": m, "method": meth, "bytes": b, "test_mean": t, "test_std": 0.02,
             "metric": "accuracy"}
            for m in ("gin", "gcn") for meth, b, t in (("full", 300000, 0.9), ("mirage", 5000, 0.6),
                                                       ("random", 6000, 0.4))]
    p = tmp_path / "results.json"
    p.write_text(json.dumps({"header": {}, "rows": rows}))
    return p


def test_report_is_complete(artifact, tmp_path):
    out = tmp_path / "report"
    page = write_report(artifact, out, results=_results(tmp_path))
    text = page.read_text()
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["accuracy_vs_size.png", "rank_frequency.png", "trees_class0.png", "trees_class1.png",
                    "trees_class2.png"]
    for name in pngs:
        img = mpimg.imread(out / name)
        assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
        assert float(np.std(img[..., :3])) > 0.02  # not blank
    refs = re.findall(r"(?:src|href)='([^']+)'", text)
    files = [r for r in refs if not r.startswith("data:")]
    assert files and all((out / f).is_file() for f in files)
    assert sum(r.startswith("data:image/png;base64,") for r in refs) == len(pngs)  # self-contained
    assert "Per class" in text and "synthetic-motifs" in text


def test_the_accuracy_plot_is_drawn_exactly_when_results_are_given(artifact, tmp_path):
    without = write_report(artifact, tmp_path / "r").read_text()
    with_results = write_report(artifact, tmp_path / "s", results=_results(tmp_path)).read_text()
    pngs = {d: sorted(p.name for p in (tmp_path / d).glob("*.png")) for d in ("r", "s")}
    assert sorted(set(pngs["s"]) - set(pngs["r"])) == ["accuracy_vs_size.png"] and set(pngs["r"]) < set(pngs["s"])
    assert "accuracy_vs_size.png" in with_results and "accuracy_vs_size.png" not in without


def test_report_refuses_bad_artifacts(tmp_path):
    with pytest.raises(ArtifactError, match="no such file"):
        write_report(tmp_path / "missing.npz", tmp_path / "r")
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ArtifactError, match="not an .npz archive"):
        write_report(bad, tmp_path / "r")


def test_cli_inspect_errors_are_one_line(artifact, tmp_path):
    r = forked.run(["inspect", tmp_path / "nope.npz", "--out", tmp_path / "r"], text=True)
    assert r.returncode == 2 and without_start_up(r.stderr).strip().count("\n") == 0 and "no such file" in r.stderr
    r = forked.run(["inspect", artifact, "--out", tmp_path / "r", "--results", tmp_path / "none.json"], text=True)
    assert r.returncode == 2 and "run the benchmark first" in r.stderr
    r = forked.run(["inspect", artifact, "--out", tmp_path / "ok"], text=True)
    assert r.returncode == 0 and (tmp_path / "ok" / "index.html").is_file()


def test_inspect_without_out_prints_what_the_file_holds(synthetic, tmp_path):
    """The summary is read from the file: its counts, size and split are the set's own, and the automatic default's
    choice is the estimator's."""
    from graph_mirage import AutoPrototypes
    from graph_mirage.workflows.files import describe

    ds = synthetic
    auto = AutoPrototypes().fit(ds[ds.split["train"]], validation=ds[ds.split["valid"]])
    path = tmp_path / "auto.npz"
    auto.distilled_.save(path)
    d = auto.distilled_
    info = describe(str(path))
    y = d.y.view(-1).numpy()
    assert info["per_class"] == {str(c): int((y == c).sum()) for c in np.unique(y)}
    assert (info["graphs"], info["bytes"]) == (len(d), d.nbytes())
    assert info["size_fraction"] == round(d.nbytes() / d.meta["full_bytes"], 6)
    assert info["train_graphs"] == len(ds.split["train"]) and info["dataset"] == "synthetic-motifs"
    assert {k: info["chosen"][k] for k in auto.best_params_} == auto.best_params_
    assert info["split"].startswith("random (seed 0") and info["tree_bank"] == (d.bank is not None)
    r = forked.run(["inspect", path, "--json"], text=True)
    assert r.returncode == 0 and json.loads(r.stdout) == json.loads(json.dumps(info))
    r = forked.run(["inspect", path], text=True)
    assert r.returncode == 0 and not list(tmp_path.glob("*.html"))
    assert f"{info['graphs']} graphs" in r.stdout and "synthetic-motifs" in r.stdout
    assert f"{100 * info['size_fraction']:.3g} %" in r.stdout and "chosen on the validation split" in r.stdout


def test_inspect_refuses_options_of_the_other_mode_in_one_line(artifact, tmp_path):
    for extra, says in ((["--json", "--out", tmp_path / "r"], "leave out --out"),
                        (["--results", tmp_path / "x.json"], "give --out DIR")):
        r = forked.run(["inspect", artifact, *extra], text=True)
        assert r.returncode == 2 and says in r.stderr
        assert without_start_up(r.stderr).strip().count("\n") == 0
    assert not (tmp_path / "r").exists()


def test_inspect_summary_of_real_graphs_and_learned_sets_says_only_what_they_record(synthetic, tmp_path):
    """A selection of real graphs records no readout: the summary leaves it out rather than print None."""
    from graph_mirage.baselines import HerdingSelection
    from graph_mirage.cli.output import describe_lines
    from graph_mirage.workflows.files import describe

    path = tmp_path / "herding.npz"
    HerdingSelection(k=2).fit(synthetic[synthetic.split["train"]]).distilled_.save(path)
    info = describe(str(path))
    text = describe_lines(info)
    assert info["readout"] is None and "None" not in text and "readout" not in text
    assert info["per_class"] == {"0": 2, "1": 2, "2": 2} and "depth 2" in text and "chosen" not in text
