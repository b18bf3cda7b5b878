"""EventBridge event patterns: compile a pattern once, then match events against it. Pure, no I/O.

Semantics, as the EventBridge user guide documents them:
- A pattern is a JSON object shaped like the events it matches. Its fields are ANDed; a leaf is an
  array of match values, ORed. Event fields the pattern does not name are ignored.
- An event value that is an array matches when any of its elements matches (arrays flatten); a
  nested pattern under an array of objects must be matched by one element as a whole.
- Match values: exact strings (case-sensitive), numbers (compared as numbers), booleans and null;
  or one-key objects: `prefix`, `suffix` (each also `{"equals-ignore-case": s}`), `equals-ignore-case`,
  `wildcard`, `anything-but` (a value, a list, or `prefix`/`suffix`/`wildcard`/`equals-ignore-case`),
  `numeric` ranges, `exists`, `cidr`. A `wildcard` is matched without backtracking
  (`strongroom.wildcard`), so its cost stays linear in the value whatever its stars.
- Comparison operators only look at leaves: `{"exists": true}` does not match an object value, and
  `{"exists": false}` matches a missing field, an empty array, or an object.
- `"$or": [pattern, pattern, ...]` at any level: the other fields and one of the branches must match.
  An array that is not one of at least two objects keeps `$or` an ordinary field name.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from strongroom.wildcard import STAR, Piece, WildcardSet

REASON_PREFIX = "Event pattern is not valid. Reason: "

# A matcher decides one leaf value (str, int, float, bool or None) of the event.
LeafTest = Callable[[Any], bool]
_MISSING = object()


class InvalidEventPattern(ValueError):
    """A pattern EventBridge rejects; `str()` is AWS's whole message."""

    def __init__(self, reason: str) -> None:
        super().__init__(REASON_PREFIX + reason)
        self.reason = reason


@dataclass(frozen=True)
class Leaf:
    """A field's match values: any of `tests` passing on any leaf value, or no leaf when `matches_absent`."""

    tests: tuple[LeafTest, ...]
    matches_absent: bool


@dataclass(frozen=True)
class EventPattern:
    fields: tuple[tuple[str, Leaf | EventPattern], ...]
    alternatives: tuple[tuple[EventPattern, ...], ...] = field(default=())

    def matches(self, event: Any) -> bool:
        """True when `event` (a parsed JSON object) satisfies this pattern."""
        if not isinstance(event, dict):
            event = {}
        for name, condition in self.fields:
            value = event.get(name, _MISSING)
            if isinstance(condition, Leaf):
                if not _leaf_matches(condition, value):
                    return False
            elif not any(condition.matches(candidate) for candidate in _objects_at(value)):
                return False
        return all(any(branch.matches(event) for branch in branches) for branches in self.alternatives)


def _objects_at(value: Any) -> list[dict[str, Any]]:
    """The objects a nested pattern is tried against; an empty one where there are none."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        objects = [item for item in _flatten(value) if isinstance(item, dict)]
        if objects:
            return objects
    return [{}]


def _flatten(values: list[Any]) -> Iterator[Any]:
    for item in values:
        if isinstance(item, list):
            yield from _flatten(item)
        else:
            yield item


def _leaves(value: Any) -> list[Any]:
    if value is _MISSING or isinstance(value, dict):
        return []
    if isinstance(value, list):
        return [item for item in _flatten(value) if not isinstance(item, dict)]
    return [value]


def _leaf_matches(leaf: Leaf, value: Any) -> bool:
    leaves = _leaves(value)
    if not leaves:
        return leaf.matches_absent
    return any(test(item) for item in leaves for test in leaf.tests)


def parse_event_pattern(text: str) -> EventPattern:
    """The compiled pattern of `text`; InvalidEventPattern with AWS's reason when it is not one."""
    try:
        document = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        reason = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise InvalidEventPattern(reason) from None
    if not isinstance(document, dict):
        raise InvalidEventPattern("Filter is not an object")
    return compile_pattern(document)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"Unrecognized token '{name}'")


