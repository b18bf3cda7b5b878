"""Access to Secrets Manager's tables: transactions, finding a secret as AWS does, labels, AWS's common errors.

A SecretId is a name, a full ARN (`...:secret:NAME-xxxxxx`) or a partial ARN (without the suffix).
Only a full ARN may name a secret of another account (cross-account access under its policy).
"""

from __future__ import annotations

import json
import re
import secrets
import string
from datetime import UTC, datetime
from typing import Any, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import arn

# Re-exported: the service's modules take the request's runtime and transaction from here.
from strongroom.services.request_store import after_commit as after_commit
from strongroom.services.request_store import runtime_of as runtime_of
from strongroom.services.request_store import transaction as transaction
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion

CURRENT = "AWSCURRENT"
PENDING = "AWSPENDING"
PREVIOUS = "AWSPREVIOUS"

NOT_FOUND_TEXT = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION_TEXT = "You can't perform this operation on the secret because it was marked for deletion."
REPLICA_TEXT = "Operation is not permitted on a replica secret. Call must be made in primary secret's region."

_SECRET_ARN = re.compile(r"arn:(aws[a-z-]*):secretsmanager:([a-z0-9-]+):(\d{12}):secret:(.+)")
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}")
_SUFFIX_ALPHABET = string.ascii_letters + string.digits


def now(ctx: RequestContext) -> datetime:
    return ctx.clock.now()


def new_secret_arn(region: str, account_id: str, name: str) -> str:
    suffix = "".join(secrets.choice(_SUFFIX_ALPHABET) for _ in range(6))
    return arn("secretsmanager", region, account_id, f"secret:{name}-{suffix}")


def replica_arn(primary_arn: str, region: str) -> str:
    """A replica keeps its primary's name and suffix, in its own region."""
    parts = primary_arn.split(":", 5)
    return arn("secretsmanager", region, parts[4], parts[5])


def not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", NOT_FOUND_TEXT)


def invalid_request(message: str, *, keeps_changes: bool = False) -> ServiceError:
    return ServiceError("InvalidRequestException", message, keeps_changes=keeps_changes)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message)


# How a SecretId may name a secret, tried in order: a full ARN (str), or a primary key
# (account, region, name).
SecretLookup = str | tuple[str, str, str]


def secret_lookups(ctx: RequestContext, secret_id: str) -> list[SecretLookup]:
    """The ways `secret_id` may name a secret in the caller's region, in the order AWS tries them."""
    match = _SECRET_ARN.fullmatch(secret_id)
    if match is None:
        return [(ctx.account_id, ctx.region, secret_id)]
    _partition, region, account_id, rest = match.groups()
    if region != ctx.region:
        return []
    # Else a partial ARN: the name without the six-character suffix.
    return [secret_id, (account_id, region, rest)]


def find_secret(session: Session, ctx: RequestContext, secret_id: str) -> SmSecret | None:
    """The secret `secret_id` names in the caller's region, deleted or not; None when there is none."""
    for lookup in secret_lookups(ctx, secret_id):
        if isinstance(lookup, str):
            found = session.scalar(select(SmSecret).where(SmSecret.arn == lookup))
        else:
            found = session.get(SmSecret, lookup)
        if found is not None:
            return found
    return None


def owner_of(ctx: RequestContext, secret_id: str) -> str:
    """The account a SecretId names: its ARN's, else the caller's."""
    match = _SECRET_ARN.fullmatch(secret_id)
    return match.group(3) if match else ctx.account_id


def secret_for(
    session: Session, ctx: RequestContext, secret_id: str, *, deleted_ok: bool = False, replica_ok: bool = True
) -> SmSecret:
    """The secret `secret_id` names, or AWS's error for a missing, deleted (unless allowed) or replica secret."""
    secret = find_secret(session, ctx, secret_id)
    if secret is None:
        raise not_found()
    if secret.deleted_at is not None and not deleted_ok:
        raise invalid_request(MARKED_FOR_DELETION_TEXT)
    if secret.primary_region is not None and not replica_ok:
        raise invalid_request(REPLICA_TEXT)
    note_secret(ctx, secret)
    return secret


def note_secret(ctx: RequestContext, secret: SmSecret) -> None:
    note_secret_arn(ctx, secret.account_id, secret.arn)


def note_secret_arn(ctx: RequestContext, account_id: str, secret_arn: str) -> None:
    """Record a secret in the request's audit resources (once)."""
    entry = {"accountId": account_id, "type": "AWS::SecretsManager::Secret", "ARN": secret_arn}
    if entry not in ctx.resources:
        ctx.resources.append(entry)


def versions_of(session: Session, secret_arn: str) -> list[SmSecretVersion]:
    """The secret's versions, newest first."""
    return list(session.scalars(
        select(SmSecretVersion)
        .where(SmSecretVersion.secret_arn == secret_arn)
        .order_by(SmSecretVersion.created_at.desc(), SmSecretVersion.version_id)
    ))


def stages_of(version: SmSecretVersion) -> list[str]:
    stages: list[str] = json.loads(version.stages)
    return stages


def set_stages(version: SmSecretVersion, stages: list[str]) -> None:
    version.stages = json.dumps(stages)


def version_with_stage(versions: list[SmSecretVersion], stage: str) -> SmSecretVersion | None:
    return next((version for version in versions if stage in stages_of(version)), None)


def tags_of(secret: SmSecret) -> list[dict[str, str]]:
    tags: list[dict[str, str]] = json.loads(secret.tags)
    return tags


def rules_of(secret: SmSecret) -> dict[str, Any] | None:
    return json.loads(secret.rotation_rules) if secret.rotation_rules else None


def aware(moment: datetime) -> datetime:
    """Stored times come back without a zone from SQLite; they are all UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@overload
def day_of(moment: datetime) -> datetime: ...


@overload
def day_of(moment: datetime | None) -> datetime | None: ...


def day_of(moment: datetime | None) -> datetime | None:
    """AWS answers access dates to the day."""
    if moment is None:
        return None
    return aware(moment).replace(hour=0, minute=0, second=0, microsecond=0)


def strip_suffix(name_with_suffix: str) -> str:
    return name_with_suffix[:-7] if _SUFFIX.fullmatch(name_with_suffix[-7:]) else name_with_suffix
