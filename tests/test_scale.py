"""Scale pieces: the synthetic-molecules generator, the Parquet layout, the exact WL on packed words, and the miner's
pruned, weighted input."""

import numpy as np
import pytest

from graph_mirage import Mirage, load_dataset
from graph_mirage.data import export_parquet, make_synthetic_molecules, read_parquet
from graph_mirage.errors import DatasetError
from graph_mirage.mining import MatrixTransactions, Transactions, mine_itemsets, transaction_matrix
from graph_mirage.trees import lex_rank, row_ids, wl_colours

from .conftest import needs_data


def test_synthetic_molecules_are_seeded_valid_and_heavy_tailed():
    a, b = make_synthetic_molecules(3000, seed=1), make_synthetic_molecules(3000, seed=1)
    assert all(np.array_equal(getattr(a, k), getattr(b, k)) for k in ("x", "edge_index", "edge_attr", "y"))
    assert not np.array_equal(make_synthetic_molecules(3000, seed=2).y, a.y)
    n = np.diff(a.node_ptr)
    assert 18 < n.mean() < 30 and n.min() >= 1
    g_of_edge = np.repeat(np.arange(a.num_graphs), np.diff(a.edge_ptr))
    g_of_node = a.graph_of_node
    assert np.array_equal(g_of_node[a.edge_index[0]], g_of_edge) and np.array_equal(g_of_node[a.edge_index[1]],
                                                                                      g_of_edge)
    # undirected: every edge has its reverse, with the same label
    fwd = set(zip(a.edge_index[0].tolist(), a.edge_index[1].tolist(), a.edge_attr[:, 0].tolist()))
    assert all((d, s, lab) in fwd for s, d, lab in fwd)
    # connected: a tree of fragments (edges >= nodes - 1 per graph)
    assert (np.diff(a.edge_ptr) // 2 >= n - 1).all()
    assert 0.1 < a.y.mean() < 0.35
    tree = wl_colours(row_ids(a.x), a.edge_index, row_ids(a.edge_attr), 3)[-1]
    counts = np.bincount(tree)
    assert (counts == 1).mean() > 0.5 and counts.max() > 200 * np.median(counts)  # a long tail and common trees


def test_synthetic_molecules_by_name_and_bad_sizes():
    ds = load_dataset("synthetic-molecules:1_000")
    assert len(ds) == 1000 and ds.name == "synthetic-molecules:1000" and set(ds.split) == {"train", "valid", "test"}
    assert ds[0].x.dtype.is_floating_point is False and ds.meta["node_vocab"] == [8]
    for bad in ("synthetic-molecules:abc", "synthetic-molecules:5", "synthetic-molecules:"):
        with pytest.raises(DatasetError, match="size must be an integer"):
            load_dataset(bad)


def test_packed_lexicographic_rank_equals_lexsort_rank():
    rng = np.random.default_rng(0)
    for cols, hi in ((3, 5), (12, 1 << 20), (2, 1 << 40)):  # one word, several words, wide columns
        a = rng.integers(0, hi, size=(5000, cols))
        a[::7] = a[1::7][: len(a[::7])]  # duplicates
        expect = np.unique(a, axis=0, return_inverse=True)[1].ravel()
        assert np.array_equal(lex_rank([a[:, j] for j in range(cols)]), expect)
    assert np.array_equal(row_ids(np.array([[3, -1], [3, -2], [0, 5], [3, -1]])), [2, 1, 0, 2])


def test_wl_ids_are_ranks_of_degree_colour_and_sorted_neighbour_codes(synthetic):
    flat = synthetic.flat()
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), 2)
    prev, cur = colours[1], colours[2]
    elab = row_ids(flat.edge_attr)
    src, dst = flat.edge_index
    sig = {}
    for v in range(len(cur)):
        nb = sorted((int(elab[e]) * (int(prev.max()) + 1) + int(prev[src[e]])) for e in np.flatnonzero(dst == v))
        sig[v] = (len(nb), int(prev[v]), tuple(nb))
    order = sorted(set(sig.values()))
    assert [order.index(sig[v]) for v in range(len(cur))] == cur.tolist()


def test_weighted_miner_input_gives_the_same_sets_as_plain_transactions():
    rng = np.random.default_rng(3)
    tracts = [sorted(set(rng.integers(0, 30, size=rng.integers(0, 9)).tolist())) for _ in range(400)]
    rows = np.repeat(np.arange(len(tracts)), [len(t) for t in tracts])
    items = np.concatenate([np.array(t, dtype=np.int64) for t in tracts])
    m = transaction_matrix(rows, items, len(tracts), 30)
    for target in ("all", "closed", "maximal"):
        for count in (5, 20, 60):
            plain = mine_itemsets(Transactions.of(tracts), count, target)
            assert mine_itemsets(MatrixTransactions(m), count, target) == plain
            assert mine_itemsets(MatrixTransactions(m), count, target, memory=2 ** 30, seconds=60) == plain
    w = MatrixTransactions(m).weighted(60)
    assert sum(w.values()) == len(tracts) + 1 and all(len(k) <= len(set(k)) for k in w)


