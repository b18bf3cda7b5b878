"""AWS STS: who am I, and (with IAM) temporary credentials."""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.services.base import Service

service = Service("sts")


@service.operation("GetCallerIdentity")
def get_caller_identity(ctx: RequestContext, _params: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    assert principal is not None  # the request path authenticates before any handler runs
    return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}
