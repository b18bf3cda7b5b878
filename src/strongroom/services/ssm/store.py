"""Access to Parameter Store's tables: transactions, lookups by key, versions and labels, paging tokens."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError

# Re-exported: the service's modules take the request's runtime and transaction from here.
from strongroom.services.request_store import runtime_of as runtime_of
from strongroom.services.request_store import transaction as transaction
from strongroom.services.ssm.tables import SsmParameter, SsmParameterLabel, SsmParameterVersion

INVALID_TOKEN = "The specified token isn't valid."  # noqa: S105 (a message, not a secret)


def caller_arn(ctx: RequestContext) -> str:
    assert ctx.principal is not None
    return ctx.principal.arn


def find_parameter(session: Session, account_id: str, region: str, key: str) -> SsmParameter | None:
    return session.get(SsmParameter, (account_id, region, key))


def not_found(message: str = "") -> ServiceError:
    # AWS answers GetParameter and DeleteParameter on a missing parameter with an empty message.
    return ServiceError("ParameterNotFound", message)


def version_not_found(selector: str, display_name: str) -> ServiceError:
    return ServiceError(
        "ParameterVersionNotFound",
        f"Systems Manager could not find version {selector} of {display_name}. Verify the version and try again.",
    )


def version_row(session: Session, parameter: SsmParameter, version: int) -> SsmParameterVersion | None:
    # Versions are 1 up to the latest: any other number names none (and a 64-bit one would not even fit
    # the column PostgreSQL compares it with).
    if not 0 < version <= parameter.version:
        return None
    return session.get(SsmParameterVersion, (parameter.account_id, parameter.region, parameter.name, version))


def labels_by_version(session: Session, parameter: SsmParameter) -> dict[int, list[str]]:
    rows = session.scalars(select(SsmParameterLabel).where(
        SsmParameterLabel.account_id == parameter.account_id, SsmParameterLabel.region == parameter.region,
        SsmParameterLabel.name == parameter.name,
    ).order_by(SsmParameterLabel.label))
    found: dict[int, list[str]] = {}
    for row in rows:
        found.setdefault(row.version, []).append(row.label)
    return found


def label_row(session: Session, parameter: SsmParameter, label: str) -> SsmParameterLabel | None:
    return session.get(SsmParameterLabel, (parameter.account_id, parameter.region, parameter.name, label))


def encode_token(position: str) -> str:
    return base64.urlsafe_b64encode(position.encode()).decode()


def decode_token(token: str | None) -> str | None:
    if token is None:
        return None
    try:
        position = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ServiceError("InvalidNextToken", INVALID_TOKEN) from None
    if not position:
        raise ServiceError("InvalidNextToken", INVALID_TOKEN)
    return position


def aware(when: datetime) -> datetime:
    """SQLite gives back naive datetimes; every stored time is UTC."""
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
