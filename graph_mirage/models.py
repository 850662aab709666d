"""A small GNN zoo on PyTorch Geometric layers, with a readout that pools only tree roots on distilled graphs.

Every model takes a batch of graphs with categorical ``x [N, F]`` and ``edge_attr [E, Fe]`` and returns logits
``[num_graphs, num_classes]``. Inputs are encoded exactly the same way for real and distilled graphs: OGB's
``AtomEncoder``/``BondEncoder`` for molecules, a sum of per-column embeddings of the discrete labels otherwise.
When the batch has a ``root_mask`` (distilled graphs) the readout pools the root nodes only; otherwise all nodes.
A ``root_weight [N]`` (float; read at the roots) makes a root count as that many occurrences of its tree: the sum
readout becomes a weighted sum, the mean a weighted mean (max ignores it). A batch of a tree bank's prototypes
(:class:`~graph_mirage.training.BankLoader`) is one sub-DAG whose nodes several graphs share: it carries
``root_index [R]`` (each graph's roots, graph after graph), ``root_batch [R]`` and ``pool_weight [R]`` instead.
Learned baselines (DosCond, KiDD) store continuous node features ``x_soft [N, sum(node_vocab)]``: one block of
weights per categorical column, encoded as those weights times the column's embedding table (a one-hot block gives
exactly the categorical embedding), so the same encoders read learned and real features.
Continuous node attributes ``x_cont [N, D]`` (a dataset loaded with them) are standardised with the training split's
robust centre and scale (``meta["node_attributes_centre"]``, ``["node_attributes_scale"]``), clipped to +-5, and
added to the node encoding through a linear layer, for real and distilled graphs alike.

Example:
    >>> model = make_model("gin", num_classes=2, node_vocab=[7], edge_vocab=[4], num_layers=2, hidden=32)
    >>> logits = model(batch)            # doctest: +SKIP  [batch.num_graphs, 2]
"""

from __future__ import annotations

import os
import sys
import tempfile
from typing import Sequence

import torch
from torch import nn
from torch_geometric.nn import (
    GATConv,
    GCNConv,
    GINConv,
    GINEConv,
    SAGEConv,
    global_add_pool,
    global_max_pool,
    global_mean_pool,
)

from .config.defaults import MODELS
from .errors import ParameterError

READOUTS = {"mean": global_mean_pool, "sum": global_add_pool, "max": global_max_pool}


class CategoricalEncoder(nn.Module):
    """Sum of one embedding per categorical column, like OGB's ``AtomEncoder`` for any vocabulary.

    Args:
        vocab_sizes: number of values of each column.
        dim: embedding size.

    Shapes: ``[N, len(vocab_sizes)]`` int64 -> ``[N, dim]``. Values outside the vocabulary are clamped to its
    last entry rather than crashing on unseen labels.
    """

    def __init__(self, vocab_sizes: Sequence[int], dim: int) -> None:
        super().__init__()
        self.vocab_sizes = [int(v) for v in vocab_sizes]
        self.embeddings = nn.ModuleList(nn.Embedding(v, dim) for v in self.vocab_sizes)
        for e in self.embeddings:
            nn.init.xavier_uniform_(e.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.view(x.size(0), -1)
        out = 0
        for i, emb in enumerate(self.embeddings):
            out = out + emb(x[:, i].clamp(0, self.vocab_sizes[i] - 1))
        return out


def encode_soft(encoder: nn.Module, x_soft: torch.Tensor) -> torch.Tensor:
    """Encode continuous per-column label weights ``[N, sum(vocab)]`` with a categorical encoder's tables:
    ``sum_j x_soft[:, block_j] @ table_j`` -> ``[N, dim]``; equal to ``encoder(x)`` when every block is one-hot."""
    tables = encoder.embeddings if isinstance(encoder, CategoricalEncoder) else encoder.atom_embedding_list
    width = sum(t.num_embeddings for t in tables)
    if x_soft.size(1) != width:
        raise ParameterError(f"x_soft has {x_soft.size(1)} columns but the node encoder's vocabularies sum to {width}")
    out, start = 0, 0
    for t in tables:
        out = out + x_soft[:, start:start + t.num_embeddings].to(t.weight.dtype) @ t.weight
        start += t.num_embeddings
    return out


def make_encoders(encoder: str, node_vocab: Sequence[int], edge_vocab: Sequence[int], dim: int
                  ) -> tuple[nn.Module, nn.Module]:
    """Node and edge encoders: ``"ogb"`` (AtomEncoder/BondEncoder) or ``"embedding"`` (:class:`CategoricalEncoder`)."""
    if encoder == "ogb":
        from ogb.graphproppred.mol_encoder import AtomEncoder, BondEncoder

        return AtomEncoder(dim), BondEncoder(dim)
    if encoder == "embedding":
        return CategoricalEncoder(node_vocab, dim), CategoricalEncoder(edge_vocab, dim)
    raise ParameterError(f"encoder must be 'ogb' or 'embedding', got {encoder!r}")


def _mlp(dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, dim))


