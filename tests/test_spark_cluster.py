"""The Spark engine on a real standalone cluster (``scripts/spark_cluster.sh``: a master and two worker JVMs, not
``local[*]``): the in-memory file byte for byte, executors on the workers, and a worker killed mid-job."""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from graph_mirage import load_dataset
from graph_mirage.data import export_parquet

from . import forked
from .conftest import DATA_ROOT, HAVE_DATA

pytest.importorskip("pyspark")  # a test dependency (pyproject's `test` extra): present in CI

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "spark_cluster.sh"


def _script(state: Path, *args: str, timeout: float = 180):
    env = {**os.environ, "MIRAGE_SPARK_CLUSTER": str(state), "PYTHON": sys.executable}
    return subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)


@contextmanager
def _cluster(state: Path):
    r = _script(state, "start")
    assert r.returncode == 0, r.stderr
    try:
        yield r.stdout.strip().splitlines()[-1]
    finally:
        _script(state, "stop")


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    if not HAVE_DATA:
        pytest.skip(f"real datasets not found under {DATA_ROOT} (set MIRAGE_DATA)")
    root = tmp_path_factory.mktemp("cluster")
    out = {}
    for name in ("MUTAG", "NCI1"):
        path = export_parquet(load_dataset(name), root / name, graphs_per_file=500)  # parts for both workers
        memory = root / f"{name}-memory.npz"
        r = _mirage("distill", str(path), "--hops", "3", "--budget", "10", "--out", str(memory), "-q")
        assert r.returncode == 0, r.stderr
        out[name] = (path, memory)
    return out


def _mirage(*args, env=None):
    """``mirage ARGS`` in a process of its own, forked after the imports (tests/forked.py)."""
    return forked.run(args, env=env, timeout=600, text=True)


def _ran_on_workers(state: Path, application: str) -> list[str]:
    """The workers whose work directory holds an executor of ``application`` (the Worker writes its stderr there)."""
    return sorted(w.name for w in state.glob("worker-*") if w.is_dir() and any(w.glob(f"{application}/*/stderr")))


def test_the_cluster_writes_the_in_memory_file_with_executors_on_both_workers(data, tmp_path):
    path, memory = data["MUTAG"]
    state = tmp_path / "cluster"
    with _cluster(state) as url:
        assert url.startswith("spark://127.0.0.1:")
        out = tmp_path / "cluster.npz"
        checkpoints = tmp_path / "checkpoints"
        r = _mirage("distill", str(path), "--engine", "spark", "--spark-master", url, "--hops", "3", "--budget",
                    "10", "--out", str(out), "--json", "--spark-checkpoint-dir", str(checkpoints))
        assert r.returncode == 0, r.stderr
        summary = json.loads(r.stdout)
        assert summary["spark_master"] == url
        assert out.read_bytes() == memory.read_bytes()
        assert _ran_on_workers(state, summary["spark_application"]) == ["worker-1", "worker-2"]
        assert any(checkpoints.rglob("part-*"))  # on a cluster the stages' rows are reliable checkpoints
        again = _script(state, "start")  # one cluster per state directory
        assert again.returncode == 2 and "already running" in again.stderr
    assert "no cluster running" in _script(state, "status").stderr


def _kill_tree(pid: int) -> None:
    """SIGKILL a worker JVM and the executor JVMs it started (its children)."""
    children = []
    for d in Path("/proc").iterdir():
        try:
            if d.name.isdigit() and int((d / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(d.name))
        except (OSError, IndexError, ValueError):
            continue
    for p in [*children, pid]:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_executors_no_worker_can_start_are_one_line_not_a_wait_for_ever(data, tmp_path):
    path, _ = data["MUTAG"]
    state = tmp_path / "cluster"
    out = tmp_path / "never.npz"
    with _cluster(state) as url:  # workers of 2 GB; the executors ask for 4 GB: Spark alone would wait for ever
        r = _mirage("distill", str(path), "--engine", "spark", "--spark-master", url, "--hops", "2", "--out", str(out),
                    env={**os.environ, "SPARK_EXECUTOR_MEMORY": "4g", "MIRAGE_SPARK_EXECUTOR_WAIT": "10",
                         "TMPDIR": str(tmp_path)})
    assert r.returncode != 0 and not out.exists()
    lines = r.stderr.strip().splitlines()
    assert lines[-1].startswith("mirage: error: no executor started on spark://") and "4096 MB" in lines[-1], r.stderr
    assert "within 10 s" in lines[-1]  # the wait asked for ended it, not Spark's own patience
    assert "Traceback" not in r.stderr and "\tat " not in r.stderr
    assert (tmp_path / "graph-mirage-spark.log").is_file()  # the session's log went where TMPDIR says


def test_a_worker_killed_mid_job_costs_a_retry_not_the_file(data, tmp_path):
    path, memory = data["NCI1"]
    state = tmp_path / "cluster"
    out = tmp_path / "cluster.npz"
    with _cluster(state) as url:
        p = subprocess.Popen([sys.executable, "-m", "graph_mirage", "distill", str(path), "--engine", "spark",
                              "--spark-master", url, "--hops", "3", "--budget", "10", "--out", str(out),
                              "--spark-driver-rows", "0"],  # every round on the cluster: a long job to cut into
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "MIRAGE_PROGRESS_SECONDS": "1", "TMPDIR": str(tmp_path)})
        seen, deadline = [], time.monotonic() + 300
        while time.monotonic() < deadline:  # mid-job: the first global round is done, the others are to come
            line = p.stderr.readline()
            seen.append(line)
            if "WL round 1/3" in line or not line:
                break
        victim = int((state / "worker-2.pid").read_text())
        _kill_tree(victim)
        rest = p.communicate(timeout=600)[1]
        err = "".join(seen) + rest
    assert "WL round 1/3" in "".join(seen), err[-2000:]
    assert "Traceback" not in err and "\tat " not in err, err[-2000:]
    # Spark retries the lost tasks on the surviving worker, from the last checkpoint: the same file
    assert p.returncode == 0, err[-2000:]
    assert out.read_bytes() == memory.read_bytes()
    assert "worker-2" in _ran_on_workers(state, "app-*")  # the killed worker had run executors of the job
    assert "Lost executor" in (tmp_path / "graph-mirage-spark.log").read_text()  # and the driver saw it go
