"""Live EventBridge delivery: events reach a real local HTTP server through API destinations with the
connection's auth, are transformed exactly, retried on clock moves, dead-lettered visibly, fired by
schedules, and forwarded to other buses, also across accounts.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from tests.live.conftest import Server
from tests.live.kms_principals import create_account

from .helpers import unique, wait_for

REGION = "ap-southeast-2"
OTHER_ACCOUNT = "363636363636"
OTHER_KEY_ID = "AKIAEVENTSOTHER00001"
OTHER_SECRET = "events-other-account-secret/0123456789ab"


class Receiver:
    """A local HTTP endpoint: records every request; /fail answers 500, /reject 400, /token an OAuth token."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                receiver.requests.append({"method": self.command, "path": self.path,
                                          "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                if self.path.startswith("/fail"):
                    status, reply = 500, b"{}"
                elif self.path.startswith("/reject"):
                    status, reply = 400, b"{}"
                elif self.path.startswith("/token"):
                    status, reply = 200, json.dumps({"access_token": "tok-123", "expires_in": 3600}).encode()
                else:
                    status, reply = 200, b"{}"
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_PUT = do_GET = _handle

            def log_message(self, *_args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def to(self, path: str) -> list[dict[str, Any]]:
        return [request for request in self.requests if request["path"].startswith(path)]


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    instance = Receiver()
    yield instance
    instance.server.shutdown()
    instance.server.server_close()


@pytest.fixture
def events(server: Server) -> Iterator[Any]:
    client = server.client("events", region=REGION)
    yield client
    client.close()


def recorded_attempts(server: Server, rule_arn: str) -> int | None:
    """How many failed attempts the store has recorded for a rule's pending delivery, once no attempt is under way.

    Moving the clock while an attempt is still in flight would race it: the attempt is leased and the retry is
    scheduled from whatever the clock reads when the attempt ends."""
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text("SELECT attempts, leased_until FROM events_deliveries WHERE rule_arn = :arn"), {"arn": rule_arn}
            ).first()
    finally:
        engine.dispose()
    return None if row is None or row.leased_until is not None else int(row.attempts)


def queued_deliveries(server: Server, rule_arn: str) -> int:
    """How many deliveries of a rule the store holds (queued, being attempted or waiting for a retry)."""
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text("SELECT count(*) FROM events_deliveries WHERE rule_arn = :arn"),
                                          {"arn": rule_arn}).scalar_one())
    finally:
        engine.dispose()


def dead_letters(server: Server, rule_arn: str) -> list[dict[str, Any]]:
    """The dead-letter records of a rule, read from the server's store."""
    url = server.store_url
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM events_dead_letters WHERE rule_arn = :arn"),
                                      {"arn": rule_arn}).mappings()
            return [dict(row) for row in rows]
    finally:
        engine.dispose()


def api_destination(events: Any, receiver: Receiver, path: str, auth_type: str, auth: dict[str, Any],
                    method: str = "POST") -> str:
    connection = events.create_connection(Name=unique("conn"), AuthorizationType=auth_type, AuthParameters=auth)
    return events.create_api_destination(Name=unique("dest"), ConnectionArn=connection["ConnectionArn"],
                                         InvocationEndpoint=receiver.url + path, HttpMethod=method,
                                         InvocationRateLimitPerSecond=50)["ApiDestinationArn"]


