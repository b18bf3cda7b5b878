"""Hypothesis strategies for the Python values a boto3 client sends or receives for any botocore shape.

Values are chosen to survive every AWS protocol exactly, so a round trip through a serializer and a
parser can be compared with `==`:

- strings are printable Unicode without surrogates, private-use or unassigned code points (XML 1.0
  cannot carry those); strings that travel in HTTP headers are printable ASCII without edge blanks
  (HTTP strips them); URI labels are non-empty and never "." or ".." (dot segments);
- timestamps are UTC-aware with millisecond precision (what JSON epochs and ISO 8601 both carry),
  and whole seconds in headers and members formatted as RFC 822 (those dates have no fraction);
- floats are finite; integers stay within the model's range (32- or 64-bit by default).

Event-stream members are never generated (no request/response protocol carries them as values),
nor are streaming payload members of outputs (boto3 hands those back as a stream, not a value).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape
from hypothesis import strategies as st

MAX_DEPTH = 4  # below this, structures carry only their required members and collections stay empty
MAX_ITEMS = 3  # list and map sizes: enough to show order and repetition, small enough to stay fast
MAX_TEXT = 12  # string lengths past the model's minimum

_INT_RANGE = {"integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LAST_SECOND = 4102444799  # 2099-12-31T23:59:59Z: four-digit years in every date format

_TEXT_CHARS = st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Co", "Cn"))
_HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
# Header lists are comma-joined; header maps' keys become lowercase header names.
_HEADER_LIST_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=',"')
_HEADER_KEY_CHARS = st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-")


def shape_values(shape: Shape, *, output: bool = False) -> st.SearchStrategy[Any]:
    """Values a boto3 client accepts (or, with `output`, returns) for `shape`."""
    return _values(shape, output, _location(shape), 0)


def _location(shape: Shape) -> str:
    return str(shape.serialization.get("location", "body"))


def _values(shape: Shape, output: bool, location: str, depth: int) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    if kind == "structure":
        assert isinstance(shape, StructureShape)
        return _structures(shape, output, depth)
    if kind == "list":
        assert isinstance(shape, ListShape)
        item_location = "header-list" if location == "header" else location
        items = _values(shape.member, output, item_location, depth + 1)
        max_items = 0 if depth >= MAX_DEPTH else MAX_ITEMS
        return st.lists(items, min_size=0, max_size=max_items)
    if kind == "map":
        assert isinstance(shape, MapShape)
        key_location = "header-key" if location == "headers" else location
        value_location = "header" if location == "headers" else location
        keys = _values(shape.key, output, key_location, depth + 1)
        values = _values(shape.value, output, value_location, depth + 1)
        max_items = 0 if depth >= MAX_DEPTH else MAX_ITEMS
        return st.dictionaries(keys, values, max_size=max_items)
    if kind == "string":
        return _strings(shape, location)
    if kind in _INT_RANGE:
        return _integers(shape)
    if kind in ("float", "double"):
        return st.floats(allow_nan=False, allow_infinity=False)
    if kind == "boolean":
        return st.booleans()
    if kind == "blob":
        return st.binary(min_size=_min(shape), max_size=_max(shape, _min(shape) + MAX_TEXT))
    if kind == "timestamp":
        # RFC 822 dates (the header default, or a member's own format) carry whole seconds only.
        rfc822 = str(shape.serialization.get("timestampFormat", "")).lower() == "rfc822"
        return _timestamps(whole_seconds=rfc822 or location in ("header", "header-list"))
    raise TypeError(f"no strategy for shape type {kind!r}")


def _structures(shape: StructureShape, output: bool, depth: int) -> st.SearchStrategy[Any]:
    if shape.is_document_type:
        return _documents()
    required = set(shape.required_members)
    fixed: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, member in shape.members.items():
        if _never_generated(member, output):
            continue
        if depth >= MAX_DEPTH and name not in required:
            continue
        values = _values(member, output, _location(member), depth + 1)
        (fixed if name in required and not shape.is_tagged_union else optional)[name] = values
    if shape.is_tagged_union:
        if not optional:
            return st.just({})
        # A union sets exactly one member.
        return st.one_of([st.fixed_dictionaries({name: values}) for name, values in optional.items()])
    return st.fixed_dictionaries(fixed, optional=optional)


def _never_generated(member: Shape, output: bool) -> bool:
    if member.type_name == "structure" and member.serialization.get("eventstream"):
        return True
    if getattr(member, "event_stream_name", None) or member.metadata.get("eventstream"):
        return True
    return output and member.type_name == "blob" and bool(member.serialization.get("streaming"))


def _strings(shape: Shape, location: str) -> st.SearchStrategy[Any]:
    if shape.enum:
        return st.sampled_from(shape.enum)
    if shape.serialization.get("jsonvalue") and location == "header":
        # boto3 takes and returns JSON-valued headers as the decoded value.
        return _documents()
    low = _min(shape)
    high = _max(shape, low + MAX_TEXT)
    if location == "uri":
        text = st.text(_TEXT_CHARS, min_size=max(low, 1), max_size=max(high, 1))
        return text.filter(lambda value: value not in (".", ".."))
    if location == "header-list":
        return st.text(_HEADER_LIST_CHARS, min_size=max(low, 1), max_size=high)
    if location == "header-key":
        return st.text(_HEADER_KEY_CHARS, min_size=max(low, 1), max_size=high)
    if location == "header":
        return (
            st.text(_HEADER_CHARS, min_size=low, max_size=high).map(str.strip).filter(lambda value: len(value) >= low)
        )
    return st.text(_TEXT_CHARS, min_size=low, max_size=high)


def _integers(shape: Shape) -> st.SearchStrategy[int]:
    low, high = _INT_RANGE[shape.type_name]
    minimum = shape.metadata.get("min")
    maximum = shape.metadata.get("max")
    low = max(low, int(minimum)) if minimum is not None else low
    high = min(high, int(maximum)) if maximum is not None else high
    return st.integers(min_value=low, max_value=max(low, high))


def _timestamps(*, whole_seconds: bool) -> st.SearchStrategy[datetime]:
    if whole_seconds:
        return st.integers(0, _LAST_SECOND).map(lambda s: _EPOCH + timedelta(seconds=s))
    return st.integers(0, _LAST_SECOND * 1000 + 999).map(lambda ms: _EPOCH + timedelta(milliseconds=ms))


def _documents() -> st.SearchStrategy[Any]:
    """Free-form JSON values, for document types and `jsonvalue` strings."""
    scalars = st.none() | st.booleans() | st.integers(-(2**31), 2**31 - 1) | st.text(_TEXT_CHARS, max_size=8)
    keys = st.text(_TEXT_CHARS, max_size=6)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
        max_leaves=6,
    )


def _min(shape: Shape) -> int:
    minimum = shape.metadata.get("min")
    # Some models set minimums in the thousands; honour them only loosely to keep examples small.
    return min(int(minimum), 64) if minimum is not None else 0


def _max(shape: Shape, preferred: int) -> int:
    maximum = shape.metadata.get("max")
    return max(_min(shape), min(int(maximum), preferred)) if maximum is not None else preferred
