"""Mining that cannot run away: on dense, unlabelled, heavy-tailed social graphs (node label = degree) a threshold
with more frequent sets than the limits allow ends with one BudgetError naming the limit, never an out-of-memory
kill; the budget search looks above such a threshold; support counting is chunked."""

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from torch_geometric.data import Data

from graph_mirage import BudgetError, MiningLimits, Mirage
from graph_mirage.mining import MiningLimit, mine_itemsets, support_counts


def social_graphs(n_graphs: int, seed: int = 0, max_label: int = 12) -> list[Data]:
    """Barabási–Albert graphs of 60-200 nodes (heavy-tailed degrees), node label = degree (clamped), two classes drawn
    from the same distribution (so few sets are discriminative and a budget search goes low)."""
    import networkx as nx

    rng = np.random.default_rng(seed)
    out = []
    for g in range(n_graphs):
        n, m = int(rng.integers(60, 200)), int(rng.integers(3, 9))
        e = np.array(nx.barabasi_albert_graph(n, m, seed=int(rng.integers(1 << 30))).edges()).T
        ei = np.concatenate([e, e[::-1]], 1)
        deg = np.bincount(ei[1], minlength=n)
        out.append(Data(x=torch.as_tensor(np.minimum(deg, max_label)).view(-1, 1), edge_index=torch.as_tensor(ei),
                        edge_attr=torch.zeros(ei.shape[1], 1, dtype=torch.long), y=torch.tensor([g % 2])))
    return out


@pytest.fixture(scope="module")
def social():
    return social_graphs(160)


def test_explicit_low_threshold_ends_with_the_memory_limit_named(social):
    with pytest.raises(BudgetError, match=r"hit a limit \(mining needed more than 0.25 GiB of memory\)"):
        Mirage(hops=1, min_support=2, itemsets="all", mining=MiningLimits(memory=2 ** 28)).fit(social)


def test_too_many_sets_and_time_limits(social):
    with pytest.raises(BudgetError, match=r"more than max_sets=1,000 frequent sets"):
        Mirage(hops=1, min_support=10, itemsets="all", mining=MiningLimits(max_sets=1_000)).fit(social)
    tracts = [[int(i) for i in np.flatnonzero(r)] for r in np.random.default_rng(0).random((200, 60)) < 0.5]
    with pytest.raises(MiningLimit, match="took longer than 0.05 s"):
        mine_itemsets(tracts, 2, "all", seconds=0.05)


def test_budget_search_stays_above_a_limited_threshold(social):
    """The search meets the budget at a threshold whose mining fits, or names the limit it hit."""
    m = Mirage(hops=1, budget=20, itemsets="all", overlap=None,
               mining=MiningLimits(max_sets=5_000, memory=2 ** 29))
    try:
        m.fit(social)
    except BudgetError as e:
        assert "within the mining limits" in str(e) and "max_sets" in str(e)
    else:
        assert all(len(v) == 20 for v in m.itemsets_.values())
    with pytest.raises(BudgetError, match="cannot be met within the mining limits"):
        Mirage(hops=1, budget=100_000, itemsets="all", overlap=None, mining=MiningLimits(max_sets=5_000)).fit(social)


def test_bounded_mining_returns_the_same_sets(social):
    tracts = [[int(i) for i in np.flatnonzero(r)] for r in np.random.default_rng(1).random((120, 30)) < 0.3]
    free = mine_itemsets(tracts, 10, "closed")
    assert mine_itemsets(tracts, 10, "closed", max_sets=10 ** 6, memory=2 ** 30, seconds=60) == free


def test_support_counting_in_chunks_equals_brute_force():
    rng = np.random.default_rng(0)
    dense = rng.random((300, 50)) < 0.3
    sets = [tuple(sorted(rng.choice(50, size=int(rng.integers(1, 4)), replace=False))) for _ in range(400)]
    brute = np.array([int(dense[:, list(s)].all(axis=1).sum()) for s in sets])
    m = sp.csr_matrix(dense.astype(np.int32))
    assert (support_counts(m, sets) == brute).all()
    assert (support_counts(m, sets, chunk_nnz=64) == brute).all()


def test_limits_are_validated(social):
    with pytest.raises(ValueError, match="max_sets must be an integer"):
        Mirage(mining=MiningLimits(max_sets=0)).fit(social)
    with pytest.raises(ValueError, match="seconds must be a number > 0"):
        Mirage(mining=MiningLimits(seconds=-1)).fit(social)