class GNN(nn.Module):
    """An encoder, ``num_layers`` message-passing layers, a (root-only) readout and an MLP head.

    Args:
        conv: one of :data:`MODELS`: ``gcn``, ``gat`` (uses edge features), ``gin`` (eps = 0), ``gine`` (GIN with edge
            features) or ``sage``.
        num_classes: output size.
        node_vocab, edge_vocab: vocabulary sizes of the categorical columns (ignored by the ``ogb`` encoder).
        encoder: ``"embedding"`` or ``"ogb"``.
        num_layers: message-passing layers; use the distillation hops (the default of :func:`make_model`).
        hidden: hidden size.
        dropout: dropout after each layer.
        readout: ``mean``, ``sum`` or ``max``.
        heads: attention heads of ``gat``.
        node_attributes: D, the continuous node attributes ``x_cont [N, D]`` every batch carries (0: none).
        attribute_scaling: ``(centre [D], scale [D])`` they are standardised with (None: as given).
    """

    def __init__(self, conv: str, num_classes: int, node_vocab: Sequence[int], edge_vocab: Sequence[int], *,
                 encoder: str = "embedding", num_layers: int = 2, hidden: int = 64, dropout: float = 0.0,
                 readout: str = "mean", heads: int = 4, node_attributes: int = 0,
                 attribute_scaling: tuple[Sequence[float], Sequence[float]] | None = None) -> None:
        super().__init__()
        if conv not in MODELS:
            raise ParameterError(f"unknown model {conv!r}; known models: {', '.join(MODELS)}")
        if readout not in READOUTS:
            raise ParameterError(f"readout must be one of {', '.join(READOUTS)}, got {readout!r}")
        if num_layers < 1:
            raise ParameterError(f"num_layers must be >= 1, got {num_layers}")
        if not 0 <= dropout < 1:
            raise ParameterError(f"dropout must be in [0, 1), got {dropout}")
        self.conv_name, self.readout, self.dropout = conv, readout, dropout
        self.node_encoder, self.edge_encoder = make_encoders(encoder, node_vocab, edge_vocab, hidden)
        self.cont_encoder = None
        if node_attributes:
            self.cont_encoder = nn.Linear(int(node_attributes), hidden)
            centre, scale = attribute_scaling or ([0.0] * int(node_attributes), [1.0] * int(node_attributes))
            self.register_buffer("cont_centre", torch.tensor(centre, dtype=torch.float32), persistent=False)
            self.register_buffer("cont_scale", torch.tensor(scale, dtype=torch.float32), persistent=False)
        self.uses_edges = conv in ("gat", "gine")
        self.convs = nn.ModuleList()
        for _ in range(num_layers):
            if conv == "gcn":
                layer = GCNConv(hidden, hidden)
            elif conv == "sage":
                layer = SAGEConv(hidden, hidden)
            elif conv == "gat":
                layer = GATConv(hidden, hidden // heads, heads=heads, edge_dim=hidden)
            elif conv == "gin":
                layer = GINConv(_mlp(hidden), eps=0.0, train_eps=False)
            else:
                layer = GINEConv(_mlp(hidden), eps=0.0, train_eps=False, edge_dim=hidden)
            self.convs.append(layer)
        self.head = nn.Sequential(nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, num_classes))

    def embed_nodes(self, x: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor | None = None,
                    x_soft: torch.Tensor | None = None, x_cont: torch.Tensor | None = None) -> torch.Tensor:
        """Node embeddings after all layers: ``[N, hidden]`` (``x_soft``, when given, replaces ``x``; ``x_cont`` is
        added through a linear layer)."""
        h = self.node_encoder(x) if x_soft is None else encode_soft(self.node_encoder, x_soft)
        if self.cont_encoder is not None:
            if x_cont is None:
                raise ParameterError(f"this model reads {self.cont_encoder.in_features} continuous node attribute(s) "
                                     f"(x_cont) but the graphs have none")
            z = ((x_cont.to(h.dtype) - self.cont_centre) / self.cont_scale).clamp(-5.0, 5.0)
            h = h + self.cont_encoder(z)
        e = self.edge_encoder(edge_attr) if self.uses_edges and edge_attr is not None else None
        for i, conv in enumerate(self.convs):
            h = conv(h, edge_index, e) if self.uses_edges else conv(h, edge_index)
            if i < len(self.convs) - 1:
                h = torch.relu(h)
            h = nn.functional.dropout(h, self.dropout, self.training)
        return h

    def forward(self, data) -> torch.Tensor:
        """Logits ``[B, num_classes]`` of a batch of ``B`` graphs: the head of :meth:`pool`."""
        return self.head(self.pool(data))

    def pool(self, data) -> torch.Tensor:
        """The graph embeddings ``[B, hidden]`` the head reads: the readout over each graph's roots (every node of
        a real graph), a distilled root weighted by its ``root_weight``."""
        h = self.embed_nodes(data.x, data.edge_index, getattr(data, "edge_attr", None), getattr(data, "x_soft", None),
                             getattr(data, "x_cont", None))
        batch = data.batch if getattr(data, "batch", None) is not None else \
            torch.zeros(h.size(0), dtype=torch.long, device=h.device)
        root_mask = getattr(data, "root_mask", None)
        size = int(data.num_graphs) if hasattr(data, "num_graphs") else None
        weight = None
        if getattr(data, "root_index", None) is not None:  # prototypes of a tree bank in one shared sub-DAG
            h, batch, weight = h[data.root_index], data.root_batch, data.pool_weight
        elif root_mask is not None:  # distilled graph: a graph is the multiset of its root trees
            weight = getattr(data, "root_weight", None)
            h, batch = h[root_mask], batch[root_mask]
            weight = None if weight is None else weight[root_mask]
        if weight is not None and self.readout != "max":
            # a root stands for `weight` occurrences of its tree: a weighted sum (or mean) over the roots
            w = weight.to(h.dtype).view(-1, 1)
            pooled = global_add_pool(h * w, batch, size)
            if self.readout == "mean":
                pooled = pooled / global_add_pool(w, batch, size).clamp_min(1e-12)
            return pooled
        return READOUTS[self.readout](h, batch, size)


