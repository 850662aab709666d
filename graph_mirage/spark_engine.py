"""Mirage on Apache Spark: the tree stage and the transactions computed on the cluster, mining on the driver.

Input: a directory in the Parquet layout of :mod:`graph_mirage.data.parquet` (``mirage export DATASET --parquet
DIR``), whose part files hold whole graphs. The job, with its exchanges:

1. **graph-local refinement** (one task per part file, no exchange): a computation tree depends only on its node's
   own graph, so each task refines its part's training graphs with the in-memory engine's numpy code and sends on
   its local dictionaries — per round, one row per distinct local colour with its signature in local ids — the
   per (class, local tree) statistics and each graph's set of local trees (:mod:`graph_mirage.spark_blocks`). The
   rows are materialised once (a local checkpoint).
2. **the exact global dictionary, round by round**, over the parts' distinct signatures only: each part's
   signatures are put in global terms with the previous round's local-to-global ids (cogrouped by part, or carried
   in the tasks' closure when the driver ranked that round), range-partitioned and sorted by signature (one
   exchange), and numbered in a pass over each sorted partition plus the distinct signatures of the partitions
   before it (one number per partition reaches the driver); the rows carry their numbers, nothing is joined back.
   A round of at most ``driver_rows`` signatures (all parts) is ranked on the driver instead, in the same order.
   Ranks of the same keys in the same lexicographic order as :func:`graph_mirage.trees.wl_colours`, so the tree ids
   are the in-memory engine's, without hashing.
3. **per class and tree**: the last round's rows carry each part's node count, support, witness and size per class;
   the last sort brings all rows of a tree together, so the numbering pass also sums them per class (parts hold
   disjoint graphs: supports add up; no exchange).
4. **transactions**: each training graph's set of local trees, cut where it lies to the trees that can be frequent
   at the supports the search will try (their few (part, local id) occurrences are sent to every task) and put in
   global ids, equal transactions merged with their count (one exchange, of merged sets). The first cut is at the
   support of each class's (32 x budget)-th most frequent tree, or a quarter of its top support if lower (the budget
   search starts at the top and halves); when the search goes lower, the driver asks for the transactions again at
   the lower support (:meth:`graph_mirage.Mirage.support_floors`, :meth:`graph_mirage.tree_table.TreeTable.lower`).
   Explicit thresholds need one pass.

What reaches the driver: the merged, cut transactions (on 100,000 generated molecules, 60,840 rows over 382 trees
instead of 2.4 M nodes and 987,399 trees), the histogram of trees by class, node count and support, the witness
and size of the trees that can be mined, the signatures of the small rounds it ranks, and the few witness graphs it
unfolds (read from Parquet by graph id). The driver then runs the in-memory engine's mining, selection and emission
(:meth:`graph_mirage.Mirage.fit_table`) on exactly the same numbers, so the ``.npz`` is byte-identical (tested).

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
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from . import spark_blocks as blocks
from .config.defaults import SPARK_DRIVER_ROWS
from .errors import DatasetError, MirageError, ParameterError
from .progress import Progress
from .spark_session import _pandas, await_executors, check_master, interruptible, spark_errors, spark_session

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from .distill import Mirage
    from .tree_table import TreeTable

__all__ = ["distill_spark", "spark_tree_table", "spark_tree_ids", "spark_session"]


def _rank(df, summed: bool = False):
    """``(ranked, number of distinct keys)``: the rows of ``df`` with their binary ``key`` column replaced by ``g``,
    the rank of the key among the distinct keys, in order; ``summed`` (the last round) adds the per (class, tree)
    sums of :func:`graph_mirage.spark_blocks.dense_ranks_summed`.

    The rows are range-partitioned and sorted by key (one exchange: equal keys meet in one partition, partitions
    follow each other in key order); each partition numbers its distinct keys in a pass over the sorted rows
    (:func:`graph_mirage.spark_blocks.dense_ranks`), and a key's rank is that number plus the distinct keys of the
    partitions before it (one number per partition reaches the driver). No join back: the rows carry their ranks.
    """
    from pyspark.sql import functions as F
    from pyspark.sql.types import IntegerType, LongType, StructField, StructType

    schema = StructType([f for f in df.schema.fields if f.name != "key"]
                        + [StructField("g", LongType()), StructField("pid", IntegerType())])
    numbered = _materialise(df.repartitionByRange("key").sortWithinPartitions("key")
                            .mapInArrow(blocks.dense_ranks_summed if summed else blocks.dense_ranks, schema))
    sizes = dict(numbered.groupBy("pid").agg(F.max("g") + 1).collect())
    offsets, total = [], 0
    for pid in range(max(sizes, default=-1) + 1):
        offsets.append(total)
        total += sizes.get(pid, 0)
    offset = F.element_at(F.array(*[F.lit(o).cast("long") for o in offsets] or [F.lit(0).cast("long")]),
                          F.col("pid") + 1)
    return numbered.withColumn("g", offset + F.col("g")).drop("pid"), total


def _materialise(df):
    """``df`` computed once, its lineage cut: a local checkpoint in local mode (one JVM: nothing can be lost alone),
    a reliable one (files in the session's checkpoint directory) on a cluster, so that a lost executor costs the
    stages after the last checkpoint, never the job."""
    sc = df.sparkSession.sparkContext
    if sc.master.startswith("local") or not sc.getCheckpointDir():
        return df.localCheckpoint()
    df = df.persist()  # written from the cache, not computed again for the files
    done = df.checkpoint()
    df.unpersist()
    return done


def _parts(path: Path) -> list[str]:
    """The part files' names, the same in ``graphs/``, ``nodes/`` and ``edges/`` (the layout's promise that a part
    holds whole graphs; checked before Spark starts)."""
    names = {sub: sorted(p.name for p in (path / sub).glob("*.parquet")) for sub in ("graphs", "nodes", "edges")}
    if not names["graphs"]:
        raise DatasetError(f"{path}/graphs holds no .parquet part files")
    if not names["graphs"] == names["nodes"] == names["edges"]:
        raise DatasetError(f"{path}: graphs/, nodes/ and edges/ must hold part files of the same names (each part "
                           f"the whole graphs of its graphs file); write the directory with mirage export --parquet")
    return names["graphs"]


def _refine(spark, path: Path, meta: dict, hops: int, node_rows: bool = False):
    """Stage 1: the block rows of every part (:mod:`graph_mirage.spark_blocks`), materialised once."""
    names = _parts(path)
    xcols = [f"x{j}" for j in range(meta["node_columns"])]
    ecols = [f"e{j}" for j in range(meta["edge_columns"])]
    run = blocks.refine_parts(str(path.resolve()), names, hops, xcols, ecols, node_rows)
    return _materialise(spark.range(len(names), numPartitions=len(names)).mapInArrow(run, blocks.BLOCK_SCHEMA))


class _Parts:
    """What the parts' meta and count rows say (one small job after the refinement): dictionary rows per round,
    training graphs per class, nodes, edges, the largest in-degree and the largest value of each feature column."""

    def __init__(self, rows) -> None:
        from pyspark.sql import functions as F

        got = rows.where(F.col("kind").isin(blocks.KIND_META, blocks.KIND_COUNT)).select(
            "kind", "r", "y", "n", "support", "size", "key").collect()
        meta = [r for r in got if r["kind"] == blocks.KIND_META]
        self.round_rows: dict[int, int] = {}
        self.class_sizes: dict[int, int] = {}
        for r in got:
            if r["kind"] == blocks.KIND_COUNT:
                into, at = (self.round_rows, r["r"]) if r["r"] is not None else (self.class_sizes, r["y"])
                into[int(at)] = into.get(int(at), 0) + int(r["n"])
        self.nodes, self.edges = sum(int(r["n"]) for r in meta), sum(int(r["support"]) for r in meta)
        self.max_degree = max((int(r["size"]) for r in meta), default=0)
        self.most = np.max([np.frombuffer(r["key"], dtype="<i8") for r in meta], axis=0) if meta else None


def _driver_rank(frame, summed: bool = False):
    """``(frame without its key, with g: the key's rank among the distinct keys; number of distinct keys)``;
    ``summed``: with the per (class, tree) sums of the last round (:func:`_rank`)."""
    import pandas as pd

    g, total = blocks.dense_rank_keys(frame["key"])
    frame = frame.drop(columns="key").assign(g=g)
    if summed:
        cols = {c: frame[c].to_numpy(np.int64) for c in ("g", "y", "n", "support")}
        sums = dict(zip(("g", "y", "n", "support"), blocks.class_sums(*cols.values())))
        frame = pd.concat([frame, pd.DataFrame({c: sums.get(c, np.full(len(sums["g"]), blocks.SUMMED))
                                                for c in frame.columns})], ignore_index=True)
    return frame, total


def _to_spark(spark, frame):
    """A pandas frame of block columns (``b`` int, the rest long) as a Spark DataFrame; a DataFrame unchanged."""
    if not hasattr(frame, "columns") or hasattr(frame, "sparkSession"):
        return frame
    schema = ", ".join(f"{c} {'int' if c in ('b', 'tag') else 'long'}" for c in frame.columns)
    return spark.createDataFrame(frame.astype({c: "int32" if c in ("b", "tag") else "int64" for c in frame.columns}),
                                 schema)


def _global_ids(spark, rows, hops: int, progress: Progress | None, round_rows: dict[int, int],
                driver_rows: int = SPARK_DRIVER_ROWS):
    """Stage 2: ``(trees, number of trees)``: ``trees`` holds the last round's rows ``b, local, g`` (a part's local
    tree and its global exact id), once per class the tree occurs in, with that class's statistics (``STATS``), and
    per (class, tree) one row of part ``SUMMED`` with the class's node count and support over all parts.

    A round whose dictionary rows (all parts) number at most ``driver_rows`` is ranked on the driver — the same
    order, so the same ids — instead of in four small Spark jobs: the early rounds hold a few thousand signatures."""
    from pyspark.sql import functions as F

    signatures = rows.where(F.col("kind") == blocks.KIND_DICT)

    def level(r: int):
        return signatures.where(F.col("r") == r).select("b", "local", "key", *(blocks.STATS if r == hops else ()))

    def small(r: int) -> bool:
        return round_rows.get(r, 0) <= driver_rows

    # the small rounds before the last reach the driver in one job
    early = [r for r in (0, blocks.EDGE_ROUND, *range(1, hops)) if small(r)]
    fetched = _pandas(signatures.where(F.col("r").isin(early)).select("r", "b", "local", "key")) if early else None

    def driver_level(r: int):
        if r not in early:
            return _pandas(level(r))
        return fetched[fetched["r"] == r].drop(columns="r").reset_index(drop=True)

    def first(r: int):  # round 0 and the edge labels: the keys are feature rows
        return _driver_rank(driver_level(r)) if small(r) else _rank(_materialise(level(r)))

    ids, scale = first(0)
    labels = first(blocks.EDGE_ROUND)[0]
    for r in range(1, hops + 1):
        on_driver = not any(hasattr(x, "sparkSession") for x in (ids, labels))  # the previous round's ids
        schema = blocks.LAST_SCHEMA if r == hops else blocks.SIGNATURE_SCHEMA
        if on_driver:
            colours, codes = blocks.PartIds.of(ids), blocks.PartIds.of(labels)
        if on_driver and small(r):
            ids, scale = _driver_rank(blocks.translate_rows(driver_level(r), colours, codes, scale), r == hops)
        elif on_driver:  # the previous ids travel with the tasks: no exchange before the sort
            ids, scale = _rank(_materialise(level(r).mapInPandas(blocks.translate_with(scale, colours, codes),
                                                                 schema)), r == hops)
        else:
            lookup = (_to_spark(spark, ids).select("b", F.lit(0).alias("tag"), "local", "g")
                      .unionByName(_to_spark(spark, labels).select("b", F.lit(1).alias("tag"), "local", "g")))
            sig = level(r).groupBy("b").cogroup(lookup.groupBy("b")).applyInPandas(blocks.translate(scale), schema)
            ids, scale = _rank(_materialise(sig), r == hops)  # materialised: the range sampling reads it too
        if progress is not None:
            progress.update(1, stage=f"WL round {r}/{hops}")
    return _to_spark(spark, ids), scale


def spark_tree_ids(spark, path: str | os.PathLike, hops: int, progress: Progress | None = None,
                   driver_rows: int = SPARK_DRIVER_ROWS) -> DataFrame:
    """Tree id and unfolded tree size of every node of the training graphs under ``path``: a DataFrame
    ``graph_id, node, tree, size``; tree ids equal :func:`graph_mirage.trees.wl_colours`' on the training graphs."""
    from pyspark.sql import functions as F

    from .data.parquet import read_layout_meta

    path = Path(path)
    rows = _refine(spark, path, read_layout_meta(path), hops, node_rows=True)
    ids, _ = _global_ids(spark, rows, hops, progress, _Parts(rows).round_rows, driver_rows)
    nodes = rows.where(F.col("kind") == blocks.KIND_NODE)
    trees = ids.where(F.col("b") != blocks.SUMMED).select("b", "local", "g").distinct()
    return nodes.join(trees, ["b", "local"]).select(F.col("wg").alias("graph_id"), F.col("wn").alias("node"),
                                                    F.col("g").alias("tree"), "size")


