"""The REST protocols (rest-json, rest-xml): route by method and URI template, then bind members.

Each operation's `requestUri` becomes a regular expression over the raw path plus the literal
query parts it requires (`?tagging`, `?list-type=2`). Routes of one method are tried most specific
first: more required query literals, then more literal path text, then fewer greedy labels.
Members are bound from their `location` (uri, querystring, header, headers) and the rest from the
payload member or the body, which a body reader (JSON or XML) converts.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import orjson
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape

from strongroom.wire.http import HttpRequest
from strongroom.wire.parse._common import MalformedInput, text_converter, wire_name

BodyParser = Callable[[bytes, Shape | None, dict[str, Shape]], Any]
"""Reads a body: (bytes, payload shape or None, body members) -> value (dict for structures)."""

_LABEL = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class _Binding:
    """Where one input member comes from, and how its text becomes a value."""

    name: str
    wire: str
    location: str
    shape: Shape


@dataclass
class Route:
    operation: OperationModel
    pattern: re.Pattern[str]
    labels: dict[str, tuple[str, Callable[[str], Any]]]  # regex group -> (member, converter)
    query_literals: tuple[tuple[str, str | None], ...]
    # Required members in the query string or headers also tell operations on one URI apart
    # (S3's PutObject, CopyObject, UploadPart and UploadPartCopy all PUT /{Bucket}/{Key+}).
    required_query: tuple[str, ...]
    required_headers: tuple[str, ...]
    rank: tuple[int, int, int, int]
    bindings: list[_Binding] = field(default_factory=list)
    payload: Shape | None = None
    payload_name: str | None = None
    body_members: dict[str, Shape] = field(default_factory=dict)

    def matches(self, request: HttpRequest, query: dict[str, str]) -> re.Match[str] | None:
        for key, value in self.query_literals:
            if key not in query or (value is not None and query[key] != value):
                return None
        if not all(key in query for key in self.required_query):
            return None
        if not all(name in request.headers for name in self.required_headers):
            return None
        return self.pattern.fullmatch(request.path)


def build_routes(service: ServiceModel) -> dict[str, list[Route]]:
    """Every operation's route, grouped by HTTP method, most specific first."""
    routes: dict[str, list[Route]] = {}
    for name in service.operation_names:
        operation = service.operation_model(name)
        route = _route(operation)
        routes.setdefault(str(operation.http.get("method", "POST")).upper(), []).append(route)
    for candidates in routes.values():
        candidates.sort(key=lambda route: route.rank, reverse=True)
    return routes


def _route(operation: OperationModel) -> Route:
    template = str(operation.http.get("requestUri", "/"))
    path_template, _, query_template = template.partition("?")
    shape = operation.input_shape
    members = dict(shape.members) if shape is not None else {}
    uri_members = {
        wire_name(member, name): (name, member)
        for name, member in members.items()
        if member.serialization.get("location") == "uri"
    }
    regex: list[str] = []
    labels: dict[str, tuple[str, Callable[[str], Any]]] = {}
    literal_chars = greedy = 0
    for index, part in enumerate(_LABEL.split(path_template)):
        if index % 2 == 0:
            regex.append(re.escape(part))
            literal_chars += len(part)
            continue
        label = part.rstrip("+")
        group = f"g{len(labels)}"
        is_greedy = part.endswith("+")
        greedy += is_greedy
        regex.append(f"(?P<{group}>.+)" if is_greedy else f"(?P<{group}>[^/]+)")
        member_name, member = uri_members.get(label, (label, None))
        labels[group] = (member_name, text_converter(member) if member is not None else str)
    query_literals = tuple(
        (key, value if sep else None)
        for key, sep, value in (item.partition("=") for item in query_template.split("&") if item)
    )
    required = set(shape.required_members) if shape is not None else set()
    required_query = tuple(
        wire_name(members[name], name)
        for name in sorted(required)
        if members[name].serialization.get("location") == "querystring" and _always_sent(members[name])
    )
    required_headers = tuple(
        wire_name(members[name], name)
        for name in sorted(required)
        if members[name].serialization.get("location") == "header" and _always_sent(members[name])
    )
    route = Route(
        operation=operation,
        pattern=re.compile("".join(regex) + ("" if path_template.endswith("/") else "/?")),
        labels=labels,
        query_literals=query_literals,
        required_query=required_query,
        required_headers=required_headers,
        rank=(
            len(query_literals) + len(required_query) + len(required_headers),
            literal_chars,
            -greedy,
            0 if operation.deprecated else 1,
        ),
    )
    if shape is None:
        return route
    payload_name = shape.serialization.get("payload")
    for name, member in members.items():
        location = member.serialization.get("location")
        if location in ("querystring", "header", "headers"):
            route.bindings.append(_Binding(name, wire_name(member, name), location, member))
        elif location is None and payload_name is None:
            route.body_members[name] = member
    if payload_name is not None:
        route.payload_name = payload_name
        route.payload = members[payload_name]
    return route


