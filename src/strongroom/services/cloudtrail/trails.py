"""Trails: CreateTrail, UpdateTrail, DeleteTrail, GetTrail, DescribeTrails, ListTrails, GetTrailStatus,
StartLogging and StopLogging.

A multi-region trail shows in every region of its account (as a "shadow" there) and logs the events of
all of them; it is changed only from its home region. Starting and stopping logging settle the trail's
delivery position (see `delivery`), so logging covers exactly the events between start and stop.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.regions import arn
from strongroom.services.cloudtrail import delivery, digests
from strongroom.services.cloudtrail.buckets import check_bucket_name, check_key_prefix, ensure_bucket
from strongroom.services.cloudtrail.plugin import (
    check_trail_name,
    find_trail,
    note_trail,
    runtime_of,
    service,
    target_arn,
    trail_arn,
    trail_resource,
    transaction,
)
from strongroom.services.cloudtrail.selectors import has_custom_selectors
from strongroom.services.cloudtrail.tables import (
    CloudTrailDelivery,
    CloudTrailDigestChain,
    CloudTrailLogFile,
    CloudTrailTag,
    CloudTrailTrail,
)
from strongroom.services.cloudtrail.tags import add_tags

MAX_TRAILS_PER_REGION = 5
LIST_PAGE_SIZE = 1000


def trail_shape(trail: CloudTrailTrail) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Name": trail.name,
        "S3BucketName": trail.s3_bucket,
        "IncludeGlobalServiceEvents": trail.include_global_events,
        "IsMultiRegionTrail": trail.multi_region,
        "HomeRegion": trail.home_region,
        "TrailARN": trail.arn,
        "LogFileValidationEnabled": trail.log_file_validation,
        "HasCustomEventSelectors": has_custom_selectors(trail),
        "HasInsightSelectors": False,
        "IsOrganizationTrail": False,
    }
    optional = {
        "S3KeyPrefix": trail.s3_key_prefix,
        "SnsTopicName": trail.sns_topic_name,
        "SnsTopicARN": (arn("sns", trail.home_region, trail.account_id, trail.sns_topic_name)
                        if trail.sns_topic_name else None),
        "CloudWatchLogsLogGroupArn": trail.cloudwatch_log_group_arn,
        "CloudWatchLogsRoleArn": trail.cloudwatch_role_arn,
        "KmsKeyId": trail.kms_key_id,
    }
    shape.update({name: value for name, value in optional.items() if value})
    return shape


def _write_shape(trail: CloudTrailTrail) -> dict[str, Any]:
    """CreateTrail and UpdateTrail answer the trail without HomeRegion and the selector flags."""
    shape = trail_shape(trail)
    for member in ("HomeRegion", "HasCustomEventSelectors", "HasInsightSelectors"):
        shape.pop(member)
    return shape


def _check_settings(params: dict[str, Any]) -> None:
    if "S3BucketName" in params:
        check_bucket_name(params["S3BucketName"])
    if params.get("S3KeyPrefix"):
        check_key_prefix(params["S3KeyPrefix"])
    if params.get("IsOrganizationTrail"):
        raise ServiceError("OrganizationsNotInUseException",
                           "This operation cannot be performed because the account is not in an organization.")
    if bool(params.get("CloudWatchLogsLogGroupArn")) != bool(params.get("CloudWatchLogsRoleArn")):
        raise ServiceError("InvalidCloudWatchLogsLogGroupArnException",
                           "You must specify both a log group ARN and a role ARN.")


def _name_taken(session: Session, ctx: RequestContext, name: str, multi_region: bool, *,
                other_than: str | None = None) -> bool:
    """A name is taken in a region by a trail there or by a multi-region trail of another region."""
    query = select(CloudTrailTrail.arn).where(CloudTrailTrail.account_id == ctx.account_id,
                                              CloudTrailTrail.name == name)
    if not multi_region:
        query = query.where(or_(CloudTrailTrail.home_region == ctx.region, CloudTrailTrail.multi_region.is_(True)))
    if other_than is not None:
        query = query.where(CloudTrailTrail.arn != other_than)
    return session.scalar(query.limit(1)) is not None


def _apply_settings(trail: CloudTrailTrail, params: dict[str, Any]) -> None:
    if "S3BucketName" in params:
        trail.s3_bucket = params["S3BucketName"]
    if "S3KeyPrefix" in params:
        trail.s3_key_prefix = params["S3KeyPrefix"] or None
    if "SnsTopicName" in params:
        trail.sns_topic_name = params["SnsTopicName"] or None
    if "IncludeGlobalServiceEvents" in params:
        trail.include_global_events = params["IncludeGlobalServiceEvents"]
    if "IsMultiRegionTrail" in params:
        trail.multi_region = params["IsMultiRegionTrail"]
    if "CloudWatchLogsLogGroupArn" in params:
        trail.cloudwatch_log_group_arn = params["CloudWatchLogsLogGroupArn"] or None
    if "CloudWatchLogsRoleArn" in params:
        trail.cloudwatch_role_arn = params["CloudWatchLogsRoleArn"] or None
    if "KmsKeyId" in params:
        trail.kms_key_id = params["KmsKeyId"] or None
    if trail.multi_region and not trail.include_global_events:
        raise ServiceError("InvalidParameterCombinationException",
                           "Multi-Region trail must include global service events.")


@service.operation("CreateTrail", resources=trail_resource("Name"))
def create_trail(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    name = params["Name"]
    check_trail_name(name)
    _check_settings(params)
    runtime = runtime_of(ctx)
    now = runtime.clock.now()
    with transaction(ctx) as session:
        if _name_taken(session, ctx, name, bool(params.get("IsMultiRegionTrail"))):
            raise ServiceError("TrailAlreadyExistsException",
                               f"Trail {name} already exists for customer: {ctx.account_id}")
        count = session.scalar(select(func.count()).select_from(CloudTrailTrail).where(
            CloudTrailTrail.account_id == ctx.account_id, CloudTrailTrail.home_region == ctx.region))
        if (count or 0) >= MAX_TRAILS_PER_REGION:
            raise ServiceError("MaximumNumberOfTrailsExceededException",
                               f"User: {ctx.account_id} already has {MAX_TRAILS_PER_REGION} trails in {ctx.region}.")
        trail = CloudTrailTrail(
            account_id=ctx.account_id, home_region=ctx.region, name=name,
            arn=trail_arn(ctx.region, ctx.account_id, name), s3_bucket=params["S3BucketName"],
            include_global_events=True, multi_region=False,
            log_file_validation=bool(params.get("EnableLogFileValidation", False)),
            is_logging=False, created_at=now,
        )
        _apply_settings(trail, params)
        note_trail(ctx, trail.arn)
        session.add(trail)
        session.add(CloudTrailDelivery(trail_arn=trail.arn, delivered_seq=0, claims=0))
        if params.get("TagsList"):
            add_tags(session, trail.arn, params["TagsList"])
    ensure_bucket(runtime.settings.data_dir, trail.s3_bucket)
    return _write_shape(trail)


@service.operation("UpdateTrail", resources=trail_resource("Name"))
def update_trail(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    _check_settings(params)
    runtime = runtime_of(ctx)
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["Name"], change=True, lock=True)
        was_validating = trail.log_file_validation
        _apply_settings(trail, params)
        if params.get("IsMultiRegionTrail") and _name_taken(session, ctx, trail.name, True, other_than=trail.arn):
            raise ServiceError("TrailAlreadyExistsException",
                               f"Trail {trail.name} already exists for customer: {ctx.account_id}")
        if "EnableLogFileValidation" in params:
            trail.log_file_validation = params["EnableLogFileValidation"]
            if trail.log_file_validation and not was_validating and trail.is_logging:
                digests.start_chains(session, trail, runtime.clock.now())
    ensure_bucket(runtime.settings.data_dir, trail.s3_bucket)
    return _write_shape(trail)


@service.operation("DeleteTrail", resources=trail_resource("Name"))
def delete_trail(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["Name"], change=True, lock=True)
        for table in (CloudTrailTag, CloudTrailDelivery, CloudTrailDigestChain, CloudTrailLogFile):
            session.execute(delete(table).where(table.trail_arn == trail.arn))
        session.delete(trail)
    return {}


@service.operation("GetTrail", resources=trail_resource("Name"))
def get_trail(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["Name"])
        return {"Trail": trail_shape(trail)}


def _visible_in_region(ctx: RequestContext) -> Any:
    return select(CloudTrailTrail).where(
        CloudTrailTrail.account_id == ctx.account_id,
        or_(CloudTrailTrail.home_region == ctx.region, CloudTrailTrail.multi_region.is_(True)),
    )


@service.operation("DescribeTrails")
def describe_trails(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    include_shadows = params.get("includeShadowTrails", True)
    names = params.get("trailNameList") or []
    with transaction(ctx) as session:
        if not names:
            trails = list(session.scalars(_visible_in_region(ctx).order_by(CloudTrailTrail.name)))
        else:
            wanted = [target_arn(ctx, name) for name in names]
            found = {trail.arn: trail for trail in session.scalars(
                select(CloudTrailTrail).where(CloudTrailTrail.account_id == ctx.account_id,
                                              CloudTrailTrail.arn.in_(wanted)))}
            trails = [found[item] for item in dict.fromkeys(wanted) if item in found]
    if not include_shadows:
        trails = [trail for trail in trails if trail.home_region == ctx.region]
    return {"trailList": [trail_shape(trail) for trail in trails]}


@service.operation("ListTrails")
def list_trails(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    token = params.get("NextToken")
    query = select(CloudTrailTrail).where(CloudTrailTrail.account_id == ctx.account_id)
    if token is not None:
        query = query.where(CloudTrailTrail.arn > token)
    with transaction(ctx) as session:
        trails = list(session.scalars(query.order_by(CloudTrailTrail.arn).limit(LIST_PAGE_SIZE + 1)))
    answer: dict[str, Any] = {"Trails": [
        {"TrailARN": trail.arn, "Name": trail.name, "HomeRegion": trail.home_region}
        for trail in trails[:LIST_PAGE_SIZE]
    ]}
    if len(trails) > LIST_PAGE_SIZE:
        answer["NextToken"] = trails[LIST_PAGE_SIZE - 1].arn
    return answer


@service.operation("GetTrailStatus", resources=trail_resource("Name"))
def get_trail_status(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["Name"])
        position = session.get(CloudTrailDelivery, trail.arn)
        latest_digest = session.scalar(select(func.max(CloudTrailDigestChain.last_delivery_at)).where(
            CloudTrailDigestChain.trail_arn == trail.arn))
    status: dict[str, Any] = {"IsLogging": trail.is_logging}
    if trail.started_logging_at is not None:
        status["StartLoggingTime"] = trail.started_logging_at
        status["TimeLoggingStarted"] = _status_time(trail.started_logging_at)
    if trail.stopped_logging_at is not None:
        status["StopLoggingTime"] = trail.stopped_logging_at
        status["TimeLoggingStopped"] = _status_time(trail.stopped_logging_at)
    if position is not None and position.last_delivery_at is not None:
        status["LatestDeliveryTime"] = position.last_delivery_at
    if position is not None and position.last_attempt_at is not None:
        status["LatestDeliveryAttemptTime"] = _status_time(position.last_attempt_at)
        status["LatestDeliveryAttemptSucceeded"] = "" if position.last_error else _status_time(position.last_attempt_at)
        if position.last_error:
            status["LatestDeliveryError"] = position.last_error
    if latest_digest is not None:
        status["LatestDigestDeliveryTime"] = latest_digest
    status.setdefault("LatestNotificationAttemptTime", "")
    status.setdefault("LatestNotificationAttemptSucceeded", "")
    status.setdefault("LatestDeliveryAttemptTime", "")
    status.setdefault("LatestDeliveryAttemptSucceeded", "")
    status.setdefault("TimeLoggingStarted", "")
    status.setdefault("TimeLoggingStopped", "")
    return status


def _status_time(when: Any) -> str:
    return str(when.strftime("%Y-%m-%dT%H:%M:%SZ"))


@service.operation("StartLogging", resources=trail_resource("Name"))
def start_logging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    written: list[Path] = []
    try:
        with transaction(ctx) as session:
            trail = find_trail(ctx, session, params["Name"], change=True, lock=True)
            if trail.is_logging:
                return {}
            now = runtime.clock.now()
            # Whatever a previous stop left undelivered goes out first; logging then starts from here.
            written = delivery.settle(runtime, session, trail, now)
            trail.is_logging = True
            trail.started_logging_at = ctx.received_at
            trail.stopped_logging_at = None
            if trail.log_file_validation:
                digests.start_chains(session, trail, now)
    except BaseException:
        delivery.remove(written)
        raise
    ensure_bucket(runtime.settings.data_dir, trail.s3_bucket)
    return {}


@service.operation("StopLogging", resources=trail_resource("Name"))
def stop_logging(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    runtime = runtime_of(ctx)
    with transaction(ctx) as session:
        trail = find_trail(ctx, session, params["Name"], change=True, lock=True)
        if trail.is_logging:
            trail.is_logging = False
            # The delivery task sends the last file (this call included) once these events have settled.
            trail.stopped_logging_at = max(runtime.clock.now(), ctx.received_at)
    return {}
