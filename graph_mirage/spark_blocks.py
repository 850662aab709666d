"""The Spark engine's work inside one task: the whole graphs of one part file, with numpy alone.

A computation tree depends only on its node's own graph, and every part file of the Parquet layout holds whole
graphs. So a task reads one part (graphs, nodes and edges files of the same name), refines its training graphs with
the in-memory engine's code (:func:`graph_mirage.trees.wl_colours`: exact ids, but *local* to the part) and sends
on only what the global step needs:

- **dictionaries**: for each round, one row per distinct local colour with its signature in local ids — round 0 the
  node feature row, round ``EDGE_ROUND`` the edge feature rows, round r >= 1 ``(in-degree, own colour, (edge label,
  neighbour colour) per in-edge)`` of one node that has the colour. The driver merges them round by round into the
  one exact global dictionary (:mod:`graph_mirage.spark_engine`): exchanges over distinct signatures only;
- **per (class, local tree)**: node count, support (distinct graphs), witness (first node by graph id), tree size,
  on the last round's dictionary rows (one row per class a local tree occurs in);
- **per training graph**: its set of local trees (cut and put in global ids where it lies, at each fetch);
- **one meta row**: node and edge counts, the largest in-degree, the largest value of each feature column;
- **count rows**: per round ``r`` its number of dictionary rows, per class ``y`` its number of training graphs
  (both in ``n``): the driver reads them with the meta rows in one small job and decides from them where each round
  is ranked.

Binary encodings. ``key`` columns that Spark sorts hold big-endian int64 words with the sign bit flipped: Spark
compares binary values as unsigned bytes, so their order is the lexicographic order of the integer tuples, which is
the order the in-memory engine ranks in (the in-degree leads, so keys of one degree have one length). Payloads that
are only read back hold little-endian words: int32 for ids local to a part, int64 for global ones.

Importing this module loads neither Spark nor torch: the executors' Python workers stay light.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .data.parquet import flat_arrays
from .trees import in_edges, row_ids, tree_sizes, wl_colours

if TYPE_CHECKING:
    from typing import Callable, Iterator

    import pandas as pd
    import pyarrow as pa

KIND_DICT, KIND_GRAPH, KIND_META, KIND_NODE, KIND_COUNT = 0, 1, 2, 3, 4
EDGE_ROUND = -1  # the dictionary rows of the edge labels
BLOCK_SCHEMA = ("kind int, b int, r int, local long, key binary, y long, n long, support long, size long, "
                "wg long, wn long")
STATS = ("y", "n", "support", "size", "wg", "wn")  # what the last round's rows carry
SIGNATURE_SCHEMA = "b int, local long, key binary"
LAST_SCHEMA = SIGNATURE_SCHEMA + ", y long, n long, support long, size long, wg long, wn long"
TRANSACTIONS_SCHEMA = "y long, items binary, count long"
_SIGN = np.int64(-2 ** 63)


def _binary(words: np.ndarray, lengths: np.ndarray, ordered: bool, local: bool = False):
    """A pyarrow binary array of rows of ``lengths[i]`` words each, taken in turn from ``words``: int64, or int32
    for ``local`` payloads (ids within one part, which never reach 2**31: half the bytes for the JVM to store)."""
    import pyarrow as pa

    words = np.asarray(words, dtype=np.int64)
    data = ((words ^ _SIGN).astype(">i8") if ordered else words.astype("<i4" if local else "<i8")).tobytes()
    width = 4 if local else 8
    offsets = np.concatenate([[0], np.cumsum(np.asarray(lengths, dtype=np.int64) * width)]).astype(np.int32)
    return pa.Array.from_buffers(pa.binary(), len(lengths), [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def payload_words(payloads, local: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """``(flat int64 words, words per row)`` of a sequence of payloads (pandas bytes objects, little-endian int64
    words, or int32 ones for ``local`` payloads)."""
    payloads = list(payloads)
    width = 4 if local else 8
    lengths = np.fromiter((len(k) for k in payloads), dtype=np.int64, count=len(payloads)) // width
    return np.frombuffer(b"".join(payloads), dtype="<i4" if local else "<i8").astype(np.int64), lengths


def _batch(length: int, **columns):
    """A record batch of ``BLOCK_SCHEMA`` with ``length`` rows; columns not given are null, a list may hold nulls."""
    import pyarrow as pa

    types = {"kind": pa.int32(), "b": pa.int32(), "r": pa.int32(), "key": pa.binary()}
    names = [c.split()[0] for c in BLOCK_SCHEMA.split(", ")]
    arrays = []
    for name in names:
        t = types.get(name, pa.int64())
        v = columns.get(name)
        if v is None:
            arrays.append(pa.nulls(length, t))
        elif isinstance(v, pa.Array):
            arrays.append(v)
        elif isinstance(v, list):  # Python ints and Nones (nulls)
            arrays.append(pa.array(v, t))
        elif np.ndim(v) == 0:
            arrays.append(pa.array(np.full(length, v), t))
        else:
            arrays.append(pa.array(np.asarray(v), t))
    return pa.RecordBatch.from_arrays(arrays, names=names)


def _first(ids: np.ndarray) -> np.ndarray:
    """For dense ids 0..k-1: the position of each id's first occurrence."""
    first = np.empty(int(ids.max()) + 1 if len(ids) else 0, dtype=np.int64)
    first[ids[::-1]] = np.arange(len(ids) - 1, -1, -1)
    return first


