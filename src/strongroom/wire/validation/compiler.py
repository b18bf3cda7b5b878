"""Turns a botocore input shape into a checker: plain closures walked once per request.

A checker is called as `check(value, path, violations)` for a present (non-None) value; it
reports each broken constraint to `violations` and descends into structures, lists and maps.
Shapes with no constraint anywhere beneath them compile to None and cost nothing per request.

Which constraints are reported, and in which order (AWS's own order within one member varies
between requests, so any fixed order is faithful):

- a structure's members in model order; a missing required member: `Member must not be null`;
- for one value: length min, length max, value min, value max, pattern, enum; then its content;
- a map whose keys (or values) break their shape's own constraints gets one error for all keys
  (and one for all values), listing every constraint of that shape: `Map keys must satisfy
  constraint: [Member must have length less than or equal to 128, ...]` (max before min, as AWS
  prints them); nested members of map values are checked at `<map>.<key>.member.<name>`.

Sensitive shapes, anything inside them, and lists/maps holding them never echo their value.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from strongroom.wire.validation.java_regex import java_pattern
from strongroom.wire.validation.render import ValueRenderer, java_double, lower_camel
from strongroom.wire.validation.violations import Violations

Checker = Callable[[Any, str, Violations], None]
Render = Callable[[Any], str] | None  # None: the value is sensitive and is never printed

_BLOB_TYPES = (bytes, bytearray, memoryview, str)
_NUMBER_TYPES = {"integer", "long", "float", "double"}

# The range of AWS's (Java) integer and long: a value beyond it could never reach a handler there.
# A bound the model leaves out is this one, so no number past 64 bits is ever stored or recorded.
IMPLICIT_RANGES: dict[str, tuple[int, int]] = {
    "integer": (-(2**31), 2**31 - 1),
    "long": (-(2**63), 2**63 - 1),
}


def value_bounds(kind: str, meta: Mapping[str, Any]) -> Mapping[str, Any]:
    """The `min`/`max` a number of shape type `kind` is held to: the model's, else the type's range."""
    implicit = IMPLICIT_RANGES.get(kind)
    if implicit is None:
        return meta
    return {"min": meta.get("min", implicit[0]), "max": meta.get("max", implicit[1])}


@dataclass(frozen=True)
class Rule:
    """One constraint of a shape: `fails(value)` for a value of an acceptable type."""

    message: str
    fails: Callable[[Any], bool]


def _blob_size(value: Any) -> int:
    # boto3 callers may pass str for a blob; it travels as its UTF-8 bytes.
    return len(value.encode()) if isinstance(value, str) else len(value)


def _length_rules(meta: Mapping[str, Any], measure: Callable[[Any], int]) -> list[Rule]:
    rules = []
    if "min" in meta:
        low: int = meta["min"]
        rules.append(Rule(f"Member must have length greater than or equal to {low}", lambda v: measure(v) < low))
    if "max" in meta:
        high: int = meta["max"]
        rules.append(Rule(f"Member must have length less than or equal to {high}", lambda v: measure(v) > high))
    return rules


def _range_rules(meta: Mapping[str, Any], floating: bool) -> list[Rule]:
    def text(bound: float) -> str:
        return java_double(float(bound)) if floating else str(bound)

    rules = []
    if "min" in meta:
        low: float = meta["min"]
        rules.append(
            Rule(
                f"Member must have value greater than or equal to {text(low)}",
                lambda v: not isinstance(v, bool) and v < low,
            )
        )
    if "max" in meta:
        high: float = meta["max"]
        rules.append(
            Rule(
                f"Member must have value less than or equal to {text(high)}",
                lambda v: not isinstance(v, bool) and v > high,
            )
        )
    return rules


def _string_rules(meta: Mapping[str, Any]) -> list[Rule]:
    rules = _length_rules(meta, len)
    source = meta.get("pattern")
    pattern = java_pattern(source) if source else None
    if pattern is not None:  # an inexpressible pattern is skipped, never fatal
        rules.append(
            Rule(
                f"Member must satisfy regular expression pattern: {source}",
                lambda v: pattern.fullmatch(v) is None,
            )
        )
    if meta.get("enum"):
        allowed = frozenset(meta["enum"])
        rules.append(
            Rule(f"Member must satisfy enum value set: [{', '.join(meta['enum'])}]", lambda v: v not in allowed)
        )
    return rules


class ShapeCompiler:
    """Compiles the shapes of one service model, sharing work between its operations."""

    def __init__(self, renderer: ValueRenderer) -> None:
        self._renderer = renderer
        self._compiled: dict[tuple[str, bool], Checker | None] = {}
        self._constrained: dict[str, bool] = {}

    # -- constraints of one value ---------------------------------------------------------

    def own_rules(self, shape: Shape) -> tuple[type | tuple[type, ...], list[Rule]]:
        """The types this shape's own constraints apply to, and those constraints in report order."""
        meta = shape.metadata
        kind = shape.type_name
        if kind == "string":
            return str, _string_rules(meta)
        if kind == "blob":
            return _BLOB_TYPES, _length_rules(meta, _blob_size)
        if kind == "list":
            return (list, tuple), _length_rules(meta, len)
        if kind == "map":
            return Mapping, _length_rules(meta, len)
        if kind in _NUMBER_TYPES:
            return (int, float), _range_rules(value_bounds(kind, meta), floating=kind in ("float", "double"))
        return object, []

    @staticmethod
    def bracket_listing(rules: list[Rule]) -> str:
        """Every constraint of a map's key or value shape, as AWS lists them: max before min."""

        def rank(rule: Rule) -> int:
            return 0 if "less than" in rule.message else 1 if "greater than" in rule.message else 2

        ordered = sorted(rules, key=rank)
        return "[" + ", ".join(rule.message for rule in ordered) + "]"

    # -- which shapes need checking at all ------------------------------------------------

    def _children(self, shape: Shape) -> list[Shape]:
        if shape.type_name == "structure":
            return list(shape.members.values())
        if shape.type_name == "list":
            return [shape.member]
        if shape.type_name == "map":
            return [shape.key, shape.value]
        return []

    def constrained(self, shape: Shape) -> bool:
        """Whether any shape reachable from `shape` carries a constraint (cycles included)."""
        if shape.name in self._constrained:
            return self._constrained[shape.name]
        seen: set[str] = set()
        pending = [shape]
        found = False
        while pending and not found:
            current = pending.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            found = bool(self.own_rules(current)[1]) or bool(
                current.type_name == "structure" and current.required_members
            )
            pending.extend(self._children(current))
        self._constrained[shape.name] = found
        return found

    @staticmethod
    def holds_sensitive(shape: Shape) -> bool:
        """A sensitive shape, or a list/map whose printed form would include sensitive data."""
        seen: set[str] = set()
        pending = [shape]
        while pending:
            current = pending.pop()
            if current.name in seen:
                continue
            seen.add(current.name)
            if current.metadata.get("sensitive"):
                return True
            if current.type_name == "list":
                pending.append(current.member)
            elif current.type_name == "map":
                pending.extend((current.key, current.value))
        return False

    # -- checkers -------------------------------------------------------------------------

    def checker(self, shape: Shape, redacted: bool = False) -> Checker | None:
        """The checker of a value of `shape` (None: nothing to check); `redacted` when an
        enclosing shape is sensitive."""
        redacted = redacted or self.holds_sensitive(shape)
        key = (shape.name, redacted)
        if key in self._compiled:
            return self._compiled[key]
        if not self.constrained(shape):
            self._compiled[key] = None
            return None
        forward = _Forward()
        self._compiled[key] = forward  # a recursive reference resolves through this
        built = self._build(shape, redacted)
        forward.target = built
        self._compiled[key] = built
        return built

    def _render(self, shape: Shape, redacted: bool) -> Render:
        if redacted:
            return None
        renderer = self._renderer
        return lambda value: renderer.render(value, shape)

    def _build(self, shape: Shape, redacted: bool) -> Checker:
        accepts, rules = self.own_rules(shape)
        render = self._render(shape, redacted)
        content = self._content(shape, redacted)
        if not rules:
            assert content is not None  # constrained() promised something beneath
            return content
        frozen_rules = tuple(rules)

        def check(value: Any, path: str, violations: Violations) -> None:
            if isinstance(value, accepts):
                for rule in frozen_rules:
                    if rule.fails(value):
                        violations.add(path, value, render, rule.message)
            if content is not None:
                content(value, path, violations)

        return check

    def _content(self, shape: Shape, redacted: bool) -> Checker | None:
        if shape.type_name == "structure":
            return self._structure(shape, redacted)
        if shape.type_name == "list":
            return self._list(shape, redacted)
        if shape.type_name == "map":
            return self._map(shape, redacted)
        return None

    def _structure(self, shape: Shape, redacted: bool) -> Checker | None:
        required = set(shape.required_members)
        members: list[tuple[str, str, bool, Checker | None, Render]] = []
        for name, member in shape.members.items():
            member_check = self.checker(member, redacted)
            if name in required or member_check is not None:
                member_redacted = redacted or self.holds_sensitive(member)
                render = self._render(member, member_redacted)
                members.append((name, lower_camel(name), name in required, member_check, render))
        if not members:
            return None
        layout = tuple(members)

        def check(value: Any, path: str, violations: Violations) -> None:
            if not isinstance(value, Mapping):
                return
            prefix = path + "." if path else ""
            for name, segment, is_required, member_check, render in layout:
                item = value.get(name)
                if item is None:
                    if is_required:
                        violations.add(prefix + segment, None, render, "Member must not be null")
                elif member_check is not None:
                    member_check(item, prefix + segment, violations)

        return check

    def _list(self, shape: Shape, redacted: bool) -> Checker | None:
        element_check = self.checker(shape.member, redacted)
        if element_check is None:
            return None

        def check(value: Any, path: str, violations: Violations) -> None:
            if not isinstance(value, list | tuple):
                return
            for index, item in enumerate(value, 1):
                if item is not None:
                    element_check(item, f"{path}.{index}.member", violations)

        return check

    def _map(self, shape: Shape, redacted: bool) -> Checker | None:
        key_accepts, key_rules = self.own_rules(shape.key)
        value_accepts, value_rules = self.own_rules(shape.value)
        nested = self._content(shape.value, redacted or self.holds_sensitive(shape.value))
        if not key_rules and not value_rules and nested is None:
            return None
        key_message = f"Map keys must satisfy constraint: {self.bracket_listing(key_rules)}"
        value_message = f"Map value must satisfy constraint: {self.bracket_listing(value_rules)}"
        render = self._render(shape, redacted or self.holds_sensitive(shape))

        def broken(item: Any, accepts: Any, rules: list[Rule]) -> bool:
            return isinstance(item, accepts) and any(rule.fails(item) for rule in rules)

        def check(value: Any, path: str, violations: Violations) -> None:
            if not isinstance(value, Mapping):
                return
            if key_rules and any(broken(k, key_accepts, key_rules) for k in value):
                violations.add(path, value, render, key_message)
            if value_rules and any(broken(v, value_accepts, value_rules) for v in value.values()):
                violations.add(path, value, render, value_message)
            if nested is not None:
                for map_key, item in value.items():
                    if item is not None:
                        nested(item, f"{path}.{map_key}.member", violations)

        return check


class _Forward:
    """Stands in for a checker still being built, so recursive shapes compile."""

    target: Checker | None = None

    def __call__(self, value: Any, path: str, violations: Violations) -> None:
        if self.target is not None:
            self.target(value, path, violations)
