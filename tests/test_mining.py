"""FP-growth backends against brute-force subset counting."""

from itertools import combinations

import numpy as np
import pytest
import scipy.sparse as sp

from graph_mirage.mining import mine_itemsets, support_counts, transactions_of


def brute_force(transactions, min_count, target):
    sets = [frozenset(t) for t in transactions]
    items = sorted(set().union(*sets))
    frequent = {}
    for k in range(1, len(items) + 1):
        found = False
        for combo in combinations(items, k):
            s = sum(1 for t in sets if t.issuperset(combo))
            if s >= min_count:
                frequent[frozenset(combo)] = s
                found = True
        if not found:
            break
    if target == "closed":
        frequent = {i: s for i, s in frequent.items()
                    if not any(len(o) > len(i) and o > i and so == s for o, so in frequent.items())}
    elif target == "maximal":
        frequent = {i: s for i, s in frequent.items() if not any(len(o) > len(i) and o > i for o in frequent)}
    return {(tuple(sorted(i)), s) for i, s in frequent.items()}


@pytest.mark.parametrize("backend", ["pyfim", "mlxtend"])
@pytest.mark.parametrize("target", ["all", "closed", "maximal"])
@pytest.mark.parametrize("seed", range(6))
def test_miner_matches_brute_force(backend, target, seed):
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(4, 9))
    transactions = [sorted(set(rng.choice(n_items, size=int(rng.integers(1, n_items)), replace=True).tolist()))
                    for _ in range(int(rng.integers(5, 25)))]
    if seed % 2 == 0:  # an item in every transaction: pyfim alone would drop it
        transactions = [sorted(set(t) | {99}) for t in transactions]
    min_count = int(rng.integers(1, 5))
    got = mine_itemsets(transactions, min_count, target, backend)
    assert set(got) == brute_force(transactions, min_count, target)
    assert len(got) == len(set(got))
    assert [s for _, s in got] == sorted((s for _, s in got), reverse=True)


def test_support_counts_match_brute_force():
    rng = np.random.default_rng(0)
    transactions = [sorted(set(rng.choice(10, size=5).tolist())) for _ in range(40)]
    rows = np.repeat(np.arange(len(transactions)), [len(t) for t in transactions])
    m = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(transactions))), shape=(40, 10))
    itemsets = [(1,), (2, 3), (0, 4, 7), (9,), (1, 2, 3, 4, 5)]
    expected = [sum(1 for t in transactions if set(i) <= set(t)) for i in itemsets]
    assert support_counts(m, itemsets).tolist() == expected


@pytest.mark.parametrize("backend", ["pyfim", "mlxtend"])
@pytest.mark.parametrize("target", ["all", "closed", "maximal"])
def test_weighted_rows_mine_and_count_like_the_rows_they_stand_for(backend, target):
    # the Spark engine sends each class's transactions merged, with weights: same sets and supports
    rng = np.random.default_rng(3)
    distinct = [sorted(set(rng.choice(8, size=int(rng.integers(1, 6))).tolist())) for _ in range(12)]
    weights = rng.integers(1, 5, size=len(distinct))
    expanded = [t for t, w in zip(distinct, weights) for _ in range(w)]
    rows = np.repeat(np.arange(len(distinct)), [len(t) for t in distinct])
    m = sp.csr_matrix((np.ones(len(rows)), (rows, np.concatenate(distinct))), shape=(len(distinct), 8))
    for min_count in (2, 5):
        got = mine_itemsets(transactions_of(m, weights), min_count, target, backend)
        assert got == mine_itemsets(expanded, min_count, target, backend)
        assert set(got) == brute_force(expanded, min_count, target)
    itemsets = [(1,), (2, 3), (0, 4, 7)]
    assert support_counts(m, itemsets, weights=weights).tolist() == \
        [sum(1 for t in expanded if set(i) <= set(t)) for i in itemsets]


def test_bad_arguments():
    with pytest.raises(ValueError, match="target"):
        mine_itemsets([[1]], 1, "frequent")
    with pytest.raises(ValueError, match="backend"):
        mine_itemsets([[1]], 1, "all", "pyfpgrowth")
    with pytest.raises(ValueError, match="min_count"):
        mine_itemsets([[1]], 0)


def test_a_wide_transaction_matrix_mines_and_counts_like_a_narrow_one():
    """Transactions cut to a few trees keep one column per tree id (millions, on the Spark driver): the helpers then
    work on the entries rather than per column, with the same results."""
    from graph_mirage.mining import MatrixTransactions, _wide

    rng = np.random.default_rng(0)
    rows = [sorted(set(rng.integers(0, 12, size=rng.integers(1, 6)).tolist())) for _ in range(300)]
    weights = rng.integers(1, 4, size=len(rows))
    ids = np.arange(12) * 100_003 + 17  # the same items as sparse ids in a column space far wider than the entries

    def matrix(width, relabel):
        indices = np.concatenate([relabel[np.array(r)] for r in rows])
        indptr = np.concatenate([[0], np.cumsum([len(r) for r in rows])])
        return sp.csr_matrix((np.ones(len(indices), dtype=np.int32), indices, indptr), shape=(len(rows), width))

    narrow, wide = matrix(12, np.arange(12)), matrix(int(ids[-1]) + 1, ids)
    assert _wide(wide) and not _wide(narrow)
    for min_count in (1, 40, 150):
        a = MatrixTransactions(narrow, weights).weighted(min_count)
        b = MatrixTransactions(wide, weights).weighted(min_count)
        assert {tuple(int(ids[i]) for i in k): v for k, v in a.items()} == b
    sets = [(0,), (1, 2), (3, 5, 7), (11,), (2, 4, 6, 8)]
    assert np.array_equal(support_counts(narrow, sets, weights=weights),
                          support_counts(wide, [tuple(ids[list(s)]) for s in sets], weights=weights))
