"""Mirage on Apache Spark: the tree stage and the transactions computed on the cluster, mining on the driver.

Input: a directory in the Parquet layout of :mod:`graph_mirage.data.parquet` (``mirage export DATASET --parquet
DIR``). The job, with its shuffles:

1. **exact 1-WL as distributed sort and rank** (``hops`` rounds). A round joins every edge with its source node's
   colour (shuffle by graph), gathers each node's sorted ``(edge label, neighbour colour)`` codes (shuffle by node),
   and ranks the signatures ``(in-degree, colour, codes)`` in one global dictionary: the distinct signatures, sorted
   (range shuffle), numbered from the sorted partitions' sizes (what ``zipWithIndex`` does, in the JVM), joined
   back. Ranks of the same keys in the same lexicographic
   order as :func:`graph_mirage.trees.wl_colours`, so the tree ids are the in-memory engine's, without hashing. The
   same round sums the children's sizes, so each tree's unfolded size comes for free. Each round's lineage is cut
   with a local checkpoint.
2. **per class and tree**: node count, support (distinct graphs), witness (first node by graph id) and size
   (shuffle by class and tree).
3. **transactions**: each training graph's set of tree ids, cut to the trees that can be frequent at the supports
   the search will try, and equal transactions merged with their count (shuffle by graph, then by transaction).
   The first cut is at a quarter of each class's most frequent tree (the budget search starts there and halves);
   when the search goes lower, the driver asks for the transactions again at the lower support
   (:meth:`graph_mirage.Mirage.support_floors`, :meth:`graph_mirage.tree_table.TreeTable.lower`). Explicit
   thresholds need one pass.

What reaches the driver: the merged, cut transactions (on 100,000 generated molecules, 58,880 rows over 364 trees
instead of 2.4 M nodes and 987,399 trees), the histogram of tree counts, the witness and size of the trees that can
be mined, and the few witness graphs it unfolds (read from Parquet by graph id). The driver then runs the in-memory
engine's mining, selection and emission (:meth:`graph_mirage.Mirage.fit_table`) on exactly the same numbers, so
the ``.npz`` is byte-identical (tested).

FP-growth runs on the driver with pyfim (closed sets, exactly as in memory) rather than with MLlib's ``FPGrowth``:
MLlib returns every frequent set (no closed or maximal target, no size limit) and one job per threshold of the
budget search, while the merged transactions the driver receives are what any FP-growth needs and already small.

Example:
    >>> from graph_mirage import Mirage
    >>> from graph_mirage.spark_engine import distill_spark
    >>> m = distill_spark("molbace-parquet", Mirage(hops=2, budget=10), master="local[2]")   # doctest: +SKIP
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .errors import MirageError, ParameterError
from .progress import Progress


def _log_tail(log: Path | None, start: int) -> list[str]:
    try:
        with open(log, "rb") as f:
            f.seek(start)
            return [ln.strip() for ln in f.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    except (OSError, TypeError):
        return []


@contextmanager
def spark_errors(log: Path | None = None):
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
def interruptible(spark):
    """Ctrl-C and SIGTERM during Spark jobs: the jobs are cancelled from another thread (a Py4J call made by the
    signal handler itself would re-enter the call in progress and print Py4J's tracebacks), the session is stopped,
    and the signal is then delivered again, so the command ends as for any other work: one line, exit 130 or 143."""
    import signal
    import threading

    got: list[int] = []

    def handler(signum, frame):
        if not got:
            got.append(signum)
            threading.Thread(target=_cancel, args=(spark,), daemon=True).start()

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
        for s, h in previous.items():
            signal.signal(s, h)
    if got:
        signal.raise_signal(got[0])  # the previous handler decides (the CLI: interrupted or terminated)
        raise KeyboardInterrupt  # a handler that returned: still no result to give


def _cancel(spark) -> None:
    try:
        spark.sparkContext.cancelAllJobs()
    except Exception:  # noqa: BLE001 - the session may already be going away
        pass


@contextmanager
def spark_session(master: str = "local[*]", app: str = "graph-mirage", partitions: int = 8,
                  driver_memory: str | None = None, log: str | os.PathLike | None = None):
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


def _rank(spark, df, cols: list[str], name: str):
    """``(df with a column name, number of distinct values)``: ``name`` is the rank of ``cols`` among their distinct
    values in lexicographic order.

    The distinct values are range-partitioned and sorted (``orderBy``); a value's rank is the number of values in the
    partitions before its own plus its position there, read off ``monotonically_increasing_id`` (partition id in the
    upper bits, position in the lower 33) and the partitions' sizes (one small collect). All in the JVM: what
    ``zipWithIndex`` does, without sending every signature through Python.
    """
    from pyspark.sql import functions as F

    distinct = (df.select(*cols).distinct().orderBy(*cols)
                .withColumn("_pid", F.spark_partition_id()).withColumn("_mid", F.monotonically_increasing_id())
                .localCheckpoint())  # the ids are fixed once: the sizes and the join below read the same rows
    sizes = dict(distinct.groupBy("_pid").count().collect())
    offsets, total = [], 0
    for pid in range(max(sizes, default=-1) + 1):
        offsets.append(total)
        total += sizes.get(pid, 0)
    offset = F.element_at(F.array(*[F.lit(o).cast("long") for o in offsets] or [F.lit(0).cast("long")]),
                          F.col("_pid") + 1)
    ranked = distinct.select(*cols, (offset + F.col("_mid") - F.shiftleft(F.col("_pid").cast("long"), 33))
                             .alias(name))
    return df.join(ranked, on=cols), total


def _tables(spark, path: Path, meta: dict):
    from pyspark.sql import functions as F

    graphs = spark.read.parquet(str(path / "graphs"))
    train = graphs.where(F.col("split") == "train").select("graph_id", "y")
    nodes = spark.read.parquet(str(path / "nodes")).join(train.select("graph_id"), "graph_id")
    edges = spark.read.parquet(str(path / "edges")).join(train.select("graph_id"), "graph_id")
    xcols = [f"x{j}" for j in range(meta["node_columns"])]
    ecols = [f"e{j}" for j in range(meta["edge_columns"])]
    return train, nodes, edges, xcols, ecols


def spark_tree_ids(spark, path: str | os.PathLike, hops: int, progress: Progress | None = None):
    """Tree id and unfolded tree size of every node of the training graphs under ``path``: a DataFrame
    ``graph_id, node, tree, size``; tree ids equal :func:`graph_mirage.trees.wl_colours`' on the training graphs."""

    from .data.parquet import read_layout_meta

    path = Path(path)
    _, nodes, edges, xcols, ecols = _tables(spark, path, read_layout_meta(path))
    return _wl(spark, nodes, edges, xcols, ecols, hops, progress)[0]


def _wl(spark, nodes, edges, xcols: list[str], ecols: list[str], hops: int, progress: Progress | None):
    """:func:`spark_tree_ids` on the training tables, and the number of distinct trees."""
    from pyspark.sql import functions as F

    colour, scale = (_rank(spark, nodes, xcols, "colour") if xcols
                     else (nodes.withColumn("colour", F.lit(0).cast("long")), 1))
    colour = colour.select("graph_id", "node", "colour", F.lit(1).cast("long").alias("size"))
    edges = (_rank(spark, edges, ecols, "elab")[0] if ecols else edges.withColumn("elab", F.lit(0).cast("long")))
    edges = edges.select("graph_id", "src", "dst", "elab")
    for r in range(hops):
        src = colour.select("graph_id", F.col("node").alias("src"), F.col("colour").alias("c_src"),
                            F.col("size").alias("s_src"))
        codes = (edges.join(src, ["graph_id", "src"])
                 .select("graph_id", F.col("dst").alias("node"), "s_src",
                         (F.col("elab") * F.lit(scale) + F.col("c_src")).alias("code")))
        sig = codes.groupBy("graph_id", "node").agg(F.array_sort(F.collect_list("code")).alias("codes"),
                                                    F.sum("s_src").alias("below"))
        full = (colour.join(sig, ["graph_id", "node"], "left")
                .select("graph_id", "node", "colour",
                        F.coalesce("codes", F.array().cast("array<bigint>")).alias("codes"),
                        (F.lit(1) + F.coalesce("below", F.lit(0))).cast("long").alias("size")))
        full = full.withColumn("deg", F.size("codes"))
        colour, scale = _rank(spark, full, ["deg", "colour", "codes"], "new")  # scale: colours of this round
        colour = colour.select("graph_id", "node", F.col("new").alias("colour"), "size")
        colour = colour.localCheckpoint()  # cut the lineage each round
        if progress is not None:
            progress.update(1, stage=f"WL round {r + 1}/{hops}")
    return colour.withColumnRenamed("colour", "tree"), scale


def _pandas(df):
    """``df.toPandas()`` (Arrow) without pyspark 3.5's deprecation noise under pandas 3."""
    import warnings

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*copy keyword is deprecated.*")
        return df.toPandas()


class _TreeStats:
    """The per (class, tree) statistics on the cluster, and what the driver asks of them: witnesses and sizes of the
    trees it may emit, transactions cut at support floors (again, lower, while the budget search descends)."""

    def __init__(self, spark, path: Path, train, nodes_t, per, n_trees: int) -> None:
        self.spark, self.path, self.train, self.nodes_t, self.per, self.n_trees = spark, path, train, nodes_t, per, \
            n_trees
        self.tree_size = np.full(n_trees, -1, dtype=np.int64)
        self.witness: dict[int, tuple[int, int]] = {}

    def describe(self, wanted) -> None:
        """Witness and size of the trees in DataFrame ``wanted`` (column ``tree``)."""
        from pyspark.sql import functions as F

        info = _pandas(self.per.join(wanted, "tree").groupBy("tree")
                       .agg(F.min("w").alias("w"), F.first("size").alias("size"))
                       .select("tree", F.col("w.graph_id").alias("graph_id"), F.col("w.node").alias("node"), "size"))
        self.tree_size[info["tree"].to_numpy()] = info["size"].to_numpy()
        self.witness.update((int(t), (int(g), int(v))) for t, g, v in zip(info["tree"], info["graph_id"],
                                                                            info["node"]))

    def fetch(self, floors: dict[int, int]):
        """Transactions cut to the trees with support >= floors[c] in some class c, equal ones merged."""
        from pyspark.sql import functions as F

        floor_col = F.lit(None)
        for c, f in floors.items():
            floor_col = F.when(F.col("y") == c, F.lit(int(f))).otherwise(floor_col)
        keep = self.per.where(F.col("support") >= floor_col).select("tree").distinct().persist()
        self.describe(keep)
        items = (self.nodes_t.select("graph_id", "tree").join(keep, "tree").distinct()
                 .groupBy("graph_id").agg(F.array_sort(F.collect_list("tree")).alias("items")))
        tracts = _pandas(self.train.join(items, "graph_id", "left")
                         .select("y", F.coalesce("items", F.array().cast("array<bigint>")).alias("items"))
                         .groupBy("y", "items").count())
        keep.unpersist()
        rows, weights = {}, {}
        for c, part in tracts.groupby("y"):
            lists = [np.asarray(v, dtype=np.int64) for v in part["items"]]
            lengths = np.array([len(v) for v in lists], dtype=np.int64)
            indices = np.concatenate(lists) if lengths.sum() else np.zeros(0, dtype=np.int64)
            m = sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices,
                               np.concatenate([[0], np.cumsum(lengths)])), shape=(len(lists), self.n_trees))
            m.sort_indices()
            rows[int(c)], weights[int(c)] = m, part["count"].to_numpy(np.int64)
        return rows, weights

    def witnesses(self, needed: np.ndarray):
        from .data.parquet import read_flat
        from .trees import TreeUnfolder

        at = [self.witness[int(t)] for t in needed]
        flat, _ = read_flat(self.path, sorted({g for g, _ in at}))
        pos = np.searchsorted(flat.graph_ids, [g for g, _ in at])
        return (TreeUnfolder(flat.x, flat.edge_index, flat.edge_attr),
                flat.node_ptr[pos] + np.array([v for _, v in at], dtype=np.int64))

    def release(self) -> None:
        self.nodes_t.unpersist()
        self.per.unpersist()


