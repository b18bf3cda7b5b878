"""GetCallerIdentity: who the credentials of the request belong to."""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.services.sts.plugin import no_resources, service


# Anyone may ask who they are: AWS requires no permission for it.
@service.operation("GetCallerIdentity", resources=no_resources)
def get_caller_identity(ctx: RequestContext, _params: dict[str, Any]) -> dict[str, Any]:
    principal = ctx.principal
    assert principal is not None  # the request path authenticates before any handler runs
    return {"UserId": principal.user_id, "Account": principal.account_id, "Arn": principal.arn}
