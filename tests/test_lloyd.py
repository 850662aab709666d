"""graph_mirage.lloyd: the same labels as scikit-learn's sparse KMeans, on the paths its iterations can take."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

import graph_mirage.lloyd as lloyd
from graph_mirage.clusters import kmeans_labels, normalised_counts


def _fitted(rows, k, seed, tol=1e-4):
    """scikit-learn's KMeans on one OpenMP thread (its multi-threaded sums group differently)."""
    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return KMeans(n_clusters=k, n_init=1, random_state=seed, tol=tol).fit(rows)


def _case(rng):
    n, d = int(rng.integers(6, 300)), int(rng.integers(3, 200))
    k = int(rng.integers(2, min(n, 50)))
    rows = sp.random(n, d, density=rng.uniform(0.02, 0.4), random_state=int(rng.integers(1 << 30)), format="csr")
    if rng.random() < 0.4:  # few distinct rows: clusters empty out, scikit-learn relocates or copies centres
        rows = rows[rng.integers(0, min(n, max(2, int(k * rng.uniform(0.5, 1.5)))), n)]
    if rng.random() < 0.3:  # coinciding values: ties between distances
        rows.data = np.round(rows.data, 1)
    if rng.random() < 0.5:
        rows = normalised_counts(rows)
    return sp.csr_matrix(rows), k, int(rng.integers(100))


def test_labels_are_scikit_learns_on_random_and_degenerate_rows(monkeypatch):
    paths = {"empty": 0, "relocated": 0, "tolerance": 0}  # each degenerate path taken at least once
    update_empty, relocate = lloyd._update_empty, lloyd._relocate

    def counted(*args):
        paths["empty"] += 1
        return update_empty(*args)

    def counted_relocation(*args):
        moved = relocate(*args)
        paths["relocated"] += moved
        return moved

    shifts = []

    class Shift(lloyd._Shift):
        def __call__(self, new, old):
            out = super().__call__(new, old)
            shifts.append(float((out ** 2).sum()))
            return out

    monkeypatch.setattr(lloyd, "_Shift", Shift)
    monkeypatch.setattr(lloyd, "_update_empty", counted)
    monkeypatch.setattr(lloyd, "_relocate", counted_relocation)
    rng = np.random.default_rng(0)
    for _ in range(80):
        rows, k, seed = _case(rng)
        tol = float(rng.choice([1e-4, 1e-2, 1.0]))
        shifts.clear()
        assert np.array_equal(lloyd.lloyd_labels(rows, k, seed, tol=tol), _fitted(rows, k, seed, tol).labels_)
        paths["tolerance"] += bool(shifts) and shifts[-1] <= np.mean(sp.csr_matrix(rows).power(2).mean(0) -
                                                                     np.square(rows.mean(0))) * tol
    assert paths["empty"] > 0 and paths["relocated"] > 0 and paths["tolerance"] > 0, paths


def test_a_sample_fitted_then_every_row_assigned_matches_fit_then_predict():
    rng = np.random.default_rng(1)
    for _ in range(40):
        rows, k, seed = _case(rng)
        idx = np.sort(rng.choice(rows.shape[0], max(k, rows.shape[0] // 2), replace=False))
        got = lloyd.lloyd_labels(rows[idx], k, seed, predict=rows)
        with threadpool_limits(1):
            assert np.array_equal(got, _fitted(rows[idx], k, seed).predict(rows))


def test_kmeans_labels_are_the_same_on_either_side_of_the_sparse_centres_threshold(monkeypatch):
    import graph_mirage.clusters as clusters

    rows = normalised_counts(sp.random(3000, 400, density=0.03, random_state=3, format="csr"))
    got = {}
    for side, threshold in (("dense", float("inf")), ("sparse", 0)):
        monkeypatch.setattr(clusters, "SPARSE_CENTRES_FROM", threshold)
        with threadpool_limits(1):
            got[side] = [kmeans_labels(rows, k, seed=4, sample=sample) for k in (2, 30) for sample in (None, 900)]
    assert all(np.array_equal(a, b) for a, b in zip(got["dense"], got["sparse"]))
    assert all(len(np.unique(labels)) > 1 for labels in got["dense"])


@pytest.mark.parametrize("cols", [1, 4, 7])
def test_the_centre_shift_sums_as_scikit_learns_unrolled_loop(cols):
    from sklearn.cluster._k_means_common import _euclidean_dense_dense_wrapper as reference

    rng = np.random.default_rng(cols)
    d = 4 * 50 + cols % 4
    used = np.sort(rng.choice(d, size=min(d, 40 * cols), replace=False))
    new, old = np.zeros((3, d)), np.zeros((3, d))
    new[:, used], old[:, used] = rng.random((3, len(used))) * 10.0 ** rng.integers(-8, 3, (3, len(used))), \
        rng.random((3, len(used)))
    got = lloyd._Shift(used, d)(sp.csr_matrix(new[:, used]), sp.csr_matrix(old[:, used]))
    ref = [reference(new[j], old[j], False) for j in range(3)]
    assert np.array_equal(got, ref)
    # the grouping matters: a plain left-to-right sum over the used columns rounds differently
    plain = [np.sqrt(np.add.accumulate((new[j, used] - old[j, used]) ** 2)[-1]) for j in range(3)]
    assert not np.array_equal(plain, ref)
