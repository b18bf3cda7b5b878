"""JSON bodies (json and rest-json protocols): a shape compiled once into a value-to-JSON converter.

A converter turns the Python values a boto3 caller would see into what orjson can dump: members renamed to
their wire names, None dropped, timestamps to epoch seconds, blobs to base64. Shapes that need no
conversion at all (strings, numbers, lists of them...) compile to None, so their values are handed to
orjson untouched.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from strongroom.wire.serialize.cache import CompiledShapes
from strongroom.wire.serialize.scalars import (
    TEXT_TIMESTAMP_FORMATS,
    base64_text,
    epoch_seconds,
    json_float,
)

Converter = Callable[[Any], Any]

_BODY_EXCLUDED_LOCATIONS = frozenset({"header", "headers", "statusCode", "uri", "querystring"})


def _timestamp_converter(shape: Shape) -> Converter:
    fmt = shape.serialization.get("timestampFormat", "unixTimestamp")
    if fmt == "unixTimestamp":
        return epoch_seconds
    return TEXT_TIMESTAMP_FORMATS[fmt]


def _convert_list(item: Converter) -> Converter:
    def convert(values: Any) -> list[Any]:
        return [None if value is None else item(value) for value in values]

    return convert


def _convert_map(value_converter: Converter) -> Converter:
    def convert(entries: Mapping[str, Any]) -> dict[str, Any]:
        return {key: None if value is None else value_converter(value) for key, value in entries.items()}

    return convert


class JsonPlanner:
    """Compiles and caches the converters of one service's shapes."""

    def __init__(self, service: ServiceModel) -> None:
        self.service = service
        self._structures: CompiledShapes[Converter] = CompiledShapes()

    def converter(self, shape: Shape) -> Converter | None:
        """The converter for values of `shape`, or None when they need none."""
        type_name = shape.type_name
        if type_name == "structure":
            assert isinstance(shape, StructureShape)
            if shape.is_document_type:
                return None
            return self.structure(shape)
        if type_name == "list":
            assert isinstance(shape, ListShape)
            item = self.converter(shape.member)
            return None if item is None else _convert_list(item)
        if type_name == "map":
            assert isinstance(shape, MapShape)
            value = self.converter(shape.value)
            return None if value is None else _convert_map(value)
        if type_name == "timestamp":
            return _timestamp_converter(shape)
        if type_name == "blob":
            return base64_text
        if type_name in ("float", "double"):
            return json_float
        return None

    def structure(self, shape: StructureShape, *, body_only: bool = False) -> Converter:
        """The converter of a structure; with `body_only`, members bound to HTTP locations are left out."""
        key = f"{shape.name}#body" if body_only else shape.name
        found = self._structures.ready(key)
        if found is not None:
            return found
        with self._structures.compiling():
            return self._compile_structure(key, shape, body_only)

    def _compile_structure(self, key: str, shape: StructureShape, body_only: bool) -> Converter:
        found = self._structures.lookup(key)
        if found is not None:
            return found
        table: dict[str, tuple[str, Converter | None]] = {}

        def convert(value: Mapping[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = {}
            for name, member_value in value.items():
                if member_value is None:
                    continue
                entry = table.get(name)
                if entry is None:
                    continue
                wire_name, member_converter = entry
                out[wire_name] = member_value if member_converter is None else member_converter(member_value)
            return out

        # Registered before the members compile, so recursive shapes find it.
        self._structures.register(key, convert)
        for name, member in shape.members.items():
            serialization = member.serialization
            if body_only and serialization.get("location") in _BODY_EXCLUDED_LOCATIONS:
                continue
            table[name] = (serialization.get("name", name), self.converter(member))
        return convert


def _untyped(value: Any) -> Any:
    """orjson's fallback for values outside any shape (unmodeled error fields)."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64_text(value)
    if isinstance(value, datetime):
        return epoch_seconds(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def dump(document: Any) -> bytes:
    """`document` as JSON bytes (non-str keys and unmodeled values are tolerated)."""
    try:
        return orjson.dumps(document, default=_untyped, option=_DUMP_OPTIONS)
    except orjson.JSONEncodeError:
        # orjson refuses lone surrogates; JSON can still carry them as \\u escapes.
        return json.dumps(document, default=_untyped, ensure_ascii=True, allow_nan=False).encode("ascii")
