"""Rotation through an HTTP rotation endpoint started by the test: the four steps, labels, schedules, failures."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .helpers import error_of, wait_for


def unique(prefix: str = "rot") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


class RotationEndpoint:
    """A rotation function as AWS's template writes one, served over HTTP; it calls the server with boto3."""

    def __init__(self, client: Any, fail_step: str | None = None) -> None:
        self.client = client
        self.fail_step = fail_step
        self.events: list[dict[str, str]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                event = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status = endpoint.handle(event)
                self.send_response(status)
                self.end_headers()

            def log_message(self, *_args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/rotate"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def handle(self, event: dict[str, str]) -> int:
        self.events.append(event)
        step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
        if step == self.fail_step:
            return 500
        if step == "createSecret":
            try:
                self.client.get_secret_value(SecretId=arn, VersionId=token, VersionStage="AWSPENDING")
            except ClientError:
                current = self.client.get_secret_value(SecretId=arn)["SecretString"]
                self.client.put_secret_value(SecretId=arn, ClientRequestToken=token, VersionStages=["AWSPENDING"],
                                             SecretString=f"{current}+rotated")
        elif step == "finishSecret":
            stages = self.client.describe_secret(SecretId=arn)["VersionIdsToStages"]
            current = next(version for version, labels in stages.items() if "AWSCURRENT" in labels)
            if current != token:
                self.client.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT",
                                                        MoveToVersionId=token, RemoveFromVersionId=current)
        return 200

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def register_endpoint(server: Any, name: str, url: str) -> str:
    """Map the function NAME to the URL in the server's rotation-endpoints.json; answer its Lambda-style ARN."""
    path = server.data_dir / "rotation-endpoints.json"
    mapping = json.loads(path.read_text()) if path.exists() else {}
    mapping[name] = url
    path.write_text(json.dumps(mapping))
    return f"arn:aws:lambda:us-east-1:123456789012:function:{name}"


def current_version(sm: Any, name: str) -> str:
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    return next(version for version, labels in stages.items() if "AWSCURRENT" in labels)


def audit_events(server: Any, event_name: str, arn: str) -> list[dict[str, Any]]:
    url = server.store_url
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT record FROM audit_events WHERE event_name = :name"), {"name": event_name}
            ).scalars()
            records = [json.loads(row) for row in rows]
    finally:
        engine.dispose()
    return [record for record in records if record.get("additionalEventData", {}).get("SecretId") == arn]


@pytest.fixture()
def endpoint(server) -> Iterator[RotationEndpoint]:
    instance = RotationEndpoint(server.client("secretsmanager"))
    yield instance
    instance.close()