def _read_part(path: Path, name: str, xcols: list[str], ecols: list[str]):
    """The training graphs of one part: ``(graph ids, labels, node_ptr, x, edge_index, edge_attr, node id in
    graph)`` in graph-id then node order, nodes numbered within the part."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    graphs = pq.read_table(path / "graphs" / name, columns=["graph_id", "y", "split"])
    graphs = graphs.filter(pc.equal(graphs["split"], "train"))
    nodes = pq.read_table(path / "nodes" / name, columns=["graph_id", "node", *xcols])
    edges = pq.read_table(path / "edges" / name, columns=["graph_id", "src", "dst", *ecols])
    gid, y, node_ptr, x, edge_index, edge_attr, _ = flat_arrays(
        graphs, nodes, edges, {"node_columns": len(xcols), "edge_columns": len(ecols)})
    local = np.arange(node_ptr[-1]) - np.repeat(node_ptr[:-1], np.diff(node_ptr))
    return gid, y, node_ptr, x, edge_index, edge_attr, local


def refine_part(path: str, name: str, b: int, hops: int, xcols: list[str], ecols: list[str],
                node_rows: bool = False) -> Iterator[pa.RecordBatch]:
    """Record batches (``BLOCK_SCHEMA``) for one part file, numbered ``b``: see the module docstring.
    ``node_rows`` adds one row per node (``wg`` graph id, ``wn`` node, ``local`` its tree, ``size``)."""
    gid, y, node_ptr, x, edge_index, edge_attr, node_local = _read_part(Path(path), name, xcols, ecols)
    n, m = len(x), edge_index.shape[1]
    labels = row_ids(x) if x.shape[1] else np.zeros(n, dtype=np.int64)
    elab = row_ids(edge_attr) if edge_attr.shape[1] and m else np.zeros(m, dtype=np.int64)
    colours = wl_colours(labels, edge_index, elab if ecols else None, hops)
    sizes = tree_sizes(edge_index, n, hops)
    graph_of = np.repeat(np.arange(len(gid)), np.diff(node_ptr))
    deg = np.bincount(edge_index[1], minlength=n) if n else np.zeros(0, dtype=np.int64)

    tree = colours[-1]
    k = int(tree.max()) + 1 if n else 1
    pairs = np.sort(graph_of * k + tree)  # (graph, tree), graph-id order; a sort, not numpy's hashing unique
    pairs = pairs[np.concatenate([[True], pairs[1:] != pairs[:-1]])] if len(pairs) else pairs
    pair_graph, pair_tree = pairs // k, pairs % k
    keys, witness, count = np.unique(y[graph_of] * k + tree, return_index=True, return_counts=True)
    _, support = np.unique(y[pair_graph] * k + pair_tree, return_counts=True)
    # the last round's dictionary rows come once per (class, local tree), with that class's statistics: the
    # ranking carries them to the global ids, no join needed
    stats = dict(y=keys // k, n=count, support=support, size=sizes[witness], wg=gid[graph_of[witness]],
                 wn=node_local[witness])
    last = keys % k

    rows = {}  # dictionary rows per round

    def dictionary(r: int, key):
        rows[r] = len(key) if r < hops else len(last)
        if r < hops:
            return _batch(len(key), kind=KIND_DICT, b=b, r=r, local=np.arange(len(key)), key=key)
        return _batch(len(last), kind=KIND_DICT, b=b, r=r, local=last, key=key.take(last), **stats)

    if n:  # round 0: a node feature row per local colour
        first = _first(colours[0])
        yield dictionary(0, _binary(x[first].ravel(), np.full(len(first), x.shape[1]), ordered=True))
    if m:
        first = _first(elab)
        rows[EDGE_ROUND] = len(first)
        yield _batch(len(first), kind=KIND_DICT, b=b, r=EDGE_ROUND, local=np.arange(len(first)),
                     key=_binary(edge_attr[first].ravel(), np.full(len(first), edge_attr.shape[1]), ordered=True))
    order, ptr, _ = in_edges(edge_index[1], n)
    src = edge_index[0]
    for r in range(1, hops + 1):  # a representative node per local colour, its signature in local ids
        if not n:
            break
        reps = _first(colours[r])
        d = deg[reps]
        prev = colours[r - 1]
        starts = np.concatenate([[0], np.cumsum(2 + 2 * d)[:-1]])
        words = np.empty(int((2 + 2 * d).sum()), dtype=np.int64)
        words[starts], words[starts + 1] = d, prev[reps]
        within = np.arange(int(d.sum())) - np.repeat(np.cumsum(d) - d, d)
        e = order[np.repeat(ptr[reps], d) + within]
        at = np.repeat(starts + 2, d) + 2 * within
        words[at], words[at + 1] = elab[e], prev[src[e]]
        yield dictionary(r, _binary(words, 2 + 2 * d, ordered=False, local=True))

    per_graph = np.bincount(pair_graph, minlength=len(gid))
    if len(gid):
        yield _batch(len(gid), kind=KIND_GRAPH, b=b, local=gid, y=y,
                     key=_binary(pair_tree, per_graph, ordered=False, local=True))
    most = [int(x[:, j].max()) if n else -1 for j in range(x.shape[1])] + \
        [int(edge_attr[:, j].max()) if m else -1 for j in range(edge_attr.shape[1])]
    yield _batch(1, kind=KIND_META, b=b, n=n, support=m, size=int(deg.max()) if n else 0,
                 key=_binary(np.array(most, dtype=np.int64), [len(most)], ordered=False))
    classes, graphs = np.unique(y, return_counts=True)
    yield _batch(len(rows) + len(classes), kind=KIND_COUNT, b=b,
                 r=list(rows) + [None] * len(classes), y=[None] * len(rows) + [int(c) for c in classes],
                 n=np.concatenate([np.array(list(rows.values()), dtype=np.int64), graphs]))
    if node_rows and n:
        yield _batch(n, kind=KIND_NODE, b=b, local=tree, wg=gid[graph_of], wn=node_local, size=sizes)


def refine_parts(path: str, names: list[str], hops: int, xcols: list[str], ecols: list[str],
                 node_rows: bool) -> Callable:
    """The ``mapInArrow`` function: its input batches hold part numbers (column ``id``)."""
    def run(batches):
        for batch in batches:
            for b in batch.column(0).to_pylist():
                yield from refine_part(path, names[b], b, hops, xcols, ecols, node_rows)
    return run


def dense_ranks(batches) -> Iterator[pa.RecordBatch]:
    """The ``mapInArrow`` function of a sorted partition of rows with a binary ``key`` column: the same rows without
    the key, with ``g`` numbering the partition's distinct keys 0, 1, ... in order and ``pid`` the partition."""
    import pyarrow as pa
    import pyarrow.compute as pc
    from pyspark import TaskContext

    pid, last, count = TaskContext.get().partitionId(), None, -1
    for batch in batches:
        keys = batch.column("key")
        if not len(keys):
            continue
        new = pc.not_equal(keys[1:], keys[:-1]).to_numpy(zero_copy_only=False)
        first_new = last is None or keys[0].as_py() != last
        g = count + np.cumsum(np.concatenate([[first_new], new]).astype(np.int64))
        count, last = int(g[-1]), keys[-1].as_py()
        keep = [i for i, name in enumerate(batch.schema.names) if name != "key"]
        yield pa.RecordBatch.from_arrays([batch.column(i) for i in keep] + [
            pa.array(g, pa.int64()), pa.array(np.full(len(g), pid, dtype=np.int32))],
            names=[batch.schema.names[i] for i in keep] + ["g", "pid"])