def compile_pattern(document: dict[str, Any]) -> EventPattern:
    """Compile an already parsed pattern object."""
    if not document:
        raise InvalidEventPattern("Empty objects are not allowed")
    fields: list[tuple[str, Leaf | EventPattern]] = []
    alternatives: list[tuple[EventPattern, ...]] = []
    for name, value in document.items():
        if name == "$or" and _is_or_list(value):
            alternatives.append(tuple(compile_pattern(branch) for branch in value))
        elif isinstance(value, dict):
            fields.append((name, compile_pattern(value)))
        elif isinstance(value, list):
            fields.append((name, _compile_leaf(value)))
        else:
            raise InvalidEventPattern(f'"{name}" must be an object or an array')
    return EventPattern(tuple(fields), tuple(alternatives))


def _is_or_list(value: Any) -> bool:
    return isinstance(value, list) and len(value) >= 2 and all(isinstance(item, dict) for item in value)


def _compile_leaf(values: list[Any]) -> Leaf:
    if not values:
        raise InvalidEventPattern("Empty arrays are not allowed")
    tests: list[LeafTest] = []
    matches_absent = False
    for value in values:
        if isinstance(value, dict):
            if len(value) != 1:
                raise InvalidEventPattern("Match object must contain exactly one match type")
            (kind, argument), = value.items()
            if kind == "exists":
                if not isinstance(argument, bool):
                    raise InvalidEventPattern("exists match pattern must be either true or false.")
                if argument:
                    tests.append(_any_value)
                else:
                    matches_absent = True
                continue
            tests.append(_compile_match(kind, argument))
        elif isinstance(value, list):
            raise InvalidEventPattern("Match value must be String, number, true, false, or null")
        else:
            tests.append(_exact(value))
    return Leaf(tuple(tests), matches_absent)


def _any_value(_value: Any) -> bool:
    return True


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _exact(expected: Any) -> LeafTest:
    if _is_number(expected):
        return lambda value: _is_number(value) and value == expected
    if isinstance(expected, bool):
        return lambda value: isinstance(value, bool) and value is expected
    if expected is None:
        return lambda value: value is None
    return lambda value: isinstance(value, str) and value == expected


def _compile_match(kind: str, argument: Any) -> LeafTest:
    if kind in ("prefix", "suffix"):
        text, ignore_case = _affix_argument(kind, argument)
        return _affix_test(kind, text, ignore_case)
    if kind == "equals-ignore-case":
        folded = _string_argument(kind, argument).casefold()
        return lambda value: isinstance(value, str) and value.casefold() == folded
    if kind == "wildcard":
        matcher = WildcardSet([_wildcard_pieces(_string_argument(kind, argument))])
        return lambda value: isinstance(value, str) and matcher.matches(value)
    if kind == "anything-but":
        return _anything_but(argument)
    if kind == "numeric":
        return _numeric(argument)
    if kind == "cidr":
        return _cidr(argument)
    raise InvalidEventPattern(f"Unrecognized match type {kind}")


def _string_argument(kind: str, argument: Any) -> str:
    if not isinstance(argument, str):
        raise InvalidEventPattern(f"{kind} match pattern must be a string")
    return argument


def _affix_argument(kind: str, argument: Any) -> tuple[str, bool]:
    if isinstance(argument, dict):
        if list(argument) != ["equals-ignore-case"] or not isinstance(argument["equals-ignore-case"], str):
            raise InvalidEventPattern(f"Unsupported {kind} pattern: {json.dumps(argument)}")
        return argument["equals-ignore-case"], True
    return _string_argument(kind, argument), False


def _affix_test(kind: str, text: str, ignore_case: bool) -> LeafTest:
    wanted = text.casefold() if ignore_case else text

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        subject = value.casefold() if ignore_case else value
        return subject.startswith(wanted) if kind == "prefix" else subject.endswith(wanted)

    return test


