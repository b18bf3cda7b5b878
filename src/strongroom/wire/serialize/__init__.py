"""Responses and errors written in the service's own AWS protocol: json, query, rest-json or rest-xml.

Everything is driven by the botocore model of the service: member names, locations, formats and error
codes. Plans are compiled once per shape and cached, because every response passes through here.
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize.awsjson import json_error, json_response
from strongroom.wire.serialize.query import query_error, query_response
from strongroom.wire.serialize.rest import rest_json_error, rest_response, rest_xml_error
from strongroom.wire.specs import protocol_of

__all__ = ["serialize_error", "serialize_response"]


def _unsupported(service: ServiceModel) -> ServiceError:
    return ServiceError(
        "InternalFailure",
        f"The {protocol_of(service)} protocol is not supported.",
        status=500,
        sender_fault=False,
    )


def serialize_response(
    service: ServiceModel, operation: OperationModel, output: dict[str, Any], request_id: str
) -> HttpResponse:
    """The HTTP response carrying `output` (values as boto3 returns them; None members are omitted)."""
    protocol = protocol_of(service)
    if protocol == "json":
        return json_response(service, operation, output, request_id)
    if protocol == "query":
        return query_response(service, operation, output, request_id)
    if protocol == "rest-json":
        return rest_response(service, operation, output, request_id, xml=False)
    if protocol == "rest-xml":
        return rest_response(service, operation, output, request_id, xml=True)
    raise _unsupported(service)


def serialize_error(
    service: ServiceModel, operation: OperationModel | None, error: ServiceError, request_id: str
) -> HttpResponse:
    """The HTTP error response for `error`, its status and code taken from the model when not given."""
    protocol = protocol_of(service)
    if protocol == "query":
        return query_error(service, error, request_id)
    if protocol == "rest-json":
        return rest_json_error(service, operation, error, request_id)
    if protocol == "rest-xml":
        return rest_xml_error(service, operation, error, request_id)
    # json, and the fallback for anything else: a JSON error every client can at least read.
    return json_error(service, error, request_id)
