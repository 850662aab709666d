"""A model-search space: the GNN configurations a search trains, read from a small JSON or YAML file.

Importing this module does not import PyTorch, so a space file is checked before any long work starts.

A space file is one mapping; every key takes a list of values (or one value) and the configurations are their
cartesian product, in file order::

    # space.yaml
    model: [gcn, gat, gin, sage]
    layers: [1, 2]          # or "auto": 1 .. the distilled set's hops
    hidden: [32, 64]
    dropout: [0.0, 0.5]
    lr: [0.001, 0.01]
    weight_decay: [0.0]     # optional
    batch_size: [32]        # optional

Example:
    >>> space = SearchSpace(model=("gcn", "gin"), layers=(1, 2), hidden=(64,), dropout=(0.0,), lr=(1e-3,))
    >>> len(space.configurations())
    4
    >>> space.configurations()[0]
    {'model': 'gcn', 'layers': 1, 'hidden': 64, 'dropout': 0.0, 'lr': 0.001, 'weight_decay': 0.0, 'batch_size': 32}
"""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import dataclass, fields
from pathlib import Path

from ..config.defaults import MODELS
from ..errors import ParameterError

AUTO = "auto"  # layers 1 .. the distilled set's hops (a depth-L tree contains every shallower one)
MAX_CONFIGURATIONS = 10_000


@dataclass(frozen=True)
class SearchSpace:
    """The values of each hyper-parameter; a search trains every combination (:meth:`configurations`).

    Args:
        model: GNN convolutions (``gcn``, ``gat``, ``gin``, ``gine``, ``sage``).
        layers: message-passing layers, or ``"auto"``: 1 .. the distilled set's hops (``max_layers``).
        hidden: hidden sizes.
        dropout: dropout rates in [0, 1).
        lr: Adam learning rates.
        weight_decay: Adam weight decays.
        batch_size: graphs per batch.

    The default is the space a user would search first: 4 convolutions x layers 1 .. hops x 2 hidden sizes x
    2 dropouts x 2 learning rates (64 configurations at 2 hops).
    """

    model: tuple = ("gcn", "gat", "gin", "sage")
    layers: tuple | str = AUTO
    hidden: tuple = (32, 64)
    dropout: tuple = (0.0, 0.5)
    lr: tuple = (1e-3, 1e-2)
    weight_decay: tuple = (0.0,)
    batch_size: tuple = (32,)

    def __post_init__(self) -> None:
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name == "layers" and v == AUTO:
                continue
            v = tuple(v) if isinstance(v, (list, tuple)) else (v,)
            if not v:
                raise ParameterError(f"search space: {f.name} has no values")
            object.__setattr__(self, f.name, v)
        for m in self.model:
            if not isinstance(m, str) or m.lower() not in MODELS:
                raise ParameterError(f"search space: unknown model {m!r}; known models: {', '.join(MODELS)}")
        object.__setattr__(self, "model", tuple(m.lower() for m in self.model))
        if self.layers != AUTO:
            _ints("layers", self.layers)
        _ints("hidden", self.hidden)
        _ints("batch_size", self.batch_size)
        _numbers("dropout", self.dropout, 0.0, 1.0)
        _numbers("lr", self.lr, 0.0, math.inf, low_open=True)
        _numbers("weight_decay", self.weight_decay, 0.0, math.inf)
        if self.size(3) > MAX_CONFIGURATIONS:
            raise ParameterError(f"search space: {self.size(3):,} configurations; at most {MAX_CONFIGURATIONS:,}")

    @classmethod
    def from_file(cls, path: str | Path) -> "SearchSpace":
        """Read a space from a ``.json``, ``.yaml`` or ``.yml`` file (format: the module docstring)."""
        p = Path(path)
        if not p.is_file():
            raise ParameterError(f"search space {p}: " + ("not a regular file" if p.exists() else "no such file"))
        if p.suffix.lower() not in (".json", ".yaml", ".yml"):
            raise ParameterError(f"search space {p}: give a .json, .yaml or .yml file")
        try:
            text = p.read_text()
            if p.suffix.lower() in (".yaml", ".yml"):
                import yaml

                blob = yaml.safe_load(text)
            else:
                blob = json.loads(text)
        except (ValueError, ImportError) as e:  # json.JSONDecodeError is a ValueError
            raise ParameterError(f"search space {p}: not valid {p.suffix[1:].upper()}: "
                                 f"{str(e).splitlines()[0]}") from None
        except Exception as e:  # yaml.YAMLError
            raise ParameterError(f"search space {p}: not valid YAML: {str(e).splitlines()[0]}") from None
        return cls.from_dict(blob, str(p))

    @classmethod
    def from_dict(cls, blob, where: str = "search space") -> "SearchSpace":
        """A space from a mapping of hyper-parameter -> values (unknown keys are refused, naming the known ones)."""
        if not isinstance(blob, dict) or not blob:
            raise ParameterError(f"{where}: expected a mapping of hyper-parameter -> list of values")
        known = [f.name for f in fields(cls)]
        unknown = sorted(set(blob) - set(known))
        if unknown:
            raise ParameterError(f"{where}: unknown key(s) {', '.join(map(str, unknown))}; known: {', '.join(known)}")
        try:
            return cls(**blob)
        except ParameterError as e:
            raise ParameterError(f"{where}: {str(e).removeprefix('search space: ')}") from None

    def layer_values(self, max_layers: int | None) -> tuple:
        """The layer counts searched: the given ones, or 1 .. ``max_layers`` for ``"auto"``."""
        if self.layers != AUTO:
            return self.layers
        return tuple(range(1, int(max_layers or 2) + 1))

    def size(self, max_layers: int | None = None) -> int:
        """How many configurations :meth:`configurations` gives."""
        n = len(self.layer_values(max_layers))
        for name in ("model", "hidden", "dropout", "lr", "weight_decay", "batch_size"):
            n *= len(getattr(self, name))
        return n

    def configurations(self, max_layers: int | None = None) -> list[dict]:
        """Every combination, as ``{"model", "layers", "hidden", "dropout", "lr", "weight_decay", "batch_size"}``,
        in a fixed order (model slowest)."""
        keys = ("model", "layers", "hidden", "dropout", "lr", "weight_decay", "batch_size")
        values = [self.layer_values(max_layers) if k == "layers" else getattr(self, k) for k in keys]
        return [dict(zip(keys, combo)) for combo in itertools.product(*values)]

    def to_dict(self) -> dict:
        return {f.name: (getattr(self, f.name) if getattr(self, f.name) == AUTO else list(getattr(self, f.name)))
                for f in fields(self)}