def _wildcard_pieces(text: str) -> list[Piece]:
    """`*` is any run of characters; `\\*` a literal star and `\\\\` a literal backslash."""
    pieces: list[Piece] = []
    index = 0
    previous_star = False
    while index < len(text):
        char = text[index]
        if char == "\\":
            following = text[index + 1] if index + 1 < len(text) else ""
            if following not in ("*", "\\"):
                raise InvalidEventPattern(f"Invalid escape character at pos {index + 1}")
            pieces.append(following)
            index += 2
            previous_star = False
            continue
        if char == "*":
            if previous_star:
                raise InvalidEventPattern(f"Consecutive wildcard characters at pos {index}")
            pieces.append(STAR)
            previous_star = True
        else:
            pieces.append(char)
            previous_star = False
        index += 1
    return pieces


def _anything_but(argument: Any) -> LeafTest:
    if isinstance(argument, dict):
        if len(argument) != 1:
            raise InvalidEventPattern("Value of anything-but must be an array or single string/number value.")
        (kind, inner), = argument.items()
        if kind in ("prefix", "suffix"):
            excluded = _affix_test(kind, _string_argument(kind, inner), False)
        elif kind in ("equals-ignore-case", "wildcard"):
            texts = inner if isinstance(inner, list) else [inner]
            if not texts or not all(isinstance(text, str) for text in texts):
                raise InvalidEventPattern(f"Inside anything-but list, {kind} values must be strings")
            excluded = _any_of([_compile_match(kind, text) for text in texts])
        else:
            raise InvalidEventPattern(f"Unsupported anything-but pattern: {kind}")
        # The inner tests only pass strings; any other kind of value is "anything but" them.
        return lambda value: not excluded(value)
    values = argument if isinstance(argument, list) else [argument]
    if not values or not all(isinstance(value, str) or _is_number(value) for value in values):
        raise InvalidEventPattern("Value of anything-but must be an array or single string/number value.")
    excluded = _any_of([_exact(value) for value in values])
    return lambda value: not excluded(value)


def _any_of(tests: list[LeafTest]) -> LeafTest:
    return lambda value: any(test(value) for test in tests)


_LOWER = {">": False, ">=": True}
_UPPER = {"<": False, "<=": True}


def _numeric(argument: Any) -> LeafTest:
    if not isinstance(argument, list) or not argument or len(argument) % 2:
        raise InvalidEventPattern("Value of numeric must be an array of operator and number pairs.")
    lower: tuple[float, bool] | None = None
    upper: tuple[float, bool] | None = None
    equal: float | None = None
    for index in range(0, len(argument), 2):
        operator, number = argument[index], argument[index + 1]
        if not isinstance(operator, str):
            raise InvalidEventPattern(f"Invalid member in numeric match: {json.dumps(operator)}")
        if not _is_number(number) or not math.isfinite(number):
            raise InvalidEventPattern(f"Value of {operator} must be numeric")
        if operator == "=":
            if len(argument) != 2:
                raise InvalidEventPattern("Numeric = must be the only comparison in its range")
            equal = float(number)
        elif operator in _LOWER:
            if lower is not None:
                raise InvalidEventPattern("Too many lower bounds in numeric range")
            lower = (float(number), _LOWER[operator])
        elif operator in _UPPER:
            if upper is not None:
                raise InvalidEventPattern("Too many upper bounds in numeric range")
            upper = (float(number), _UPPER[operator])
        else:
            raise InvalidEventPattern(f"Unrecognized numeric range operator: {operator}")
    if lower is not None and upper is not None and lower[0] >= upper[0]:
        raise InvalidEventPattern("Bottom must be less than top")

    def test(value: Any) -> bool:
        if not _is_number(value):
            return False
        if equal is not None:
            return bool(value == equal)
        if lower is not None and not (value >= lower[0] if lower[1] else value > lower[0]):
            return False
        return upper is None or bool(value <= upper[0] if upper[1] else value < upper[0])

    return test


def _cidr(argument: Any) -> LeafTest:
    if not isinstance(argument, str):
        raise InvalidEventPattern("cidr match pattern must be a string")
    try:
        network = ipaddress.ip_network(argument, strict=False)
    except ValueError:
        raise InvalidEventPattern(f"Nonstandard IP address: {argument}") from None

    def test(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == network.version and address in network

    return test
