"""Patterns users write never freeze the server: long values against many wildcards are answered
promptly and rightly, and the server keeps answering everyone else while a batch of them runs.

Before the linear matcher, one Encrypt whose User-Agent met a key policy's `StringLike
"*a*a*a*a*a*b"` held the whole process for ~20 s at 110 characters, and without bound beyond.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.helpers import error_of, unique

MANY_STARS = "*a*a*a*a*a*a*a*a*b"
MATCHING_AGENT = "x" + "a" * 5_000 + "b"  # ends in b: matches MANY_STARS
OTHER_AGENT = "a" * 5_000  # no b: every backtracking split of the stars is tried, and fails
HEALTH_DEADLINE = 3.0  # seconds; a frozen worker answers nothing for minutes


def client_with_agent(server: Any, service: str, agent: str) -> Any:
    """A client whose requests carry exactly `agent` as their User-Agent."""
    client = server.client(service)  # botocore's read timeout, 60 s, is what "promptly" has to beat

    def replace(request: Any, **_: Any) -> None:
        del request.headers["User-Agent"]
        request.headers["User-Agent"] = agent

    client.meta.events.register("before-send", replace)
    return client


def health_seconds(server: Any) -> float:
    started = time.monotonic()
    with urllib.request.urlopen(f"{server.endpoint}/_strongroom/health", timeout=HEALTH_DEADLINE) as reply:
        assert reply.status == 200
    return time.monotonic() - started


def while_running(server: Any, calls: list[Callable[[], Any]]) -> Iterator[Future[Any]]:
    """Run `calls` eight at a time, checking health every 50 ms until they are done; their futures."""
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = [pool.submit(call) for call in calls]
        while not all(future.done() for future in futures):
            assert health_seconds(server) < HEALTH_DEADLINE
            time.sleep(0.05)
    yield from futures


def outcome(call: Callable[[], Any]) -> str:
    try:
        call()
    except ClientError as error:
        return str(error.response["Error"]["Code"])
    return "ok"


def test_a_key_policy_with_many_wildcards_decides_long_user_agents_promptly(server, kms):
    account = server.client("sts").get_caller_identity()["Account"]
    root = f"arn:aws:iam::{account}:root"
    key_id = kms.create_key(Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Manage", "Effect": "Allow", "Principal": {"AWS": root},
         "Action": ["kms:PutKeyPolicy", "kms:DescribeKey", "kms:ScheduleKeyDeletion"], "Resource": "*"},
        {"Sid": "Agents", "Effect": "Allow", "Principal": {"AWS": root}, "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringLike": {"aws:UserAgent": MANY_STARS}}},
    ]}))["KeyMetadata"]["KeyId"]
    matching, other = client_with_agent(server, "kms", MATCHING_AGENT), client_with_agent(server, "kms", OTHER_AGENT)
    assert matching.encrypt(KeyId=key_id, Plaintext=b"x")["KeyId"].endswith(key_id)
    with pytest.raises(ClientError) as raised:
        other.encrypt(KeyId=key_id, Plaintext=b"x")
    assert error_of(raised)[0] == "AccessDeniedException"

    calls = [lambda c=c: c.encrypt(KeyId=key_id, Plaintext=b"x") for c in (matching, other) * 12]
    outcomes = [outcome(future.result) for future in while_running(server, calls)]
    assert outcomes == ["ok", "AccessDeniedException"] * 12


def test_a_secret_policy_with_many_wildcards_decides_long_user_agents_promptly(server, sm):
    name = unique("agents")
    sm.create_secret(Name=name, SecretString="s3cr3t")
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "secretsmanager:GetSecretValue", "Resource": "*",
         "Condition": {"StringNotLike": {"aws:UserAgent": MANY_STARS}}},
    ]}))
    matching = client_with_agent(server, "secretsmanager", MATCHING_AGENT)
    other = client_with_agent(server, "secretsmanager", OTHER_AGENT)
    assert matching.get_secret_value(SecretId=name)["SecretString"] == "s3cr3t"
    with pytest.raises(ClientError) as raised:
        other.get_secret_value(SecretId=name)
    assert error_of(raised)[0] == "AccessDeniedException"

    calls = [lambda c=c: c.get_secret_value(SecretId=name) for c in (matching, other) * 12]
    outcomes = [outcome(future.result) for future in while_running(server, calls)]
    assert outcomes == ["ok", "AccessDeniedException"] * 12


def test_an_event_pattern_with_many_wildcards_against_large_events(server):
    events = server.client("events")
    pattern = json.dumps({"detail": {"note": [{"wildcard": MANY_STARS}]}})
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name=unique("stars"), EventBusName=bus, EventPattern=pattern)
    notes = [OTHER_AGENT + str(index) for index in range(40)]  # ~200 KB of near misses

    def event(note: Any) -> str:
        return json.dumps({"id": "1", "account": "000000000000", "source": "app", "detail-type": "t",
                           "time": "2026-01-01T00:00:00Z", "region": "us-east-1", "resources": [],
                           "detail": {"note": note}})

    assert events.test_event_pattern(EventPattern=pattern, Event=event(notes))["Result"] is False
    assert events.test_event_pattern(EventPattern=pattern, Event=event([*notes, MATCHING_AGENT]))["Result"] is True

    def put() -> Any:
        entry = {"Source": "app", "DetailType": "t", "Detail": json.dumps({"note": notes[:8]}), "EventBusName": bus}
        return events.put_events(Entries=[entry])["FailedEntryCount"]

    calls = [lambda: events.test_event_pattern(EventPattern=pattern, Event=event(notes))["Result"]] * 8 + [put] * 8
    results = [future.result() for future in while_running(server, calls)]
    assert results == [False] * 8 + [0] * 8


def test_allowed_patterns_that_backtrack_or_unroll_are_bounded(server, ssm):
    name = unique("/pattern")
    with pytest.raises(ClientError) as raised:
        ssm.put_parameter(Name=name, Type="String", Value="a" * 30, AllowedPattern="((a{1000}){1000}){1000}")
    assert error_of(raised)[0] == "InvalidAllowedPatternException"

    def put(index: int) -> str:
        return outcome(lambda: ssm.put_parameter(
            Name=f"{name}/{index}", Type="String", Value="a" * 4_000 + "!", AllowedPattern="^(a|a)*$"))

    outcomes = [future.result() for future in while_running(server, [lambda i=i: put(i) for i in range(8)])]
    assert outcomes == ["ParameterPatternMismatchException"] * 8
    assert ssm.put_parameter(Name=name, Type="String", Value="aaaa", AllowedPattern="^(a|a)*$")["Version"] == 1
