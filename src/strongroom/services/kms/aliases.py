"""Aliases: CreateAlias, UpdateAlias, DeleteAlias, ListAliases.

An alias lives in one account and region and points at one key there; `alias/aws/` names are
AWS's own and cannot be created, changed or deleted by customers.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.kms.metadata import aware
from strongroom.services.kms.plugin import key_resource, service
from strongroom.services.kms.states import OperationClass, check_state
from strongroom.services.kms.store import alias_arn, note_key, page, resolve_key, transaction
from strongroom.services.kms.tables import KmsAlias, KmsKey

ALIAS_PREFIX = "alias/"
RESERVED_PREFIX = "alias/aws/"
MAX_ALIASES_PER_KEY = 50
# What an alias name may hold (AWS's documented set: letters, digits, "/", "_" and "-").
_ALIAS_CHARACTERS = re.compile(r"alias/[A-Za-z0-9/_-]+")


def _check_name(name: str) -> None:
    if not name.startswith(ALIAS_PREFIX):
        raise ServiceError(
            "ValidationException",
            'Alias must start with the prefix "alias/". Please see '
            "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        )
    if not _ALIAS_CHARACTERS.fullmatch(name):
        # The model's pattern admits ":", which AWS refuses in an alias name.
        raise ServiceError("ValidationException", f"{name} contains invalid characters for an alias")
    if name.startswith(RESERVED_PREFIX):
        raise ServiceError("InvalidAliasNameException",
                           f"{name} must not begin with {RESERVED_PREFIX}")


def _alias_resource(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return [alias_arn(ctx.region, ctx.account_id, params["AliasName"])]


def _alias_and_target(ctx: RequestContext, params: dict[str, Any]) -> list[str]:
    return _alias_resource(ctx, params) + key_resource("TargetKeyId")(ctx, params)


def _aliases_of(session: Session, key: KmsKey) -> int:
    return int(session.scalar(select(func.count()).select_from(KmsAlias).where(
        KmsAlias.account_id == key.account_id, KmsAlias.region == key.region, KmsAlias.key_id == key.key_id
    )) or 0)


def _target(ctx: RequestContext, session: Session, reference: str) -> KmsKey:
    key = resolve_key(ctx, session, reference)
    note_key(ctx, key)
    check_state(key.arn, key.state, OperationClass.MANAGE)
    if key.account_id != ctx.account_id:
        # An alias and its key are always in the same account.
        raise ServiceError("NotFoundException", f"Key '{key.arn}' does not exist")
    if _aliases_of(session, key) >= MAX_ALIASES_PER_KEY:
        raise ServiceError("LimitExceededException", f"The number of aliases for {key.arn} has reached the limit.")
    return key


def _existing(ctx: RequestContext, session: Session, name: str) -> KmsAlias:
    alias = session.get(KmsAlias, (ctx.account_id, ctx.region, name))
    if alias is None:
        raise ServiceError("NotFoundException", f"Alias {alias_arn(ctx.region, ctx.account_id, name)} is not found.")
    return alias


@service.operation("CreateAlias", resources=_alias_and_target)
def create_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name)
    exists = ServiceError(
        "AlreadyExistsException", f"An alias with the name {alias_arn(ctx.region, ctx.account_id, name)} already exists"
    )
    try:
        with transaction(ctx) as session:
            key = _target(ctx, session, params["TargetKeyId"])
            if session.get(KmsAlias, (ctx.account_id, ctx.region, name)) is not None:
                raise exists
            now = ctx.clock.now()
            session.add(KmsAlias(account_id=ctx.account_id, region=ctx.region, alias_name=name, key_id=key.key_id,
                                 created_at=now, updated_at=now))
    except IntegrityError:
        raise exists from None  # created by a concurrent request since our check
    return {}


@service.operation("UpdateAlias", resources=_alias_and_target)
def update_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name)
    with transaction(ctx) as session:
        alias = _existing(ctx, session, name)
        key = _target(ctx, session, params["TargetKeyId"])
        current = session.get(KmsKey, (ctx.account_id, ctx.region, alias.key_id))
        # The new target must be able to do what the old one did: same usage, same kind of key.
        if current is not None and (
            current.key_usage != key.key_usage or (current.key_spec == "SYMMETRIC_DEFAULT") != (
                key.key_spec == "SYMMETRIC_DEFAULT")
        ):
            raise ServiceError(
                "ValidationException",
                f"{key.arn} key usage or key spec type is not compatible with the current target of {name}.",
            )
        alias.key_id = key.key_id
        alias.updated_at = ctx.clock.now()
    return {}


@service.operation("DeleteAlias", resources=_alias_resource)
def delete_alias(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["AliasName"]
    _check_name(name)
    with transaction(ctx) as session:
        session.delete(_existing(ctx, session, name))
    return {}


@service.operation("ListAliases", resources=key_resource())
def list_aliases(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    query = select(KmsAlias).where(KmsAlias.account_id == ctx.account_id, KmsAlias.region == ctx.region)
    with transaction(ctx) as session:
        if params.get("KeyId") is not None:
            key = resolve_key(ctx, session, params["KeyId"])
            note_key(ctx, key)
            query = query.where(KmsAlias.key_id == key.key_id)
        rows, paging = page(session, query, KmsAlias.alias_name, params.get("Limit", 50), params.get("Marker"))
    return {
        "Aliases": [
            {
                "AliasName": row.alias_name,
                "AliasArn": alias_arn(ctx.region, ctx.account_id, row.alias_name),
                "TargetKeyId": row.key_id,
                "CreationDate": aware(row.created_at),
                "LastUpdatedDate": aware(row.updated_at),
            }
            for row in rows
        ],
        **paging,
    }