def test_rotation_runs_the_four_steps_and_moves_awscurrent(server, sm, endpoint):
    name = unique()
    function_arn = register_endpoint(server, unique("fn"), endpoint.url)
    created = sm.create_secret(Name=name, SecretString="s3cret")
    rotated = sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn,
                               RotationRules={"AutomaticallyAfterDays": 7})
    token = rotated["VersionId"]
    wait_for(lambda: current_version(sm, name) == token)
    assert [event["Step"] for event in endpoint.events] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    for event in endpoint.events:
        assert event["SecretId"] == created["ARN"] and event["ClientRequestToken"] == token
        assert event["RotationToken"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cret+rotated"
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "s3cret"
    described = wait_for(lambda: (d := sm.describe_secret(SecretId=name)).get("LastRotatedDate") and d)
    assert described["VersionIdsToStages"] == {token: ["AWSCURRENT"], created["VersionId"]: ["AWSPREVIOUS"]}
    assert described["RotationEnabled"] is True and described["RotationLambdaARN"] == function_arn
    assert described["RotationRules"] == {"AutomaticallyAfterDays": 7}
    assert 6.9 * 86400 < (described["NextRotationDate"] - described["LastRotatedDate"]).total_seconds() < 7.1 * 86400
    assert audit_events(server, "RotationSucceeded", created["ARN"])

    # Seven days later on the server clock, the scheduler rotates again through the same function.
    endpoint.events.clear()
    server.admin("clock", {"advance_seconds": 7 * 86400 + 60})
    wait_for(lambda: current_version(sm, name) != token)
    assert [event["Step"] for event in endpoint.events] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "s3cret+rotated+rotated"


def test_failed_rotation_leaves_awscurrent_working(server, sm):
    failing = RotationEndpoint(server.client("secretsmanager"), fail_step="setSecret")
    try:
        name = unique()
        function_arn = register_endpoint(server, unique("fn"), failing.url)
        created = sm.create_secret(Name=name, SecretString="keep-me")
        token = sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn,
                                 RotationRules={"ScheduleExpression": "rate(10 days)"})["VersionId"]
        wait_for(lambda: audit_events(server, "RotationFailed", created["ARN"]))
        failure = audit_events(server, "RotationFailed", created["ARN"])[0]
        assert failure["eventType"] == "AwsServiceEvent"
        assert "setSecret" in failure["additionalEventData"]["FailureReason"]
        assert "keep-me" not in json.dumps(failure)
        assert [event["Step"] for event in failing.events] == ["createSecret", "setSecret"]
        # AWSCURRENT still answers the old value; the pending version shows the unfinished rotation.
        assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep-me"
        assert sm.describe_secret(SecretId=name)["VersionIdsToStages"] == {
            created["VersionId"]: ["AWSCURRENT"], token: ["AWSPENDING"],
        }
        # Asking again answers AWS's error and reattempts the same rotation; now it succeeds.
        failing.fail_step = None
        with pytest.raises(ClientError) as excinfo:
            sm.rotate_secret(SecretId=name)
        assert error_of(excinfo) == (
            "InvalidRequestException", "A previous rotation isn't complete. That rotation will be reattempted."
        )
        wait_for(lambda: current_version(sm, name) == token)
        assert sm.get_secret_value(SecretId=name)["SecretString"] == "keep-me+rotated"
    finally:
        failing.close()


def test_rotate_immediately_false_schedules_only(server, sm, endpoint):
    name = unique()
    function_arn = register_endpoint(server, unique("fn"), endpoint.url)
    created = sm.create_secret(Name=name, SecretString="v")
    answer = sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn, RotateImmediately=False,
                              RotationRules={"ScheduleExpression": "cron(0 12 * * ? *)", "Duration": "2h"})
    assert "VersionId" not in answer
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is True
    assert (described["NextRotationDate"].hour, described["NextRotationDate"].minute) == (12, 0)
    assert endpoint.events == [] and current_version(sm, name) == created["VersionId"]
    cancelled = sm.cancel_rotate_secret(SecretId=name)
    assert cancelled["ARN"] == created["ARN"]
    described = sm.describe_secret(SecretId=name)
    assert described["RotationEnabled"] is False and "NextRotationDate" not in described


def test_rotation_errors(server, sm, endpoint):
    name = unique()
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as excinfo:
        sm.rotate_secret(SecretId=name)
    assert error_of(excinfo) == (
        "InvalidRequestException", "No Lambda rotation function ARN is associated with this secret."
    )
    with pytest.raises(ClientError) as excinfo:
        sm.rotate_secret(SecretId=name, RotationLambdaARN="arn:aws:lambda:us-east-1:123456789012:function:nowhere")
    assert error_of(excinfo) == (
        "AccessDeniedException",
        "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants access "
        "to the principal secretsmanager.amazonaws.com.",
    )
    function_arn = register_endpoint(server, unique("fn"), endpoint.url)
    for rules in (
        {"AutomaticallyAfterDays": 3, "ScheduleExpression": "rate(3 days)"},
        {"ScheduleExpression": "rate(2 hours)"},
        {"ScheduleExpression": "cron(0 * * * ? *)"},
        {"ScheduleExpression": "every tuesday"},
        {"AutomaticallyAfterDays": 1, "Duration": "25h"},
    ):
        with pytest.raises(ClientError) as excinfo:
            sm.rotate_secret(SecretId=name, RotationLambdaARN=function_arn, RotationRules=rules)
        assert error_of(excinfo)[0] == "InvalidParameterException", rules
    with pytest.raises(ClientError) as excinfo:
        sm.rotate_secret(SecretId=unique("missing"), RotationLambdaARN=function_arn)
    assert error_of(excinfo)[0] == "ResourceNotFoundException"
    assert endpoint.events == []
