"""The Spark tree stage reproduces the in-memory tree ids exactly (local mode)."""

import numpy as np
import pytest

from graph_mirage.data import export_parquet
from graph_mirage.trees import row_ids, wl_colours

pyspark = pytest.importorskip("pyspark")  # WIP branch only: main has no Spark engine yet


@pytest.fixture(scope="module")
def spark():
    from graph_mirage.spark_engine import spark_session

    with spark_session("local[2]", partitions=4) as s:
        yield s


@pytest.mark.parametrize("hops", [1, 3])
def test_spark_tree_ids_equal_the_in_memory_ids(spark, synthetic, tmp_path, hops):
    from graph_mirage.spark_engine import spark_tree_ids

    out = export_parquet(synthetic, tmp_path / f"pq{hops}", graphs_per_file=100)
    train = np.sort(synthetic.split["train"].numpy())
    flat = synthetic[train].flat()
    expect = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)[-1]
    got = spark_tree_ids(spark, out, hops).orderBy("graph_id", "node").toPandas()
    assert len(got) == len(expect)
    assert np.array_equal(got["tree"].to_numpy(), expect)


def test_spark_engine_artifact_is_byte_identical_to_the_in_memory_one(synthetic, tmp_path):
    from graph_mirage import Mirage
    from graph_mirage.spark_engine import distill_parquet

    out = export_parquet(synthetic, tmp_path / "pq", graphs_per_file=64)
    train = np.sort(synthetic.split["train"].numpy())
    a = Mirage(hops=2, budget=3).fit(synthetic[train]).distilled_.save(tmp_path / "memory.npz")
    b = distill_parquet(out, Mirage(hops=2, budget=3), master="local[2]", partitions=4).distilled_
    assert b.save(tmp_path / "spark.npz").read_bytes() == a.read_bytes()
