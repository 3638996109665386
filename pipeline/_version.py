"""The package version, at the bottom of the import graph."""

__version__ = "0.1.0"
