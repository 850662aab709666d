"""Lazy public names for a package (PEP 562): a name's module is imported on first use, so that importing a light
module of the package (the command line's parser, the mining worker) does not import PyTorch."""

from __future__ import annotations

import sys
from importlib import import_module
from types import ModuleType
from typing import Callable


class LazyPackage(ModuleType):
    """A package with lazy public names. Importing a submodule sets the package's attribute of that name to the
    submodule (the import system's ``setattr``), which would hide a public name spelt like its module —
    ``graph_mirage.workflows.distill`` the function, defined in ``workflows/distill.py`` — from the moment anything
    imports the module; the name keeps its public value instead."""

    def __setattr__(self, name: str, value) -> None:
        table = self.__dict__.get("_lazy_table", {})
        own = isinstance(value, ModuleType) and value.__name__ == f"{self.__name__}.{name}"
        if own and table.get(name) == "." + name:
            value = getattr(value, name)
        super().__setattr__(name, value)


def lazy(package: str, table: dict[str, str], public: list[str] | None = None) -> tuple[Callable, Callable]:
    """``(__getattr__, __dir__)`` for ``package`` whose names ``table`` maps to the (relative) module defining each."""
    module = sys.modules[package]
    namespace = module.__dict__
    namespace["_lazy_table"] = table
    module.__class__ = LazyPackage

    def __getattr__(name: str):
        if name in table:
            value = getattr(import_module(table[name], package), name)
            namespace[name] = value  # later lookups skip __getattr__
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(public if public is not None else table)

    return __getattr__, __dir__
