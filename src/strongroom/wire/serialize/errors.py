"""What the model says about an error: its shape, HTTP status, query-protocol code and message member."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.model import ServiceModel, StructureShape

from strongroom.errors import ServiceError
from strongroom.wire.serialize.cache import PerService

_DEFAULT_STATUS = 400


def _build_error_table(service: ServiceModel) -> dict[str, StructureShape]:
    shapes = [shape for shape in service.error_shapes if isinstance(shape, StructureShape)]
    table: dict[str, StructureShape] = {shape.name: shape for shape in shapes}
    for shape in shapes:
        # Query services' errors are also raised by their wire code (e.g. IAM's "NoSuchEntity").
        wire_code = shape.metadata.get("error", {}).get("code")
        if wire_code:
            table.setdefault(wire_code, shape)
    return table


_error_table = PerService(_build_error_table)


def error_shape(service: ServiceModel, code: str) -> StructureShape | None:
    """The modeled error shape for `code` (its shape name, or its query wire code), if any."""
    return _error_table(service).get(code)


@dataclass(frozen=True)
class ErrorFacts:
    """One error as it goes on the wire, the model's defaults applied."""

    shape: StructureShape | None
    status: int
    # The shape name: what JSON and REST protocols send.
    code: str
    # The awsQueryError code when modeled: what the query protocol sends.
    query_code: str
    message_member: str | None
    members: dict[str, Any]


def message_member_name(shape: StructureShape | None) -> str | None:
    """The name of the shape's own message member (`message`, `Message`...), if it has one."""
    if shape is None:
        return None
    for name in shape.members:
        if name.lower() == "message":
            return str(name)
    return None


def resolve(service: ServiceModel, error: ServiceError) -> ErrorFacts:
    """Status, wire code and member values of `error` according to the model."""
    shape = error_shape(service, error.code)
    modeled: dict[str, Any] = shape.metadata.get("error", {}) if shape is not None else {}
    status = error.status or modeled.get("httpStatusCode") or _DEFAULT_STATUS
    code = error.code if shape is None else shape.name
    member = message_member_name(shape)
    members = {name: value for name, value in error.fields.items() if value is not None and name != member}
    return ErrorFacts(
        shape=shape,
        status=int(status),
        code=code,
        query_code=str(modeled.get("code") or code),
        message_member=member,
        members=members,
    )
