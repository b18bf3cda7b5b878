"""What a new role session carries besides its role: session policies, session tags, their packed size."""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.auth.policy import MalformedPolicy, PolicyDocument, PolicyKind
from strongroom.auth.principal import Principal
from strongroom.errors import ServiceError
from strongroom.services.iam.tables import IamManagedPolicy, IamPolicyVersion

MAX_POLICY_ARNS = 10
MAX_SESSION_TAGS = 50
# Our measure of the space session policies and tags take in a session: their compressed form
# against this many bytes (AWS packs them into its token and reports the share used likewise).
PACKED_LIMIT = 2048


def _invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValue", message, status=400)


def session_policies(session: Session, role_account: str, params: Mapping[str, Any]) -> tuple[str, ...] | None:
    """The texts of the inline `Policy` and of each `PolicyArns` managed policy; None when neither is given.

    Managed session policies must be in the role's account; their default version is taken.
    """
    inline = params.get("Policy")
    arns = [entry["arn"] for entry in params.get("PolicyArns") or [] if entry.get("arn")]
    if inline is None and not arns:
        return None
    if len(arns) > MAX_POLICY_ARNS:
        raise _invalid(f"The number of policy ARNs exceeds the limit of {MAX_POLICY_ARNS}.")
    texts: list[str] = []
    if inline is not None:
        try:
            PolicyDocument.parse(inline, kind=PolicyKind.SESSION)
        except MalformedPolicy as problem:
            raise ServiceError("MalformedPolicyDocument", problem.reason, status=400) from None
        texts.append(inline)
    for arn in arns:
        row = session.execute(
            select(IamPolicyVersion.document)
            .join(
                IamManagedPolicy,
                (IamManagedPolicy.policy_id == IamPolicyVersion.policy_id)
                & (IamManagedPolicy.default_version_id == IamPolicyVersion.version_id),
            )
            .where(IamManagedPolicy.arn == arn, IamManagedPolicy.account_id == role_account)
        ).first()
        if row is None:
            raise _invalid(f"The policy {arn} does not exist or is not attachable.")
        texts.append(row[0])
    return tuple(texts)


def session_tags(
    caller: Principal, role_tags: Sequence[Mapping[str, str]], params: Mapping[str, Any]
) -> tuple[dict[str, str], tuple[str, ...]]:
    """The new session's principal tags and its transitive tag keys.

    Tag keys compare without regard to case. Session tags override the role's own tags; tags a
    calling session passes on as transitive are inherited and may not be passed again.
    """
    given = params.get("Tags") or []
    if len(given) > MAX_SESSION_TAGS:
        raise _invalid(f"The number of session tags exceeds the limit of {MAX_SESSION_TAGS}.")
    requested: dict[str, tuple[str, str]] = {}
    for tag in given:
        lowered = tag["Key"].lower()
        if lowered in requested:
            raise _invalid("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
        requested[lowered] = (tag["Key"], tag["Value"])
    inherited = {key.lower(): (key, caller.tags[key]) for key in caller.transitive_tag_keys if key in caller.tags}
    clash = sorted(set(inherited) & set(requested))
    if clash:
        raise _invalid(f"The session tag {inherited[clash[0]][0]} is already set as a transitive tag by the caller.")
    transitive: list[str] = [key for key, _value in inherited.values()]
    for key in params.get("TransitiveTagKeys") or []:
        if key.lower() not in requested:
            raise _invalid("The specified transitive tag key must be included in the requested tags.")
        transitive.append(requested[key.lower()][0])
    merged = {tag["Key"].lower(): (tag["Key"], tag["Value"]) for tag in role_tags}
    merged.update(inherited)
    merged.update(requested)
    return dict(merged.values()), tuple(transitive)


def packed_policy_size(params: Mapping[str, Any]) -> int | None:
    """The percentage of PACKED_LIMIT that the request's session policies and tags take; None without any."""
    arns = [entry.get("arn") for entry in params.get("PolicyArns") or []]
    tags = [[tag["Key"], tag["Value"]] for tag in params.get("Tags") or []]
    inline = params.get("Policy")
    if inline is None and not arns and not tags:
        return None
    # Inline policies count without their whitespace; managed ones only by their ARN.
    compact = orjson.dumps(orjson.loads(inline)).decode() if inline is not None else ""
    packed = zlib.compress(orjson.dumps([compact, arns, tags]), 9)
    return math.ceil(100 * len(packed) / PACKED_LIMIT)
