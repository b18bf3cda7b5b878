"""The one authorization gate every operation passes before its handler runs."""

from __future__ import annotations

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.wire.specs import protocol_of


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    return parts[4] if len(parts) == 6 and parts[0] == "arn" else None


def authorize(ctx: RequestContext, action: str, resources: list[str]) -> None:
    """Allow the call or raise AccessDenied.

    An account's root may do everything in its own account; identities with policies are
    decided by the policy engine.
    """
    principal = ctx.principal
    if principal is None:
        raise ServiceError("AccessDeniedException", "Missing principal", status=403)
    for resource in resources:
        owner = _account_of(resource)
        if principal.is_root and (resource == "*" or owner in (None, "", principal.account_id)):
            continue
        protocol = protocol_of(ctx.service) if ctx.service is not None else "json"
        # Query and REST services answer 403 AccessDenied; JSON services 400 AccessDeniedException.
        code, status = ("AccessDeniedException", 400) if protocol == "json" else ("AccessDenied", 403)
        if protocol == "rest-json":
            code = "AccessDeniedException"
        raise ServiceError(
            code,
            f"User: {principal.arn} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action",
            status=status,
        )