def _always_sent(member: Shape) -> bool:
    """Whether a required member always shows on the wire (an empty list or map sends nothing)."""
    return member.type_name not in ("list", "map")


def find_route(
    routes: dict[str, list[Route]], request: HttpRequest, query: dict[str, str]
) -> tuple[Route, re.Match[str]] | None:
    for route in routes.get(request.method.upper(), ()):
        match = route.matches(request, query)
        if match is not None:
            return route, match
    return None


def bind(
    route: Route,
    match: re.Match[str],
    request: HttpRequest,
    pairs: list[tuple[str, str]],
    body_parser: BodyParser,
) -> dict[str, Any]:
    """The operation's input, from the URI, query string, headers and body."""
    params: dict[str, Any] = {}
    for group, (name, convert) in route.labels.items():
        params[name] = convert(unquote(match.group(group), errors="strict"))
    literal_keys = {key for key, _ in route.query_literals}
    bound_query: set[str] = set()
    for binding in route.bindings:
        if binding.location == "header":
            raw = request.headers.get(binding.wire)
            if raw is not None:
                params[binding.name] = _header_value(binding.shape, raw)
        elif binding.location == "headers":
            value = _prefixed_headers(binding, request)
            if value:
                params[binding.name] = value
        elif not isinstance(binding.shape, MapShape):
            value = _query_value(binding, pairs)
            bound_query.add(binding.wire)
            if value is not None:
                params[binding.name] = value
    for binding in route.bindings:
        # A querystring map takes every parameter no other member or route literal claims.
        if binding.location == "querystring" and isinstance(binding.shape, MapShape):
            value = _query_map(binding.shape, pairs, bound_query | literal_keys)
            if value:
                params[binding.name] = value
    params.update(_body(route, request.body, body_parser))
    return params


def _body(route: Route, body: bytes, body_parser: BodyParser) -> dict[str, Any]:
    if route.payload is not None and route.payload_name is not None:
        kind = route.payload.type_name
        if kind == "blob":
            return {route.payload_name: body} if body else {}
        if kind == "string":
            try:
                return {route.payload_name: body.decode("utf-8")} if body else {}
            except UnicodeDecodeError:
                raise MalformedInput("The payload is not UTF-8 text.") from None
        if not body.strip():
            return {}
        return {route.payload_name: body_parser(body, route.payload, {})}
    if route.body_members and body.strip():
        value = body_parser(body, None, route.body_members)
        return value if isinstance(value, dict) else {}
    return {}


def _query_value(binding: _Binding, pairs: list[tuple[str, str]]) -> Any:
    values = [value for key, value in pairs if key == binding.wire]
    if not values:
        return None
    if isinstance(binding.shape, ListShape):
        convert = text_converter(binding.shape.member)
        return [convert(value) for value in values]
    return text_converter(binding.shape)(values[-1])


def _query_map(shape: MapShape, pairs: list[tuple[str, str]], claimed: set[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if isinstance(shape.value, ListShape):
        convert = text_converter(shape.value.member)
        for key, value in pairs:
            if key not in claimed:
                result.setdefault(key, []).append(convert(value))
    else:
        convert = text_converter(shape.value)
        for key, value in pairs:
            if key not in claimed:
                result[key] = convert(value)
    return result


def _prefixed_headers(binding: _Binding, request: HttpRequest) -> dict[str, Any]:
    prefix = binding.wire.lower()
    assert isinstance(binding.shape, MapShape)
    convert = text_converter(binding.shape.value)
    return {
        name[len(prefix) :]: convert(value)
        for name, value in request.headers.items()
        if name.startswith(prefix) and len(name) > len(prefix)
    }


def _header_value(shape: Shape, raw: str) -> Any:
    if isinstance(shape, ListShape):
        convert = text_converter(shape.member)
        items = split_header_list(raw)
        if shape.member.type_name == "timestamp" and "timestampFormat" not in shape.member.serialization:
            # HTTP dates contain a comma themselves: "Wed, 21 Oct 2015 07:28:00 GMT".
            items = [f"{a}, {b}" for a, b in zip(items[::2], items[1::2], strict=False)]
        return [convert(item) for item in items]
    if shape.serialization.get("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(raw, validate=True))
        except (binascii.Error, ValueError) as exc:
            raise MalformedInput("The header is not base64-encoded JSON.") from exc
    return text_converter(shape)(raw)


def split_header_list(raw: str) -> list[str]:
    """Items of a comma-separated header; items may be double-quoted with backslash escapes."""
    items: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in raw:
        if escaped:
            current.append(char)
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            items.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    items.append("".join(current).strip())
    return [item for item in items if item] if raw.strip() else []
