"""Versions and staging labels, moved exactly as AWS moves them.

- A label is on at most one version of a secret; putting it on a version takes it off any other.
- When AWSCURRENT moves, the version that had it gets AWSPREVIOUS (taken from wherever it was);
  AWSPENDING is never moved implicitly.
- A version without labels is deprecated; AWS keeps the 100 newest versions and every version from
  the last 24 hours, and removes deprecated ones beyond that.
"""

from __future__ import annotations

import base64
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.secretsmanager.envelope import open_value, seal_value
from strongroom.services.secretsmanager.store import (
    CURRENT,
    PREVIOUS,
    aware,
    now,
    secret_for,
    set_stages,
    stages_of,
    transaction,
    versions_of,
)
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion

MAX_VERSIONS_KEPT = 100
RECENT = timedelta(hours=24)
MAX_STAGES_PER_VERSION = 20
TOKEN_EXISTS_TEXT = "You can't modify an existing version, you can only create a new version."  # noqa: S105
BOTH_VALUES_TEXT = "You can't specify both a binary secret value and a string secret value in the same secret."


@dataclass(frozen=True)
class SecretValue:
    """A value as given: the member it came in and its bytes."""

    kind: str  # "string" | "binary"
    data: bytes

    def as_output(self) -> dict[str, Any]:
        if self.kind == "string":
            return {"SecretString": self.data.decode()}
        return {"SecretBinary": self.data}


def value_from(params: dict[str, Any], *, required: bool = False) -> SecretValue | None:
    """The SecretString or SecretBinary of a request (one of them), or None when neither is given."""
    text, binary = params.get("SecretString"), params.get("SecretBinary")
    if text is not None and binary is not None:
        raise ServiceError("InvalidParameterException", BOTH_VALUES_TEXT)
    if text is not None:
        return SecretValue("string", text.encode())
    if binary is not None:
        return SecretValue("binary", binary if isinstance(binary, bytes) else base64.b64decode(binary))
    if required:
        raise ServiceError("InvalidRequestException", "You must provide either SecretString or SecretBinary.")
    return None


def new_token(params: dict[str, Any]) -> str:
    return params.get("ClientRequestToken") or str(uuid.uuid4())


def read_version(ctx: RequestContext, secret: SmSecret, version: SmSecretVersion) -> SecretValue:
    data = open_value(ctx, account_id=secret.account_id, region=secret.region, secret_arn=secret.arn,
                      version_id=version.version_id, sealed=version.sealed_value)
    return SecretValue(version.value_kind, data)


def move_stage(versions: list[SmSecretVersion], stage: str, target: SmSecretVersion | None) -> None:
    """Put `stage` on `target` (None: on no version), taking it off the others; AWSCURRENT leaves AWSPREVIOUS."""
    holder = next((version for version in versions if stage in stages_of(version)), None)
    if holder is target:
        return
    if holder is not None:
        set_stages(holder, [label for label in stages_of(holder) if label != stage])
    if target is not None:
        set_stages(target, [*stages_of(target), stage])
    if stage == CURRENT and holder is not None and target is not None:
        move_stage(versions, PREVIOUS, holder)


def prune(session: Session, ctx: RequestContext, versions: list[SmSecretVersion]) -> None:
    """Remove deprecated versions beyond the 100 newest that are older than 24 hours."""
    cutoff = now(ctx) - RECENT
    for version in versions[MAX_VERSIONS_KEPT:]:
        if not stages_of(version) and aware(version.created_at) < cutoff:
            session.delete(version)


def check_stages(stages: list[str]) -> None:
    if len(stages) > MAX_STAGES_PER_VERSION:
        raise ServiceError("LimitExceededException", "A version can have at most 20 staging labels.")


def add_version(
    ctx: RequestContext, secret_id: str, token: str, value: SecretValue, stages: list[str] | None
) -> tuple[SmSecret, SmSecretVersion, bool]:
    """Store `value` as version `token` of the secret with `stages` (default AWSCURRENT).

    Answers (secret, version, created). The same token with the same value changes nothing; with
    another value it is ResourceExistsException. Encryption runs before the write transaction so no
    database transaction is held across KMS.
    """
    labels = list(dict.fromkeys(stages if stages is not None else [CURRENT]))
    check_stages(labels)
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, secret_id, replica_ok=False)
        existing = session.get(SmSecretVersion, (secret.arn, token))
        account_id, secret_arn, kms_key_id = secret.account_id, secret.arn, secret.kms_key_id
    if existing is not None:
        if read_version(ctx, secret, existing) != value:
            raise ServiceError("ResourceExistsException", TOKEN_EXISTS_TEXT)
        return secret, existing, False
    sealed = seal_value(ctx, account_id=account_id, secret_arn=secret_arn, version_id=token,
                        kms_key_id=kms_key_id, plaintext=value.data)
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, secret_id, replica_ok=False)
        if session.get(SmSecretVersion, (secret.arn, token)) is not None:
            raise ServiceError("ResourceExistsException", TOKEN_EXISTS_TEXT)
        moment = now(ctx)
        version = SmSecretVersion(
            secret_arn=secret.arn, version_id=token, stages="[]", value_kind=value.kind,
            kms_key_arn=sealed.key_arn, sealed_value=sealed.sealed, created_at=moment,
        )
        session.add(version)
        versions = [version, *versions_of(session, secret.arn)]
        for label in labels:
            move_stage(versions, label, version)
        prune(session, ctx, versions)
        secret.last_changed_at = moment
        if CURRENT in labels:
            note_value_change(secret, moment)
        session.flush()
        session.expunge_all()
    return secret, version, True


def note_value_change(secret: SmSecret, moment: Any) -> None:
    """A manual change of the current value counts as a rotation for the next rotation date."""
    from strongroom.services.secretsmanager.schedules import next_rotation

    if secret.rotation_enabled and secret.rotation_rules:
        secret.next_rotation_at = next_rotation(secret, moment)
