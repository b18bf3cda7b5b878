"""ListSecrets and BatchGetSecretValue: Filters (prefix matches, `!` negation), sorting, paging.

Within one filter the values are alternatives; every filter must hold. A value matches an attribute
when it is a prefix of the attribute or of one of its words; `description` and `all` ignore case.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from strongroom.auth.authorize import first_denial
from strongroom.auth.policy import denial_message
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.secretsmanager.paging import page
from strongroom.services.secretsmanager.plugin import resource_policy, service
from strongroom.services.secretsmanager.read_cache import secret_of
from strongroom.services.secretsmanager.shapes import list_entry
from strongroom.services.secretsmanager.store import invalid_parameter, not_found, note_secret_arn, tags_of, transaction
from strongroom.services.secretsmanager.tables import SmSecret
from strongroom.services.secretsmanager.value_ops import secret_value

_WORDS = re.compile(r"[^A-Za-z0-9]+")
_SORT_KEYS = {
    "created-date": lambda secret: (secret.created_at, secret.name),
    "last-changed-date": lambda secret: (secret.last_changed_at, secret.name),
    "last-accessed-date": lambda secret: (secret.last_accessed_at or secret.created_at, secret.name),
    "name": lambda secret: (secret.name,),
}
MAX_BATCH_IDS = 20


def _matches(value: str, attribute: str | None, *, fold: bool) -> bool:
    if attribute is None:
        return False
    if fold:
        value, attribute = value.lower(), attribute.lower()
    return attribute.startswith(value) or any(word.startswith(value) for word in _WORDS.split(attribute) if word)


def _attributes(secret: SmSecret, key: str) -> list[str | None]:
    tags = tags_of(secret)
    if key == "name":
        return [secret.name]
    if key == "description":
        return [secret.description]
    if key == "tag-key":
        return [tag["Key"] for tag in tags]
    if key == "tag-value":
        return [tag["Value"] for tag in tags]
    if key == "primary-region":
        return [secret.primary_region or secret.region]
    if key == "owning-service":
        return []
    return [secret.name, secret.description, *[tag["Key"] for tag in tags], *[tag["Value"] for tag in tags]]


def _filter_holds(secret: SmSecret, key: str, values: list[str]) -> bool:
    fold = key in ("description", "all")
    attributes = _attributes(secret, key)
    positives = [value for value in values if not value.startswith("!")]
    negatives = [value[1:] for value in values if value.startswith("!")]
    if any(_matches(value, attribute, fold=fold) for value in negatives for attribute in attributes):
        return False
    return not positives or any(
        _matches(value, attribute, fold=fold) for value in positives for attribute in attributes
    )


def matching_secrets(ctx: RequestContext, filters: list[dict[str, Any]], *, include_deleted: bool) -> list[SmSecret]:
    for entry in filters:
        if not entry.get("Values") and entry.get("Key") != "all":
            raise invalid_parameter(f"Invalid filter values for key: {entry.get('Key')}")
    with transaction(ctx) as session:
        query = select(SmSecret).where(SmSecret.account_id == ctx.account_id, SmSecret.region == ctx.region)
        if not include_deleted:
            query = query.where(SmSecret.deleted_at.is_(None))
        secrets = list(session.scalars(query))
        session.expunge_all()
    return [
        secret for secret in secrets
        if all(_filter_holds(secret, entry["Key"], entry.get("Values") or []) for entry in filters)
    ]


@service.operation("ListSecrets")
def list_secrets(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    include_deleted = bool(params.get("IncludePlannedDeletion"))
    secrets = matching_secrets(ctx, params.get("Filters") or [], include_deleted=include_deleted)
    key = _SORT_KEYS[params.get("SortBy") or "created-date"]
    secrets.sort(key=key, reverse=params.get("SortOrder") == "desc")
    chosen, paging = page(secrets, params.get("MaxResults"), params.get("NextToken"))
    with transaction(ctx) as session:
        return {"SecretList": [list_entry(session, secret) for secret in chosen], **paging}


def _denied(ctx: RequestContext, secret_id: str) -> str | None:
    """Why the caller may not GetSecretValue the secret (its policy included); None when it may."""
    secret = secret_of(ctx, secret_id)  # the worker's read cache, as GetSecretValue's authorizer finds it
    if secret is None:
        raise not_found()
    note_secret_arn(ctx, secret.account_id, secret.arn)
    denial = first_denial(ctx, "secretsmanager:GetSecretValue", [secret.arn],
                          resource_policy=resource_policy(secret),
                          resource_account=secret.account_id)
    return denial_message(*denial) if denial is not None else None


@service.operation("BatchGetSecretValue")
def batch_get_secret_value(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    ids, filters = params.get("SecretIdList"), params.get("Filters")
    if (ids is None) == (filters is None):
        raise invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
    paging: dict[str, Any] = {}
    if ids is not None:
        if params.get("MaxResults") is not None:
            raise invalid_parameter("'MaxResults' is only valid together with 'Filters'.")
        if len(ids) > MAX_BATCH_IDS:
            raise invalid_parameter(f"You can retrieve at most {MAX_BATCH_IDS} secrets in one request.")
        chosen_ids = list(dict.fromkeys(ids))
    else:
        matched = matching_secrets(ctx, filters or [], include_deleted=False)
        matched.sort(key=_SORT_KEYS["created-date"])
        chosen, paging = page(matched, params.get("MaxResults"), params.get("NextToken"), default=20)
        chosen_ids = [secret.arn for secret in chosen]
    values, errors = [], []
    for secret_id in chosen_ids:
        try:
            reason = _denied(ctx, secret_id)
            if reason is not None:
                errors.append({"SecretId": secret_id, "ErrorCode": "AccessDeniedException", "Message": reason})
                continue
            value = secret_value(ctx, secret_id, None, None)
        except ServiceError as error:
            errors.append({"SecretId": secret_id, "ErrorCode": error.code, "Message": error.message or ""})
            continue
        values.append(value)
    return {"SecretValues": values, "Errors": errors, **paging}
