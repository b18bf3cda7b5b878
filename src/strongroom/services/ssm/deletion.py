"""DeleteParameter and DeleteParameters; deleting a parameter removes its versions, labels, tags and policies."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.ssm import events, policies
from strongroom.services.ssm.names import parameter_arn, parse_reference
from strongroom.services.ssm.plugin import note_parameter, parameter_resource, parameters_resource, service
from strongroom.services.ssm.store import find_parameter, not_found, transaction
from strongroom.services.ssm.tables import SsmParameter, SsmParameterLabel, SsmParameterTag, SsmParameterVersion


def delete_parameter(session: Session, parameter: SsmParameter, arn: str, now: datetime) -> None:
    """Remove the parameter and everything it holds, and say so on the event bus."""
    scope = (parameter.account_id, parameter.region, parameter.name)
    for table in (SsmParameterVersion, SsmParameterLabel, SsmParameterTag):
        session.execute(delete(table).where(
            table.account_id == scope[0], table.region == scope[1], table.name == scope[2],
        ))
    policies.forget(session, *scope)
    events.parameter_changed(session, parameter, arn, "Delete", now)
    session.delete(parameter)


@service.operation("DeleteParameter", resources=parameter_resource())
def delete_one(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    reference = parse_reference(ctx, params["Name"], selectors=False)
    arn = parameter_arn(ctx, reference.key, reference.account_id)
    note_parameter(ctx, arn)
    with transaction(ctx) as session:
        parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
        if parameter is None:
            raise not_found()
        delete_parameter(session, parameter, arn, ctx.clock.now())
    return {}


@service.operation("DeleteParameters", resources=parameters_resource)
def delete_many(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    deleted: list[str] = []
    invalid: list[str] = []
    now = ctx.clock.now()
    with transaction(ctx) as session:
        for name in dict.fromkeys(params["Names"]):
            try:
                reference = parse_reference(ctx, name, selectors=False)
            except ServiceError:
                invalid.append(name)
                continue
            parameter = find_parameter(session, reference.account_id, ctx.region, reference.key)
            if parameter is None:
                invalid.append(name)
                continue
            arn = parameter_arn(ctx, reference.key, reference.account_id)
            note_parameter(ctx, arn)
            delete_parameter(session, parameter, arn, now)
            deleted.append(name)
    return {"DeletedParameters": deleted, "InvalidParameters": invalid}
