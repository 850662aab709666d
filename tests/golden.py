"""The artifacts whose bytes are pinned (``tests/data/golden_artifacts.json``): every distiller and baseline that
is deterministic, at its defaults and at the paper's settings, on the 8 benchmark datasets.

``python -m tests.golden ROOT`` rewrites the file (only after a change that is meant to change the artifacts, with the
reason in the commit); ``tests/test_golden.py`` checks that the current code writes exactly these bytes.
``python -m tests.golden ROOT --check [DATASET ...]`` rewrites nothing: it prints, per dataset, the artifacts whose
bytes differ from the pinned ones (how another machine, or another numpy/OpenBLAS kernel, is compared).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import warnings
from pathlib import Path

DATASETS = ["MUTAG", "ogbg-molbace", "ogbg-molbbbp", "PROTEINS", "NCI1", "IMDB-BINARY", "DD", "ogbg-molhiv"]
GOLDEN = Path(__file__).parent / "data" / "golden_artifacts.json"


def variants(name: str, train, valid) -> dict:
    """Artifact name -> a function that distils it from ``train`` (``valid``: the default's validation graphs)."""
    from graph_mirage import AutoPrototypes, Mirage, TreePrototypes
    from graph_mirage.baselines import HerdingSelection, RandomSelection
    from graph_mirage.config.presets import PAPER_DISTILL

    out = {"default": lambda: AutoPrototypes().fit(train, validation=valid).distilled_,
           "no-degrees": lambda: AutoPrototypes(degrees=False).fit(train, validation=valid).distilled_,
           "plain": lambda: AutoPrototypes(bank=False).fit(train, validation=valid).distilled_,
           "budget10": lambda: Mirage(hops=2, budget=10).fit(train).distilled_,
           "proto5": lambda: TreePrototypes(hops=2, per_class=5).fit(train).distilled_,
           "herding10": lambda: HerdingSelection(k=10, hops=2).fit(train).distilled_,
           "random10": lambda: RandomSelection(k=10, seed=0).fit(train).distilled_}
    if name in PAPER_DISTILL:
        for st in range(PAPER_DISTILL[name].steps):
            out[f"paper-step{st}"] = lambda st=st: Mirage.from_preset(name, step=st).fit(train).distilled_
    return out


def artifact_hashes(name: str, root) -> dict[str, str]:
    """SHA-256 of each variant's ``.npz`` file (or the error it raised) for dataset ``name``."""
    from graph_mirage import load_dataset

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = load_dataset(name, root)
    train = ds[ds.split["train"]]
    res = {}
    for key, make in variants(name, train, ds[ds.split["valid"]]).items():
        try:
            d = make()
        except Exception as e:  # noqa: BLE001 - an error is part of the pinned behaviour
            res[key] = f"error: {type(e).__name__}: {e}"
            continue
        with tempfile.TemporaryDirectory() as tmp:
            path = d.save(Path(tmp) / "set.npz")
            res[key] = hashlib.sha256(path.read_bytes()).hexdigest()
    return res


def check(root, names) -> int:
    """Print each dataset's artifacts that differ from the pinned bytes; how many differ in all."""
    pinned = json.loads(GOLDEN.read_text())
    differ = 0
    for name in names:
        got = artifact_hashes(name, root)
        bad = sorted(k for k in set(got) | set(pinned[name]) if got.get(k) != pinned[name].get(k))
        differ += len(bad)
        print(f"{name}: {', '.join(bad) if bad else 'every artifact as pinned'}", flush=True)
    return differ


if __name__ == "__main__":
    import torch

    torch.set_num_threads(1)
    args = sys.argv[1:]
    root = args.pop(0) if args and args[0] != "--check" else None
    if args[:1] == ["--check"]:
        unknown = [n for n in args[1:] if n not in DATASETS]
        if unknown:  # before any distillation: the pins hold only these datasets
            sys.exit(f"not pinned: {', '.join(unknown)} (pinned: {', '.join(DATASETS)})")
        sys.exit(1 if check(root, args[1:] or DATASETS) else 0)
    blob = {name: artifact_hashes(name, root) for name in DATASETS}
    GOLDEN.write_text(json.dumps(blob, indent=1, sort_keys=True) + "\n")
    print(f"wrote {GOLDEN}")
