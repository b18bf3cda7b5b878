"""Where a rest-json / rest-xml output structure's members go: status code, headers, payload or body.

A binding is compiled once per structure shape; header values are formatted as the REST protocols define
(timestamps as HTTP dates unless `timestampFormat` says otherwise, `jsonvalue` strings as base64 JSON,
lists comma-separated).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import orjson
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from strongroom.wire.serialize.cache import PerService
from strongroom.wire.serialize.scalars import (
    TEXT_TIMESTAMP_FORMATS,
    base64_text,
    float_text,
    header_text,
)

HeaderFormatter = Callable[[Any], str]


def _json_value_header(value: Any) -> str:
    return base64.b64encode(orjson.dumps(value)).decode("ascii")


def _string_header(value: Any) -> str:
    return header_text(value if isinstance(value, str) else str(value))


def _list_item_header(value: Any) -> str:
    """A string inside a comma-separated header list: quoted when it holds a comma or a quote (RFC 9110)."""
    text = _string_header(value)
    if "," in text or '"' in text:
        escaped = text.replace("\\", "\\\\").replace('"', '\\"')
        return f'"{escaped}"'
    return text


def header_formatter(shape: Shape) -> HeaderFormatter:
    """How a value of `shape` is written as one header value."""
    type_name = shape.type_name
    if type_name == "string":
        return _json_value_header if shape.serialization.get("jsonvalue") else _string_header
    if type_name == "timestamp":
        return TEXT_TIMESTAMP_FORMATS[shape.serialization.get("timestampFormat", "rfc822")]
    if type_name == "boolean":
        return lambda value: "true" if value else "false"
    if type_name in ("integer", "long"):
        return lambda value: str(int(value))
    if type_name in ("float", "double"):
        return float_text
    if type_name == "blob":
        return base64_text
    if type_name == "list":
        assert isinstance(shape, ListShape)
        member = shape.member
        item = _list_item_header if member.type_name == "string" else header_formatter(member)
        return lambda values: ", ".join(item(value) for value in values if value is not None)
    return _string_header


@dataclass(frozen=True)
class RestBinding:
    """The HTTP placement of one structure's members."""

    status_member: str | None
    # (member name, header name, formatter)
    headers: tuple[tuple[str, str, HeaderFormatter], ...]
    # (member name, header-name prefix, formatter of the map's values)
    prefixed_headers: tuple[tuple[str, str, HeaderFormatter], ...]
    payload_member: str | None
    payload_shape: Shape | None
    # Members that go in the body when there is no payload member.
    body_members: frozenset[str]
    # Whether a member is bound to the Content-Type header (then the handler decides it).
    binds_content_type: bool

    @property
    def raw_payload(self) -> bool:
        """The payload is the body itself (a blob or a string), not a document."""
        return self.payload_shape is not None and self.payload_shape.type_name in ("blob", "string")

    def place_headers(self, value: dict[str, Any], headers: list[tuple[str, str]]) -> int | None:
        """Appends the header-bound members of `value` to `headers`; returns the status member, if set."""
        for member, header, formatter in self.headers:
            member_value = value.get(member)
            if member_value is not None:
                headers.append((header, formatter(member_value)))
        for member, prefix, formatter in self.prefixed_headers:
            entries = value.get(member)
            if entries:
                headers.extend((prefix + key, formatter(item)) for key, item in entries.items() if item is not None)
        if self.status_member is not None and value.get(self.status_member) is not None:
            return int(value[self.status_member])
        return None


def _bind(shape: StructureShape) -> RestBinding:
    status_member = None
    headers = []
    prefixed = []
    body = []
    for name, member in shape.members.items():
        serialization = member.serialization
        location = serialization.get("location")
        if location == "statusCode":
            status_member = name
        elif location == "header":
            headers.append((name, serialization.get("name", name), header_formatter(member)))
        elif location == "headers":
            assert isinstance(member, MapShape)
            prefixed.append((name, serialization.get("name", ""), header_formatter(member.value)))
        elif location is None:
            body.append(name)
    payload_member = shape.serialization.get("payload")
    return RestBinding(
        status_member=status_member,
        headers=tuple(headers),
        prefixed_headers=tuple(prefixed),
        payload_member=payload_member,
        payload_shape=shape.members[payload_member] if payload_member else None,
        body_members=frozenset(body),
        binds_content_type=any(header.lower() == "content-type" for _, header, _ in headers),
    )


class _Bindings:
    def __init__(self, service: ServiceModel) -> None:
        self._by_shape: dict[str, RestBinding] = {}

    def get(self, shape: StructureShape) -> RestBinding:
        found = self._by_shape.get(shape.name)
        if found is None:
            found = self._by_shape[shape.name] = _bind(shape)
        return found


_bindings = PerService(_Bindings)


def binding(service: ServiceModel, shape: StructureShape) -> RestBinding:
    """The (cached) binding of `shape`, a structure of `service`."""
    return _bindings(service).get(shape)
