"""JSON request bodies (the json protocol, and rest-json bodies): decoded values to boto3 values.

Each shape is compiled once into a converter closure; a structure's converter looks members up by
their wire name and ignores names it doesn't know (AWS does). Nulls count as absent.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, Shape, StructureShape

from strongroom.wire.parse._common import (
    MalformedInput,
    plan_key,
    timestamp_from_epoch,
    timestamp_from_text,
    wire_name,
)

JsonConverter = Callable[[Any], Any]
# Wire name -> (member name, the type its converter passes through unchanged, converter).
_MemberTable = dict[str, tuple[str, type | None, JsonConverter]]


def decode_json_object(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object; an empty body is an empty object."""
    if not body or body.isspace():  # what `not body.strip()` tests, without copying the body
        return {}
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedInput("Malformed JSON in the request body.") from exc
    if not isinstance(value, dict):
        raise MalformedInput("The request body must be a JSON object.")
    return value


class JsonReader:
    """Converters from decoded JSON to boto3 values, compiled per shape and cached for one model."""

    def __init__(self) -> None:
        self._plans: dict[str, JsonConverter] = {}

    def converter(self, shape: Shape) -> JsonConverter:
        key = plan_key(shape)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(shape, key)
        return plan

    def structure(self, members: Mapping[str, Shape]) -> JsonConverter:
        """A converter for an object carrying exactly `members` (e.g. the body part of a REST input)."""
        return self._structure_from_table(self._member_table(members))

    def _compile(self, shape: Shape, key: str) -> JsonConverter:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            if shape.is_document_type:
                plan: JsonConverter = _document
            else:
                # Registered before its members compile, so recursive shapes find it.
                table: _MemberTable = {}
                plan = self._structure_from_table(table)
                self._plans[key] = plan
                table.update(self._member_table(shape.members))
                return plan
        elif kind == "list":
            assert isinstance(shape, ListShape)
            plan = _list_of(self.converter(shape.member))
        elif kind == "map":
            assert isinstance(shape, MapShape)
            plan = _map_of(
                self.converter(shape.key),
                self.converter(shape.value),
                passthrough_type(shape.key),
                passthrough_type(shape.value),
            )
        else:
            plan = _SCALARS[kind]
        self._plans[key] = plan
        return plan

    def _member_table(self, members: Mapping[str, Shape]) -> _MemberTable:
        return {
            wire_name(member, name): (name, passthrough_type(member), self.converter(member))
            for name, member in members.items()
        }

    @staticmethod
    def _structure_from_table(table: _MemberTable) -> JsonConverter:
        def convert(value: Any) -> dict[str, Any]:
            if not isinstance(value, dict):
                raise MalformedInput("Expected a JSON object.")
            result: dict[str, Any] = {}
            for key, item in value.items():
                entry = table.get(key)
                if entry is None or item is None:
                    continue
                name, unchanged, member_converter = entry
                # A value of the exact type its converter returns unchanged skips the call.
                result[name] = item if item.__class__ is unchanged else member_converter(item)
            return result

        return convert


def _list_of(item: JsonConverter) -> JsonConverter:
    def convert(value: Any) -> list[Any]:
        if not isinstance(value, list):
            raise MalformedInput("Expected a JSON array.")
        return [item(element) for element in value if element is not None]

    return convert


def _map_of(
    key: JsonConverter, item: JsonConverter, key_unchanged: type | None, item_unchanged: type | None
) -> JsonConverter:
    def convert(value: Any) -> dict[Any, Any]:
        if not isinstance(value, dict):
            raise MalformedInput("Expected a JSON object.")
        for name, element in value.items():
            if name.__class__ is not key_unchanged or element.__class__ is not item_unchanged:
                break
        else:
            # Every entry would convert to itself (and none is null): the decoded object is the result.
            return value
        return {key(name): item(element) for name, element in value.items() if element is not None}

    return convert


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise MalformedInput("Expected a string value.")
    return value


def _boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise MalformedInput("Expected a boolean value.")
    return value


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        # An integral float (1.0) is read as the integer it names; fractions are refused.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        raise MalformedInput("Expected an integer value.")
    return value


def _float(value: Any) -> float:
    if isinstance(value, bool):
        raise MalformedInput("Expected a numeric value.")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value in ("NaN", "Infinity", "-Infinity"):
        return float(value)
    raise MalformedInput("Expected a numeric value.")


def _blob(value: Any) -> bytes:
    if not isinstance(value, str):
        raise MalformedInput("Expected a base64-encoded string.")
    try:
        # blob_from_base64 inlined: every KMS plaintext and ciphertext passes here.
        return binascii.a2b_base64(value, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput("invalid base64") from exc


def _timestamp(value: Any) -> Any:
    if isinstance(value, bool):
        raise MalformedInput("Expected a timestamp.")
    if isinstance(value, int | float):
        return timestamp_from_epoch(value)
    if isinstance(value, str):
        return timestamp_from_text(value)
    raise MalformedInput("Expected a timestamp.")


def _document(value: Any) -> Any:
    return value


# The exact type of a decoded value that the shape's converter returns as it is (str for strings...).
_PASSTHROUGH_TYPES: dict[str, type] = {"string": str, "boolean": bool, "integer": int, "long": int}


def passthrough_type(shape: Shape) -> type | None:
    return _PASSTHROUGH_TYPES.get(shape.type_name)


_SCALARS: dict[str, JsonConverter] = {
    "string": _string,
    "boolean": _boolean,
    "integer": _integer,
    "long": _integer,
    "float": _float,
    "double": _float,
    "blob": _blob,
    "timestamp": _timestamp,
}
