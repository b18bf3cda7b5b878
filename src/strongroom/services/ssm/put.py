"""PutParameter: create a parameter, or with Overwrite add a version to it.

SecureString values are encrypted through KMS before the store is written (KMS keeps its own
transactions), then the write checks that nobody changed the parameter meanwhile: a lost race
answers TooManyUpdates, or ParameterAlreadyExists for two creations.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.ssm import events, policies, secure, values
from strongroom.services.ssm.names import check_name, parameter_arn, parent_of
from strongroom.services.ssm.plugin import note_parameter, parameter_resource, service
from strongroom.services.ssm.store import caller_arn, find_parameter, runtime_of, transaction
from strongroom.services.ssm.tables import SsmParameter, SsmParameterLabel, SsmParameterVersion
from strongroom.services.ssm.tags import add_tags

MAX_VERSIONS = 100
SECURE_STRING = "SecureString"

ALREADY_EXISTS = (
    "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."
)
TAGS_WITH_OVERWRITE = (
    "Invalid request: tags and overwrite can't be used together. To create a parameter with tags, please remove "
    "overwrite flag. To update tags for an existing parameter, please use AddTagsToResource or "
    "RemoveTagsFromResource."
)
TYPE_REQUIRED = "A parameter type is required when you create a parameter."
KEY_ID_ONLY_SECURE = "KeyId is required for SecureString type parameter only."
CONCURRENT = "There are concurrent updates for a resource that supports one update at a time."


def _too_many_versions(name: str, oldest: int) -> ServiceError:
    return ServiceError(
        "ParameterMaxVersionLimitExceeded",
        f"You attempted to create a new version of {name} by calling the PutParameter API with the overwrite flag. "
        f"Version {oldest}, the oldest version, can't be deleted because it has a label associated with it. Move "
        "the label to another version of the parameter, and try again.",
    )


def _count(session: Session, ctx: RequestContext, tier: str) -> int:
    return session.scalar(select(func.count()).select_from(SsmParameter).where(
        SsmParameter.account_id == ctx.account_id, SsmParameter.region == ctx.region, SsmParameter.tier == tier,
    )) or 0


def _make_room(session: Session, parameter: SsmParameter) -> None:
    """Keep at most 100 versions: drop the oldest unless a label holds it."""
    scope = (SsmParameterVersion.account_id == parameter.account_id, SsmParameterVersion.region == parameter.region,
             SsmParameterVersion.name == parameter.name)
    count = session.scalar(select(func.count()).select_from(SsmParameterVersion).where(*scope)) or 0
    if count < MAX_VERSIONS:
        return
    oldest = session.scalar(select(SsmParameterVersion).where(*scope).order_by(SsmParameterVersion.version).limit(1))
    assert oldest is not None
    labelled = session.scalar(select(SsmParameterLabel.label).where(
        SsmParameterLabel.account_id == parameter.account_id, SsmParameterLabel.region == parameter.region,
        SsmParameterLabel.name == parameter.name, SsmParameterLabel.version == oldest.version,
    ).limit(1))
    if labelled is not None:
        raise _too_many_versions(parameter.display_name, oldest.version)
    session.delete(oldest)


def _check_request(params: dict[str, Any], overwrite: bool) -> None:
    if params.get("Tags") and overwrite:
        raise ServiceError("ValidationException", TAGS_WITH_OVERWRITE)
    if params.get("AllowedPattern"):
        values.compile_pattern(params["AllowedPattern"])


def _check_value_first(ctx: RequestContext, params: dict[str, Any], key: str) -> str | None:
    """Match the value against the AllowedPattern that applies (the request's, else the stored one)
    before the request's transaction begins: a user's pattern may take up to its deadline to run,
    which must not be spent holding the store's write lock. Answers the pattern checked."""
    pattern = params.get("AllowedPattern")
    if pattern is None:
        with runtime_of(ctx).database.session() as session:
            current = find_parameter(session, ctx.account_id, ctx.region, key)
            pattern = current.allowed_pattern if current is not None else None
    values.check_pattern(pattern, params["Value"])
    return pattern


@service.operation("PutParameter", resources=parameter_resource())
def put_parameter(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name, value = params["Name"], params["Value"]
    key = check_name(ctx, name)
    arn = parameter_arn(ctx, key)
    note_parameter(ctx, arn)
    overwrite = bool(params.get("Overwrite", False))
    _check_request(params, overwrite)
    checked_pattern = _check_value_first(ctx, params, key)
    with transaction(ctx) as session:
        current = find_parameter(session, ctx.account_id, ctx.region, key)
        if current is not None and not overwrite:
            raise ServiceError("ParameterAlreadyExists", ALREADY_EXISTS)
        seen_version = current.version if current else None
        parameter_type = params.get("Type") or (current.type if current else None)
        if parameter_type is None:
            raise ServiceError("ValidationException", TYPE_REQUIRED)
        key_id = params.get("KeyId")
        if key_id is not None and parameter_type != SECURE_STRING:
            raise ServiceError("ValidationException", KEY_ID_ONLY_SECURE)
        if parameter_type == SECURE_STRING and key_id is None:
            key_id = current.key_id if current and current.type == SECURE_STRING else secure.MANAGED_KEY_ALIAS
    # Encrypt before writing: KMS works in its own transactions.
    blob = None
    if parameter_type == SECURE_STRING:
        assert key_id is not None
        blob = secure.encrypt(ctx, secure.resolve_key(ctx, key_id), arn, value)
    try:
        with transaction(ctx) as session:
            version = _write(ctx, session, params, key, arn, parameter_type, key_id, blob, seen_version,
                             checked_pattern)
    except IntegrityError:
        if seen_version is None:
            raise ServiceError("ParameterAlreadyExists", ALREADY_EXISTS) from None
        raise ServiceError("TooManyUpdates", CONCURRENT) from None
    return version


def _write(
    ctx: RequestContext, session: Session, params: dict[str, Any], key: str, arn: str, parameter_type: str,
    key_id: str | None, blob: bytes | None, seen_version: int | None, checked_pattern: str | None,
) -> dict[str, Any]:
    now = ctx.clock.now()
    value = params["Value"]
    current = find_parameter(session, ctx.account_id, ctx.region, key)
    if (current.version if current else None) != seen_version:
        if current is not None and seen_version is None:
            raise ServiceError("ParameterAlreadyExists", ALREADY_EXISTS)
        raise ServiceError("TooManyUpdates", CONCURRENT)
    data_type = params.get("DataType") or (current.data_type if current else values.TEXT)
    values.check_data_type(data_type, parameter_type, value)
    allowed_pattern = params.get("AllowedPattern", current.allowed_pattern if current else None)
    if allowed_pattern != checked_pattern:  # changed since it was checked (rare): check again
        values.check_pattern(allowed_pattern, value)
    if "Policies" in params:
        new_policies = policies.parse(params["Policies"], now)
    else:
        new_policies = policies.stored(current.policies if current else None)
    tier = _tier(ctx, session, params.get("Tier"), current, value, bool(new_policies))
    description = params.get("Description", current.description if current else None)
    if current is None:
        current = SsmParameter(
            account_id=ctx.account_id, region=ctx.region, name=key, display_name=params["Name"],
            parent=parent_of(key), version=0,
        )
        session.add(current)
        operation = "Create"
    else:
        _make_room(session, current)
        operation = "Update"
    current.version += 1
    current.type, current.data_type, current.tier = parameter_type, data_type, tier
    current.description, current.allowed_pattern, current.key_id = description, allowed_pattern, key_id
    current.policies, current.modified_at, current.modified_by = policies.texts(new_policies), now, caller_arn(ctx)
    session.add(SsmParameterVersion(
        account_id=ctx.account_id, region=ctx.region, name=key, version=current.version, type=parameter_type,
        data_type=data_type, tier=tier, value=None if blob is not None else value,
        sealed_value=secure.seal(ctx, blob, secure.locator(ctx.account_id, ctx.region, key, current.version))
        if blob is not None else None,
        key_id=key_id, description=description, allowed_pattern=allowed_pattern, policies=current.policies,
        modified_at=now, modified_by=current.modified_by,
    ))
    session.flush()
    if operation == "Create" and params.get("Tags"):
        add_tags(session, current, params["Tags"])
    policies.schedule(session, current, new_policies, now)
    events.parameter_changed(session, current, arn, operation, now)
    return {"Version": current.version, "Tier": tier}


def _tier(
    ctx: RequestContext, session: Session, requested: str | None, current: SsmParameter | None, value: str,
    has_policies: bool,
) -> str:
    """The new version's tier, within the account's quota of each tier."""
    adds_standard = current is None or current.tier != values.STANDARD
    standard_full = adds_standard and requested != values.ADVANCED and \
        _count(session, ctx, values.STANDARD) >= values.COUNT_LIMITS[values.STANDARD]
    tier = values.choose_tier(requested, current.tier if current else None, value, has_policies, standard_full)
    values.check_tier(tier, value, has_policies)
    if tier == values.STANDARD and standard_full:
        raise ServiceError("ParameterLimitExceeded", values.LIMIT_EXCEEDED)
    adds_advanced = current is None or current.tier != values.ADVANCED
    if tier == values.ADVANCED and adds_advanced and \
            _count(session, ctx, values.ADVANCED) >= values.COUNT_LIMITS[values.ADVANCED]:
        raise ServiceError("ParameterLimitExceeded", values.LIMIT_EXCEEDED)
    return tier
