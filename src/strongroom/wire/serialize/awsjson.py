"""The json protocol (awsJson 1.0/1.1: KMS, Secrets Manager, SSM...): a JSON body, errors by `__type`."""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from strongroom.errors import ServiceError
from strongroom.wire.http import HttpResponse
from strongroom.wire.serialize.cache import PerService
from strongroom.wire.serialize.errors import ErrorFacts, resolve
from strongroom.wire.serialize.json_body import Converter, JsonPlanner, dump

planner = PerService(JsonPlanner)

# id(operation) -> (the operation, its output converter or None for no output shape, content type).
# The operation is kept in the value so its id cannot be reused; operations are per-model singletons,
# so this holds at most one entry per operation of the served models.
_response_plans: dict[int, tuple[OperationModel, Converter | None, str]] = {}


def _content_type(service: ServiceModel) -> str:
    return f"application/x-amz-json-{service.metadata.get('jsonVersion', '1.0')}"


def _response_plan(service: ServiceModel, operation: OperationModel) -> tuple[OperationModel, Converter | None, str]:
    shape = operation.output_shape
    convert = planner(service).structure(shape) if shape is not None else None
    plan = (operation, convert, _content_type(service))
    _response_plans[id(operation)] = plan
    return plan


def json_response(
    service: ServiceModel, operation: OperationModel, output: dict[str, Any], request_id: str
) -> HttpResponse:
    plan = _response_plans.get(id(operation))
    if plan is None or plan[0] is not operation:
        plan = _response_plan(service, operation)
    _, convert, content_type = plan
    body = dump(convert(output)) if convert is not None else b"{}"
    return HttpResponse(200, [("Content-Type", content_type), ("x-amzn-RequestId", request_id)], body)


def error_document(service: ServiceModel, facts: ErrorFacts, message: str | None) -> dict[str, Any]:
    """The JSON members of an error: its message (in the shape's own casing) and its other fields.

    Members bound to HTTP locations (rest-json headers) are left out: the caller places those.
    """
    document: dict[str, Any] = {}
    shape = facts.shape
    if message is not None:
        wire_name = "message"
        if facts.message_member is not None and shape is not None:
            wire_name = shape.members[facts.message_member].serialization.get("name", facts.message_member)
        document[wire_name] = message
    if facts.members:
        unmodeled = dict(facts.members)
        if shape is not None:
            document.update(planner(service).structure(shape, body_only=True)(facts.members))
            for name in shape.members:
                unmodeled.pop(name, None)
        document.update(unmodeled)
    return document


def json_error(service: ServiceModel, error: ServiceError, request_id: str) -> HttpResponse:
    facts = resolve(service, error)
    document = {"__type": facts.code, **error_document(service, facts, error.message)}
    headers = [("Content-Type", _content_type(service)), ("x-amzn-RequestId", request_id)]
    if "awsQueryCompatible" in service.metadata:
        # Services that moved from query to JSON also name the old query code, which their clients map back.
        fault = "Sender" if error.sender_fault else "Receiver"
        headers.append(("x-amzn-query-error", f"{facts.query_code};{fault}"))
    headers.extend(error.headers.items())
    return HttpResponse(facts.status, headers, dump(document))