class _TreeStats:
    """The per (class, tree) statistics on the cluster, and what the driver asks of them: witnesses and sizes of the
    trees it may emit, transactions cut at support floors (again, lower, while the budget search descends)."""

    def __init__(self, spark, path: Path, graphs, trees, per, n_trees: int, cached: list) -> None:
        self.spark, self.path, self.graphs, self.trees, self.per, self.n_trees = spark, path, graphs, trees, per, \
            n_trees
        self.cached = cached
        self.tree_size = np.full(n_trees, -1, dtype=np.int64)
        self.witness: dict[int, tuple[int, int]] = {}

    def _describe(self, wanted):
        """Witness, size and occurrences (part, local id) of the trees of DataFrame ``wanted`` (column ``tree``),
        recorded; returns the occurrences as ``(part, local, tree)`` arrays."""
        from pyspark.sql import functions as F

        info = _pandas(self.trees.join(F.broadcast(wanted), "tree").groupBy("tree").agg(
            F.min("w").alias("w"), F.max("size").alias("size"),
            F.collect_list(F.col("b").cast("long") * (1 << 32) + F.col("local")).alias("at")))
        tree, w = info["tree"].to_numpy(np.int64), info["w"].to_numpy(np.int64)
        self.tree_size[tree] = info["size"].to_numpy()
        self.witness.update((int(t), (int(c >> 32), int(c & 0xFFFFFFFF))) for t, c in zip(tree, w))
        lengths = np.fromiter((len(a) for a in info["at"]), dtype=np.int64, count=len(info))
        codes = np.concatenate([np.asarray(a, dtype=np.int64) for a in info["at"]]) if len(info) else \
            np.zeros(0, dtype=np.int64)
        return codes >> 32, codes & 0xFFFFFFFF, np.repeat(tree, lengths)

    def describe(self, trees) -> None:
        """Witness and size of ``trees``."""
        self._describe(self.spark.createDataFrame([(int(t),) for t in trees], "tree long"))

    def fetch(self, floors: dict[int, int]):
        """Transactions cut to the trees with support >= floors[c] in some class c, equal ones merged."""
        from pyspark.sql import functions as F

        floor_col = F.lit(None)
        for c, f in floors.items():
            floor_col = F.when(F.col("y") == c, F.lit(int(f))).otherwise(floor_col)
        # the kept trees and where they occur, (part, local id), sent to every task: each graph's local trees are
        # cut and translated where they lie (no exchange of the graphs)
        kept = self.per.where(F.col("support") >= floor_col).select("tree").distinct()
        cut = blocks.cut_transactions(*self._describe(kept))
        tracts = _pandas(self.graphs.mapInPandas(cut, blocks.TRANSACTIONS_SCHEMA)
                         .groupBy("y", "items").agg(F.sum("count").alias("count")))
        rows, weights = {}, {}
        for c, part in tracts.groupby("y"):
            part = part.sort_values("items", kind="stable")  # a fixed row order, whatever the exchanges did
            indices, lengths = blocks.payload_words(part["items"])
            m = sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices,
                               np.concatenate([[0], np.cumsum(lengths)])), shape=(len(part), self.n_trees))
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
        for df in self.cached:
            df.unpersist()


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


