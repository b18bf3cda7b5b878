"""A quick yes for inputs that break no constraint, compiled per shape beside the reporting checker.

Nearly every request is valid. For those, one predicate per value (exact-type tests, one length
comparison, a set lookup) replaces the checker's walk, which builds paths and calls a closure per
rule. The predicate may say no to a valid input (any type or case it does not handle plainly): a
no only means "let the checker decide", and the checker alone words every report. So the one
promise here is: `accept(value)` True implies the checker reports nothing (property-tested).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from botocore.model import Shape

from strongroom.wire.validation.compiler import ShapeCompiler, value_bounds
from strongroom.wire.validation.java_regex import java_pattern

Accept = Callable[[Any], bool]

_NUMBER_TYPES = frozenset({"integer", "long", "float", "double"})


def _length_bounds(meta: Mapping[str, Any]) -> tuple[int, int]:
    # An absent bound is one no length can break (lengths are never negative nor past maxsize).
    return meta.get("min", 0), meta.get("max", sys.maxsize)


def _string(meta: Mapping[str, Any]) -> Accept:
    low, high = _length_bounds(meta)
    source = meta.get("pattern")
    pattern = java_pattern(source) if source else None  # the checker skips an inexpressible one too
    allowed = frozenset(meta["enum"]) if meta.get("enum") else None

    def accept(value: Any) -> bool:
        if value.__class__ is not str or not low <= len(value) <= high:
            return False
        if allowed is not None and value not in allowed:
            return False
        return pattern is None or pattern.fullmatch(value) is not None

    return accept


def _blob(meta: Mapping[str, Any]) -> Accept:
    low, high = _length_bounds(meta)

    def accept(value: Any) -> bool:
        # Only bytes: a str blob's size needs encoding, which the checker does (and may fail at).
        return value.__class__ is bytes and low <= len(value) <= high

    return accept


def _number(kind: str, meta: Mapping[str, Any]) -> Accept:
    bounds = value_bounds(kind, meta)
    low: float | None = bounds.get("min")
    high: float | None = bounds.get("max")

    def accept(value: Any) -> bool:
        kind = value.__class__
        if kind is not int and kind is not float:  # bools and NaN (below) go to the checker
            return False
        return (low is None or value >= low) and (high is None or value <= high)

    return accept


class AcceptanceCompiler:
    """Compiles the predicates of one service's shapes; shares `ShapeCompiler`'s view of constraints."""

    def __init__(self, shapes: ShapeCompiler) -> None:
        self._shapes = shapes
        self._compiled: dict[str, Accept | None] = {}

    def acceptor(self, shape: Shape) -> Accept | None:
        """The predicate for a present value of `shape`; None when nothing beneath it is constrained."""
        name = shape.name
        if name in self._compiled:
            return self._compiled[name]
        if not self._shapes.constrained(shape):
            self._compiled[name] = None
            return None
        forward = _Forward()
        self._compiled[name] = forward  # a recursive reference resolves through this
        built = self._build(shape)
        forward.target = built
        self._compiled[name] = built
        return built

    def _build(self, shape: Shape) -> Accept:
        kind = shape.type_name
        if kind == "string":
            return _string(shape.metadata)
        if kind == "blob":
            return _blob(shape.metadata)
        if kind in _NUMBER_TYPES:
            return _number(kind, shape.metadata)
        if kind == "list":
            return self._list(shape)
        if kind == "map":
            return self._map(shape)
        if kind == "structure":
            return self._structure(shape)
        return _undecided  # no other kind carries a constraint today; the checker covers any new one

    def _list(self, shape: Shape) -> Accept:
        low, high = _length_bounds(shape.metadata)
        element = self.acceptor(shape.member)

        def accept(value: Any) -> bool:
            if value.__class__ is not list or not low <= len(value) <= high:
                return False
            if element is not None:
                for item in value:
                    if item is not None and not element(item):
                        return False
            return True

        return accept

    def _map(self, shape: Shape) -> Accept:
        low, high = _length_bounds(shape.metadata)
        # The checker applies only the key shape's own rules to keys; keys are strings, whose
        # predicate is exactly those rules (and a stricter predicate only defers more often).
        key_accept = self.acceptor(shape.key)
        value_accept = self.acceptor(shape.value)

        def accept(value: Any) -> bool:
            if value.__class__ is not dict or not low <= len(value) <= high:
                return False
            if key_accept is not None:
                for key in value:
                    if not key_accept(key):
                        return False
            if value_accept is not None:
                for item in value.values():
                    if item is not None and not value_accept(item):
                        return False
            return True

        return accept

    def _structure(self, shape: Shape) -> Accept:
        required = tuple(shape.required_members)
        members: dict[str, Accept] = {}
        for name, member in shape.members.items():
            member_accept = self.acceptor(member)
            if member_accept is not None:
                members[name] = member_accept

        def accept(value: Any) -> bool:
            if value.__class__ is not dict:
                return False
            for name in required:
                if value.get(name) is None:
                    return False
            # Only the members present are visited; absent optional members cannot break anything.
            for name, item in value.items():
                member_accept = members.get(name)
                if member_accept is not None and item is not None and not member_accept(item):
                    return False
            return True

        return accept


def _undecided(value: Any) -> bool:
    return False


class _Forward:
    """Stands in for a predicate still being built, so recursive shapes compile."""

    target: Accept | None = None

    def __call__(self, value: Any) -> bool:
        return self.target is not None and self.target(value)
