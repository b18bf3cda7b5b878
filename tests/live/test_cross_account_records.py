"""A call that uses another account's resource is recorded in both accounts, as CloudTrail does: each
copy has its own eventID and recipientAccountId, both share one sharedEventID, and the owner's copy
shows who used its resource."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from .conftest import Server
from .helpers import unique
from .kms_principals import create_account

OTHER_ACCOUNT = "121212343434"
OTHER_KEY_ID = "AKIARECORDSOTHER0001"
OTHER_SECRET = "other-account-secret-key/0123456789abcdef"


def _other(server: Server, tmp_path: Path, service: str) -> Any:
    create_account(server, OTHER_ACCOUNT, OTHER_KEY_ID, OTHER_SECRET, tmp_path)
    return server.client(service, key=OTHER_KEY_ID, secret=OTHER_SECRET)


def _records(cloudtrail: Any, attribute: dict[str, str], request_id: str) -> list[dict[str, Any]]:
    """The records LookupEvents shows for `request_id` (waiting briefly for them to be listed)."""
    deadline = time.monotonic() + 10
    while True:
        events = cloudtrail.lookup_events(LookupAttributes=[attribute], MaxResults=50)["Events"]
        found = [json.loads(event["CloudTrailEvent"]) for event in events]
        found = [record for record in found if record["requestID"] == request_id]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_using_another_accounts_key_is_recorded_in_both(server: Server, tmp_path: Path) -> None:
    owner_kms = server.client("kms")
    key = owner_kms.create_key(Description=unique("shared"))["KeyMetadata"]
    owner_kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:root"}, "Action": "kms:*",
             "Resource": "*"},
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"},
             "Action": ["kms:Encrypt"], "Resource": "*"},
        ],
    }))
    other_kms = _other(server, tmp_path, "kms")
    answer = other_kms.encrypt(KeyId=key["Arn"], Plaintext=b"shared use")
    request_id = answer["ResponseMetadata"]["RequestId"]

    by_key = {"AttributeKey": "ResourceName", "AttributeValue": key["Arn"]}
    owner_copy = _records(server.client("cloudtrail"), by_key, request_id)
    other_copy = _records(server.client("cloudtrail", key=OTHER_KEY_ID, secret=OTHER_SECRET),
                          {"AttributeKey": "EventName", "AttributeValue": "Encrypt"}, request_id)
    assert len(owner_copy) == 1 and len(other_copy) == 1
    mine, theirs = other_copy[0], owner_copy[0]
    assert mine["recipientAccountId"] == OTHER_ACCOUNT
    assert theirs["recipientAccountId"] == "000000000000"
    assert mine["eventID"] != theirs["eventID"]
    assert mine["sharedEventID"] == theirs["sharedEventID"]
    # The owner sees who used its key.
    assert theirs["userIdentity"]["accountId"] == OTHER_ACCOUNT
    assert theirs["userIdentity"]["arn"] == f"arn:aws:iam::{OTHER_ACCOUNT}:root"
    assert theirs["resources"] == mine["resources"]


def test_a_call_within_one_account_has_one_record(server: Server) -> None:
    kms = server.client("kms")
    key = kms.create_key()["KeyMetadata"]
    answer = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"mine")
    records = _records(server.client("cloudtrail"), {"AttributeKey": "ResourceName", "AttributeValue": key["Arn"]},
                       answer["ResponseMetadata"]["RequestId"])
    assert len(records) == 1
    assert "sharedEventID" not in records[0]
