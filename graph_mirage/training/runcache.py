"""The cache of training runs: one JSON file per run, keyed by everything its result depends on.

A run is keyed by the dataset and split, the training set (the full split, or a distilled set's arrays and meta),
the GNN, the training settings, the seed and :data:`PROTOCOL`. The benchmark (:mod:`graph_mirage.bench.runs`) and
model search (:class:`~graph_mirage.search.ModelSearch` with ``cache_dir``) write and read the same files, so a run
either of them has made is never trained again, and an interrupted table or search resumes where it stopped.

Example:
    >>> key = run_key(ds.meta, "gin", TrainConfig(), 0, set_key(distilled))           # doctest: +SKIP
    >>> path = cache_path("runs", ds.meta, "mirage-auto", "gin", 0, key)              # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from pathlib import Path

PROTOCOL = "runs-v1"  # v1: validation-selected and last-epoch test metrics, decisions with the prior correction
# What a run records beyond PROTOCOL's inputs: 2 adds the decisions after a bias fitted on the validation split, 3
# keeps that bias only where it decides validation no worse than the prior correction (``calibration_kept``). The
# training is the same, so older runs stay valid for everything else they hold (``--refresh`` re-runs them).
OUTPUTS = 3


def set_key(d) -> str:
    """What a distilled set's training result depends on: its arrays and its meta, less ``meta["auto"]`` — the record
    of how the automatic rule chose the settings (candidates' scores, the rule's wording), which training never reads:
    rewording the rule must not discard runs of the very same set."""
    from ..distilled import _checksum, distilled_arrays

    # the split's identity is in the run's key already (split_tag), and sets made before it was recorded keep theirs
    meta = {k: v for k, v in d.meta.items()
            if k not in ("auto", "split_stratified", "split_folds", "split_fold", "source_content")}
    blob = json.dumps(meta, sort_keys=True, default=str) + _checksum(distilled_arrays(d))
    return hashlib.sha256(blob.encode()).hexdigest()


def split_tag(meta: dict) -> str:
    """A short name of a dataset's split: ``scaffold``, ``random-s0``, ``fold3of10-s0``."""
    kind = meta.get("split_kind")
    if kind == "folds":
        return f"fold{meta['split_fold']}of{meta['split_folds']}-s{meta['split_seed']}"
    if kind == "random":
        return f"random-s{meta.get('split_seed')}" + ("-strat" if meta.get("split_stratified") else "")
    return str(kind)


def run_key(ds_meta: dict, model: str, config, seed: int, train: str, bank_batches: bool = False) -> str:
    """The cache key of a run (``bank_batches``: a tree bank's set trained on sub-DAGs of the bank, which only such a
    set's runs depend on — the keys of every other run are those they had before the option existed)."""
    settings = asdict(config)
    settings.pop("bank_batches", None)
    if settings.get("select_after") == 1:  # the rule before the option existed: those runs keep their keys
        settings.pop("select_after")
    for name in ("root_dropout", "mixup", "ema"):  # likewise for root dropout, mixup and averaging
        if settings.get(name) == 0:
            settings.pop(name)
    parts = {"dataset": ds_meta.get("name"), "split": split_tag(ds_meta), "model": model, "config": settings,
             "seed": seed, "train": train, "protocol": PROTOCOL}
    if bank_batches:
        parts["bank_batches"] = True
    if ds_meta.get("node_attributes"):  # the same split read with its continuous attributes is another dataset
        parts["node_attributes"] = [ds_meta.get(k) for k in ("node_attributes", "node_attributes_centre",
                                                             "node_attributes_scale")]
    if ds_meta.get("degree_bins"):  # binned degrees as node labels: another dataset than its raw degrees
        parts["degree_bins"] = ds_meta["degree_bins"]
    if ds_meta.get("content_key"):  # a user's file: its content and columns (an edited file is never served stale)
        parts["content"] = ds_meta["content_key"]
    blob = json.dumps(parts, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cache_path(cache_dir, ds_meta: dict, method: str, model: str, seed: int, key: str) -> Path:
    return Path(cache_dir) / str(ds_meta["name"]).replace(":", "-") / \
        f"{method}-{model}-{split_tag(ds_meta)}-seed{seed}-{key}.json"


def cached_run(path: Path) -> Path | None:
    """The cached file of the run ``path`` names (:func:`cache_path`), or None. A run of the same key cached under
    another method's name is the same run — the key holds everything the result depends on, and a method's name is
    not part of it (the default of one release is another's named option) — so it is found too."""
    path = Path(path)
    if path.is_file():
        return path
    key = path.stem.rsplit("-", 1)[-1]  # the name ends with the run's key, a hash of all it depends on
    found = sorted(path.parent.glob(f"*-{key}.json")) if path.parent.is_dir() else []
    return found[0] if found else None


def read_run(path: Path) -> dict | None:
    """The cached record at ``path`` (``{"run", "metric", "outputs", ...}``), or None when there is none or it cannot
    be read (a damaged file is trained again, not trusted)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None


def machine() -> dict:
    """Where a run was trained: the CPU model, the vector instructions PyTorch's kernels use and its version. Not part
    of a run's key, but recorded with it: the same seed gives the same run on one machine, and float kernels differ
    between machines and instruction sets, so a long run repeated elsewhere drifts (docs/search.md)."""
    import platform

    import torch

    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return {"cpu": cpu, "kernels": torch.backends.cpu.get_cpu_capability(), "torch": torch.__version__}


def write_run(path: Path, record: dict) -> None:
    """Write one run's record atomically (a killed writer leaves no half-written file behind), with the
    :func:`machine` it was trained on."""
    from ..fileio import atomic_write_text

    atomic_write_text(path, json.dumps(dict(record, protocol=PROTOCOL, outputs=OUTPUTS, machine=machine()), indent=1,
                                       sort_keys=True), "training-run cache file")
