"""The query protocol: `Action=Op&Version=...&A.B.member.1=...` form parameters to boto3 values.

Flat dotted keys are first folded into a tree (`A.B.1` -> tree["A"]["B"]["1"]); each shape is
compiled once into a converter reading its subtree. Lists are `Name.member.N` (or `Name.N` when
flattened; a flattened list whose member has a locationName uses that name instead of the
member's), maps `Name.entry.N.key/value` (or `Name.N.key/value` when flattened); `Name=` with no
items is an empty list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpRequest
from strongroom.wire.parse._common import MalformedInput, plan_key, text_converter, wire_name

Node = dict[Any, Any]
QueryConverter = Callable[[Node], Any]

_VALUE = object()  # key of a node's own text in the parameter tree (never a string segment)
_ABSENT = object()  # what a scalar converter returns for a name that carries no text
_FORM = "application/x-www-form-urlencoded"


def _malformed() -> ServiceError:
    return ServiceError("MalformedQueryString", "The query string contains a syntax error.", status=404)


class QueryParser:
    """Parses one query-protocol service's requests."""

    def __init__(self, service: ServiceModel) -> None:
        self._service = service
        self._version = service.api_version
        self._operations = {
            service.operation_model(name).wire_name: service.operation_model(name) for name in service.operation_names
        }
        self._plans: dict[str, QueryConverter] = {}

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        params = _request_params(request)
        action = params.get("Action")
        if not action:
            raise ServiceError("MissingAction", "Missing Action", status=400)
        version = params.get("Version") or self._version
        operation = self._operations.get(action)
        if operation is None or version != self._version:
            raise ServiceError("InvalidAction", f"Could not find operation {action} for version {version}", status=400)
        shape = operation.input_shape
        if shape is None:
            return operation, {}
        tree = _tree(params)
        try:
            value = self.converter(shape)(tree)
        except MalformedInput:
            raise _malformed() from None
        return operation, value if isinstance(value, dict) else {}

    def converter(self, shape: Shape) -> QueryConverter:
        key = plan_key(shape)
        plan = self._plans.get(key)
        if plan is None:
            plan = self._compile(shape, key)
        return plan

    def _compile(self, shape: Shape, key: str) -> QueryConverter:
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            members: list[tuple[str, tuple[str, ...], QueryConverter]] = []
            plan: QueryConverter = _structure_of(members)
            # Registered before its members compile, so recursive shapes find it.
            self._plans[key] = plan
            for name, member in shape.members.items():
                members.append((name, _member_keys(name, member), self.converter(member)))
            return plan
        if kind == "list":
            assert isinstance(shape, ListShape)
            flattened = bool(shape.serialization.get("flattened"))
            item_key = None if flattened else wire_name(shape.member, "member")
            plan = _list_of(item_key, self.converter(shape.member))
        elif kind == "map":
            assert isinstance(shape, MapShape)
            entry_key = None if shape.serialization.get("flattened") else "entry"
            plan = _map_of(
                entry_key,
                wire_name(shape.key, "key"),
                self.converter(shape.key),
                wire_name(shape.value, "value"),
                self.converter(shape.value),
            )
        else:
            plan = _scalar(text_converter(shape))
        self._plans[key] = plan
        return plan


# The parameters that pick the operation: given twice (twice in one place, or in both the URL and the
# body), the request is refused rather than one of them silently chosen.
_ROUTING_PARAMS = ("Action", "Version")


def _request_params(request: HttpRequest) -> dict[str, str]:
    """Query-string parameters, then form-body ones (which win); the last of another repeated name wins."""
    try:
        pairs = parse_qsl(request.query_string, keep_blank_values=True, errors="strict")
        content_type = request.headers.get("content-type", _FORM)
        if request.body and content_type.startswith(_FORM):
            body = request.body.decode("utf-8")
            pairs += parse_qsl(body, keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise _malformed() from None
    params = dict(pairs)
    if len(params) < len(pairs):
        names = [name for name, _ in pairs]
        for name in _ROUTING_PARAMS:
            if names.count(name) > 1:
                raise _repeated(name)
    return params


def _repeated(name: str) -> ServiceError:
    return ServiceError(
        "InvalidQueryParameter", f"The request must give the parameter {name} once: it is given more than once.",
        status=400,
    )


def _tree(params: dict[str, str]) -> Node:
    root: Node = {}
    for name, value in params.items():
        node = root
        for segment in name.split("."):
            node = node.setdefault(segment, {})
        node[_VALUE] = value
    return root


def _member_keys(name: str, member: Shape) -> tuple[str, ...]:
    keys = [wire_name(member, name)]
    if isinstance(member, ListShape) and member.serialization.get("flattened"):
        item_name = member.member.serialization.get("name")
        if item_name:
            keys.insert(0, str(item_name))
    return tuple(keys)


def _structure_of(members: list[tuple[str, tuple[str, ...], QueryConverter]]) -> QueryConverter:
    def convert(node: Node) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for name, keys, member in members:
            for key in keys:
                child = node.get(key)
                if child is not None:
                    value = member(child)
                    if value is not _ABSENT:
                        result[name] = value
                    break
        return result

    return convert


def _indexed(node: Node) -> list[Node]:
    """The children of `node` named 1, 2, 3, ... in index order."""
    try:
        numbered = sorted((int(key), child) for key, child in node.items() if isinstance(key, str))
    except ValueError:
        raise MalformedInput("non-numeric list index") from None
    return [child for _, child in numbered]


def _list_of(item_key: str | None, item: QueryConverter) -> QueryConverter:
    def convert(node: Node) -> Any:
        container = node if item_key is None else node.get(item_key, {})
        values = [item(child) for child in _indexed(container)]
        return [value for value in values if value is not _ABSENT]

    return convert


def _map_of(
    entry_key: str | None, key_name: str, key: QueryConverter, value_name: str, value: QueryConverter
) -> QueryConverter:
    def convert(node: Node) -> Any:
        container = node if entry_key is None else node.get(entry_key, {})
        result: dict[Any, Any] = {}
        for entry in _indexed(container):
            key_node, value_node = entry.get(key_name), entry.get(value_name)
            if key_node is None or value_node is None:
                raise MalformedInput("map entry without key or value")
            converted_key, converted_value = key(key_node), value(value_node)
            if converted_key is not _ABSENT and converted_value is not _ABSENT:
                result[converted_key] = converted_value
        return result

    return convert


def _scalar(from_text: Callable[[str], Any]) -> QueryConverter:
    def convert(node: Node) -> Any:
        text = node.get(_VALUE)
        # A name that only has children where a scalar belongs carries no value.
        return _ABSENT if text is None else from_text(text)

    return convert
