"""``condense`` (a learned baseline as a distilled-set file), ``export`` (a dataset or a distilled set as Parquet
tables), ``inspect`` (an HTML report of a distilled set) and ``describe`` (what a distilled-set file holds)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import MirageError
from .settings import DataSettings, _int, check_output

if TYPE_CHECKING:
    from ..baselines import DosCond, KiDD


@dataclass
class CondenseSettings:
    """A learned baseline at its authors' settings (None: theirs)."""

    data: DataSettings
    method: str = "doscond"
    graphs_per_class: int | None = None
    steps: int | None = None
    seed: int = 0
    device: str = "cpu"
    threads: int = 1
    out: str | None = None

    def check(self) -> None:
        from ..training.config import check_device_name

        self.data.check()
        if self.method not in ("doscond", "kidd"):
            raise MirageError(f"method must be doscond or kidd, got {self.method!r}")
        for name, low in (("graphs_per_class", 1), ("steps", 1), ("seed", 0), ("threads", 1)):
            _int(name, getattr(self, name), low)
        check_device_name(self.device)
        if self.out is not None:
            check_output(self.out)
        from ..baselines.dense import single_task_only
        from .distill import multitask_source

        tasks = multitask_source(self.data)
        if tasks:  # known without loading: refused before the data are featurised
            raise MirageError(f"{self.data.dataset}: " + single_task_only("DosCond and KiDD", tasks))

    def estimator(self) -> DosCond | KiDD:
        from ..baselines import DosCond, KiDD

        kwargs = {"seed": self.seed, "device": self.device}
        if self.graphs_per_class is not None:
            kwargs["graphs_per_class"] = self.graphs_per_class
        if self.steps is not None:
            kwargs["steps" if self.method == "doscond" else "updates"] = self.steps
        return (DosCond if self.method == "doscond" else KiDD)(**kwargs)


def condense(s: CondenseSettings, *, progress: bool = False) -> DosCond | KiDD:
    """Distil with DosCond or KiDD (slow: they train on the full split); returns the fitted estimator (its
    ``distilled_`` saved to ``s.out`` when given)."""
    from ..training.config import resolve_device, torch_threads

    s.check()
    resolve_device(s.device)
    est = s.estimator()
    ds = s.data.load(progress)
    with torch_threads(s.threads):
        est.fit(ds[ds.split["train"]], progress=progress)
    if s.out is not None:
        est.distilled_.save(s.out)
    return est


def export(source: str, out: str, *, data: DataSettings | None = None, graphs_per_file: int = 100_000,
           progress: bool = False) -> dict:
    """Write a dataset (by name, with ``data``'s split options) or a distilled-set file (``.npz``) as Parquet tables
    in ``out`` (:mod:`graph_mirage.data.parquet`); returns a summary."""
    from ..data import export_parquet

    _int("graphs_per_file", graphs_per_file, 1)
    out_path = Path(out)
    if out_path.exists() and (not out_path.is_dir() or any(out_path.iterdir())):
        raise MirageError(f"{out} exists and is not an empty directory; choose a new output directory")
    from ..data.registry import is_csv_path

    if Path(source).suffix == ".npz" or (Path(source).is_file() and not is_csv_path(source)):
        from ..data.parquet import export_distilled_parquet
        from ..distilled import DistilledDataset

        d = DistilledDataset.load(source)
        export_distilled_parquet(d, out, graphs_per_file=graphs_per_file)
        return {"source": str(source), "content": "distilled", "graphs": len(d), "out": str(out),
                "layout": "graph-mirage-parquet v1"}
    data = data or DataSettings(source)
    data.check()
    ds = data.load(progress)
    export_parquet(ds, out, graphs_per_file=graphs_per_file)
    return {"dataset": ds.name, "content": "dataset", "graphs": len(ds), "out": str(out),
            "layout": "graph-mirage-parquet v1"}


def inspect(artifact: str, out: str, *, results: str | None = None) -> Path:
    """Write an HTML report of a distilled set into directory ``out``; returns the HTML path."""
    from ..fileio import check_distilled_file, check_output_directory

    check_distilled_file(artifact)  # both refused before PyTorch and the plotting libraries are imported
    check_output_directory(out, "report directory")
    from ..report import write_report

    return write_report(artifact, out, results=results)


def describe(artifact: str) -> dict:
    """What a distilled-set file holds, read from it (``mirage inspect FILE`` without ``--out`` prints it): the
    dataset, split and method it was made from and with, its graphs per class (or informing each task), size against
    the training split's, depth and readout, the method's parameters, and for the automatic default the setting it
    chose with its validation score.

    Example:
        >>> describe("bace.npz")["size_fraction"]      # doctest: +SKIP
        0.003509
    """
    from ..data.splits import describe_split
    from ..fileio import check_distilled_file

    check_distilled_file(artifact)
    from ..distilled import DistilledDataset

    d = DistilledDataset.load(artifact)
    m, size = d.meta, d.summary()
    chosen = (m.get("auto") or {}).get("settings")
    return {"file": str(artifact), "dataset": m.get("dataset"), "method": m.get("method"),
            "package_version": m.get("package_version"), **size, "per_class": d.per_label(m.get("class_names")),
            "tasks": m.get("num_tasks"), "full_bytes": m.get("full_bytes"), "train_graphs": m.get("train_graphs"),
            "size_fraction": round(size["bytes"] / m["full_bytes"], 6) if m.get("full_bytes") else None,
            "hops": m.get("hops"), "readout": m.get("readout"), "tree_bank": d.bank is not None,
            "node_attributes": int(m.get("node_attributes") or 0),
            **({"degree_bins": m["degree_bins"]} if m.get("degree_bins") else {}),
            "split": describe_split(m) if m.get("split_kind") else None, "params": m.get("params") or {},
            "chosen": chosen, "chosen_on": (m.get("auto") or {}).get("scored_on")}
