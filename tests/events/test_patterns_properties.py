"""Properties of the event pattern matcher, over generated events and values."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from strongroom.services.events.patterns import parse_event_pattern

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=8).filter(lambda n: n != "$or")
scalars = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-10**9, max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.booleans(),
    st.none(),
)
events = st.recursive(
    st.dictionaries(names, scalars, min_size=1, max_size=4),
    lambda children: st.dictionaries(names, st.one_of(scalars, children), min_size=1, max_size=4),
    max_leaves=12,
)


def pattern_of(event: dict[str, Any]) -> dict[str, Any]:
    """The pattern naming every field of `event` with its own value."""
    return {name: pattern_of(value) if isinstance(value, dict) else [value] for name, value in event.items()}


def compiled(pattern: dict[str, Any]) -> Any:
    return parse_event_pattern(json.dumps(pattern))


@settings(max_examples=200)
@given(events)
def test_a_pattern_of_an_events_own_values_matches_it(event: dict[str, Any]) -> None:
    assert compiled(pattern_of(event)).matches(event)


@settings(max_examples=200)
@given(names, st.one_of(st.text(max_size=12), st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_anything_but_a_value_never_matches_it(name: str, value: Any) -> None:
    assert not compiled({name: [{"anything-but": value}]}).matches({name: value})
    assert not compiled({name: [{"anything-but": [value, "other"]}]}).matches({name: value})


@given(names, st.text(max_size=12), st.text(max_size=12))
def test_prefix_suffix_and_wildcard_of_a_string_match_it(name: str, head: str, tail: str) -> None:
    event = {name: head + tail}
    assert compiled({name: [{"prefix": head}]}).matches(event)
    assert compiled({name: [{"suffix": tail}]}).matches(event)
    escaped = head.replace("\\", "\\\\").replace("*", "\\*")
    assert compiled({name: [{"wildcard": escaped + "*"}]}).matches(event)
    assert not compiled({name: [{"anything-but": {"prefix": head}}]}).matches(event)


@given(names, st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.floats(min_value=0.001, max_value=1e6))
def test_numeric_ranges_around_a_number_match_it(name: str, number: float, width: float) -> None:
    event = {name: number}
    assert compiled({name: [{"numeric": [">=", number - width, "<=", number + width]}]}).matches(event)
    assert compiled({name: [{"numeric": ["=", number]}]}).matches(event)
    assert not compiled({name: [{"numeric": [">", number]}]}).matches(event)
    assert not compiled({name: [{"numeric": ["<", number]}]}).matches(event)


@settings(max_examples=200)
@given(events, events)
def test_or_is_the_union_of_its_branches(first: dict[str, Any], second: dict[str, Any]) -> None:
    either = compiled({"$or": [pattern_of(first), pattern_of(second)]})
    assert either.matches(first)
    assert either.matches(second)


@given(names, st.one_of(scalars, st.lists(scalars, max_size=3)))
def test_exists_true_and_false_are_complements(name: str, value: Any) -> None:
    event = {name: value}
    present = compiled({name: [{"exists": True}]}).matches(event)
    absent = compiled({name: [{"exists": False}]}).matches(event)
    assert present != absent


@given(names, st.text(alphabet="abcdefXYZ -_.0123", max_size=12))
def test_equals_ignore_case_ignores_case(name: str, text: str) -> None:
    assert compiled({name: [{"equals-ignore-case": text.swapcase()}]}).matches({name: text})
    assert not compiled({name: [{"equals-ignore-case": text + "!"}]}).matches({name: text})


def wildcard_reference(pattern: str, value: str) -> bool:
    """EventBridge's wildcard by definition (`*` any run, `\\*` and `\\\\` literal), on small inputs."""
    tokens: list[str | None] = []  # None is a star
    index = 0
    while index < len(pattern):
        if pattern[index] == "\\":
            tokens.append(pattern[index + 1])
            index += 2
        else:
            tokens.append(None if pattern[index] == "*" else pattern[index])
            index += 1

    def rest(i: int, j: int) -> bool:
        if i == len(tokens):
            return j == len(value)
        if tokens[i] is None:
            return any(rest(i + 1, k) for k in range(j, len(value) + 1))
        return j < len(value) and value[j] == tokens[i] and rest(i + 1, j + 1)

    return rest(0, 0)


wildcard_patterns = st.lists(st.sampled_from(["a", "b", "?", "*", "\\*", "\\\\"]), max_size=7).filter(
    lambda tokens: all(tokens[i] != "*" or tokens[i + 1] != "*" for i in range(len(tokens) - 1))
).map("".join)


@settings(max_examples=500)
@given(names, wildcard_patterns, st.text(alphabet="ab?*\\", max_size=8))
def test_wildcard_and_anything_but_wildcard_follow_the_definition(name: str, pattern: str, value: str) -> None:
    expected = wildcard_reference(pattern, value)
    assert compiled({name: [{"wildcard": pattern}]}).matches({name: value}) is expected
    assert compiled({name: [{"anything-but": {"wildcard": pattern}}]}).matches({name: value}) is not expected


def test_wildcards_against_a_large_event() -> None:
    """Many stars against long values in a large event: answered, not backtracked through."""
    stars = "*a" * 60 + "*b"
    long_values = ["a" * 20_000 + str(index) for index in range(10)]
    event = {"detail": {"note": long_values, "path": "a" * 50_000 + "b"}}
    assert not compiled({"detail": {"note": [{"wildcard": stars}]}}).matches(event)
    assert compiled({"detail": {"path": [{"wildcard": stars}]}}).matches(event)
    assert compiled({"detail": {"note": [{"anything-but": {"wildcard": stars}}]}}).matches(event)
    assert not compiled({"detail": {"note": [{"anything-but": {"wildcard": ["*1", stars]}}]}}).matches(
        {"detail": {"note": long_values[1]}}
    )
