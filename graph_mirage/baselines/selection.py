"""Training-free baselines that produce the same artifact type as Mirage: Random and Herding graph selection.

Both select k real training graphs per class. The selected graphs are stored as distilled graphs whose every node is
a root (``root_mask`` all True), so the root-only readout pools all nodes, exactly as on real graphs, and the same
training code evaluates every method.

Example:
    >>> d = random_selection(ds[ds.split["train"]], k=10, seed=0)      # doctest: +SKIP
    >>> h = herding_selection(ds[ds.split["train"]], k=10, hops=2)     # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from ..data import as_flat
from ..distilled import DistilledDataset, source_meta
from ..trees import row_ids, wl_colours
from ..errors import ParameterError


def _as_distilled(train, chosen: dict[int, np.ndarray], method: str, params: dict) -> DistilledDataset:
    meta_src = dict(getattr(train, "meta", {}) or {})
    flat = as_flat(train)
    graphs = []
    for c in sorted(chosen):
        for i in chosen[c]:
            g = train[int(i)]
            graphs.append(Data(x=g.x, edge_index=g.edge_index, edge_attr=g.edge_attr,
                               root_mask=torch.ones(g.num_nodes, dtype=torch.bool), y=g.y.view(-1)[:1],
                               weight=torch.tensor([1.0])))
    meta = dict(source_meta(meta_src, flat), method=method, hops=params.get("hops", meta_src.get("hops")),
                params=params, selected={str(c): [int(i) for i in v] for c, v in chosen.items()})
    return DistilledDataset(graphs, meta)


def _per_class_k(y: np.ndarray, k) -> dict[int, int]:
    classes = np.unique(y)
    if isinstance(k, dict):
        return {int(c): int(k.get(int(c), k.get(str(int(c)), 0))) for c in classes}
    if int(k) < 1:
        raise ParameterError(f"k must be >= 1, got {k}")
    return {int(c): int(k) for c in classes}


def random_selection(train, k: int | dict, seed: int = 0) -> DistilledDataset:
    """k graphs per class (or ``{class: k}``) drawn uniformly without replacement from the training graphs."""
    y = as_flat(train).y
    rng = np.random.default_rng(seed)
    chosen = {}
    for c, kc in _per_class_k(y, k).items():
        idx = np.flatnonzero(y == c)
        chosen[c] = np.sort(rng.choice(idx, size=min(kc, len(idx)), replace=False))
    return _as_distilled(train, chosen, "random", {"k": k if isinstance(k, int) else dict(k), "seed": seed})


def tree_histograms(train, hops: int, max_features: int = 4096) -> np.ndarray:
    """``[num_graphs, F]`` normalised histograms of WL colours of rounds 0..hops (the same tree ids Mirage uses),
    restricted to the ``max_features`` most frequent colours; a fixed, training-free graph embedding."""
    flat = as_flat(train)
    colours = wl_colours(row_ids(flat.x), flat.edge_index, row_ids(flat.edge_attr), hops)
    g = flat.graph_of_node
    cols, offset = [], 0
    for col in colours:  # colours of different rounds are different features
        cols.append(col + offset)
        offset += int(col.max()) + 1 if len(col) else 0
    feat = np.concatenate(cols)
    rows = np.tile(g, len(colours))
    m = sp.csr_matrix((np.ones(len(feat)), (rows, feat)), shape=(flat.num_graphs, offset))
    keep = np.argsort(-np.asarray(m.sum(0)).ravel(), kind="stable")[:max_features]
    dense = m[:, keep].toarray()
    norms = np.linalg.norm(dense, axis=1, keepdims=True)
    return dense / np.maximum(norms, 1e-12)


def herding(features: np.ndarray, k: int) -> np.ndarray:
    """Greedy herding (Welling 2009): repeatedly pick the point that brings the mean of the picked points closest to
    the mean of all points. Returns the picked row indices, in order."""
    mu = features.mean(0)
    picked: list[int] = []
    total = np.zeros_like(mu)
    available = np.ones(len(features), dtype=bool)
    for t in range(min(k, len(features))):
        cand = (total[None, :] + features) / (t + 1)
        dist = np.linalg.norm(cand - mu[None, :], axis=1)
        dist[~available] = np.inf
        i = int(np.argmin(dist))
        picked.append(i)
        available[i] = False
        total += features[i]
    return np.array(picked, dtype=np.int64)


def herding_selection(train, k: int | dict, hops: int = 2) -> DistilledDataset:
    """k graphs per class chosen by herding on :func:`tree_histograms` (no model training)."""
    y = as_flat(train).y
    feats = tree_histograms(train, hops)
    chosen = {}
    for c, kc in _per_class_k(y, k).items():
        idx = np.flatnonzero(y == c)
        chosen[c] = idx[herding(feats[idx], kc)]
    return _as_distilled(train, chosen, "herding", {"k": k if isinstance(k, int) else dict(k), "hops": hops})
