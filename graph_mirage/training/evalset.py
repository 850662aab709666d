"""Real evaluation graphs collated once into large batches, shared by every epoch of every seed.

Evaluation does not dominate training: the validation and test graphs are collated once into ~4k-node batches and
run without autograd.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch_geometric.data import Batch


class EvalSet:
    """Real graphs collated once into a few large batches, for evaluation at every epoch of every seed.

    Args:
        graphs: a dataset (subset) of real graphs.
        max_nodes: nodes per batch (about 4k nodes measured fastest on CPU: large tensors fall out of cache).

    Example:
        >>> valid = EvalSet(ds[ds.split["valid"]])                            # doctest: +SKIP
        >>> logits, y = valid.predict(model, torch.device("cpu"))            # doctest: +SKIP  [G, C], [G]
    """

    def __init__(self, graphs, max_nodes: int = 4_000) -> None:
        self.batches: list[Batch] = []
        items = [graphs[i] for i in range(len(graphs))]
        start = 0
        while start < len(items):
            stop, total = start, 0
            while stop < len(items) and (stop == start or total + items[stop].num_nodes <= max_nodes):
                total += items[stop].num_nodes
                stop += 1
            self.batches.append(Batch.from_data_list(items[start:stop]))
            start = stop
        self.y = (torch.cat([_labels(b) for b in self.batches]).numpy() if self.batches
                  else np.zeros(0, dtype=np.int64))
        self._device = torch.device("cpu")

    def __len__(self) -> int:
        return len(self.y)

    def to(self, device: torch.device) -> "EvalSet":
        if device != self._device:
            self.batches = [b.to(device) for b in self.batches]
            self._device = device
        return self

    @torch.inference_mode()
    def predict(self, model: nn.Module, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
        """Logits ``[G, C]`` and labels ``[G]``."""
        self.to(device)
        was_training = model.training
        model.eval()
        logits = torch.cat([model(b).float().cpu() for b in self.batches]).numpy()
        model.train(was_training)
        return logits, self.y


def predict(model: nn.Module, loader, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """Logits ``[G, C]`` and labels ``[G]`` of every graph of ``loader`` (an :class:`EvalSet` or a DataLoader)."""
    if isinstance(loader, EvalSet):
        return loader.predict(model, device)
    model.eval()
    logits, ys = [], []
    with torch.inference_mode():
        for batch in loader:
            batch = batch.to(device)
            logits.append(model(batch).float().cpu())
            ys.append(_labels(batch).cpu())
    return torch.cat(logits).numpy(), torch.cat(ys).numpy()


def _labels(batch) -> torch.Tensor:
    """``[G]`` classes, or ``[G, T]`` labels of several tasks (float, NaN where missing)."""
    return batch.y if batch.y.dim() == 2 and batch.y.is_floating_point() else batch.y.view(-1)
