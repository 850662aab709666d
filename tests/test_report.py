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
