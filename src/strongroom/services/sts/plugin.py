"""The STS plugin object and what its operations share: errors, and credentials as STS answers them."""

from __future__ import annotations

from typing import Any

from strongroom.auth.sessions import IssuedSession, SessionGrant, session_store
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.base import Service
from strongroom.services.request_store import runtime_of, transaction

service = Service("sts")


def no_resources(_ctx: RequestContext, _params: dict[str, Any]) -> list[str]:
    """Nothing for the request path to authorize: the handler decides (or nothing is needed)."""
    return []


def access_denied(message: str) -> ServiceError:
    return ServiceError("AccessDenied", message, status=403)


def validation_error(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, status=400)


def packed_policy_too_large(percent: int) -> ServiceError:
    return ServiceError(
        "PackedPolicyTooLarge",
        f"Packed policy consumes {percent}% of allotted space, please use smaller policy for full session.",
        status=400,
    )


def credentials_shape(issued: IssuedSession) -> dict[str, Any]:
    return {
        "AccessKeyId": issued.access_key_id,
        "SecretAccessKey": issued.secret_access_key,
        "SessionToken": issued.session_token,
        "Expiration": issued.expires_at,
    }


def issue_session(ctx: RequestContext, grant: SessionGrant) -> IssuedSession:
    """New temporary credentials, stored in the request's transaction (committed with its record)."""
    with transaction(ctx) as session:
        return session_store(runtime_of(ctx)).issue(grant, ctx.clock.now().replace(microsecond=0), session)
