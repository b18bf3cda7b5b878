"""Running one rotation: claim it, run the four steps through its function, record how it ended.

A rotation is the secret's `rotation_token` (the new version's id). A runner claims it by pushing
`rotation_run_at` forward as a lease, in a conditional update, so only one worker or node runs it.
Success moves nothing itself (finishSecret did) but checks AWSCURRENT is on the token's version,
then records LastRotatedDate and the next rotation date. A failure leaves AWSCURRENT where it was and
the rotation pending (AWSPENDING where the function left it) for RotateSecret or the next scheduled
date to reattempt. Each start and end is audited as a Secrets Manager service event
(RotationStarted, RotationSucceeded, RotationFailed) and put on the default bus as EventBridge's
"AWS Service Event via CloudTrail".
"""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import CursorResult, update

from strongroom.audit.record import event_id, format_time, random_uuid
from strongroom.auth.principal import Principal, root_arn
from strongroom.context import RequestContext
from strongroom.errors import ServiceError
from strongroom.services.events.emit import emit
from strongroom.services.secretsmanager import postgres_rotator, replication
from strongroom.services.secretsmanager.envelope import open_value
from strongroom.services.secretsmanager.functions import StepFailed, checked_function, invoke_endpoint
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.schedules import next_rotation
from strongroom.services.secretsmanager.store import (
    CURRENT,
    PENDING,
    secret_for,
    stages_of,
    transaction,
    version_with_stage,
    versions_of,
)
from strongroom.services.secretsmanager.tables import SmSecret, SmSecretVersion
from strongroom.services.secretsmanager.value_ops import stored_version
from strongroom.services.secretsmanager.versions import SecretValue, add_version, move_stage
from strongroom.wire.http import HttpRequest

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

log = logging.getLogger("strongroom.secretsmanager.rotation")
LEASE = timedelta(minutes=15)
STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
SERVICE_HOST = "secretsmanager.amazonaws.com"
EVENT_SOURCE = "aws.secretsmanager"
SERVICE_EVENT_DETAIL_TYPE = "AWS Service Event via CloudTrail"


def service_context(runtime: Runtime, account_id: str, region: str) -> RequestContext:
    """Secrets Manager acting for the secret's account (the built-in rotator's identity)."""
    moment = runtime.clock.now()
    return RequestContext(
        request_id=random_uuid(), request=HttpRequest("POST", "/"), clock=runtime.clock, received_at=moment,
        source_ip=SERVICE_HOST, user_agent=SERVICE_HOST, service=service.model, region=region, runtime=runtime,
        principal=Principal(account_id=account_id, arn=root_arn(account_id), user_id=account_id, type="Root",
                            access_key_id=""),
    )


class SecretAccess:
    """The built-in rotator's view of the secret: values by stage or version, put pending, finish."""

    def __init__(self, ctx: RequestContext, secret_arn: str) -> None:
        self.ctx, self.arn = ctx, secret_arn

    def value(self, *, stage: str | None = None, version_id: str | None = None) -> str | None:
        with transaction(self.ctx) as session:
            secret = secret_for(session, self.ctx, self.arn)
            account_id, region, arn = secret.account_id, secret.region, secret.arn
        try:
            version = stored_version(self.ctx, arn, version_id, stage)
        except ServiceError:
            return None
        data = open_value(self.ctx, account_id=account_id, region=region, secret_arn=arn,
                          version_id=version.version_id, sealed=version.sealed_value)
        return data.decode() if version.value_kind == "string" else None

    def put_pending(self, version_id: str, text: str) -> None:
        add_version(self.ctx, self.arn, version_id, SecretValue("string", text.encode()), [PENDING])
        replication.sync(self.ctx, self.arn)

    def finish(self, version_id: str) -> None:
        with transaction(self.ctx) as session:
            secret = secret_for(session, self.ctx, self.arn)
            versions = versions_of(session, secret.arn)
            target = next((version for version in versions if version.version_id == version_id), None)
            if target is None:
                raise StepFailed("finishSecret found no version for the rotation's token")
            move_stage(versions, CURRENT, target)
            secret.last_changed_at = self.ctx.clock.now()
        replication.sync(self.ctx, self.arn)