def spark_tree_table(spark, path: str | os.PathLike, mirage, progress: Progress | None = None,
                     driver_rows: int = SPARK_DRIVER_ROWS) -> TreeTable:
    """The :class:`~graph_mirage.tree_table.TreeTable` of the training graphs under ``path``, computed on Spark for
    ``mirage``'s settings: its hops; its support floors (:meth:`~graph_mirage.Mirage.support_floors`) decide which
    trees the transactions keep, lowered on demand while the search descends (the session must stay open until
    :meth:`~graph_mirage.Mirage.fit_table` returns; ``table.release()`` frees the cached tables); its ``context`` how
    many most frequent trees per class are fetched. Rounds of at most ``driver_rows`` dictionary rows are ranked on
    the driver (:func:`_global_ids`)."""
    from pyspark.sql import functions as F

    from .data.parquet import read_layout_meta
    from .distilled import split_meta
    from .tree_table import TreeTable

    path = Path(path)
    meta = read_layout_meta(path)
    hops = int(mirage.hops)
    rows = _refine(spark, path, meta, hops)
    parts = _Parts(rows)
    sizes = parts.class_sizes
    if not sizes:
        raise MirageError(f"{path} has no training graphs (no graph with split 'train')")
    ids, n_trees = _global_ids(spark, rows, hops, progress, parts.round_rows, driver_rows)
    num_classes = int(meta.get("num_classes", max(sizes) + 1))
    # the witness (first node by graph id) as one word: graph id and node below 2**31 and 2**32
    part = F.col("b") != blocks.SUMMED
    trees = ids.where(part).select("b", "local", F.col("g").alias("tree"), "size",
                                   (F.col("wg") * (1 << 32) + F.col("wn")).alias("w"))
    per = ids.where(~part).select("y", F.col("g").alias("tree"), "n", "support").persist()
    # the histograms of the trees' node counts and supports per class, in one job
    hist = _pandas(per.groupBy("y", "n", "support").count())
    max_support = {int(c): int(t) for c, t in hist.groupby("y")["support"].max().items()}
    supports = {int(c): (h["support"].to_numpy(np.int64), h["count"].to_numpy(np.int64)) for c, h in hist.groupby("y")}
    top = _top_trees(per, int(mirage.context))
    xcols, ecols = meta["node_columns"], meta["edge_columns"]
    n_nodes, n_edges, deg, most = parts.nodes, parts.edges, parts.max_degree, parts.most
    if progress is not None:
        progress.update(1, stage="tree statistics")
    graphs = rows.where(F.col("kind") == blocks.KIND_GRAPH).select("b", "local", "y", "key")
    stats = _TreeStats(spark, path, graphs, trees, per, n_trees, [per])
    if top:
        stats.describe([t for ts in top.values() for t in ts])
    floors = mirage.support_floors(sizes, max_support, supports)
    rows, weights = stats.fetch(floors)
    if progress is not None:
        progress.update(1, stage="transactions")
    hy, hn, hc = (hist[c].to_numpy(np.int64) for c in ("y", "n", "count"))
    freq = [np.repeat(hn[hy == c], hc[hy == c]) for c in range(num_classes)]  # every tree's count, per class
    source = split_meta(
        meta, num_classes=num_classes, class_counts=[int(sizes.get(c, 0)) for c in range(num_classes)],
        node_vocab=None if "node_vocab" in meta else [int(v) + 1 for v in most[:xcols]],
        edge_vocab=[max(int(v), 0) + 1 for v in most[xcols:]], graphs=sum(sizes.values()), nodes=n_nodes,
        # int64 arrays, as the in-memory engine holds them: x, edge_index, edge_attr, y
        full_bytes=8 * (n_nodes * xcols + n_edges * (2 + ecols) + sum(sizes.values())))
    return TreeTable(hops=hops, n_trees=n_trees, num_classes=num_classes, rows=rows, weights=weights,
                     tree_size=stats.tree_size,
                     tree_freq=[np.sort(f)[::-1].copy() for f in freq],
                     max_degree=deg, source=source, node_columns=xcols, edge_columns=ecols,
                     witnesses=stats.witnesses, top={c: np.array(v, dtype=np.int64) for c, v in top.items()},
                     max_support=max_support, floors=floors, fetch=stats.fetch, release=stats.release)


