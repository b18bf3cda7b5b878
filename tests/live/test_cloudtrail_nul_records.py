"""A NUL in an audited parameter (which PostgreSQL's jsonb cannot hold): the event is stored, indexed and
found by resource, its record comes back exactly as stored, and the resource index keeps advancing."""

from __future__ import annotations

import json

import pytest

from tests.live.helpers import stored_rows
from tests.live.test_cloudtrail_lookup import Actor, lookup_all


def test_a_nul_in_a_parameter_is_indexed_and_found(server):
    actor = Actor(server)
    kms = actor.client("kms")
    key = kms.create_key(Description="nul")["KeyMetadata"]
    context = {"purpose": "before\x00after \x00"}
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)
    with pytest.raises(kms.exceptions.NotFoundException):
        kms.describe_key(KeyId="no-such-key\x00")
    later = kms.create_key(Description="after the NUL")["KeyMetadata"]
    # Past the settle time and a scheduler run: every one of them is indexed, and the index moved on.
    server.admin("clock", {"advance_seconds": 30})
    (watermark,), = stored_rows(server, "SELECT seq FROM cloudtrail_watermarks WHERE name = 'event-resources'")
    events = {row.event_name: row for row in stored_rows(
        server, "SELECT seq, event_name, record FROM audit_events WHERE username = :name", name=actor.name)}
    assert watermark >= max(row.seq for row in events.values())
    indexed = {row.seq for row in stored_rows(server, "SELECT seq FROM cloudtrail_event_resources WHERE seq >= :seq",
                                          seq=min(row.seq for row in events.values()))}
    assert events["Encrypt"].seq in indexed

    cloudtrail = actor.client("cloudtrail")
    found = lookup_all(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": key["Arn"]}])
    encrypt = next(event for event in found if event["EventName"] == "Encrypt")
    # The record round-trips exactly: the very text stored, NULs and all.
    assert encrypt["CloudTrailEvent"] == events["Encrypt"].record
    assert json.loads(encrypt["CloudTrailEvent"])["requestParameters"]["encryptionContext"] == context
    by_later = lookup_all(cloudtrail, LookupAttributes=[{"AttributeKey": "ResourceName",
                                                         "AttributeValue": later["KeyId"]}])
    assert [event["EventName"] for event in by_later] == ["CreateKey"]
    failed = lookup_all(cloudtrail, LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeKey"}])
    mine = [event for event in failed if event.get("Username") == actor.name]
    assert json.loads(mine[0]["CloudTrailEvent"])["requestParameters"]["keyId"] == "no-such-key\x00"
    # Read by the store's own functions or parsed here, never refused: no error from the indexer.
    assert "scheduled task index-event-resources failed" not in server.output()
    assert "could not read the resources" not in server.output()
