"""The operator's controls, tried by someone who is not the operator: outside --dev, moving the clock
and resetting the store take a SigV4 request from the operator account's root; every such call (and
every account made) is in CloudTrail; business time never goes back on a store that served traffic;
and two workers moving the clock at once add their moves up. On SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Server
from .helpers import BOTH_DATABASES, own_server, unique, wait_for
from .test_devmode_pipeline import DevServer

DAY = 86400
ADMIN_ALL = json.dumps({"Version": "2012-10-17",
                        "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


@pytest.fixture(params=BOTH_DATABASES)
def guarded(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    """A server started with --enable-clock-control and --enable-reset on an ordinary data dir."""
    yield from own_server(request, tmp_path, options=["--enable-reset"])


@pytest.fixture(params=BOTH_DATABASES)
def guarded_two_workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Server]:
    yield from own_server(request, tmp_path, workers=2, options=["--enable-reset"])


def operator_events(server: Server) -> list[dict[str, Any]]:
    """The operator calls CloudTrail holds, oldest first."""
    pages = server.client("cloudtrail").get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": "EventSource", "AttributeValue": "strongroom"}])
    events = [json.loads(event["CloudTrailEvent"]) for page in pages for event in page["Events"]]
    return sorted(events, key=lambda event: event["eventTime"])


def business_now(server: Server) -> datetime:
    status, body = server.admin("clock")
    assert status == 200, body
    return datetime.fromisoformat(body["now"])


def admin_user_keys(server: Server) -> dict[str, str]:
    """Access keys of an IAM user of the operator's account allowed every action."""
    iam = server.client("iam")
    name = unique("not-the-operator")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ADMIN_ALL)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def other_account_root(server: Server) -> dict[str, str]:
    reply = server.send("strongroom", b"{}", path="/_strongroom/accounts", headers={"Content-Type": "application/json"})
    assert reply.status == 200, reply.body
    created = reply.json()
    return {"key": created["AccessKeyId"], "secret": created["SecretAccessKey"]}


def test_only_the_operators_root_moves_the_clock_or_resets(guarded: Server) -> None:
    kms = guarded.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    before = business_now(guarded)
    advance = json.dumps({"advance_seconds": 31 * DAY}).encode()
    strangers = [{"sign": False}, admin_user_keys(guarded), other_account_root(guarded)]
    for stranger in strangers:
        for path in ("/_strongroom/clock", "/_strongroom/reset", "/_localstack/state/reset"):
            reply = guarded.send("strongroom", advance, path=path, **stranger)  # type: ignore[arg-type]
            assert reply.status == 403, (path, stranger, reply.body)
            assert reply.json()["error"] == "AccessDenied"
    # Signed for another service by the operator's root: refused too.
    assert guarded.send("kms", advance, path="/_strongroom/clock").status == 403
    # Nothing moved, nothing was wiped: the key is still pending deletion, in the same business time.
    assert business_now(guarded) - before < timedelta(minutes=5)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert not any(event["eventName"] in ("MoveClock", "ResetStore") for event in operator_events(guarded))

    # The operator's root may: the window runs out and the key is gone.
    status, _ = guarded.admin("clock", {"advance_seconds": 8 * DAY})
    assert status == 200
    with pytest.raises(ClientError) as gone:
        kms.describe_key(KeyId=key_id)
    assert gone.value.response["Error"]["Code"] == "NotFoundException"


def test_operator_calls_are_recorded_without_secrets(guarded: Server) -> None:
    reply = guarded.send("strongroom", json.dumps({"SecretAccessKey": "s" * 40}).encode(),
                         path="/_strongroom/accounts", headers={"Content-Type": "application/json"})
    assert reply.status == 200, reply.body
    created = reply.json()
    assert "SecretAccessKey" not in created  # the operator supplied it: never sent back
    assert guarded.admin("clock", {"advance_seconds": 60})[0] == 200

    events = operator_events(guarded)
    assert [event["eventName"] for event in events] == ["CreateAccount", "MoveClock"]
    account, clock = events
    for event in events:
        assert event["userIdentity"]["type"] == "Root"
        assert event["userIdentity"]["arn"] == "arn:aws:iam::000000000000:root"
        assert event["userIdentity"]["accessKeyId"] == guarded.access_key_id
        assert event["recipientAccountId"] == "000000000000"
        assert event["readOnly"] is False
    assert account["responseElements"] == {"accountId": created["AccountId"], "accessKeyId": created["AccessKeyId"]}
    assert "s" * 40 not in json.dumps(events)
    assert clock["requestParameters"] == {"advanceSeconds": 60}
    assert datetime.fromisoformat(clock["responseElements"]["now"]) - datetime.fromisoformat(
        clock["responseElements"]["previous"]) >= timedelta(seconds=60)

    # A reset wipes the trail, and the new trail begins with the reset's own record.
    reply = guarded.send("strongroom", b"", path="/_strongroom/reset")
    assert reply.status == 200, reply.body
    after = operator_events(guarded)
    assert [event["eventName"] for event in after] == ["ResetStore"]
    assert after[0]["responseElements"] == {"generation": reply.json()["generation"]}
    assert after[0]["userIdentity"]["accessKeyId"] == guarded.access_key_id