SUMMED = -1  # the part number of rows that sum a (class, tree)'s statistics over all parts


def class_sums(g: np.ndarray, y: np.ndarray, n: np.ndarray,
               support: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(g, y, n, support)`` summed per (tree ``g``, class ``y``), in (g, y) order: parts hold disjoint graphs,
    so node counts and supports add up."""
    if not len(g):
        return g, y, n, support
    order = np.lexsort((y, g))
    g, y, n, support = g[order], y[order], n[order], support[order]
    start = np.flatnonzero(np.concatenate([[True], (g[1:] != g[:-1]) | (y[1:] != y[:-1])]))
    return g[start], y[start], np.add.reduceat(n, start), np.add.reduceat(support, start)


def dense_ranks_summed(batches) -> Iterator[pa.RecordBatch]:
    """:func:`dense_ranks` over the last round's rows, followed by one row per (tree, class) of the partition with
    the class's node count and support summed over the parts (part ``SUMMED``, the other statistics -1): all rows
    of a tree meet in one sorted partition, so no exchange is needed to sum them."""
    import pyarrow as pa

    seen, schema = [], None
    for out in dense_ranks(batches):
        schema = out.schema
        seen.append([out.column(c).to_numpy() for c in ("g", "y", "n", "support", "pid")])
        yield out
    if not seen:
        return
    g, y, n, support, pid = (np.concatenate([s[i] for s in seen]) for i in range(5))
    g, y, n, support = class_sums(g, y, n, support)
    columns = {"g": g, "y": y, "n": n, "support": support, "pid": np.full(len(g), pid[0], dtype=np.int32)}
    yield pa.RecordBatch.from_arrays(
        [pa.array(columns[f.name] if f.name in columns else np.full(len(g), SUMMED), f.type) for f in schema],
        schema=schema)


def dense_rank_keys(keys) -> tuple[np.ndarray, int]:
    """``(rank of each key among the distinct keys, number of distinct keys)`` for binary keys (a sequence of
    ``bytes``), in byte order: Spark's order of binary values, so the driver ranks a small round exactly as
    :func:`dense_ranks` does on the cluster."""
    keys = np.asarray(list(keys), dtype=object)
    if not len(keys):
        return np.zeros(0, dtype=np.int64), 0
    distinct, rank = np.unique(keys, return_inverse=True)  # Python's comparison of bytes: unsigned, lexicographic
    return rank.astype(np.int64).ravel(), len(distinct)


class PartIds:
    """A map (part, local id) -> global id over any parts, from arrays of its entries."""

    def __init__(self, part: np.ndarray, local: np.ndarray, glob: np.ndarray) -> None:
        local = np.asarray(local, dtype=np.int64)
        self.width = np.int64(int(local.max()) + 1 if len(local) else 1)
        joint = np.asarray(part, dtype=np.int64) * self.width + local
        order = np.argsort(joint)
        self.joint, self.glob = joint[order], np.asarray(glob, dtype=np.int64)[order]

    @classmethod
    def of(cls, frame) -> "PartIds":
        """From a pandas frame of ``b``, ``local``, ``g`` columns."""
        return cls(frame["b"].to_numpy(), frame["local"].to_numpy(), frame["g"].to_numpy())

    def __call__(self, part: np.ndarray, local: np.ndarray) -> np.ndarray:
        """The global ids of entries that are in the map."""
        at = np.searchsorted(self.joint, np.asarray(part, dtype=np.int64) * self.width + local)
        return self.glob[np.minimum(at, max(len(self.joint) - 1, 0))]

    def find(self, part: np.ndarray, local: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(global ids of the entries found, which entries were found)`` for entries that may be missing."""
        local = np.asarray(local, dtype=np.int64)
        code = np.where(local < self.width, np.asarray(part, dtype=np.int64) * self.width + local, -1)
        at = np.minimum(np.searchsorted(self.joint, code), max(len(self.joint) - 1, 0))
        found = (code >= 0) & (self.joint[at] == code) if len(self.joint) else np.zeros(len(code), dtype=bool)
        return self.glob[at[found]], found


def translate_rows(sig, colours: PartIds, labels: PartIds, scale: int) -> pd.DataFrame:
    """A round's signature rows (pandas: ``b``, ``local``, ``key`` in local ids, ...) with their keys put in global
    terms: ordered keys ``(in-degree, own colour, sorted codes)``, a code being ``edge label * scale + neighbour
    colour`` — the in-memory engine's packing, with ``scale`` the previous round's number of colours."""
    if sig.empty:
        return sig
    words, lengths = payload_words(sig["key"], local=True)
    part = sig["b"].to_numpy().astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    d = words[starts]
    within = np.arange(int(d.sum())) - np.repeat(np.cumsum(d) - d, d)
    at = np.repeat(starts + 2, d) + 2 * within
    row = np.repeat(np.arange(len(d)), d)
    codes = labels(part[row], words[at]) * np.int64(scale) + colours(part[row], words[at + 1])
    codes = codes[np.lexsort((codes, row))]
    out_words = np.empty(int((2 + d).sum()), dtype=np.int64)
    out_starts = np.concatenate([[0], np.cumsum(2 + d)[:-1]])
    out_words[out_starts], out_words[out_starts + 1] = d, colours(part, words[starts + 1])
    out_words[np.repeat(out_starts + 2, d) + within] = codes
    out = sig.drop(columns="key").reset_index(drop=True)
    out.insert(2, "key", _binary(out_words, 2 + d, ordered=True).to_pandas())
    return out


def translate(scale: int) -> Callable:
    """The ``applyInPandas`` function of a round's merge, cogrouped by part: the part's signature rows and its ids
    of the previous round (``tag`` 0) and of the edge labels (``tag`` 1), local to global (:func:`translate_rows`)."""
    def run(sig, ids):
        tag = ids["tag"].to_numpy()
        return translate_rows(sig, PartIds.of(ids[tag == 0]), PartIds.of(ids[tag == 1]), scale)
    return run


def translate_with(scale: int, colours: PartIds, labels: PartIds) -> Callable:
    """The ``mapInPandas`` function of a round's merge when the previous round's ids are small enough to travel with
    the task (:func:`translate_rows`): no exchange."""
    def run(batches):
        for sig in batches:
            if not sig.empty:
                yield translate_rows(sig, colours, labels, scale)
    return run


def cut_transactions(part: np.ndarray, local: np.ndarray, tree: np.ndarray) -> Callable:
    """The ``mapInPandas`` function of a fetch over the graph rows (``b``, ``y``, ``key``: local trees): each graph's
    trees cut to the kept ones — local id ``local[i]`` of part ``part[i]`` is global tree ``tree[i]`` — in sorted
    global ids, equal ``(class, set)`` pairs merged with their count in the batch."""
    import pandas as pd

    kept_ids = PartIds(part, local, tree)

    def run(batches):
        for graphs in batches:
            if graphs.empty:
                continue
            words, lengths = payload_words(graphs["key"], local=True)
            row = np.repeat(np.arange(len(lengths)), lengths)
            glob, kept = kept_ids.find(graphs["b"].to_numpy().astype(np.int64)[row], words)
            row = row[kept]
            glob = glob[np.lexsort((glob, row))]
            sets = _binary(glob, np.bincount(row, minlength=len(lengths)), ordered=False).to_pandas()
            merged = pd.DataFrame({"y": graphs["y"].to_numpy(), "items": sets}).groupby(
                ["y", "items"], sort=False).size().reset_index(name="count")
            yield merged.astype({"count": "int64"})
    return run
