"""The package version (its own module: every module may read it without importing the package's lazy names)."""

__version__ = "0.2.0"
