"""Byte-identical artifacts: every deterministic distiller and baseline, at its defaults and at the paper's settings,
writes exactly the pinned bytes (tests/data/golden_artifacts.json) on the 8 benchmark datasets. A restructuring of
the code must not change a single byte; a change that is meant to change an artifact rewrites the file
(``python -m tests.golden ROOT``) and says why in its commit."""

import json

import pytest

from .conftest import needs_data
from .golden import DATASETS, GOLDEN, artifact_hashes

PINNED = json.loads(GOLDEN.read_text())


def test_every_dataset_is_pinned_with_its_defaults_and_presets():
    assert sorted(PINNED) == sorted(DATASETS)
    for name, variants in PINNED.items():
        assert {"default", "no-degrees", "plain", "budget10", "proto5", "herding10", "random10"} <= set(variants), name
    assert sum(k.startswith("paper-step") for v in PINNED.values() for k in v) == 17  # 6 presets, their steps


@needs_data
@pytest.mark.parametrize("name", DATASETS)
def test_artifacts_are_byte_identical(name, data_root):
    got = artifact_hashes(name, data_root)
    assert got == PINNED[name]


@needs_data
def test_check_reports_the_artifacts_whose_bytes_differ(data_root, tmp_path, monkeypatch, capsys):
    from . import golden

    edited = dict(PINNED, MUTAG=dict(PINNED["MUTAG"], proto5="0" * 64))
    path = tmp_path / "golden.json"
    path.write_text(json.dumps(edited))
    monkeypatch.setattr(golden, "GOLDEN", path)
    assert golden.check(data_root, ["MUTAG"]) == 1
    assert capsys.readouterr().out.strip() == "MUTAG: proto5"
