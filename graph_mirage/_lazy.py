"""Lazy public names for a package (PEP 562): a name's module is imported on first use, so that importing a light
module of the package (the command line's parser, the mining worker) does not import PyTorch."""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Callable


def lazy(package: str, table: dict[str, str], public: list[str] | None = None) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` whose names ``table`` maps to the (relative) module defining each."""
    namespace = sys.modules[package].__dict__

    def __getattr__(name: str):
        if name in table:
            value = getattr(import_module(table[name], package), name)
            namespace[name] = value  # later lookups skip __getattr__
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(public if public is not None else table)

    return __getattr__, __dir__
