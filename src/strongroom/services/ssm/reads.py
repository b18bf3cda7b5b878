"""GetParameter, GetParameters and GetParameterHistory, and how any read renders a parameter version.

Rows are read first and SecureStrings decrypted after (KMS has its own reads). Without
WithDecryption a SecureString's Value is its ciphertext, base64, as AWS shows it. GetParameter finds
its version in the worker's read cache first (see read_cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.request_store import reading
from strongroom.services.ssm import policies, secure
from strongroom.services.ssm.names import Reference, parameter_arn_in, parse_reference
from strongroom.services.ssm.plugin import note_parameter, parameter_resource, parameters_resource, service
from strongroom.services.ssm.read_cache import (
    StoredVersion,
    cached_version,
    find_version,
    keep_version,
    lookup_of,
)
from strongroom.services.ssm.store import (
    decode_token,
    encode_token,
    find_parameter,
    labels_by_version,
    not_found,
    transaction,
)
from strongroom.services.ssm.tables import SsmParameter, SsmParameterVersion

SECRETS_REFERENCE = "/aws/reference/secretsmanager/"
HISTORY_PAGE = 50


@dataclass
class Rendered:
    """A version as a read answers it, its Value still to be filled in after the transaction."""

    output: dict[str, Any]
    stored: StoredVersion

    @property
    def arn(self) -> str:
        return self.stored.arn


def render(parameter: SsmParameter, row: SsmParameterVersion, name: str) -> Rendered:
    return render_stored(StoredVersion.of(parameter, row), name)


def render_stored(stored: StoredVersion, name: str) -> Rendered:
    output = {"Name": name, "Type": stored.type, "Version": stored.version, "LastModifiedDate": stored.modified_at,
              "ARN": stored.arn, "DataType": stored.data_type}
    return Rendered(output, stored)


def fill_value(ctx: RequestContext, rendered: Rendered, with_decryption: bool) -> dict[str, Any]:
    stored = rendered.stored
    if stored.sealed_value is None:
        rendered.output["Value"] = stored.value or ""
        return rendered.output
    blob = secure.unseal(ctx, stored.sealed_value, stored.locator)
    rendered.output["Value"] = secure.decrypt(ctx, blob, stored.arn) if with_decryption \
        else secure.ciphertext_text(blob)
    return rendered.output


def _check_secrets_reference(reference: Reference, with_decryption: bool) -> None:
    # Secrets Manager references are answered only once Secrets Manager is served; until then, not found.
    if reference.key.startswith(SECRETS_REFERENCE):
        if not with_decryption:
            raise ServiceError("ValidationException",
                               "WithDecryption flag must be True for retrieving a Secret Manager secret.")
        raise not_found()


@service.operation("GetParameter", resources=parameter_resource(selectors=True))
def get_parameter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with_decryption = bool(params.get("WithDecryption", False))
    reference = parse_reference(ctx, params["Name"])
    _check_secrets_reference(reference, with_decryption)
    lookup = lookup_of(ctx, reference)
    stored = cached_version(ctx, lookup)
    if stored is None:
        with reading(ctx) as connection:
            stored = find_version(connection, ctx, reference)
        keep_version(ctx, lookup, stored)
    rendered = render_stored(stored, reference.asked)
    note_parameter(ctx, rendered.arn)
    if reference.selector:
        rendered.output["Selector"] = reference.selector
    return {"Parameter": fill_value(ctx, rendered, with_decryption)}


@service.operation("GetParameters", resources=parameters_resource)
def get_parameters(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with_decryption = bool(params.get("WithDecryption", False))
    found: list[Rendered] = []
    invalid: list[str] = []
    with reading(ctx) as connection:
        for name in dict.fromkeys(params["Names"]):
            try:
                reference = parse_reference(ctx, name)
                stored = find_version(connection, ctx, reference)
            except ServiceError:
                invalid.append(name)
                continue
            rendered = render_stored(stored, reference.asked)
            if reference.selector:
                rendered.output["Selector"] = reference.selector
            found.append(rendered)
    for rendered in found:
        note_parameter(ctx, rendered.arn)
    return {"Parameters": [fill_value(ctx, rendered, with_decryption) for rendered in found],
            "InvalidParameters": sorted(invalid)}


@service.operation("GetParameterHistory", resources=parameter_resource())
def get_parameter_history(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with_decryption = bool(params.get("WithDecryption", False))
    reference = parse_reference(ctx, params["Name"], selectors=False)
    limit = params.get("MaxResults", HISTORY_PAGE)
    after = _version_token(params.get("NextToken"))
    with transaction(ctx) as session:
        parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
        if parameter is None:
            raise not_found(f"Parameter {reference.asked} not found.")
        rows = list(session.scalars(select(SsmParameterVersion).where(
            SsmParameterVersion.account_id == parameter.account_id, SsmParameterVersion.region == parameter.region,
            SsmParameterVersion.name == parameter.name, SsmParameterVersion.version > after,
        ).order_by(SsmParameterVersion.version).limit(limit + 1)))
        labels = labels_by_version(session, parameter)
        history = []
        for row in rows[:limit]:
            rendered = render(parameter, row, reference.asked)
            del rendered.output["ARN"]
            rendered.output.update(_history_members(session, parameter, row, labels.get(row.version)))
            history.append(rendered)
    note_parameter(ctx, parameter_arn_in(parameter.region, parameter.account_id, parameter.name))
    result: dict[str, Any] = {"Parameters": [fill_value(ctx, rendered, with_decryption) for rendered in history]}
    if len(rows) > limit:
        result["NextToken"] = encode_token(str(rows[limit - 1].version))
    return result


def _history_members(
    session: Session, parameter: SsmParameter, row: SsmParameterVersion, labels: list[str] | None
) -> dict[str, Any]:
    members: dict[str, Any] = {"LastModifiedUser": row.modified_by, "Tier": row.tier,
                               "Policies": policies.statuses(session, parameter, row.policies)}
    for member, value in (("KeyId", row.key_id), ("Description", row.description),
                          ("AllowedPattern", row.allowed_pattern)):
        if value is not None:
            members[member] = value
    members["Labels"] = labels or []  # AWS lists every version's labels, none as []
    return members


def _version_token(token: str | None) -> int:
    position = decode_token(token)
    if position is None:
        return 0
    if not position.isdigit():
        raise ServiceError("InvalidNextToken", "The specified token isn't valid.")
    return int(position)