def make_model(name: str, num_classes: int, node_vocab: Sequence[int], edge_vocab: Sequence[int],
               encoder: str = "embedding", **kwargs) -> GNN:
    """Build a model of the zoo by name (``gcn``, ``gat``, ``gin``, ``gine``, ``sage``)."""
    name = name.lower()
    if name not in MODELS:
        raise ParameterError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    model = GNN(name, num_classes, node_vocab, edge_vocab, encoder=encoder, **kwargs)
    drop_rendered_modules()
    return model


def drop_rendered_modules() -> list[str]:
    """Remove the files of the modules PyTorch Geometric rendered from its templates in this process; returns their
    paths.

    PyG 2.8 (as installed here, 2.8.1) renders a layer's ``propagate``/``edge_updater`` from a Jinja template into
    ``tempfile.NamedTemporaryFile(delete=False)`` and imports it, once per process, and never removes the file: every
    process that builds a model left one per kind of layer (two for GAT) in the temporary directory, 2,627 here after
    two days of benchmarks and tests. Once imported the module no longer reads its file (only a traceback through it
    would show no source lines), so it is removed as soon as the model is built.
    """
    tmp = os.path.realpath(tempfile.gettempdir())
    gone = []
    for name, module in list(sys.modules.items()):
        path = getattr(module, "__file__", None) if name.startswith("torch_geometric.") else None
        if (path and os.path.dirname(os.path.realpath(path)) == tmp
                and os.path.basename(path).startswith(name + "_") and os.path.exists(path)):
            try:
                os.unlink(path)
                gone.append(path)
            except OSError:  # another user's temporary directory rules, or already removed: harmless
                pass
    return gone
