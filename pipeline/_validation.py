"""Declarative parameter validation in the manner of scikit-learn's ``_parameter_constraints``.

Each constrained object declares a mapping ``name -> list of constraints``; a value is valid
when it satisfies any one of them. Every bad value gets the same kind of message::

    The 'n_topics' parameter of Config must be an int in the range [1, 1000] or None. Got 0 instead.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from .errors import UsageError


@dataclass(frozen=True)
class Interval:
    """Numbers of ``kind`` (``Integral`` or ``Real``) between ``left`` and ``right`` (closed)."""

    kind: type
    left: float | None
    right: float | None

    def is_satisfied_by(self, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, self.kind):
            return False
        if isinstance(value, float) and math.isnan(value):
            return False
        if self.left is not None and value < self.left:
            return False
        return not (self.right is not None and value > self.right)

    def __str__(self) -> str:
        name = "an int" if self.kind is Integral else "a float"
        lo = "-inf" if self.left is None else f"{self.left:g}"
        hi = "inf" if self.right is None else f"{self.right:g}"
        return f"{name} in the range [{lo}, {hi}]"


@dataclass(frozen=True)
class Options:
    """One of a fixed set of strings."""

    options: frozenset[str]

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, str) and value in self.options

    def __str__(self) -> str:
        if len(self.options) == 1:
            return f"the str {next(iter(self.options))!r}"
        return "a str among " + ", ".join(repr(o) for o in sorted(self.options))


@dataclass(frozen=True)
class SubsetOf:
    """A tuple whose items all come from a fixed set of strings."""

    options: frozenset[str]

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, tuple) and all(
            isinstance(v, str) and v in self.options for v in value
        )

    def __str__(self) -> str:
        return "a tuple of str among " + ", ".join(repr(o) for o in sorted(self.options))


@dataclass(frozen=True)
class InstanceOf:
    """An instance of ``kind``."""

    kind: type | tuple[type, ...]
    description: str

    def is_satisfied_by(self, value: Any) -> bool:
        return isinstance(value, self.kind) and not (
            isinstance(value, bool) and self.kind is not bool
        )

    def __str__(self) -> str:
        return self.description


@dataclass(frozen=True)
class NoneValue:
    def is_satisfied_by(self, value: Any) -> bool:
        return value is None

    def __str__(self) -> str:
        return "None"


def validate_parameters(
    owner: str, constraints: Mapping[str, Iterable[Any]], values: Mapping[str, Any]
) -> None:
    """Raise :class:`UsageError` for the first value that satisfies none of its constraints."""
    for name, options in constraints.items():
        options = list(options)
        value = values[name]
        if any(c.is_satisfied_by(value) for c in options):
            continue
        described = [str(c) for c in options]
        expected = (
            described[0]
            if len(described) == 1
            else ", ".join(described[:-1]) + " or " + described[-1]
        )
        raise ParameterError(name, expected, value, owner)


class ParameterError(UsageError):
    """A parameter value outside its constraints; ``name``, ``expected`` and ``value`` let a
    front end (the CLI) say it in its own words."""

    def __init__(self, name: str, expected: str, value: Any, owner: str) -> None:
        super().__init__(
            f"The {name!r} parameter of {owner} must be {expected}. Got {value!r} instead.")
        self.name = name
        self.expected = expected
        self.value = value