def rule_to(events: Any, source: str, target: dict[str, Any], bus: str = "default") -> str:
    name = unique("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps({"source": [source]}))["RuleArn"]
    assert events.put_targets(Rule=name, EventBusName=bus, Targets=[target])["FailedEntryCount"] == 0
    return str(arn)


API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-secret-42"}}


def test_put_events_reach_an_api_destination_with_the_api_key(server: Server, events: Any, receiver: Receiver):
    path = f"/{unique('apikey')}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    source = unique("com.example")
    rule_to(events, source, {"Id": "http", "Arn": destination})
    reply = events.put_events(Entries=[{"Source": source, "DetailType": "Order Placed",
                                        "Detail": json.dumps({"order": 7}), "Resources": ["r1"]}])
    assert reply["FailedEntryCount"] == 0
    request = wait_for(lambda: receiver.to(path))[0]
    assert request["method"] == "POST"
    assert request["headers"]["x-api-key"] == "key-secret-42"
    assert request["headers"]["content-type"].startswith("application/json")
    event = json.loads(request["body"])
    assert event["id"] == reply["Entries"][0]["EventId"]
    assert (event["source"], event["detail-type"], event["detail"], event["resources"]) == (
        source, "Order Placed", {"order": 7}, ["r1"])
    assert event["region"] == REGION and event["version"] == "0"


def test_basic_auth_and_an_exact_input_transformer(server: Server, events: Any, receiver: Receiver):
    path = f"/{unique('basic')}"
    destination = api_destination(events, receiver, path, "BASIC",
                                  {"BasicAuthParameters": {"Username": "svc", "Password": "pa55"}})
    source = unique("com.example")
    transformer = {
        "InputPathsMap": {"instance": "$.detail.instance-id", "state": "$.detail.state", "ids": "$.detail.ids"},
        "InputTemplate": '{"instance": <instance>, "state": [9, <state>, true], '
                         '"message": "<instance> is in state \\"<state>\\"", "ids": <ids>, '
                         '"rule": "<aws.events.rule-name>"}',
    }
    rule_arn = rule_to(events, source, {"Id": "http", "Arn": destination, "InputTransformer": transformer})
    events.put_events(Entries=[{"Source": source, "DetailType": "EC2 Instance State-change Notification",
                                "Detail": json.dumps({"instance-id": "i-0123456789", "state": "RUNNING",
                                                      "ids": [1, 2]})}])
    request = wait_for(lambda: receiver.to(path))[0]
    assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"svc:pa55").decode()
    rule_name = rule_arn.rsplit("/", 1)[-1]
    assert request["body"].decode() == (
        '{"instance": "i-0123456789", "state": [9, "RUNNING", true], '
        '"message": "i-0123456789 is in state \\"RUNNING\\"", "ids": [1,2], '
        f'"rule": "{rule_name}"}}'
    )


def test_a_failing_endpoint_is_retried_on_clock_moves_then_dead_lettered(server: Server, events: Any,
                                                                          receiver: Receiver):
    path = f"/fail-{unique('retry')}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    source = unique("com.example")
    rule_arn = rule_to(events, source, {
        "Id": "http", "Arn": destination, "RetryPolicy": {"MaximumRetryAttempts": 2},
        "DeadLetterConfig": {"Arn": "arn:aws:sqs:ap-southeast-2:123456789012:dlq"}})
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}])
    wait_for(lambda: len(receiver.to(path)) == 1)
    assert wait_for(lambda: recorded_attempts(server, rule_arn) == 1)
    assert dead_letters(server, rule_arn) == []
    server.admin("clock", {"advance_seconds": 45})
    wait_for(lambda: len(receiver.to(path)) == 2)
    assert wait_for(lambda: recorded_attempts(server, rule_arn) == 2)
    assert dead_letters(server, rule_arn) == []
    server.admin("clock", {"advance_seconds": 90})
    wait_for(lambda: len(receiver.to(path)) == 3)
    [letter] = wait_for(lambda: dead_letters(server, rule_arn))
    assert letter["error_code"] == "RETRIES_EXHAUSTED" and letter["attempts"] == 3
    assert letter["dead_letter_arn"] == "arn:aws:sqs:ap-southeast-2:123456789012:dlq"
    assert "HTTP 500" in letter["error_message"]
    assert json.loads(letter["payload"])["source"] == source
    server.admin("clock", {"advance_seconds": 3600})
    assert len(receiver.to(path)) == 3


def test_client_errors_and_deauthorized_connections_are_not_retried(server: Server, events: Any,
                                                                    receiver: Receiver):
    path = f"/reject-{unique('client')}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    source = unique("com.example")
    rule_arn = rule_to(events, source, {"Id": "http", "Arn": destination})
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}])
    [letter] = wait_for(lambda: dead_letters(server, rule_arn))
    assert (letter["error_code"], letter["attempts"]) == ("THIRD_PARTY_FAILURE", 1)
    assert "HTTP 400" in letter["error_message"]
    events.deauthorize_connection(Name=_connection_name(events, destination))
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}])
    letters = wait_for(lambda: len(dead_letters(server, rule_arn)) == 2 and dead_letters(server, rule_arn))
    assert sorted(letter["error_code"] for letter in letters) == ["NO_PERMISSIONS", "THIRD_PARTY_FAILURE"]
    assert len(receiver.to(path)) == 1


