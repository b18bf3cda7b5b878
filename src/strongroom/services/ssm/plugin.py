"""The SSM plugin object (Parameter Store's operations), and the resources each operation is authorized on.

Every parameter operation acts on the parameter's ARN; GetParametersByPath on the path's ARN, as AWS
authorizes it. Names are validated here, before authorization, as AWS validates them first.
"""

from __future__ import annotations

from typing import Any

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.base import ResourceResolver, Service
from strongroom.services.ssm.names import check_path, parameter_arn, parse_reference

service = Service("ssm")

# GetParameter reads its version from the worker's read cache (a few primary-key reads on a miss) and
# has KMS decrypt it (KMS's own key cache): on SQLite it runs on the event loop, saving two thread
# hand-offs. It never writes the store.
service.inline_operations = frozenset({"GetParameter"})

RESOURCE_TYPE = "AWS::SSM::Parameter"


def parameter_resource(member: str = "Name", *, selectors: bool = False) -> ResourceResolver:
    """The ARN of the parameter named by `member` (a name, an ARN, with a selector where reads allow one)."""

    def resolve(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
        reference = parse_reference(ctx, params[member], selectors=selectors)
        return [parameter_arn(ctx, reference.key, reference.account_id)]

    return resolve


def parameters_resource(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    """The ARNs of every well-formed name in `Names`; malformed ones are answered as invalid, not authorized."""
    arns: list[str] = []
    for name in params["Names"]:
        try:
            reference = parse_reference(ctx, name)
        except ServiceError:
            continue
        resource = parameter_arn(ctx, reference.key, reference.account_id)
        if resource not in arns:
            arns.append(resource)
    return arns or [parameter_arn(ctx, "/")]


def path_resource(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    path = check_path(params["Path"])
    return [parameter_arn(ctx, path)]


def tagged_resource(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    """Tagging operations name a parameter only with ResourceType Parameter; other types aren't served."""
    if params["ResourceType"] != "Parameter":
        raise ServiceError("InvalidResourceType", None)
    try:
        reference = parse_reference(ctx, params["ResourceId"], selectors=False)
    except ServiceError:
        raise ServiceError("InvalidResourceId", None) from None
    return [parameter_arn(ctx, reference.key, reference.account_id)]


def note_parameter(ctx: RequestContext, resource_arn: str) -> None:
    """Record a parameter in the request's audit resources (once)."""
    entry = {"accountId": resource_arn.split(":")[4], "type": RESOURCE_TYPE, "ARN": resource_arn}
    if entry not in ctx.resources:
        ctx.resources.append(entry)