def distill_spark(path: str | os.PathLike, mirage, master: str = "local[*]", partitions: int = 8,
                  driver_memory: str | None = None, checkpoint_dir: str | None = None, progress: bool = False,
                  driver_rows: int = SPARK_DRIVER_ROWS) -> Mirage:
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
        checkpoint_dir: on a cluster, where stage results are checkpointed (default: the session's, else a
            temporary directory on this machine, removed afterwards; several machines need a shared one).
        driver_rows: a WL round with at most this many distinct signatures (summed over the parts) is ranked on
            the driver, the larger ones on the cluster (0: every round on the cluster); the ids are the same.
    """
    import time

    from .data.parquet import train_class_counts

    if not hasattr(mirage, "fit_table"):
        raise ParameterError("the Spark engine runs the itemset form (a Mirage with fixed hops and a budget, "
                             "min_support or max_bytes); the automatic default (AutoPrototypes) runs in memory")
    mirage._validate()
    counts = train_class_counts(path)  # a bad directory, or one without two classes to train on, fails before Spark
    if len(counts) < 2:
        raise MirageError(f"{path} has no training graphs (no graph with split 'train')" if not counts else
                          f"{path}: its training graphs are all of class {next(iter(counts))}; distillation for "
                          f"classification needs at least two")
    _parts(Path(path))
    check_master(master)
    t0 = time.perf_counter()
    bar = Progress(total=int(mirage.hops) + 2, desc="spark", unit="stage", enabled=progress)
    bar.update(0, stage="starting the session")
    log = Path(tempfile.gettempdir()) / "graph-mirage-spark.log"
    with spark_session(master, partitions=partitions, driver_memory=driver_memory, log=log) as spark, \
            spark_errors(log):
        bar.update(0, stage="waiting for executors")
        await_executors(spark)  # before the jobs' signal handling: Ctrl-C ends the wait at once
        with interruptible(spark):
            bar.update(0, stage=f"WL rounds 1-{mirage.hops} inside each part")
            scratch = _checkpoints(spark, checkpoint_dir)
            try:
                table = spark_tree_table(spark, path, mirage, bar, driver_rows)
                bar.close()
                seconds = time.perf_counter() - t0
                try:
                    mirage.fit_table(table)  # may ask Spark for transactions at lower floors
                finally:
                    table.release()
            finally:
                if scratch is not None:
                    shutil.rmtree(scratch, ignore_errors=True)
        application = spark.sparkContext.applicationId
    # what reached the driver, next to what it stands for
    mirage.spark_ = {"master": master, "partitions": partitions, "application": application,
                     "transactions": {str(c): int(table.rows[c].shape[0]) for c in table.classes},
                     "floors": {str(c): int(f) for c, f in table.floors.items()}, "fetches": table.fetches,
                     "graphs": {str(c): table.class_size(c) for c in table.classes},
                     "trees_described": int((table.tree_size >= 0).sum()), "trees": table.n_trees}
    # "trees": the Spark job up to the first transactions; mining includes any later fetch at lower floors
    mirage.seconds_.update(trees=seconds, total=time.perf_counter() - t0)
    return mirage


def _checkpoints(spark, directory: str | None) -> str | None:
    """Set the session's checkpoint directory on a cluster (:func:`_materialise`); returns a temporary one made here,
    to remove afterwards."""
    sc = spark.sparkContext
    if sc.master.startswith("local"):
        return None
    if directory:
        sc.setCheckpointDir(str(directory))
    elif not sc.getCheckpointDir():
        scratch = tempfile.mkdtemp(prefix="graph-mirage-checkpoints-")
        sc.setCheckpointDir(scratch)
        return scratch
    return None


if __name__ == "__main__":  # pragma: no cover - a manual check: python -m graph_mirage.spark_engine DIR HOPS
    from .distill import Mirage

    print(distill_spark(sys.argv[1], Mirage(hops=int(sys.argv[2]), budget=10)).distilled_.summary())
