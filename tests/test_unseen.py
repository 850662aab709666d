"""Datasets unlike the benchmark's, as users bring them: graphs of one node and graphs without edges, labels -1/+1,
four classes with a small one, edge labels, edges listed in one direction only, a list of graphs none of which has
an edge, a class balance far from the distilled set's. Each loads, distils and trains without an error, and the
default scores its candidates for the data's class balance."""

from pathlib import Path

import numpy as np
import pytest
import torch
from torch_geometric.data import Data

from graph_mirage import AutoPrototypes, DatasetError, DistilledDataset, Mirage, TreePrototypes, load_dataset
from graph_mirage.baselines import HerdingSelection, RandomSelection
from graph_mirage.training import TrainConfig, train_and_evaluate

NAME = "ODDSET"


def _write(root: Path, classes: tuple, both_directions: bool, n_graphs: int = 160, seed: int = 0) -> Path:
    """Random graphs whose edge density grows with the class; every 20th graph has one node and every 20th (offset
    by one) several nodes and no edge. ``classes``: the label written for each class, cycled over the graphs except
    that the last class gets only every 8th graph."""
    rng = np.random.default_rng(seed)
    raw = root / "TUDataset" / NAME / "raw"
    raw.mkdir(parents=True)
    edges, edge_labels, indicator, labels, node_labels = [], [], [], [], []
    first = 1
    for g in range(n_graphs):
        c = len(classes) - 1 if g % 8 == 7 else g % (len(classes) - 1)
        n = 1 if g % 20 == 0 else int(rng.integers(4, 10))
        p = 0.0 if g % 20 == 1 else 0.15 + 0.2 * c
        for a in range(n):
            for b in range(a + 1, n):
                if rng.random() < p:
                    lab = int(rng.integers(0, 3))
                    edges.append((first + a, first + b))
                    edge_labels.append(lab)
                    if both_directions:
                        edges.append((first + b, first + a))
                        edge_labels.append(lab)
        indicator += [g + 1] * n
        node_labels += [int(v) for v in rng.integers(0, 3, n)]
        labels.append(classes[c])
        first += n
    files = {"A": [f"{a}, {b}" for a, b in edges], "edge_labels": edge_labels, "graph_indicator": indicator,
             "graph_labels": labels, "node_labels": node_labels}
    for kind, rows in files.items():
        (raw / f"{NAME}_{kind}.txt").write_text("".join(f"{r}\n" for r in rows))
    return root


@pytest.mark.parametrize("classes, both_directions", [((-1, 1), True), ((1, 2, 3, 4), False)],
                         ids=["binary -1/+1, single nodes, no edges", "4 classes, one small, edges one way"])
def test_an_odd_tu_dataset_loads_distils_and_trains(tmp_path, classes, both_directions):
    root = _write(tmp_path, classes, both_directions)
    ds = load_dataset(NAME, root, cache_dir=tmp_path / "cache", stratify=True, download=False)
    k = len(classes)
    assert ds.num_classes == k and sorted(set(ds.storage().y.view(-1).tolist())) == list(range(k))
    assert ds[0].num_nodes == 1 and ds[0].edge_index.shape == (2, 0)  # a graph of one node is kept
    assert ds[1].num_nodes > 1 and ds[1].edge_index.shape == (2, 0)  # and one of several nodes without edges
    train, valid = ds[ds.split["train"]], ds[ds.split["valid"]]

    auto = AutoPrototypes(hops=(1, 2), per_class=(1, 2)).fit(train, validation=valid)
    d = auto.distilled_
    assert sorted(set(d.y.view(-1).tolist())) == list(range(k))  # every class, the small one too, has prototypes
    assert d.meta["num_classes"] == k and d.nbytes() < d.meta["full_bytes"]
    d.save(tmp_path / "auto.npz")
    again = DistilledDataset.load(tmp_path / "auto.npz")
    assert len(again) == len(d) and again.y.view(-1).tolist() == d.y.view(-1).tolist()

    paper = Mirage(hops=1, budget=1).fit(train)
    assert len(paper.distilled_) > 0 and set(paper.distilled_.y.view(-1).tolist()) <= set(range(k))

    result = train_and_evaluate(ds, again, model="gin", seeds=[0], config=TrainConfig(epochs=3))
    assert np.isfinite(result["test_mean"]) and 0.0 <= result["test_mean"] <= 1.0


def _lone_node(y: int) -> Data:
    return Data(x=torch.zeros(1, 1, dtype=torch.long), edge_index=torch.zeros(2, 0, dtype=torch.long),
                edge_attr=torch.zeros(0, 1, dtype=torch.long), y=torch.tensor([y]))


