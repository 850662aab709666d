"""The clustering arithmetic of :class:`~graph_mirage.prototypes.TreePrototypes`: each class's tree-count rows
normalised, grouped where they coincide, clustered (scikit-learn's k-means) and averaged per cluster. Nothing here
imports PyTorch, so that worker processes clustering for :func:`~graph_mirage.candidates.make_candidates` start in
well under a second.

Example:
    >>> import numpy as np, scipy.sparse as sp
    >>> rows = sp.csr_matrix(np.array([[3.0, 4.0], [6.0, 8.0], [0.0, 1.0]]))
    >>> distinct_rows(normalised_counts(rows))       # the first two graphs have one shape at two sizes
    (2, array([0, 0, 1]))
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def normalised_counts(counts: sp.csr_matrix) -> sp.csr_matrix:
    """Each row of a ``[graphs, trees]`` count matrix divided by its L2 norm: what k-means clusters, so that graphs
    of one shape and different sizes fall together."""
    return sp.csr_matrix(counts.multiply(1.0 / np.sqrt(np.asarray(counts.multiply(counts).sum(1))).clip(1e-12)))


def cluster_means(rows: sp.csr_matrix, labels: np.ndarray, k: int) -> sp.csr_matrix:
    """``[k, n_trees]`` the mean row of each cluster ``0..k-1`` of ``rows`` (an empty cluster's row is zero), bit for
    bit what ``rows[labels == j].mean(0)`` gives — each value scaled by one over its cluster's size, then summed in
    row order — in one sparse product instead of one indexing per cluster.

    Example:
        >>> rows = sp.csr_matrix(np.array([[1.0, 0.0], [3.0, 2.0], [0.0, 4.0]]))
        >>> cluster_means(rows, np.array([0, 0, 1]), 2).toarray()
        array([[2., 1.],
               [0., 4.]])
    """
    rows = sp.csr_matrix(rows, dtype=np.float64)
    sizes = np.bincount(labels, minlength=k)
    scale = 1.0 / sizes[labels].astype(np.float64)
    scaled = sp.csr_matrix((rows.data * np.repeat(scale, np.diff(rows.indptr)), rows.indices, rows.indptr),
                           shape=rows.shape)
    member = sp.csr_matrix((np.ones(len(labels)), (labels, np.arange(len(labels)))), shape=(k, len(labels)))
    return (member @ scaled).tocsr()


def distinct_rows(feats: sp.csr_matrix) -> tuple[int, np.ndarray]:
    """How many distinct rows ``feats`` has, and each row's group (groups numbered in order of first occurrence).

    Example:
        >>> distinct_rows(sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 0.0]])))
        (2, array([0, 1, 0]))
    """
    rows = sp.csr_matrix(feats, copy=True)
    rows.eliminate_zeros()
    rows.sort_indices()
    groups: dict[tuple[bytes, bytes], int] = {}
    labels = np.empty(rows.shape[0], dtype=np.int64)
    for i in range(rows.shape[0]):
        s, e = rows.indptr[i], rows.indptr[i + 1]
        labels[i] = groups.setdefault((rows.indices[s:e].tobytes(), rows.data[s:e].tobytes()), len(groups))
    return len(groups), labels


def import_kmeans() -> None:
    """Import scikit-learn's k-means seeding (what a fresh worker process spends most of its start on)."""
    from sklearn.cluster import kmeans_plusplus  # noqa: F401


def kmeans_labels(feats: sp.csr_matrix, k: int, seed: int, sample: int | None,
                  distinct: tuple[int, np.ndarray] | None = None) -> np.ndarray:
    """``[n]`` k-means labels of the rows of ``feats`` (k-means fitted on a random sample of at most ``sample`` rows,
    then every row assigned to its nearest centre; None: all rows). With ``k`` at least the number of distinct rows
    (``distinct``: :func:`distinct_rows` of ``feats``, when known) each distinct row is its own cluster. The k-means
    is scikit-learn's (:mod:`~graph_mirage.lloyd`: the same labels, computed in the columns the rows use); a pure
    function of its arguments: the same labels in any process, with any number of threads.

    Example:
        >>> feats = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
        >>> kmeans_labels(feats, 2, seed=0, sample=None).tolist()
        [0, 1, 0]
    """
    from .lloyd import lloyd_labels

    n_distinct, groups = distinct_rows(feats) if distinct is None else distinct
    if k >= n_distinct:
        # k-means' optimum is then exact (every distinct point its own cluster, inertia 0): computed directly, it
        # takes a fraction of the time, and the clusters' order no longer depends on how a scikit-learn version
        # numbers coinciding centres (that order is the prototypes' order, so it changes the training)
        return groups
    n = feats.shape[0]
    # a sample can still hold fewer distinct points than k: that leaves clusters empty, and an empty cluster
    # makes no prototype (fit_trees skips it)
    if sample is None or n <= sample:
        return lloyd_labels(feats, k, seed)
    idx = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
    return lloyd_labels(feats[idx], k, seed, predict=feats)