def _top_trees(per, context: int) -> dict[int, list[int]]:
    """The ``context`` trees with the most nodes in each class (ties: smaller id)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    if not context:
        return {}
    ranked = per.withColumn("rk", F.row_number().over(Window.partitionBy("y").orderBy(F.desc("n"), F.asc("tree"))))
    top: dict[int, list[int]] = {}
    for r in sorted(ranked.where(F.col("rk") <= context).select("y", "tree", "rk").collect(),
                    key=lambda r: (r["y"], r["rk"])):
        top.setdefault(int(r["y"]), []).append(int(r["tree"]))
    return top


def spark_tree_table(spark, path: str | os.PathLike, mirage, progress: Progress | None = None):
    """The :class:`~graph_mirage.tree_table.TreeTable` of the training graphs under ``path``, computed on Spark for
    ``mirage``'s settings: its hops; its support floors (:meth:`~graph_mirage.Mirage.support_floors`) decide which
    trees the transactions keep, lowered on demand while the search descends (the session must stay open until
    :meth:`~graph_mirage.Mirage.fit_table` returns; ``table.release()`` frees the cached tables); its ``context`` how
    many most frequent trees per class are fetched."""
    from pyspark.sql import functions as F

    from .data.parquet import read_layout_meta
    from .distilled import split_meta
    from .tree_table import TreeTable

    path = Path(path)
    meta = read_layout_meta(path)
    hops = int(mirage.hops)
    train, nodes, edges, xcols, ecols = _tables(spark, path, meta)
    trees, n_trees = _wl(spark, nodes, edges, xcols, ecols, hops, progress)
    nodes_t = trees.join(train, "graph_id").persist()
    sizes = {int(r["y"]): int(r["count"]) for r in train.groupBy("y").count().collect()}
    if not sizes:
        raise MirageError(f"{path} has no training graphs (no graph with split 'train')")
    num_classes = int(meta.get("num_classes", max(sizes) + 1))
    per = (nodes_t.groupBy("y", "tree")
           .agg(F.count("*").alias("n"), F.countDistinct("graph_id").alias("support"),
                F.min(F.struct("graph_id", "node")).alias("w"), F.first("size").alias("size"))
           .persist())
    max_support = {int(r[0]): int(r[1]) for r in per.groupBy("y").agg(F.max("support")).collect()}
    top = _top_trees(per, int(mirage.context))
    hist = per.groupBy("y", "n").count().collect()
    n_nodes = nodes_t.count()
    x_max = nodes.agg(*[F.max(c).alias(c) for c in xcols]).first() if "node_vocab" not in meta else None
    e_stats = edges.agg(F.count("*").alias("m"), *[F.max(c).alias(c) for c in ecols]).first()
    deg = edges.groupBy("graph_id", "dst").count().agg(F.max("count")).first()[0]
    if progress is not None:
        progress.update(1, stage="tree statistics")
    stats = _TreeStats(spark, path, train, nodes_t, per, n_trees)
    if top:
        stats.describe(spark.createDataFrame([(t,) for ts in top.values() for t in ts], "tree long"))
    floors = mirage.support_floors(sizes, max_support)
    rows, weights = stats.fetch(floors)
    if progress is not None:
        progress.update(1, stage="transactions")
    freq: list[list[int]] = [[] for _ in range(num_classes)]
    for r in hist:
        freq[int(r["y"])] += [int(r["n"])] * int(r["count"])
    n_edges = int(e_stats["m"])
    source = split_meta(
        meta, num_classes=num_classes, class_counts=[int(sizes.get(c, 0)) for c in range(num_classes)],
        node_vocab=None if x_max is None else [int(x_max[c]) + 1 for c in xcols],
        edge_vocab=[int(e_stats[c] or 0) + 1 for c in ecols], graphs=sum(sizes.values()), nodes=n_nodes,
        # int64 arrays, as the in-memory engine holds them: x, edge_index, edge_attr, y
        full_bytes=8 * (n_nodes * len(xcols) + n_edges * (2 + len(ecols)) + sum(sizes.values())))
    return TreeTable(hops=hops, n_trees=n_trees, num_classes=num_classes, rows=rows, weights=weights,
                     tree_size=stats.tree_size,
                     tree_freq=[np.sort(np.array(f, dtype=np.int64))[::-1].copy() for f in freq],
                     max_degree=int(deg or 0), source=source, node_columns=len(xcols), edge_columns=len(ecols),
                     witnesses=stats.witnesses, top={c: np.array(v, dtype=np.int64) for c, v in top.items()},
                     max_support=max_support, floors=floors, fetch=stats.fetch, release=stats.release)


def distill_spark(path: str | os.PathLike, mirage, master: str = "local[*]", partitions: int = 8,
                  driver_memory: str | None = None, progress: bool = False):
    """Distil the training graphs of a Parquet directory on Spark with ``mirage`` (a :class:`~graph_mirage.Mirage`
    with fixed hops: the itemset form); returns the fitted ``mirage``, whose ``distilled_`` equals what
    :meth:`~graph_mirage.Mirage.fit` writes for the same training graphs. A session it starts is always stopped.
    ``mirage.spark_`` records what reached the driver: merged transactions per class (against the graphs they stand
    for) and the trees whose witness and size it received.

    Args:
        path: a directory in the layout of :mod:`graph_mirage.data.parquet`.
        master: Spark master URL (``local[*]``, ``local[2]``, ``spark://host:7077``, ``yarn``...).
        partitions: shuffle partitions (``spark.sql.shuffle.partitions``): about 2-3 per executor core.
        driver_memory: ``spark.driver.memory`` (in local mode the executors live in the driver JVM).
    """
    import time

    from .data.parquet import read_layout_meta

    if not hasattr(mirage, "fit_table"):
        raise ParameterError("the Spark engine runs the itemset form (a Mirage with fixed hops and a budget, "
                             "min_support or max_bytes); the automatic default (AutoPrototypes) runs in memory")
    mirage._validate()
    read_layout_meta(path)  # a bad directory fails before Spark starts
    check_master(master)
    t0 = time.perf_counter()
    bar = Progress(total=int(mirage.hops) + 2, desc="spark", unit="stage", enabled=progress)
    bar.update(0, stage="starting the session")
    log = Path(tempfile.gettempdir()) / "graph-mirage-spark.log"
    with spark_session(master, partitions=partitions, driver_memory=driver_memory, log=log) as spark, \
            interruptible(spark), spark_errors(log):
        bar.update(0, stage="WL round 1")
        table = spark_tree_table(spark, path, mirage, bar)
        bar.close()
        seconds = time.perf_counter() - t0
        try:
            mirage.fit_table(table)  # may ask Spark for transactions at lower floors
        finally:
            table.release()
    # what reached the driver, next to what it stands for
    mirage.spark_ = {"master": master, "partitions": partitions,
                     "transactions": {str(c): int(table.rows[c].shape[0]) for c in table.classes},
                     "floors": {str(c): int(f) for c, f in table.floors.items()}, "fetches": table.fetches,
                     "graphs": {str(c): table.class_size(c) for c in table.classes},
                     "trees_described": int((table.tree_size >= 0).sum()), "trees": table.n_trees}
    # "trees": the Spark job up to the first transactions; mining includes any later fetch at lower floors
    mirage.seconds_.update(trees=seconds, total=time.perf_counter() - t0)
    return mirage


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m graph_mirage.spark_engine DIR HOPS
    from .distill import Mirage

    print(distill_spark(sys.argv[1], Mirage(hops=int(sys.argv[2]), budget=10)).distilled_.summary())