def _name_of(arn: str) -> str:
    return arn.split("/")[1]


def _connection_name(events: Any, destination_arn: str) -> str:
    connection_arn = events.describe_api_destination(Name=_name_of(destination_arn))["ConnectionArn"]
    return connection_arn.split("/")[1]


def test_oauth_client_credentials_fetch_a_token_and_send_it(server: Server, events: Any, receiver: Receiver):
    path = f"/{unique('oauth')}"
    auth = {"OAuthParameters": {
        "ClientParameters": {"ClientID": "client-1", "ClientSecret": "client-secret-9"},
        "AuthorizationEndpoint": receiver.url + f"/token{path}", "HttpMethod": "POST"}}
    destination = api_destination(events, receiver, path, "OAUTH_CLIENT_CREDENTIALS", auth)
    connection = _connection_name(events, destination)
    source = unique("com.example")
    rule_to(events, source, {"Id": "http", "Arn": destination})
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": "{}"}])
    request = wait_for(lambda: receiver.to(path))[0]
    assert request["headers"]["authorization"] == "Bearer tok-123"
    token_request = receiver.to(f"/token{path}")[0]
    assert token_request["headers"]["authorization"] == "Basic " + base64.b64encode(
        b"client-1:client-secret-9").decode()
    assert token_request["body"] == b"grant_type=client_credentials"
    described = events.describe_connection(Name=connection)
    assert described["ConnectionState"] == "AUTHORIZED"
    assert described["AuthParameters"]["OAuthParameters"]["ClientParameters"] == {"ClientID": "client-1"}


def test_connections_never_show_their_secrets(events: Any):
    name = unique("secretive")
    auth = {**API_KEY, "InvocationHttpParameters": {"HeaderParameters": [
        {"Key": "x-visible", "Value": "shown", "IsValueSecret": False},
        {"Key": "x-hidden", "Value": "not-shown", "IsValueSecret": True}]}}
    created = events.create_connection(Name=name, AuthorizationType="API_KEY", AuthParameters=auth)
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=name)
    assert "key-secret-42" not in json.dumps(described, default=str)
    assert "not-shown" not in json.dumps(described, default=str)
    assert described["AuthParameters"]["ApiKeyAuthParameters"] == {"ApiKeyName": "x-api-key"}
    assert described["AuthParameters"]["InvocationHttpParameters"]["HeaderParameters"] == [
        {"Key": "x-visible", "Value": "shown", "IsValueSecret": False}, {"Key": "x-hidden", "IsValueSecret": True}]
    updated = events.update_connection(Name=name, Description="rotated", AuthParameters={
        "ApiKeyAuthParameters": {"ApiKeyValue": "new-secret"}})
    assert updated["ConnectionState"] == "AUTHORIZED"
    assert events.describe_connection(Name=name)["Description"] == "rotated"
    assert name in [item["Name"] for item in events.list_connections(NamePrefix=name)["Connections"]]
    assert events.deauthorize_connection(Name=name)["ConnectionState"] == "DEAUTHORIZED"
    assert events.delete_connection(Name=name)["ConnectionState"] == "DELETING"
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_connection(Name=name)
    with pytest.raises(events.exceptions.ResourceAlreadyExistsException):
        for _ in range(2):
            events.create_connection(Name=name + "-dup", AuthorizationType="API_KEY", AuthParameters=API_KEY)


def test_connection_secrets_are_not_in_the_audit_trail(server: Server, events: Any):
    name = unique("audited")
    events.create_connection(Name=name, AuthorizationType="BASIC", AuthParameters={
        "BasicAuthParameters": {"Username": "auditor", "Password": "audit-password-77"}})
    url = server.store_url
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            records = [json.loads(row[0]) for row in connection.execute(text(
                "SELECT record FROM audit_events WHERE event_name = 'CreateConnection'"))]
            stored = [bytes(row[0]) for row in connection.execute(text(
                "SELECT sealed_secrets FROM events_connections WHERE name = :name"), {"name": name})]
    finally:
        engine.dispose()
    mine = [record for record in records if name in json.dumps(record["requestParameters"])]
    assert len(mine) == 1
    assert "audit-password-77" not in json.dumps(records)
    assert "auditor" in json.dumps(mine)
    assert stored and b"audit-password-77" not in stored[0]


