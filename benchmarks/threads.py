"""Torch threads for small GNNs, and the wall time of the README's long commands.

`python benchmarks/threads.py` trains GIN on ogbg-molbace for one seed with 1 and with 2 torch threads, on the
paper-preset distilled set (100 epochs, evaluation every epoch) and on the full training split (10 epochs), once on
the machine as it is and once beside a second process that keeps one more core busy (as a benchmark, a test run or a
second training job does); the 1-minute load average is recorded with every row. Writes
benchmarks/results/threads.json.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import time
import warnings
from pathlib import Path

import torch

from graph_mirage import Mirage, load_dataset
from graph_mirage.training import TrainConfig, eval_sets, train_and_evaluate


def _spin(stop) -> None:  # one busy core
    while not stop.is_set():
        sum(i * i for i in range(10_000))


def main() -> None:
    warnings.simplefilter("ignore")
    ds = load_dataset("ogbg-molbace")
    d = Mirage.from_preset("ogbg-molbace").fit(ds[ds.split["train"]]).distilled_
    evals = eval_sets(ds)
    rows = []
    for busy in (False, True):
        stop = mp.Event()
        spinner = mp.Process(target=_spin, args=(stop,)) if busy else None
        if spinner:
            spinner.start()
        try:
            for threads in (1, 2):
                torch.set_num_threads(threads)
                for label, train_set, cfg in (("distilled, 100 epochs", d, TrainConfig(epochs=100)),
                                              ("full, 10 epochs", None, TrainConfig(epochs=10, batch_size=64))):
                    t0 = time.perf_counter()
                    r = train_and_evaluate(ds, train_set, model="gin", seeds=[0], config=cfg, evals=evals)
                    rows.append({"other_core_busy": busy, "threads": threads, "what": label,
                                 "loadavg_1min": os.getloadavg()[0],
                                 "seconds": time.perf_counter() - t0, "train_seconds": r["train_seconds"],
                                 "eval_seconds": r["eval_seconds"]})
                    print(rows[-1], flush=True)
        finally:
            if spinner:
                stop.set()
                spinner.join()
    out = Path("benchmarks/results/threads.json")
    out.write_text(json.dumps({"cores": os.cpu_count(), "torch": torch.__version__, "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