def test_a_list_of_graphs_without_any_edge_distils_with_every_distiller(tmp_path):
    """No training graph has an edge (a CSV of single atoms, a list of ``Data`` built by hand): every distiller
    still makes a set that saves and loads."""
    train = [_lone_node(c) for c in (0, 1, 2) for _ in range(10)]
    made = {"default": AutoPrototypes(hops=1, per_class=(1,), max_bytes=10**6).fit(train, validation=train),
            "own DAGs": AutoPrototypes(hops=1, per_class=(1,), max_bytes=10**6, bank=False).fit(train,
                                                                                               validation=train),
            "prototypes": TreePrototypes(hops=2, per_class=2).fit(train),
            "herding": HerdingSelection(k=2, hops=1).fit(train), "random": RandomSelection(k=2).fit(train)}
    for name, est in made.items():
        est.distilled_.save(tmp_path / f"{name}.npz")
        d = DistilledDataset.load(tmp_path / f"{name}.npz")
        assert d.edge_index.shape[1] == 0 and sorted(set(d.y.view(-1).tolist())) == [0, 1, 2], name


def test_the_defaults_score_of_several_classes_does_not_reward_the_validation_class_balance():
    """Three classes, the validation split 80 % one class, graphs the prototypes cannot tell apart (one node each, one
    label): the candidate scores chance, a macro one-vs-rest ROC-AUC of 0.5 — an accuracy would score 0.8 for deciding
    the frequent class, above any set that teaches — and the user is told the choice is at chance."""
    train = [_lone_node(0)] * 10 + [_lone_node(1)] * 10 + [_lone_node(2)] * 80
    valid = [_lone_node(2)] * 8 + [_lone_node(0), _lone_node(1)]
    with pytest.warns(UserWarning, match=r"no candidate scores above chance .* chance 0\.500"):
        est = AutoPrototypes(hops=1, per_class=(1,), max_bytes=10**6).fit(train, validation=valid)
    assert est.distilled_.y.view(-1).tolist() == [0, 1, 2]
    assert est.cv_results_[0]["val"] == pytest.approx(0.5)
    assert "macro one-vs-rest ROC-AUC" in est.distilled_.meta["auto"]["rule"]


def test_node_features_are_labels_one_hot_or_refused():
    """PyG's own datasets give node labels one-hot as floats: read as labels, the same trees as the integer labels.
    Continuous features in ``x`` are refused in one line (an integer cast would merge nodes that differ)."""
    rng = np.random.default_rng(0)
    labels = [torch.from_numpy(rng.integers(0, 3, 5)) for _ in range(40)]
    ring = torch.tensor([[0, 1, 2, 3, 4, 1, 2, 3, 4, 0], [1, 2, 3, 4, 0, 0, 1, 2, 3, 4]])

    def graphs(x_of):
        return [Data(x=x_of(lab), edge_index=ring, y=torch.tensor([i % 2])) for i, lab in enumerate(labels)]

    one_hot = TreePrototypes(hops=2, per_class=2).fit(graphs(lambda lab: torch.nn.functional.one_hot(lab, 3).float()))
    integer = TreePrototypes(hops=2, per_class=2).fit(graphs(lambda lab: lab.view(-1, 1)))
    assert one_hot.n_trees_ == integer.n_trees_  # the same trees (their ids, so k-means' start, may differ)
    assert {c: sorted(s) for c, s in one_hot.clusters_.items()} == {c: sorted(s) for c, s in integer.clusters_.items()}
    with pytest.raises(DatasetError, match="non-integer values; give continuous node attributes as x_cont"):
        TreePrototypes(hops=2, per_class=2).fit(graphs(lambda lab: lab.view(-1, 1) + 0.5))


def test_the_summary_line_of_a_set_of_many_classes_stays_a_line():
    from graph_mirage.cli.output import fmt_per

    assert fmt_per({"0": 2, "1": 2}, "per class") == "{'0': 2, '1': 2} per class"  # as before, up to 12 entries
    assert fmt_per({str(c): 10 for c in range(100)}, "per class") == "10 per class, 100 classes"
    assert fmt_per({str(t): 1 + t % 3 for t in range(617)}, "informing each task") == \
        "1-3 informing each task, 617 tasks"
    assert fmt_per({str(c): 30 + c % 10 for c in range(100)}, "graphs per class") == \
        "30-39 graphs per class, 100 classes"  # mirage datasets NAME