def test_parquet_round_trip_distils_to_a_byte_identical_file(tmp_path, synthetic):
    out = export_parquet(synthetic, tmp_path / "pq", graphs_per_file=70)
    assert len(list((out / "nodes").glob("part-*.parquet"))) == 5  # 300 graphs, 70 per file
    back = read_parquet(out)
    a, b = synthetic.flat(), back.flat()
    for k in ("x", "edge_index", "edge_attr", "y", "node_ptr", "edge_ptr"):
        assert np.array_equal(getattr(a, k), getattr(b, k)), k
    assert {k: v.tolist() for k, v in back.split.items()} == {k: v.tolist() for k, v in synthetic.split.items()}
    d1 = Mirage(hops=2, budget=3).fit(synthetic[synthetic.split["train"]]).distilled_.save(tmp_path / "a.npz")
    d2 = Mirage(hops=2, budget=3).fit(back[back.split["train"]]).distilled_.save(tmp_path / "b.npz")
    assert d1.read_bytes() == d2.read_bytes()
    with pytest.raises(DatasetError, match="not an empty directory"):
        export_parquet(synthetic, out)
    with pytest.raises(DatasetError, match="not a graph-mirage Parquet directory"):
        read_parquet(tmp_path)


def test_a_parquet_directory_keeps_the_split_it_was_exported_with(tmp_path):
    """A random split of another seed, stratified, is read back as it was written (not re-drawn with the reader's
    default seed: a set distilled on one split and tested on another would test on its own training graphs), and
    split options given with a Parquet directory are refused in one line."""
    ds = load_dataset("synthetic-motifs", seed=3, stratify=True)
    back = load_dataset(str(export_parquet(ds, tmp_path / "pq")))
    assert {k: v.tolist() for k, v in back.split.items()} == {k: v.tolist() for k, v in ds.split.items()}
    assert (back.meta["split_seed"], back.meta["split_stratified"]) == (3, True)
    assert {k: v.tolist() for k, v in load_dataset("synthetic-motifs").split.items()} != \
        {k: v.tolist() for k, v in back.split.items()}
    for options in ({"seed": 1}, {"stratify": True}, {"folds": 10}):
        with pytest.raises(DatasetError, match="keeps the split it was exported with"):
            load_dataset(str(tmp_path / "pq"), **options)


@needs_data
def test_export_command_on_a_real_dataset(tmp_path, capsys, data_root):
    import json

    from graph_mirage.cli import main

    assert main(["export", "MUTAG", "--root", str(data_root), "--parquet", str(tmp_path / "m"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["graphs"] == 188
    assert read_parquet(tmp_path / "m").meta["name"] == "MUTAG"


def test_one_worker_serves_every_call_and_a_dead_one_is_replaced_or_reported(monkeypatch):
    import sys

    import graph_mirage.mining as mining
    from graph_mirage.errors import MirageError

    tracts = [[1, 2], [1, 2], [2, 3]]
    assert mine_itemsets(tracts, 2, memory=2 ** 30, seconds=30) == [((2,), 3), ((1, 2), 2)]
    worker = mining._Worker.proc
    assert worker is not None and worker.poll() is None
    assert mine_itemsets(tracts, 3, memory=2 ** 30, seconds=30) == [((2,), 3)]
    assert mining._Worker.proc is worker  # the same process served both thresholds
    worker.kill()
    worker.wait()  # died between calls: the next call starts a fresh worker
    assert mine_itemsets(tracts, 2, memory=2 ** 30, seconds=30) == [((2,), 3), ((1, 2), 2)]
    assert mining._Worker.proc is not worker
    mining._Worker.stop()
    # a worker that dies during a request with a fault (not the OOM killer's SIGKILL) is an error, not a limit
    monkeypatch.setattr(mining._Worker, "command", (sys.executable, "-c", "import sys; sys.stdin.buffer.read(8); "
                                                                          "sys.exit(3)"))
    with pytest.raises(MirageError, match="exit status 3") as e:
        mine_itemsets(tracts, 2, memory=2 ** 30, seconds=30)
    assert not isinstance(e.value, mining.MiningLimit)
    monkeypatch.undo()
    mining._Worker.stop()
    assert mine_itemsets(tracts, 2, memory=2 ** 30, seconds=30) == [((2,), 3), ((1, 2), 2)]