def test_api_destination_operations(events: Any, receiver: Receiver):
    connection = events.create_connection(Name=unique("c"), AuthorizationType="API_KEY", AuthParameters=API_KEY)
    name = unique("d")
    arn = events.create_api_destination(Name=name, ConnectionArn=connection["ConnectionArn"],
                                        InvocationEndpoint=receiver.url + "/x", HttpMethod="PUT")["ApiDestinationArn"]
    described = events.describe_api_destination(Name=name)
    assert (described["ApiDestinationArn"], described["HttpMethod"], described["ApiDestinationState"],
            described["InvocationRateLimitPerSecond"]) == (arn, "PUT", "ACTIVE", 300)
    events.update_api_destination(Name=name, InvocationRateLimitPerSecond=5, HttpMethod="POST")
    described = events.describe_api_destination(Name=name)
    assert (described["HttpMethod"], described["InvocationRateLimitPerSecond"]) == ("POST", 5)
    listed = events.list_api_destinations(NamePrefix=name)["ApiDestinations"]
    assert [item["Name"] for item in listed] == [name]
    events.delete_api_destination(Name=name)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.describe_api_destination(Name=name)
    with pytest.raises(events.exceptions.ResourceNotFoundException):
        events.create_api_destination(Name=name, InvocationEndpoint=receiver.url, HttpMethod="POST",
                                      ConnectionArn=connection["ConnectionArn"] + "0")


def test_a_scheduled_rule_fires_on_the_server_clock(server: Server, events: Any, receiver: Receiver):
    path = f"/{unique('schedule')}"
    destination = api_destination(events, receiver, path, "API_KEY", API_KEY)
    name = unique("every5")
    arn = events.put_rule(Name=name, ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "http", "Arn": destination}])
    # Every scheduled task runs once before a clock move is answered: a rule firing before it is due
    # would have been delivered (or queued) by then.
    server.admin("clock", {"advance_seconds": 1})
    assert (receiver.to(path), queued_deliveries(server, arn)) == ([], 0)
    server.admin("clock", {"advance_seconds": 301})
    request = wait_for(lambda: receiver.to(path))[0]
    event = json.loads(request["body"])
    assert (event["source"], event["detail-type"], event["resources"], event["detail"]) == (
        "aws.events", "Scheduled Event", [arn], {})
    events.disable_rule(Name=name)
    server.admin("clock", {"advance_seconds": 301})
    assert (len(receiver.to(path)), queued_deliveries(server, arn)) == (1, 0)


def test_events_forwarded_to_a_bus_in_another_account_need_its_policy(server: Server, events: Any,
                                                                      receiver: Receiver, tmp_path: Path):
    create_account(server, OTHER_ACCOUNT, OTHER_KEY_ID, OTHER_SECRET, tmp_path / "admin")
    other = server.client("events", region=REGION, key=OTHER_KEY_ID, secret=OTHER_SECRET)
    bus = unique("inbox")
    bus_arn = other.create_event_bus(Name=bus)["EventBusArn"]
    path = f"/{unique('crossaccount')}"
    destination = api_destination(other, receiver, path, "API_KEY", API_KEY)
    source = unique("com.example")
    rule_to(other, source, {"Id": "http", "Arn": destination}, bus=bus)
    forward_rule = rule_to(events, source, {"Id": "bus", "Arn": bus_arn})
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": '{"n": 1}'}])
    [letter] = wait_for(lambda: dead_letters(server, forward_rule))
    assert letter["error_code"] == "NO_PERMISSIONS"
    my_account = events.describe_event_bus()["Arn"].split(":")[4]
    other.put_permission(EventBusName=bus, Action="events:PutEvents", Principal=my_account, StatementId="me")
    events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": '{"n": 2}'}])
    request = wait_for(lambda: receiver.to(path))[0]
    event = json.loads(request["body"])
    assert event["detail"] == {"n": 2} and event["account"] == my_account
    # PutEvents straight onto the other account's bus is allowed by the same policy.
    reply = events.put_events(Entries=[{"Source": source, "DetailType": "t", "Detail": '{"n": 3}',
                                        "EventBusName": bus_arn}])
    assert reply["FailedEntryCount"] == 0
    wait_for(lambda: len(receiver.to(path)) == 2)
    other.close()
