"""The IAM plugin object, and the resource ARNs operations declare for authorization.

IAM is global: an entity's ARN carries its account but no region, and every region sees the same
entities. Authorization needs an entity's full ARN, path included, so resolvers read the path of
an existing entity (and take it from the request when one is being created).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from strongroom.context import RequestContext
from strongroom.services.base import ResourceResolver, Service
from strongroom.services.iam.naming import entity_arn, name_key
from strongroom.services.iam.queries import transaction
from strongroom.services.iam.tables import IamGroup, IamRole, IamUser

service = Service("iam")

_TABLES: dict[str, Any] = {"user": IamUser, "group": IamGroup, "role": IamRole}


def _stored_path(ctx: RequestContext, kind: str, name: str) -> str:
    table = _TABLES[kind]
    with transaction(ctx) as session:
        path = session.scalar(
            select(table.path).where(table.account_id == ctx.account_id, table.name_key == name_key(name))
        )
    return path or "/"


def entity(kind: str, param: str = "", *, creating: bool = False) -> ResourceResolver:
    """The ARN of the user, group or role named by `param` (default: `<Kind>Name`).

    A user operation without a user name acts on the caller itself.
    """
    member = param or f"{kind.capitalize()}Name"

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        name = params.get(member)
        if name is None:
            assert ctx.principal is not None
            return [ctx.principal.arn]
        path = (params.get("Path") or "/") if creating else _stored_path(ctx, kind, name)
        return [entity_arn(ctx.account_id, kind, path, name)]

    return resolve


def listing(kind: str) -> ResourceResolver:
    """List operations are authorized on the account's kind prefix, e.g. `arn:aws:iam::ACCOUNT:user/`."""

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        prefix = params.get("PathPrefix") or "/"
        return [entity_arn(ctx.account_id, kind, prefix, "")]

    return resolve


def policy_arn(member: str = "PolicyArn") -> ResourceResolver:
    def resolve(_ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        return [params[member]]

    return resolve


def created_policy(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [entity_arn(ctx.account_id, "policy", params.get("Path") or "/", params["PolicyName"])]


def operation(name: str, resources: ResourceResolver | None = None) -> Callable[..., Any]:
    """Register an IAM operation (action `iam:<name>`)."""
    return service.operation(name, resources=resources)