def _audit(runtime: Runtime, secret: SmSecret, event_name: str, detail: dict[str, Any]) -> None:
    record = {
        "eventVersion": "1.11",
        "userIdentity": {"accountId": secret.account_id, "invokedBy": SERVICE_HOST},
        "eventTime": format_time(runtime.clock.now()),
        "eventSource": SERVICE_HOST,
        "eventName": event_name,
        "awsRegion": secret.region,
        "sourceIPAddress": SERVICE_HOST,
        "userAgent": SERVICE_HOST,
        "requestParameters": None,
        "responseElements": None,
        "additionalEventData": {"SecretId": secret.arn, **detail},
        "requestID": random_uuid(),
        "eventID": event_id(),
        "readOnly": False,
        "resources": [{"accountId": secret.account_id, "type": "AWS::SecretsManager::Secret", "ARN": secret.arn}],
        "eventType": "AwsServiceEvent",
        "managementEvent": True,
        "recipientAccountId": secret.account_id,
        "eventCategory": "Management",
    }
    try:
        runtime.audit.write_blocking(record)
    except Exception:
        log.exception("the %s record of a rotation could not be stored", event_name)
        return
    # As AWS does, CloudTrail's record of the service event reaches EventBridge as its detail.
    emit(runtime, account_id=secret.account_id, region=secret.region, source=EVENT_SOURCE,
         detail_type=SERVICE_EVENT_DETAIL_TYPE, detail=record, resources=[], time=runtime.clock.now())


def _claim(runtime: Runtime, secret_arn: str, token: str) -> SmSecret | None:
    moment = runtime.clock.now()
    with runtime.database.session() as session:
        # An UPDATE without RETURNING gives a CursorResult; Session.execute is typed for the general case.
        claimed = cast(CursorResult[Any], session.execute(
            update(SmSecret)
            .where(SmSecret.arn == secret_arn, SmSecret.rotation_token == token, SmSecret.rotation_run_at <= moment)
            .values(rotation_run_at=moment + LEASE)
        )).rowcount
        if not claimed:
            return None
        secret = session.get(SmSecret, _key_of(session, secret_arn))
        if secret is not None:
            session.expunge(secret)
        return secret


def _key_of(session: Any, secret_arn: str) -> tuple[str, str, str]:
    row = session.query(SmSecret.account_id, SmSecret.region, SmSecret.name).filter(SmSecret.arn == secret_arn).one()
    return (row.account_id, row.region, row.name)


def _run_steps(runtime: Runtime, secret: SmSecret, token: str) -> None:
    function = checked_function(secret.rotation_lambda_arn or "", runtime.settings.data_dir)
    ctx = service_context(runtime, secret.account_id, secret.region)
    access = SecretAccess(ctx, secret.arn)
    rotation_token = secrets.token_hex(32)
    for step in STEPS:
        if function.url is None:
            postgres_rotator.STEPS[step](access, token)
        else:
            invoke_endpoint(function.url, {"Step": step, "SecretId": secret.arn, "ClientRequestToken": token,
                                           "RotationToken": rotation_token})
    with transaction(ctx) as session:
        versions = versions_of(session, secret.arn)
        current = version_with_stage(versions, CURRENT)
        if current is None or current.version_id != token:
            raise StepFailed("finishSecret did not move AWSCURRENT to the rotation's version")
        # As AWS does once finishSecret succeeded: the finished version keeps only AWSCURRENT.
        if PENDING in stages_of(current):
            move_stage(versions, PENDING, None)


def run_rotation(runtime: Runtime, secret_arn: str, token: str) -> None:
    """Run the rotation `token` of the secret if it is due and nobody else runs it; never raises."""
    secret = _claim(runtime, secret_arn, token)
    if secret is None:
        return
    _audit(runtime, secret, "RotationStarted", {"RotationVersionId": token})
    failure: str | None = None
    try:
        _run_steps(runtime, secret, token)
    except StepFailed as error:
        failure = str(error)
    except ServiceError as error:
        failure = f"{error.code}: {error.message}" if error.code == "AccessDeniedException" else error.code
    except Exception as error:
        log.error("rotation of %s failed unexpectedly (%s)", secret_arn, type(error).__name__)
        failure = "the rotation failed because of an internal error"
    moment = runtime.clock.now()
    with runtime.database.session(writes=True) as session:
        row = session.get(SmSecret, (secret.account_id, secret.region, secret.name))
        if row is None or row.rotation_token != token:
            return
        row.rotation_run_at = None
        if failure is None:
            row.rotation_token = None
            row.last_rotated_at = moment
        if row.rotation_enabled:
            row.next_rotation_at = next_rotation(row, moment)
    if failure is None:
        _audit(runtime, secret, "RotationSucceeded", {"RotationVersionId": token})
        replication.sync(service_context(runtime, secret.account_id, secret.region), secret.arn)
    else:
        log.warning("rotation of %s failed: %s", secret_arn, failure)
        _audit(runtime, secret, "RotationFailed", {"RotationVersionId": token, "FailureReason": failure})


def pending_version(versions: list[SmSecretVersion]) -> SmSecretVersion | None:
    """A version labelled AWSPENDING but not AWSCURRENT: a rotation that has not finished."""
    return next(
        (version for version in versions if PENDING in stages_of(version) and CURRENT not in stages_of(version)),
        None,
    )
