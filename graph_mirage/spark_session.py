"""Spark sessions for the Spark engine: quiet, always stopped, interruptible, and failing in one line.

Example:
    >>> with spark_session("local[2]", partitions=4) as spark:       # doctest: +SKIP
    ...     spark.range(3).count()
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import MirageError, ParameterError

if TYPE_CHECKING:
    from typing import Iterator

    from pyspark.sql import SparkSession


def _log_tail(log: Path | None, start: int) -> list[str]:
    try:
        with open(log, "rb") as f:
            f.seek(start)
            return [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except (OSError, TypeError):
        return []


@contextmanager
def spark_errors(log: Path | None = None) -> Iterator[None]:
    """Spark, Py4J and Java failures as one-line :class:`MirageError` (no Java stack trace on the terminal)."""
    start = log.stat().st_size if log is not None and log.exists() else 0
    try:
        yield
    except MirageError:
        raise
    except ConnectionError:  # the JVM went away mid-job (killed, out of memory)
        where = f"; Spark's log: {log}" if log is not None else ""
        raise MirageError(f"Spark failed: its JVM stopped answering (killed, or out of memory: raise "
                          f"--spark-driver-memory){where}") from None
    except Exception as e:  # noqa: BLE001 - pyspark raises many unrelated types; all become one line
        module = type(e).__module__ or ""
        if not (module.startswith("pyspark") or module.startswith("py4j")):
            raise
        where = f" (Spark's log: {log})" if log is not None else ""
        raise MirageError(f"Spark failed: {_first_line(e, log, start)}{where}") from None


def _first_line(e: BaseException, log: Path | None = None, start: int = 0) -> str:
    text = str(getattr(e, "java_exception", None) or e)
    if "JAVA_GATEWAY_EXITED" in text or "Java gateway process exited" in text:
        # the JVM wrote why into the log (bad master URL, missing Java, ...): its last error line says it
        said = _log_tail(log, start)
        errors = [ln for ln in said if not ln.startswith("at ")
                  and re.search(r"(Exception|Error|error|not found|No such file)", ln)]
        if errors:
            return f"Spark did not start: {errors[-1][:240]}"
        return "could not start Java (Spark needs Java 8, 11 or 17 on PATH or in JAVA_HOME)"
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(e).__name__)
    line = re.sub(r"^(\w+\.)+(\w+(Exception|Error)): ", r"\2: ", line)
    return line[:300]


def check_master(master: str, timeout: float = 10.0) -> None:
    """Refuse a standalone master that cannot be reached, in seconds and naming it, before Spark starts (Spark itself
    retries for minutes and then reports only that its context was stopped)."""
    import socket

    if not master.startswith("spark://"):
        return
    errors = []
    for hostport in master[len("spark://"):].split(","):
        host, _, port = hostport.strip().rpartition(":")
        try:
            with socket.create_connection((host, int(port)), timeout=timeout):
                return
        except (OSError, ValueError) as e:
            errors.append(f"{hostport.strip()}: {getattr(e, 'strerror', None) or e}")
    raise MirageError(f"cannot reach the Spark master {master} ({'; '.join(errors)}); check the host and port, or "
                      f"start the master (scripts/spark_cluster.sh start)")


@contextmanager
def interruptible(spark) -> Iterator[None]:
    """Ctrl-C and SIGTERM during Spark jobs: the jobs are cancelled from another thread (a Py4J call made by the
    signal handler itself would re-enter the call in progress and print Py4J's tracebacks), the session is stopped,
    and the signal is then delivered again, so the command ends as for any other work: one line, exit 130 or 143."""
    import signal
    import threading

    got: list[int] = []
    ended = threading.Event()

    def handler(signum, frame):
        if not got:
            got.append(signum)
            threading.Thread(target=_cancel, args=(spark, ended), daemon=True).start()

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    except BaseException:
        if not got:
            raise
    finally:
        ended.set()
        for s, h in previous.items():
            signal.signal(s, h)
    if got:
        signal.raise_signal(got[0])  # the previous handler decides (the CLI: interrupted or terminated)
        raise KeyboardInterrupt  # a handler that returned: still no result to give


def await_executors(spark, seconds: float | None = None) -> None:
    """On a standalone master (``spark://``, static allocation), wait until a first executor has registered, and
    fail in one line when none has after ``seconds`` (default ``SPARK_EXECUTOR_WAIT``, or the environment's
    ``MIRAGE_SPARK_EXECUTOR_WAIT``): Spark itself would wait for ever, warning only in its log, when no worker has
    the cores or memory an executor asks for."""
    import time

    from .config.defaults import SPARK_EXECUTOR_WAIT

    sc = spark.sparkContext
    conf = sc.getConf()
    if not sc.master.startswith("spark://") or conf.get("spark.dynamicAllocation.enabled", "false") == "true":
        return  # YARN and Kubernetes start executors on their own schedule; dynamic allocation when jobs come
    if seconds is None:
        seconds = float(os.environ.get("MIRAGE_SPARK_EXECUTOR_WAIT") or SPARK_EXECUTOR_WAIT)
    deadline = time.monotonic() + seconds
    while sc._jsc.sc().getExecutorMemoryStatus().size() < 2:  # the driver's block manager counts as one
        if time.monotonic() > deadline:
            raise MirageError(
                f"no executor started on {sc.master} within {seconds:g} s: no worker offers what an executor asks "
                f"for ({sc._jsc.sc().executorMemory()} MB, spark.executor.memory / SPARK_EXECUTOR_MEMORY; "
                f"{conf.get('spark.executor.cores', 'all free')} cores), or no worker is registered; check the "
                f"master's web UI or the workers' logs")
        time.sleep(0.25)


def _cancel(spark, ended, every: float = 0.2) -> None:
    """Cancel the session's jobs until the interrupted block has ended: the block's next job is submitted after the
    signal (the driver goes on between jobs), and one cancellation would leave it to run to its end."""
    while not ended.is_set():
        try:
            spark.sparkContext.cancelAllJobs()
        except Exception:  # noqa: BLE001 - the session may already be going away
            return
        ended.wait(every)


@contextmanager
def spark_session(master: str = "local[*]", app: str = "graph-mirage", partitions: int = 8,
                  driver_memory: str | None = None, log: str | os.PathLike | None = None) -> Iterator[SparkSession]:
    """A quiet Spark session that is always stopped when the block ends (an already active one is reused, not
    stopped). ``partitions``: ``spark.sql.shuffle.partitions``.

    The JVM it starts writes its own output (start-up notes, Java errors) to ``log`` (default
    ``graph-mirage-spark.log`` in the temporary directory), not to the terminal; a failure is one line naming it.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise MirageError("the Spark engine needs pyspark: pip install 'graph-mirage[spark]' (and Java 8, 11 or 17)") \
            from None
    if isinstance(partitions, bool) or not isinstance(partitions, int) or partitions < 1:
        raise ParameterError(f"partitions must be an integer >= 1, got {partitions!r}")
    existing = SparkSession.getActiveSession()
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(partitions))
               .config("spark.sql.execution.arrow.pyspark.enabled", "true"))
    if not os.environ.get("PYSPARK_PYTHON"):  # executors run this interpreter (graph_mirage installed), not "python3"
        builder = builder.config("spark.pyspark.python", sys.executable)
    if driver_memory:
        builder = builder.config("spark.driver.memory", driver_memory)
    log = Path(log) if log is not None else Path(tempfile.gettempdir()) / "graph-mirage-spark.log"
    with _stderr_to(log), spark_errors(log):
        spark = builder.getOrCreate()  # the JVM inherits the redirected stderr for its lifetime
        spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        if existing is None:
            spark.stop()


@contextmanager
def _stderr_to(path: Path):
    """File descriptor 2 pointed at ``path`` inside the block (child processes started there keep it)."""
    sys.stderr.flush()
    saved = os.dup(2)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        os.dup2(fd, 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        os.close(fd)


def _pandas(df):
    """``df.toPandas()`` (Arrow) without pyspark 3.5's deprecation noise under pandas 3."""
    import warnings

    import pyarrow as pa

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*copy keyword is deprecated.*")
        out = df.toPandas()
    pa.default_memory_pool().release_unused()  # the Arrow batches are freed: give their pages back
    return out
