"""The selection baselines' herding: the fast ranking picks exactly what the direct computation picks."""

import numpy as np
import pytest

from graph_mirage.baselines.selection import herding


def direct_herding(features: np.ndarray, k: int) -> np.ndarray:
    """Welling's greedy herding computed the direct way: the distance of every candidate mean to the data mean."""
    mu, total = features.mean(0), np.zeros(features.shape[1], dtype=features.dtype)
    available, picked = np.ones(len(features), dtype=bool), []
    for t in range(min(k, len(features))):
        dist = np.linalg.norm((total[None, :] + features) / (t + 1) - mu[None, :], axis=1)
        dist[~available] = np.inf
        i = int(np.argmin(dist))
        picked.append(i)
        available[i] = False
        total += features[i]
    return np.array(picked)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("ties", [False, True])
def test_herding_picks_exactly_what_the_direct_computation_picks(dtype, ties):
    rng = np.random.default_rng(3)
    x = rng.random((400, 48))
    if ties:  # many identical rows and rounded values: exact ties, broken by the lowest index in both
        x[::4] = x[1]
        x = np.round(x, 1)
    x = (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(dtype)
    picks = herding(x, 400)
    assert np.array_equal(picks, direct_herding(x, 400))
    assert sorted(picks.tolist()) == list(range(400))  # k = N: every point once
    assert np.array_equal(herding(x, 25), picks[:25])  # greedy: a shorter run is a prefix
