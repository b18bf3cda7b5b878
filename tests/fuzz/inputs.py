"""Input values for one operation, drawn from its botocore input shape: a plausible base and its mutants.

A value here is a Python tree keyed by model member names (the protocol encoders of `tests.fuzz.wire`
put it on the wire), and a mutant is the base with one spot
changed: a member left out, a value of the wrong type, a number on or past its bounds (the model's or
its type's), a string with NUL or lone surrogates, a huge string or list. Everything is drawn from one
`random.Random`, so a seed names a run exactly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.model import Shape

from strongroom.wire.validation.java_regex import java_pattern

# A value the encoders write out as it is, whatever the shape says (the "wrong type" mutants).
WRONG_TYPES: tuple[Any, ...] = (True, 0, -1, 1.5, "text", "", [], {}, ["a"], {"k": "v"}, None)

TYPE_RANGES = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
HUGE_TEXT = 300_000  # characters: past every member's max, short of the services' body limits
HUGE_LIST = 2_000
MAX_DEPTH = 6


@dataclass(frozen=True)
class Mutant:
    """One input to send: `label` says what was changed where (it names the finding when one fails)."""

    label: str
    value: dict[str, Any]


# Strings tried, in order, for a string shape with a pattern: the first that fits is taken (ARNs,
# paths, names, JSON documents, dates and so on cover most of the served models' patterns).
STRING_CANDIDATES = (
    "fuzz1", "a", "/fuzz/a", "arn:aws:iam::000000000000:role/fuzz", "arn:aws:kms:us-east-1:000000000000:key/"
    "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/fuzz", "1234abcd-12ab-34cd-56ef-1234567890ab", "000000000000",
    '{"Version":"2012-10-17","Statement":[]}', "rate(1 day)", "fuzz.example", "A", "1", "fuzz-1_2.3", "x" * 20,
    "AKIAIOSFODNN7EXAMPLE", "2024-01-01T00:00:00Z", "s3://fuzz/a", "*",
)


def _string(shape: Shape, rng: random.Random) -> str:
    meta = shape.metadata
    if meta.get("enum"):
        return str(rng.choice(meta["enum"]))
    low, high = meta.get("min", 1), meta.get("max", 64)
    pattern = java_pattern(meta["pattern"]) if meta.get("pattern") else None
    for candidate in STRING_CANDIDATES:
        if low <= len(candidate) <= high and (pattern is None or pattern.fullmatch(candidate)):
            return candidate
    return "".join(rng.choice("abcdefghij0123456789") for _ in range(max(low, min(high, 8))))


def base_value(shape: Shape, rng: random.Random, depth: int = 0, known: Mapping[str, Any] | None = None) -> Any:
    """A value of `shape` meeting its lengths, ranges, enums and (when one of `STRING_CANDIDATES` fits)
    patterns: required members always, optional ones now and then. `known` gives values by member name
    (resources the run made beforehand), so that handlers get past their lookups."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if getattr(shape, "is_document_type", False):
            return {"document": [1, "two", {"three": None}]}
        result: dict[str, Any] = {}
        required = set(shape.required_members)
        for name, member in shape.members.items():
            if depth < MAX_DEPTH and (name in required or rng.random() < (0.5 if depth == 0 else 0.2)):
                if known and name in known and member.type_name == "string":
                    result[name] = known[name]
                else:
                    result[name] = base_value(member, rng, depth + 1, known)
        return result
    if kind == "list":
        count = max(meta.get("min", 0), 1 if depth < MAX_DEPTH else 0)
        return [base_value(shape.member, rng, depth + 1, known) for _ in range(min(count, 3))]
    if kind == "map":
        if depth >= MAX_DEPTH:
            return {}
        return {base_value(shape.key, rng, depth + 1): base_value(shape.value, rng, depth + 1, known)}
    if kind == "string":
        return _string(shape, rng)
    if kind == "blob":
        return b"\x01" * max(meta.get("min", 1), 1)
    if kind in ("integer", "long"):
        low, high = TYPE_RANGES[kind]
        return max(meta.get("min", low), min(meta.get("max", high), 1))
    if kind in ("float", "double"):
        return float(max(meta.get("min", 0), min(meta.get("max", 1), 1)))
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "timestamp":
        return 1_700_000_000
    return None


