"""Rotation configuration: RotateSecret, CancelRotateSecret, and the scheduled task starting due rotations.

RotateSecret stores the function and rules, and (RotateImmediately, the default) starts a rotation at
once in the background, answering the new version's id; the runner (rotation_runner) does the work.
A rotation that has not finished (a failed one included) makes RotateSecret answer AWS's error and
reattempt it.
"""

from __future__ import annotations

import json
import threading
import uuid
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import select

from strongroom.context import RequestContext
from strongroom.services.secretsmanager.functions import checked_function
from strongroom.services.secretsmanager.plugin import service
from strongroom.services.secretsmanager.rotation_runner import pending_version, run_rotation
from strongroom.services.secretsmanager.schedules import check_rules, next_after
from strongroom.services.secretsmanager.store import (
    after_commit,
    aware,
    invalid_request,
    now,
    rules_of,
    runtime_of,
    secret_for,
    transaction,
    versions_of,
)
from strongroom.services.secretsmanager.tables import SmSecret

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

NO_FUNCTION_TEXT = "No Lambda rotation function ARN is associated with this secret."
UNFINISHED_TEXT = "A previous rotation isn't complete. That rotation will be reattempted."


def start_in_background(runtime: Runtime, secret_arn: str, token: str) -> None:
    threading.Thread(target=run_rotation, args=(runtime, secret_arn, token), name="rotation", daemon=True).start()


@service.operation("RotateSecret")
def rotate_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    if params.get("ExternalSecretRotationMetadata") or params.get("ExternalSecretRotationRoleArn"):
        raise invalid_request("Managed external secret rotation is not supported by this server.")
    rules = params.get("RotationRules")
    if rules:
        check_rules(rules)
    runtime = runtime_of(ctx)
    moment = now(ctx)
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        function_arn = params.get("RotationLambdaARN") or secret.rotation_lambda_arn
        if not function_arn:
            raise invalid_request(NO_FUNCTION_TEXT)
        checked_function(function_arn, runtime.settings.data_dir)
        unfinished = secret.rotation_token
        if unfinished is None:
            stray = pending_version(versions_of(session, secret.arn))
            unfinished = stray.version_id if stray is not None else None
        if unfinished is not None:
            secret.rotation_token, secret.rotation_run_at = unfinished, moment
            secret_arn = secret.arn
        else:
            secret.rotation_lambda_arn = function_arn
            if rules:
                secret.rotation_rules = json.dumps(rules)
            secret.rotation_enabled = secret.rotation_rules is not None
            out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
            stored_rules = rules_of(secret)
            if params.get("RotateImmediately", True) is False:
                secret.next_rotation_at = next_after(stored_rules, moment) if stored_rules else None
                return out
            token = params.get("ClientRequestToken") or str(uuid.uuid4())
            secret.rotation_token, secret.rotation_run_at = token, moment
            out["VersionId"] = token
    if unfinished is not None:
        # The reattempt is recorded (and started) although the call answers an error.
        after_commit(ctx, lambda: start_in_background(runtime, secret_arn, unfinished))
        raise invalid_request(UNFINISHED_TEXT, keeps_changes=True)
    secret_arn, token = out["ARN"], out["VersionId"]
    after_commit(ctx, lambda: start_in_background(runtime, secret_arn, token))
    return out


@service.operation("CancelRotateSecret")
def cancel_rotate_secret(ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    with transaction(ctx) as session:
        secret = secret_for(session, ctx, params["SecretId"], replica_ok=False)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.rotation_token is not None:
            out["VersionId"] = secret.rotation_token
        secret.rotation_enabled = False
        secret.next_rotation_at = None
        secret.rotation_token = secret.rotation_run_at = None
        return out


@service.task("rotate-due-secrets")
def rotate_due_secrets(runtime: Runtime) -> None:
    """Start every rotation that is due on the server clock, and resume any whose runner went away."""
    moment = runtime.clock.now()
    with runtime.database.session() as session:
        resumed = list(session.execute(
            select(SmSecret.arn, SmSecret.rotation_token)
            .where(SmSecret.rotation_token.is_not(None), SmSecret.rotation_run_at <= moment)
        ))
        due = list(session.scalars(
            select(SmSecret.arn).where(
                SmSecret.rotation_enabled.is_(True), SmSecret.next_rotation_at <= moment,
                SmSecret.deleted_at.is_(None), SmSecret.primary_region.is_(None),
            )
        ))
    for secret_arn, token in resumed:
        run_rotation(runtime, secret_arn, cast(str, token))  # the query above keeps only rows with a token
    for secret_arn in due:
        token = _start_due(runtime, secret_arn)
        if token is not None:
            run_rotation(runtime, secret_arn, token)


def _start_due(runtime: Runtime, secret_arn: str) -> str | None:
    """Mark the secret's due rotation as started (a new one, or the unfinished one again)."""
    moment = runtime.clock.now()
    with runtime.database.session() as session:
        secret = session.scalar(select(SmSecret).where(SmSecret.arn == secret_arn).with_for_update())
        if secret is None or not secret.rotation_enabled or secret.next_rotation_at is None:
            return None
        running = secret.rotation_token is not None and secret.rotation_run_at is not None
        if aware(secret.next_rotation_at) > moment or running:
            return None
        if secret.rotation_token is None:
            secret.rotation_token = str(uuid.uuid4())
        secret.rotation_run_at = moment
        return secret.rotation_token