def test_business_time_never_goes_back_once_the_store_served_traffic(guarded: Server) -> None:
    # A store that has served nothing yet may start anywhere, earlier included.
    assert guarded.admin("clock", {"set": "2031-01-01T00:00:00+00:00"})[0] == 200
    assert guarded.admin("clock", {"set": "2030-06-01T00:00:00+00:00"})[0] == 200
    assert business_now(guarded).year == 2030

    sts = guarded.client("sts")
    session = sts.get_session_token(DurationSeconds=900)["Credentials"]
    temporary = boto3.client("sts", endpoint_url=guarded.endpoint, region_name="us-east-1",
                             aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
                             aws_session_token=session["SessionToken"], config=Config(retries={"max_attempts": 1}))
    assert temporary.get_caller_identity()["Arn"] == "arn:aws:iam::000000000000:root"
    assert guarded.admin("clock", {"advance_seconds": 1000})[0] == 200
    with pytest.raises(ClientError) as expired:
        temporary.get_caller_identity()
    assert expired.value.response["Error"]["Code"] == "ExpiredToken"

    moved = business_now(guarded)
    for back in ({"advance_seconds": -1000}, {"set": "2030-06-01T00:00:00+00:00"}):
        status, body = guarded.admin("clock", back)
        assert (status, body["error"]) == (409, "ClockWouldGoBack"), body
    assert business_now(guarded) >= moved
    with pytest.raises(ClientError) as still_expired:
        temporary.get_caller_identity()
    assert still_expired.value.response["Error"]["Code"] == "ExpiredToken"

    # A reset wipes the trail, not the fact that this store served traffic.
    assert guarded.send("strongroom", b"", path="/_strongroom/reset").status == 200
    status, body = guarded.admin("clock", {"advance_seconds": -DAY})
    assert (status, body["error"]) == (409, "ClockWouldGoBack")


@pytest.mark.parametrize("body", [{"advance_seconds": "soon"}, {"advance_seconds": float("inf")},
                                  {"advance_seconds": 1e300}, {"advance_seconds": True}, {"set": "yesterday"},
                                  {"set": "0001-01-01T00:00:00"}, {}, [1, 2]])
def test_bad_clock_moves_are_refused_and_change_nothing(server: Server, body: Any) -> None:
    before = business_now(server)
    reply = server.send("strongroom", json.dumps(body).encode().replace(b"Infinity", b"1e999"),
                        path="/_strongroom/clock", headers={"Content-Type": "application/json"})
    assert reply.status == 400, reply.body
    assert reply.json()["error"] == "BadRequest"
    assert business_now(server) - before < timedelta(minutes=5)


def test_two_workers_moving_the_clock_at_once_add_their_moves_up(guarded_two_workers: Server) -> None:
    server = guarded_two_workers
    server.client("sts").get_caller_identity()
    before = business_now(server)
    moves = 16
    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(lambda _: server.admin("clock", {"advance_seconds": 600})[0], range(moves)))
    assert statuses == [200] * moves
    moved = business_now(server) - before
    assert timedelta(seconds=600 * moves) <= moved < timedelta(seconds=600 * moves + 300)
    # Every move is recorded. The worker answering LookupEvents sees the events up to its own business
    # time, which follows another worker's move within the scheduler's interval.
    recorded = wait_for(lambda: [event["eventName"] for event in operator_events(server)] == ["MoveClock"] * moves)
    assert recorded


def test_developer_mode_takes_unsigned_calls_and_still_records_them(tmp_path: Path) -> None:
    server = DevServer(tmp_path)
    try:
        status, body = server.post("/_strongroom/clock")
        # An empty body says no move; but it was let through unsigned.
        assert (status, body["error"]) == (400, "BadRequest")
        request = server.send("strongroom", json.dumps({"advance_seconds": DAY}).encode(),
                              path="/_strongroom/clock", sign=False)
        assert request.status == 200, request.body
        (event,) = operator_events(server)
        assert event["eventName"] == "MoveClock"
        assert event["userIdentity"]["type"] == "Unknown"
        # Going back is a developer's choice on a throwaway store.
        server.client("kms").create_key()
        back = server.send("strongroom", json.dumps({"advance_seconds": -DAY}).encode(),
                           path="/_strongroom/clock", sign=False)
        assert back.status == 200, back.body
    finally:
        server.stop()