def config_name(c: dict) -> str:
    """A short readable name: ``gin-L2-h64-d0.5-lr0.001`` (weight decay and batch size when not the defaults)."""
    name = f"{c['model']}-L{c['layers']}-h{c['hidden']}-d{c['dropout']:g}-lr{c['lr']:g}"
    if c.get("weight_decay"):
        name += f"-wd{c['weight_decay']:g}"
    if c.get("batch_size", 32) != 32:
        name += f"-b{c['batch_size']}"
    return name


def _ints(name: str, values) -> None:
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ParameterError(f"search space: {name} values must be integers >= 1, got {v!r}")


def _numbers(name: str, values, low: float, high: float, low_open: bool = False) -> None:
    for v in values:
        ok = isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
        ok = ok and (v > low if low_open else v >= low) and v < high
        if not ok:
            interval = f"{'(' if low_open else '['}{low:g}, {'inf' if high == math.inf else f'{high:g}'})"
            raise ParameterError(f"search space: {name} values must be numbers in {interval}, got {v!r}")


def listed_configurations(items, max_layers: int | None = None) -> list[dict]:
    """Configurations given one by one — each a mapping of hyper-parameter -> one value, the space's defaults for
    those not given — validated as a space's values are (a search of a chosen few, e.g. the ones a screen kept).

    Example:
        >>> listed_configurations([{"model": "gin", "layers": 2, "hidden": 64, "dropout": 0.5, "lr": 0.01}])
        [{'model': 'gin', 'layers': 2, 'hidden': 64, 'dropout': 0.5, 'lr': 0.01, 'weight_decay': 0.0, 'batch_size': 32}]
    """
    if not isinstance(items, (list, tuple)) or not items:
        raise ParameterError("search configurations: expected a non-empty list of mappings")
    out = []
    for i, c in enumerate(items):
        where = f"search configuration {i}"
        if not isinstance(c, dict) or any(isinstance(v, (list, tuple)) for v in c.values()):
            raise ParameterError(f"{where}: expected a mapping of hyper-parameter -> one value")
        if "layers" not in c or c["layers"] == AUTO:
            raise ParameterError(f"{where}: give its number of layers")
        out.append(SearchSpace.from_dict(dict(c), where).configurations(max_layers)[0])
    return out

