"""Work in progress (branch ``spark-engine-wip``, not on main): the tree stage of Mirage on Apache Spark.

Exact 1-WL refinement as distributed sort and rank: every round's signature ``(in-degree, own colour, sorted
(edge label, neighbour colour) codes)`` is ranked in one global, exact dictionary (distinct signatures, sorted,
numbered with ``zipWithIndex``), which reproduces the in-memory engine's ids (:func:`graph_mirage.trees.wl_colours`)
exactly: ranks of the same keys in the same lexicographic order.

Input: the Parquet layout of :mod:`graph_mirage.data.parquet`.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def spark_session(master: str = "local[*]", app: str = "graph-mirage", partitions: int = 8):
    """A Spark session that is always stopped when this block ends (unless one was already running)."""
    from pyspark.sql import SparkSession

    existing = SparkSession.getActiveSession()
    builder = (SparkSession.builder.master(master).appName(app)
               .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
               .config("spark.sql.shuffle.partitions", str(partitions))
               .config("spark.driver.extraJavaOptions", "-Dlog4j2.level=ERROR"))
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        yield spark
    finally:
        if existing is None:
            spark.stop()


def _rank(spark, df, cols: list[str], name: str):
    """``df`` with a column ``name``: the rank of ``cols`` among their distinct values in lexicographic order."""
    from pyspark.sql.types import LongType, StructField, StructType

    distinct = df.select(*cols).distinct().orderBy(*cols)
    schema = StructType(list(distinct.schema.fields) + [StructField(name, LongType(), False)])
    numbered = distinct.rdd.zipWithIndex().map(lambda r: (*r[0], r[1]))
    return df.join(spark.createDataFrame(numbered, schema), on=cols)


def spark_tree_ids(spark, path: str | os.PathLike, hops: int, train_only: bool = True):
    """Tree ids of every node of the (training) graphs under ``path``: a DataFrame ``graph_id, node, tree``."""
    from pyspark.sql import functions as F

    path = Path(path)
    graphs = spark.read.parquet(str(path / "graphs"))
    nodes = spark.read.parquet(str(path / "nodes"))
    edges = spark.read.parquet(str(path / "edges"))
    if train_only:
        keep = graphs.where(F.col("split") == "train").select("graph_id")
        nodes, edges = nodes.join(keep, "graph_id"), edges.join(keep, "graph_id")
    xcols = sorted((c for c in nodes.columns if c.startswith("x")), key=lambda c: int(c[1:]))
    ecols = sorted((c for c in edges.columns if c.startswith("e")), key=lambda c: int(c[1:]))
    colour = _rank(spark, nodes, xcols, "colour").select("graph_id", "node", "colour")
    edges = _rank(spark, edges, ecols, "elab").select("graph_id", "src", "dst", "elab")
    for _ in range(hops):
        scale = colour.agg(F.max("colour")).first()[0] + 1
        src = colour.select("graph_id", F.col("node").alias("src"), F.col("colour").alias("c_src"))
        codes = (edges.join(src, ["graph_id", "src"])
                 .select("graph_id", F.col("dst").alias("node"),
                         (F.col("elab") * F.lit(scale) + F.col("c_src")).alias("code")))
        sig = codes.groupBy("graph_id", "node").agg(F.array_sort(F.collect_list("code")).alias("codes"))
        full = (colour.join(sig, ["graph_id", "node"], "left")
                .select("graph_id", "node", "colour",
                        F.coalesce("codes", F.array().cast("array<bigint>")).alias("codes")))
        full = full.withColumn("deg", F.size("codes"))
        colour = (_rank(spark, full, ["deg", "colour", "codes"], "new")
                  .select("graph_id", "node", F.col("new").alias("colour")))
        colour = colour.localCheckpoint()  # cut the lineage each round
    return colour.withColumnRenamed("colour", "tree")


def distill_parquet(path: str | os.PathLike, mirage, master: str = "local[*]", partitions: int = 8):
    """Distil the training graphs of a Parquet directory: tree ids on Spark, the rest on the driver with ``mirage``
    (a configured :class:`~graph_mirage.Mirage` with fixed hops). The training graphs are taken in ``graph_id``
    order on both sides, so the artifact equals ``Mirage.fit`` on the same graphs in that order.

    WIP: the driver still reads every training graph (selection and emission need the graphs around the witness
    nodes, and mining runs on the driver).
    """
    import numpy as np

    from .data.parquet import read_parquet

    ds = read_parquet(path)
    train = np.sort(ds.split["train"].numpy())
    with spark_session(master, partitions=partitions) as spark:
        ids = spark_tree_ids(spark, path, mirage.hops).orderBy("graph_id", "node").select("tree").toPandas()
    return mirage.fit(ds[train], tree_ids=ids["tree"].to_numpy())