def _spots(value: Any, shape: Shape, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Shape]]:
    """Every (path, shape) in `value`, the root included; a path is member names and list indexes."""
    yield path, shape
    if shape.type_name == "structure" and isinstance(value, dict) and not getattr(shape, "is_document_type", False):
        for name, item in value.items():
            member = shape.members.get(name)
            if member is not None:
                yield from _spots(item, member, (*path, name))
    elif shape.type_name == "list" and isinstance(value, list):
        for index, item in enumerate(value):
            yield from _spots(item, shape.member, (*path, index))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from _spots(item, shape.value, (*path, key))


def _replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of `value` with what `path` names replaced by `new` (a `_MISSING` new drops it)."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        copy = dict(value)
        replaced = _replaced(copy[head], rest, new)
        if replaced is _MISSING:
            del copy[head]
        else:
            copy[head] = replaced
        return copy
    items = list(value)
    replaced = _replaced(items[head], rest, new)
    if replaced is _MISSING:
        del items[head]
    else:
        items[head] = replaced
    return items


_MISSING = object()


def odd_values(shape: Shape, rng: random.Random) -> list[tuple[str, Any]]:
    """Values that put `shape` to the test: bounds and one past, other types, NUL, surrogates, sizes."""
    kind = shape.type_name
    meta = shape.metadata
    odd: list[tuple[str, Any]] = []
    if kind in ("integer", "long", "float", "double"):
        low, high = TYPE_RANGES.get(kind, (None, None))
        bounds = {meta.get("min", low), meta.get("max", high)} - {None}
        for bound in sorted(bounds):
            odd += [(f"={bound}", bound), (f"={bound}-1", bound - 1), (f"={bound}+1", bound + 1)]
        odd += [("=2**70", 2**70), ("=-2**70", -(2**70)), ("=1e300", 1e300), ("=0.5", 0.5), ("=2**64", 2**64)]
        if kind in ("float", "double"):
            odd += [("=NaN", "NaN"), ("=Infinity", "Infinity"), ("=-Infinity", "-Infinity")]
    elif kind == "string":
        low, high = meta.get("min", 0), meta.get("max")
        odd += [("=''", ""), ("=NUL", "a\x00b"), ("=only NUL", "\x00"), ("=lone surrogate", "a\ud800b"),
                ("=huge", "x" * HUGE_TEXT), ("=unicode", "é☃𝄞"), ("=control", "\x01\x1f\x7f")]
        if low > 1:
            odd.append((f"=len {low - 1}", "a" * (low - 1)))
        if high is not None and high < HUGE_TEXT:
            odd.append((f"=len {high + 1}", "a" * (high + 1)))
        if meta.get("enum"):
            odd.append(("=not in enum", meta["enum"][0].lower() + "?"))
    elif kind == "blob":
        odd += [("=empty blob", b""), ("=huge blob", b"\xff" * 200_000), ("=NUL blob", b"\x00" * 8)]
    elif kind == "list":
        member = base_value(shape.member, rng, MAX_DEPTH - 1)
        odd += [("=[]", []), ("=huge list", [member] * HUGE_LIST), ("=[null]", [None])]
    elif kind == "map":
        odd += [("={}", {}), ("=huge map", {f"k{n}": "v" for n in range(HUGE_LIST)}), ("={'': ''}", {"": ""})]
    elif kind == "timestamp":
        odd += [("=epoch 1e20", 1e20), ("=-1e20", -1e20), ("=bad date", "not a date"), ("=year 0", "0000-01-01")]
    elif kind == "structure":
        odd += [("={}", {})]
    odd += [(f"=wrong type {type(item).__name__}", item) for item in rng.sample(WRONG_TYPES, 3)]
    return odd


def mutants(
    shape: Shape | None, rng: random.Random, budget: int, known: Mapping[str, Any] | None = None
) -> list[Mutant]:
    """The empty input, the base, each required member missing, then up to `budget` odd values at spots
    of the base chosen at random."""
    if shape is None:
        return [Mutant("no input", {})]
    base = base_value(shape, rng, known=known)
    found = [Mutant("empty input", {}), Mutant("base", base)]
    for name in shape.required_members:
        if name in base:
            found.append(Mutant(f"{name} missing", _replaced(base, (name,), _MISSING)))
    spots = [spot for spot in _spots(base, shape) if spot[0]]
    candidates = [(path, label, value) for path, member in spots for label, value in odd_values(member, rng)]
    rng.shuffle(candidates)
    for path, label, value in candidates[:budget]:
        where = ".".join(str(step) for step in path)
        found.append(Mutant(f"{where}{label}", _replaced(base, path, value)))
    return found
