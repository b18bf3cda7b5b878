"""CloudTrail LookupEvents over boto3 and the aws CLI: every lookup attribute, time ranges, pagination
over thousands of events, newest first, and AWS's errors.

The server is shared with other test files, so each test looks for what a user of its own did.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


class Actor:
    """An IAM user of its own, so a test can tell its events from everyone else's."""

    def __init__(self, server: Any) -> None:
        iam = server.client("iam")
        self.name = f"ct-{uuid.uuid4().hex[:12]}"
        iam.create_user(UserName=self.name)
        iam.put_user_policy(UserName=self.name, PolicyName="all", PolicyDocument=ALLOW_ALL)
        key = iam.create_access_key(UserName=self.name)["AccessKey"]
        self.key_id = key["AccessKeyId"]
        self.server = server
        self.secret = key["SecretAccessKey"]

    def client(self, service: str, region: str = "us-east-1") -> Any:
        return self.server.client(service, region=region, key=self.key_id, secret=self.secret)


def lookup_all(cloudtrail: Any, **params: Any) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in cloudtrail.get_paginator("lookup_events").paginate(**params):
        events.extend(page["Events"])
    return events


def by_user(actor: Actor) -> dict[str, Any]:
    return {"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": actor.name}]}


@pytest.fixture(scope="module")
def actor(server):
    return Actor(server)


@pytest.fixture(scope="module")
def cloudtrail(server):
    return server.client("cloudtrail")


@pytest.fixture(scope="module")
def key_arn(actor):
    """A KMS key the actor created and used: events with resources."""
    kms = actor.client("kms")
    arn = kms.create_key(Description="lookup")["KeyMetadata"]["Arn"]
    kms.describe_key(KeyId=arn)
    kms.encrypt(KeyId=arn, Plaintext=b"secret-value-never-in-records")
    return arn


def test_lookup_by_username_shows_the_event_shape(actor, cloudtrail, key_arn):
    events = lookup_all(cloudtrail, **by_user(actor))
    names = [event["EventName"] for event in events]
    assert names[:3] == ["Encrypt", "DescribeKey", "CreateKey"]
    encrypt = events[0]
    assert encrypt["Username"] == actor.name and encrypt["AccessKeyId"] == actor.key_id
    assert encrypt["EventSource"] == "kms.amazonaws.com"
    assert encrypt["Resources"] == [{"ResourceType": "AWS::KMS::Key", "ResourceName": key_arn}]
    record = json.loads(encrypt["CloudTrailEvent"])
    assert record["eventID"] == encrypt["EventId"] and record["eventName"] == "Encrypt"
    assert record["userIdentity"]["userName"] == actor.name
    assert "secret-value-never-in-records" not in encrypt["CloudTrailEvent"]
    assert events[1]["ReadOnly"] == "true" and events[2]["ReadOnly"] == "false"


@pytest.mark.parametrize("key", ["EventId", "EventName", "ReadOnly", "EventSource", "AccessKeyId"])
def test_lookup_by_each_column_attribute(actor, cloudtrail, key_arn, key):
    mine = lookup_all(cloudtrail, **by_user(actor))
    create = next(event for event in mine if event["EventName"] == "CreateKey")
    value = {"EventId": create["EventId"], "EventName": "CreateKey", "ReadOnly": "false",
             "EventSource": "kms.amazonaws.com", "AccessKeyId": actor.key_id}[key]
    member = {"EventId": "EventId", "EventName": "EventName", "ReadOnly": "ReadOnly",
              "EventSource": "EventSource", "AccessKeyId": "AccessKeyId"}[key]
    start = create["EventTime"] - timedelta(seconds=1)
    found = lookup_all(cloudtrail, StartTime=start,
                       LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])
    assert create["EventId"] in [event["EventId"] for event in found]
    assert all(event[member] == value for event in found)
    if key == "EventId":
        assert len(found) == 1


@pytest.mark.parametrize("key", ["ResourceName", "ResourceType"])
def test_lookup_by_resource(actor, cloudtrail, key_arn, key):
    value = key_arn if key == "ResourceName" else "AWS::KMS::Key"
    mine = lookup_all(cloudtrail, **by_user(actor))
    start = min(event["EventTime"] for event in mine)
    found = lookup_all(cloudtrail, StartTime=start, LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}])
    ours = [event["EventName"] for event in found if event.get("Username") == actor.name]
    assert ours == ["Encrypt", "DescribeKey", "CreateKey"]
    for event in found:
        assert any(resource[key] == value for resource in event["Resources"])


