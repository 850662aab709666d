"""Lloyd's k-means on sparse rows, computed in the columns the rows use: scikit-learn's ``KMeans`` on a CSR matrix
(``n_init=1``, k-means++ seeding, ``tol=1e-4``, one thread), the same labels to the last bit, several times faster
on tree counts.

Why not scikit-learn's own iterations: its sparse Lloyd keeps the centres dense and as wide as the matrix, and a
class's tree-count rows have one column per distinct computation tree of the dataset (84,000-208,000 on ogbg-molhiv
and DD) while a clustered sample uses a fraction of them. Every iteration then zeroes, reduces, averages and
compares ``[k, n_trees]`` arrays — 16 of ogbg-molhiv's 19 s of fitting the default. Here the centres live in the
used columns only; what scikit-learn computes over the full width is reproduced exactly:

* the centres' squared norms are numpy's ``einsum`` over each full-width row (its SIMD accumulation order is the
  platform's, so the row is scattered into one full-width buffer rather than re-derived: one pass, not eight);
* the centre shift of the tolerance test sums ``(new - old)**2`` four columns at a time in column order, as
  scikit-learn's unrolled loop does (columns a sample does not use add exact zeros, which change no sum);
* the tolerance is scikit-learn's: the mean over all columns of their variances, times ``tol``.

The centres are sparse (a cluster's mean touches the trees of its members only); distances are scipy's products
of the rows with them (each row's products summed in stored order from zero, as scikit-learn's loop; a zero centre
value adds an exact zero), new centres sparse products of a membership matrix (summed in sample order), empty
clusters relocated and averaged as scikit-learn does. So the labels are scikit-learn's: ``tests/test_lloyd.py``
compares them on random and degenerate inputs, ``tests/test_golden.py`` every benchmark dataset's distilled file.
Seeding stays scikit-learn's public :func:`sklearn.cluster.kmeans_plusplus`. Unlike scikit-learn's iterations
(OpenMP threads sum their chunks in a grouping that depends on the thread count), the labels do not depend on
the number of threads.

Example:
    >>> import numpy as np, scipy.sparse as sp
    >>> rows = sp.csr_matrix(np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]]))
    >>> lloyd_labels(rows, 2, seed=0).tolist()
    [1, 1, 0, 0]
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

_CHUNK = 8192  # rows per distance block: bounds the [rows, k] distance matrix, changes no value
_DENSE = 0.02  # the centres' density above which distances use them dense (measured on ogbg-molhiv's classes)


def lloyd_labels(rows: sp.csr_matrix, k: int, seed: int, predict: sp.csr_matrix | None = None,
                 max_iter: int = 300, tol: float = 1e-4) -> np.ndarray:
    """``[n]`` k-means labels of ``rows`` (``[n, d]`` float64 CSR) — or, given ``predict`` (``[m, d]``), of its rows
    assigned to the centres fitted on ``rows``: what ``KMeans(k, n_init=1, random_state=seed).fit(rows)`` gives as
    ``labels_`` (``.predict(predict)``), on one thread.
    """
    from sklearn.cluster import kmeans_plusplus
    from sklearn.utils.sparsefuncs import mean_variance_axis

    rows = _csr(rows)
    n, d = rows.shape
    cols = np.unique(rows.indices)  # the used columns; compressed index = position in ``cols``
    at = np.full(d, -1, dtype=np.int32)
    at[cols] = np.arange(len(cols), dtype=np.int32)
    x = sp.csr_matrix((rows.data, at[rows.indices], rows.indptr), shape=(n, len(cols)))
    tol = float(np.mean(mean_variance_axis(rows, axis=0)[1]) * tol) if tol else 0.0
    _, seeds = kmeans_plusplus(rows, k, random_state=seed)
    centres = _canonical(x[seeds])
    norms = _Norms(k, d, cols)
    shift = _Shift(cols, d)

    labels_old = np.full(n, -1, dtype=np.int32)
    strict = False
    for _ in range(max_iter):
        sq = norms(centres)
        labels = _assign(x, centres, sq)
        new = _update(x, labels, centres, sq, k)
        old, centres = centres, new
        if np.array_equal(labels, labels_old):
            strict = True
            break
        if (shift(new, old) ** 2).sum() <= tol:
            break
        labels_old[:] = labels
    if predict is not None:
        return _assign(_columns(_csr(predict), at), centres, norms(centres))
    if not strict:  # scikit-learn's last E-step: labels that match the returned centres
        labels = _assign(x, centres, norms(centres))
    return labels


def _csr(m) -> sp.csr_matrix:
    m = sp.csr_matrix(m, dtype=np.float64)
    return sp.csr_matrix((m.data, m.indices.astype(np.int32), m.indptr.astype(np.int32)), shape=m.shape)


def _canonical(m: sp.csr_matrix) -> sp.csr_matrix:
    m = sp.csr_matrix(m, copy=True)
    m.sum_duplicates()  # also sorts each row's columns: the centre shift reads them in column order
    return m


def _columns(m: sp.csr_matrix, at: np.ndarray) -> sp.csr_matrix:
    """``m`` in the used columns (``at``: each column's compressed index, -1 if unused), each row's entries in their
    stored order; the entries dropped meet zero centre values, whose products add exact zeros to a distance."""
    idx = at[m.indices]
    keep = idx >= 0
    indptr = np.concatenate([[0], np.cumsum(keep)])[m.indptr].astype(np.int32)
    return sp.csr_matrix((m.data[keep], idx[keep], indptr), shape=(m.shape[0], int(at.max()) + 1))


class _Norms:
    """The centres' squared norms as scikit-learn computes them: numpy's ``einsum`` over full-width dense rows (one
    buffer, only the previous centres' entries cleared)."""

    def __init__(self, k: int, d: int, cols: np.ndarray):
        self.full, self.cols, self.at = np.zeros((k, d)), cols, (np.zeros(0, dtype=np.int64),) * 2

    def __call__(self, centres: sp.csr_matrix) -> np.ndarray:
        self.full[self.at] = 0.0
        self.at = (np.repeat(np.arange(centres.shape[0]), np.diff(centres.indptr)), self.cols[centres.indices])
        self.full[self.at] = centres.data
        return np.einsum("ij,ij->i", self.full, self.full)


def _assign(x: sp.csr_matrix, centres: sp.csr_matrix, norms: np.ndarray) -> np.ndarray:
    """Each row's nearest centre by ``||c||² - 2 x·c`` (the first on a tie, as scikit-learn's strict ``<``); each
    product summed over the row's entries in stored order, the centres' zeros skipped (they add exact zeros)."""
    k, u = centres.shape
    # dense centres where they are dense enough: the same sums (a zero centre value adds an exact zero), without
    # a sparse product's bookkeeping per output entry
    ct = centres.T.toarray() if centres.nnz > _DENSE * k * u else centres.T.tocsr()
    out = np.empty(x.shape[0], dtype=np.int32)
    for s in range(0, x.shape[0], _CHUNK):
        dots = x[s:s + _CHUNK] @ ct
        out[s:s + _CHUNK] = (norms[None, :] - 2 * (dots if isinstance(dots, np.ndarray) else dots.toarray())).argmin(1)
    return out


def _update(x: sp.csr_matrix, labels: np.ndarray, old: sp.csr_matrix, norms: np.ndarray, k: int) -> sp.csr_matrix:
    """The M-step: each cluster's mean (summed in sample order), an empty cluster given the sample farthest from its
    centre (scikit-learn's relocation), a cluster still empty the largest cluster's centre."""
    n = x.shape[0]
    member = sp.csr_matrix((np.ones(n), labels, np.arange(n + 1)), shape=(n, k)).T.tocsr()
    sums = _canonical(member @ x)
    weight = np.bincount(labels, minlength=k).astype(np.float64)
    if weight.all():
        sums.data *= np.repeat(1.0 / weight, np.diff(sums.indptr))
        return sums
    return _update_empty(x, labels, old, norms, sums.toarray(), weight)


def _update_empty(x, labels, old, norms, sums: np.ndarray, weight: np.ndarray) -> sp.csr_matrix:
    """:func:`_update` with empty clusters, on dense ``[k, u]`` sums: scikit-learn's relocation and averaging."""
    _relocate(x, labels, old.toarray(), norms, sums, weight, np.flatnonzero(weight == 0))
    biggest = int(np.argmax(weight))
    unscaled = sums[biggest].copy()
    filled = weight > 0
    sums[filled] *= (1.0 / weight[filled])[:, None]
    for j in np.flatnonzero(~filled):  # scikit-learn's loop copies the largest centre before or after its scaling
        sums[j] = sums[biggest] if biggest < j else unscaled
    return _canonical(sp.csr_matrix(sums))


def _relocate(x, labels, old: np.ndarray, norms, sums: np.ndarray, weight: np.ndarray, empty: np.ndarray) -> bool:
    """Give each empty cluster one of the samples farthest from their centres (in place); False when every sample
    sits on its centre (no more distinct samples than clusters), as scikit-learn then leaves them empty."""
    bi = old[np.repeat(labels, np.diff(x.indptr)), x.indices]
    tmp = x.data - bi
    terms = sp.csr_matrix((tmp * tmp - bi * bi, x.indices, x.indptr), shape=x.shape)
    dist = terms @ np.ones(x.shape[1]) + norms[labels]
    dist[dist < 0] = 0.0
    if np.max(dist) == 0:
        return False
    far = np.argpartition(dist, -len(empty))[:-len(empty) - 1:-1]
    for new, i in zip(empty, far):
        lo, hi = x.indptr[i], x.indptr[i + 1]
        for c, v in zip(x.indices[lo:hi], x.data[lo:hi]):  # one at a time, as the loop subtracts
            sums[labels[i], c] -= v
            sums[new, c] = v
        weight[new] = 1.0
        weight[labels[i]] -= 1.0
    return True


class _Shift:
    """``[k]`` each centre's move, summed as scikit-learn's loop over the full width: four columns at a time,
    ``((t0 + t1) + t2) + t3``, the groups in order, then the last ``d % 4`` columns one by one. Sequential sums are
    scipy's sparse products with ones (each row summed from zero in stored order); zero terms change no sum."""

    def __init__(self, cols: np.ndarray, d: int):
        end = 4 * (d // 4)
        self.group = np.where(cols < end, cols // 4, d // 4 + cols - end)  # a tail column is a group of its own

    def __call__(self, new: sp.csr_matrix, old: sp.csr_matrix) -> np.ndarray:
        diff = _canonical(new - old)
        k = diff.shape[0]
        row = np.repeat(np.arange(k), np.diff(diff.indptr))
        group = self.group[diff.indices]
        first = np.flatnonzero(np.r_[True, (row[1:] != row[:-1]) | (group[1:] != group[:-1])]) if diff.nnz else \
            np.zeros(0, dtype=np.int64)
        ptr = np.r_[first, diff.nnz]
        groups = _row_sums(diff.data * diff.data, ptr)
        per_row = np.searchsorted(first, diff.indptr) if diff.nnz else np.zeros(k + 1, dtype=np.int64)
        return np.sqrt(_row_sums(groups, per_row))


def _row_sums(values: np.ndarray, ptr: np.ndarray) -> np.ndarray:
    """``values[ptr[i]:ptr[i+1]]`` summed left to right from zero, for each ``i``."""
    m = sp.csr_matrix((values, np.zeros(len(values), dtype=np.int32), np.asarray(ptr, dtype=np.int64)),
                      shape=(len(ptr) - 1, 1))
    return m @ np.ones(1)
