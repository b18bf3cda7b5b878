"""GetSessionToken: temporary credentials that act as the calling user (or account root) itself.

No permission is needed: the call only trades long-term credentials for short-lived ones. The
session has exactly the user's permissions, read live on each request. Expired sessions are
purged by a scheduled task, some time after they stop working.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from strongroom.auth.sessions import SessionGrant, session_store
from strongroom.context import RequestContext
from strongroom.runtime import Runtime
from strongroom.services.sts.plugin import access_denied, credentials_shape, issue_session, no_resources, service

USER_DEFAULT_DURATION = 43200
ROOT_MAX_DURATION = 3600


@service.operation("GetSessionToken", resources=no_resources)
def get_session_token(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    caller = ctx.principal
    assert caller is not None and ctx.runtime is not None
    if caller.is_session:
        raise access_denied("Cannot call GetSessionToken with session credentials")
    if params.get("SerialNumber") is not None or params.get("TokenCode") is not None:
        # Strongroom keeps no MFA devices, so no code can be checked.
        raise access_denied("MultiFactorAuthentication failed with invalid MFA one time pass code. ")
    duration = params.get("DurationSeconds")
    if caller.is_root:
        # The root's sessions last at most an hour; a longer request gets an hour, not an error.
        duration = min(duration or ROOT_MAX_DURATION, ROOT_MAX_DURATION)
    issued = issue_session(ctx, SessionGrant(
        account_id=caller.account_id,
        principal_type=caller.type,
        principal_arn=caller.arn,
        principal_id=caller.user_id,
        user_name=caller.user_name,
        duration=timedelta(seconds=duration or USER_DEFAULT_DURATION),
        minimum_token_size=params.get("MinimumSessionTokenSize") or 0,
    ))
    return {"Credentials": credentials_shape(issued)}


@service.task("purge-expired-sessions")
def purge_expired_sessions(runtime: Runtime) -> None:
    session_store(runtime).purge_expired(runtime.clock.now())