def test_lookup_by_resource_short_name_after_indexing(server, actor, cloudtrail, key_arn):
    # Past the settle time and a scheduler run, the events are read from the resource index.
    server.admin("clock", {"advance_seconds": 30})
    key_id = key_arn.rsplit("/", 1)[-1]
    found = lookup_all(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key_id}])
    assert [event["EventName"] for event in found if event.get("Username") == actor.name] == [
        "Encrypt", "DescribeKey", "CreateKey"]


def test_resource_type_pages_hold_whole_pages(server, actor, cloudtrail, key_arn):
    server.admin("clock", {"advance_seconds": 30})
    attribute = [{"AttributeKey": "ResourceType", "AttributeValue": "AWS::KMS::Key"}]
    first = cloudtrail.lookup_events(MaxResults=2, LookupAttributes=attribute)
    assert len(first["Events"]) == 2 and "NextToken" in first
    second = cloudtrail.lookup_events(MaxResults=2, LookupAttributes=attribute, NextToken=first["NextToken"])
    assert not {e["EventId"] for e in first["Events"]} & {e["EventId"] for e in second["Events"]}


def test_time_range_is_inclusive(actor, cloudtrail, key_arn):
    events = lookup_all(cloudtrail, **by_user(actor))
    create = next(event for event in events if event["EventName"] == "CreateKey")
    at = create["EventTime"]
    found = lookup_all(cloudtrail, StartTime=at, EndTime=at, **by_user(actor))
    assert create["EventId"] in [event["EventId"] for event in found]
    assert all(event["EventTime"] == at for event in found)
    before = lookup_all(cloudtrail, EndTime=at - timedelta(seconds=1), **by_user(actor))
    assert create["EventId"] not in [event["EventId"] for event in before]


def test_errors(cloudtrail):
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(StartTime="2024-02-01T00:00:00Z", EndTime="2024-01-01T00:00:00Z")
    assert excinfo.value.response["Error"]["Code"] == "InvalidTimeRangeException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "A"},
                                                   {"AttributeKey": "EventName", "AttributeValue": "B"}])
    assert excinfo.value.response["Error"]["Code"] == "InvalidLookupAttributesException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(NextToken="not-a-token")
    assert excinfo.value.response["Error"]["Code"] == "InvalidNextTokenException"
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(MaxResults=51)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_next_token_is_bound_to_its_query(actor, cloudtrail, key_arn):
    page = cloudtrail.lookup_events(MaxResults=1, **by_user(actor))
    token = page["NextToken"]
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(MaxResults=1, NextToken=token,
                                 LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "Encrypt"}])
    assert excinfo.value.response["Error"]["Code"] == "InvalidNextTokenException"
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(ClientError) as excinfo:
        cloudtrail.lookup_events(MaxResults=1, NextToken=tampered, **by_user(actor))
    assert excinfo.value.response["Error"]["Code"] == "InvalidNextTokenException"


def test_pagination_over_thousands_of_events_newest_first(server, cloudtrail):
    crowd = Actor(server)
    count = 2000
    sts = crowd.client("sts")
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(lambda _n: sts.get_caller_identity(), range(count)))
    made = time.monotonic() - started
    started = time.monotonic()
    pages = list(cloudtrail.get_paginator("lookup_events").paginate(**by_user(crowd)))
    paged = time.monotonic() - started
    events = [event for page in pages for event in page["Events"]]
    assert len(pages) == count // 50 and all(len(page["Events"]) == 50 for page in pages)
    assert len({event["EventId"] for event in events}) == count
    assert all(event["EventName"] == "GetCallerIdentity" for event in events)
    times = [event["EventTime"] for event in events]
    assert times == sorted(times, reverse=True)
    seqs = [json.loads(event["CloudTrailEvent"])["eventTime"] for event in events]
    assert seqs == sorted(seqs, reverse=True)
    print(f"{count} events made in {made:.1f}s; {len(pages)} pages read in {paged:.2f}s")


def test_aws_cli_lookup_events(server, actor, key_arn):
    reply = subprocess.run(
        ["aws", "cloudtrail", "lookup-events", "--lookup-attributes",
         f"AttributeKey=Username,AttributeValue={actor.name}", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert reply.returncode == 0, reply.stderr
    events = json.loads(reply.stdout)["Events"]
    assert [event["EventName"] for event in events][:3] == ["Encrypt", "DescribeKey", "CreateKey"]


def test_multi_region_scope(actor, server, key_arn):
    """LookupEvents answers the caller's region only."""
    west = server.client("cloudtrail", region="eu-west-1")
    actor.client("kms", region="eu-west-1").list_keys()
    found = lookup_all(west, **by_user(actor))
    assert [event["EventName"] for event in found] == ["ListKeys"]
    assert json.loads(found[0]["CloudTrailEvent"])["awsRegion"] == "eu-west-1"
