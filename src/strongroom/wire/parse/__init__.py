"""Request parsing: an HTTP request to (operation, input values) for any service, from its model.

`parse_request` picks the service's protocol (json, query, rest-json, rest-xml) and returns the
input as a boto3 caller passes it. Everything is derived from the botocore model and compiled once
per service; a request the parser cannot read raises the protocol's own `ServiceError`.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from botocore.model import OperationModel, ServiceModel, Shape

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpRequest
from strongroom.wire.parse._common import MalformedInput
from strongroom.wire.parse.json import JsonConverter, JsonReader, decode_json_object
from strongroom.wire.parse.query import QueryParser
from strongroom.wire.parse.rest import bind, build_routes, find_route
from strongroom.wire.parse.xml import XmlReader, parse_xml_document
from strongroom.wire.specs import protocol_of, target_prefixes

__all__ = ["parse_request"]

_MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"


class _Parser(Protocol):
    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]: ...


class JsonRpcParser:
    """The json protocol (1.0 and 1.1): `X-Amz-Target: <prefix>.<Operation>` and a JSON body."""

    def __init__(self, service: ServiceModel) -> None:
        self._targets: dict[str, OperationModel] = {}
        for name in service.operation_names:
            operation = service.operation_model(name)
            for prefix in target_prefixes(service) or ("",):
                self._targets[f"{prefix}.{operation.wire_name}"] = operation
        self._reader = JsonReader()
        # Target -> its operation and input converter, filled on first use (bounded by the targets above).
        self._plans: dict[str, tuple[OperationModel, JsonConverter | None]] = {}

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        target = request.headers.lowered.get("x-amz-target", "")
        plan = self._plans.get(target)
        if plan is None:
            plan = self._plan(target)
        operation, convert = plan
        try:
            body = decode_json_object(request.body)
            if convert is None:
                return operation, {}
            return operation, convert(body)
        except MalformedInput as exc:
            raise ServiceError("SerializationException", str(exc), status=400) from None

    def _plan(self, target: str) -> tuple[OperationModel, JsonConverter | None]:
        operation = self._targets.get(target)
        if operation is None:
            raise ServiceError("UnknownOperationException", None, status=400)
        shape = operation.input_shape
        plan = (operation, None if shape is None else self._reader.converter(shape))
        self._plans[target] = plan
        return plan


class RestParser:
    """rest-json and rest-xml: routing by method and URI template, members bound by location."""

    def __init__(self, service: ServiceModel, protocol: str) -> None:
        self._routes = build_routes(service)
        self._xml = protocol == "rest-xml"
        self._json_reader = JsonReader()
        self._xml_reader = XmlReader()

    def parse(self, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
        try:
            pairs = request.query_params()
        except ValueError:
            raise self._error("The query string is malformed.") from None
        found = find_route(self._routes, request, dict(pairs))
        if found is None:
            if self._xml:
                # S3 answers a method no route accepts with 405.
                raise ServiceError(
                    "MethodNotAllowed", "The specified method is not allowed against this resource.", status=405
                )
            raise ServiceError("UnknownOperationException", None, status=404)
        route, match = found
        body_parser = self._xml_body if self._xml else self._json_body
        try:
            return route.operation, bind(route, match, request, pairs, body_parser)
        except MalformedInput as exc:
            raise self._error(str(exc)) from None
        except UnicodeDecodeError:
            raise self._error("The request URI is not valid UTF-8.") from None

    def _error(self, message: str) -> ServiceError:
        if self._xml:
            return ServiceError("MalformedXML", _MALFORMED_XML, status=400)
        return ServiceError("SerializationException", message, status=400)

    def _json_body(self, body: bytes, payload: Shape | None, members: dict[str, Shape]) -> Any:
        value = decode_json_object(body)
        if payload is not None:
            return self._json_reader.converter(payload)(value)
        return self._json_reader.structure(members)(value)

    def _xml_body(self, body: bytes, payload: Shape | None, members: dict[str, Shape]) -> Any:
        root = parse_xml_document(body)
        if payload is not None:
            return self._xml_reader.converter(payload)(root)
        return self._xml_reader.structure(members)(root)


_parsers: dict[int, tuple[ServiceModel, _Parser]] = {}
_parsers_lock = threading.Lock()


def _parser_for(service: ServiceModel) -> _Parser:
    cached = _parsers.get(id(service))
    if cached is not None and cached[0] is service:
        return cached[1]
    with _parsers_lock:
        protocol = protocol_of(service)
        parser: _Parser
        if protocol == "json":
            parser = JsonRpcParser(service)
        elif protocol == "query":
            parser = QueryParser(service)
        elif protocol in ("rest-json", "rest-xml"):
            parser = RestParser(service, protocol)
        else:
            raise ValueError(f"unsupported protocol {protocol!r}")
        _parsers[id(service)] = (service, parser)
        return parser


def parse_request(service: ServiceModel, request: HttpRequest) -> tuple[OperationModel, dict[str, Any]]:
    """The operation `request` calls on `service`, and its input as boto3 callers pass it."""
    cached = _parsers.get(id(service))
    try:
        parser = cached[1] if cached is not None and cached[0] is service else _parser_for(service)
        return parser.parse(request)
    except ServiceError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, OverflowError, RecursionError):
        # A shape the plans did not foresee must still answer as bad input, never a 500.
        raise _unreadable(protocol_of(service)) from None


def _unreadable(protocol: str) -> ServiceError:
    if protocol == "query":
        return ServiceError("MalformedQueryString", "The query string contains a syntax error.", status=404)
    if protocol == "rest-xml":
        return ServiceError("MalformedXML", _MALFORMED_XML, status=400)
    return ServiceError("SerializationException", "The request could not be read.", status=400)
