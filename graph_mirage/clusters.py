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


# centres' k x columns from which k-means runs in the used columns with sparse centres (graph_mirage.lloyd): the
# same labels; below it scikit-learn's dense centres are cheaper than the sparse ones' bookkeeping (measured on the
# candidates of NCI1, DD, ogbg-molbace and ogbg-molhiv: 1-4 x faster above, up to 2 x slower below)
SPARSE_CENTRES_FROM = 1_000_000


def import_kmeans() -> None:
    """Import scikit-learn's k-means (what a fresh worker process spends most of its start on)."""
    from sklearn.cluster import KMeans, kmeans_plusplus  # noqa: F401

    from . import lloyd  # noqa: F401


def kmeans_labels(feats: sp.csr_matrix, k: int, seed: int, sample: int | None,
                  distinct: tuple[int, np.ndarray] | None = None) -> np.ndarray:
    """``[n]`` k-means labels of the rows of ``feats`` (k-means fitted on a random sample of at most ``sample`` rows,
    then every row assigned to its nearest centre; None: all rows). With ``k`` at least the number of distinct rows
    (``distinct``: :func:`distinct_rows` of ``feats``, when known) each distinct row is its own cluster. The k-means
    is scikit-learn's ``KMeans(k, n_init=1, random_state=seed)`` — computed by :mod:`~graph_mirage.lloyd` (the same
    labels, with sparse centres in the used columns) where ``k`` x columns reaches :data:`SPARSE_CENTRES_FROM`; a
    pure function of its arguments on one OpenMP thread (the caller limits the threads): the same labels in any
    process.

    Example:
        >>> feats = sp.csr_matrix(np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]))
        >>> kmeans_labels(feats, 2, seed=0, sample=None).tolist()
        [0, 1, 0]
    """
    n_distinct, groups = distinct_rows(feats) if distinct is None else distinct
    if k >= n_distinct:
        # k-means' optimum is then exact (every distinct point its own cluster, inertia 0): computed directly, it
        # takes a fraction of the time, and the clusters' order no longer depends on how a scikit-learn version
        # numbers coinciding centres (that order is the prototypes' order, so it changes the training)
        return groups
    n = feats.shape[0]
    if sample is not None and n > sample:
        idx = np.sort(np.random.default_rng(seed).choice(n, sample, replace=False))
        fit, predict = feats[idx], feats
    else:
        fit, predict = feats, None
    # a sample can still hold fewer distinct points than k: that leaves clusters empty, and an empty cluster
    # makes no prototype (fit_trees skips it)
    if k * feats.shape[1] >= SPARSE_CENTRES_FROM:
        from .lloyd import lloyd_labels

        return lloyd_labels(fit, k, seed, predict=predict)
    import warnings

    from sklearn.cluster import KMeans
    from sklearn.exceptions import ConvergenceWarning

    km = KMeans(n_clusters=k, n_init=1, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        km.fit(fit)
    return km.labels_ if predict is None else km.predict(predict)
