"""Key policies as the primary control of KMS keys: with IAM where they delegate, across accounts, with conditions."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.live.helpers import error_of
from tests.live.kms_principals import allow, create_account, denied, new_user

ACCOUNT = "000000000000"
OTHER_ACCOUNT = "444455556666"
OTHER_KEY_ID = "AKIAKMSOTHERACCOUNT1"
OTHER_SECRET = "kms-other-account-secret-0123456789abcdefg"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"


def policy(*statements: dict[str, Any]) -> str:
    admin = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": "kms:*", "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, *statements]})


def test_iam_alone_does_not_open_a_key_whose_policy_does_not_trust_the_account(server, kms):
    user_arn, key_id, secret = new_user(server.client("iam"), "kms-iam-only", ["kms:Encrypt"])
    as_user = server.client("kms", key=key_id, secret=secret)
    closed = kms.create_key(BypassPolicyLockoutSafetyCheck=True, Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": ["kms:DescribeKey", "kms:PutKeyPolicy"],
            "Resource": "*",
        }],
    }))["KeyMetadata"]
    message = denied(as_user.encrypt, KeyId=closed["KeyId"], Plaintext=b"x")
    assert message == (
        f"User: {user_arn} is not authorized to perform: kms:Encrypt on resource: {closed['Arn']} "
        "because no resource-based policy allows the kms:Encrypt action"
    )
    # The default policy delegates to IAM: the same user may use a default-policy key.
    default = kms.create_key()["KeyMetadata"]
    assert as_user.encrypt(KeyId=default["KeyId"], Plaintext=b"x")["KeyId"] == default["Arn"]
    message = denied(as_user.decrypt, CiphertextBlob=kms.encrypt(KeyId=default["KeyId"], Plaintext=b"x")[
        "CiphertextBlob"])
    assert message.endswith("because no identity-based policy allows the kms:Decrypt action")


def test_a_key_policy_naming_the_user_allows_without_iam_and_an_explicit_deny_wins(server, kms):
    iam = server.client("iam")
    user_arn, key_id, secret = new_user(iam, "kms-named")
    as_user = server.client("kms", key=key_id, secret=secret)
    named = kms.create_key(Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": ["kms:Encrypt", "kms:DescribeKey"],
         "Resource": "*"},
    ))["KeyMetadata"]
    assert as_user.encrypt(KeyId=named["KeyId"], Plaintext=b"x")["KeyId"] == named["Arn"]
    assert as_user.describe_key(KeyId=named["Arn"])["KeyMetadata"]["KeyId"] == named["KeyId"]
    # Nothing else was given: GetKeyPolicy is not.
    assert "kms:GetKeyPolicy" in denied(as_user.get_key_policy, KeyId=named["KeyId"])
    allow(iam, user_arn, ["kms:*"])
    denying = kms.create_key(Policy=policy(
        {"Sid": "NoEncrypt", "Effect": "Deny", "Principal": {"AWS": user_arn}, "Action": "kms:Encrypt",
         "Resource": "*"},
    ))["KeyMetadata"]
    assert denied(as_user.encrypt, KeyId=denying["KeyId"], Plaintext=b"x") == (
        f"User: {user_arn} is not authorized to perform: kms:Encrypt on resource: {denying['Arn']} "
        "with an explicit deny in a resource-based policy"
    )
    as_user.describe_key(KeyId=denying["KeyId"])  # IAM still decides what the policy does not deny


def test_kms_condition_keys_in_key_policies(server, kms):
    user_arn, key_id, secret = new_user(server.client("iam"), "kms-conditions")
    as_user = server.client("kms", key=key_id, secret=secret)
    key = kms.create_key(Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": ["kms:Encrypt", "kms:ReEncrypt*"],
         "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:app": "payroll"}}},
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "kms:Decrypt", "Resource": "*",
         "Condition": {"StringEquals": {"kms:CallerAccount": ACCOUNT, "kms:EncryptionAlgorithm": "SYMMETRIC_DEFAULT"},
                       "ForAllValues:StringEquals": {"kms:EncryptionContextKeys": ["app"]}}},
    ))["KeyMetadata"]
    blob = as_user.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "payroll"})["CiphertextBlob"]
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"app": "hr"})
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert as_user.decrypt(CiphertextBlob=blob, EncryptionContext={"app": "payroll"})["Plaintext"] == b"x"
    # ReEncrypt needs kms:ReEncryptFrom on the source and kms:ReEncryptTo on the destination.
    other = kms.create_key()["KeyMetadata"]
    message = denied(as_user.re_encrypt, CiphertextBlob=blob, SourceEncryptionContext={"app": "payroll"},
                     DestinationKeyId=other["KeyId"], DestinationEncryptionContext={"app": "payroll"})
    assert "kms:ReEncryptTo" in message and other["Arn"] in message
    kms.put_key_policy(KeyId=other["KeyId"], Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "kms:ReEncryptTo", "Resource": "*"},
    ))
    moved = as_user.re_encrypt(CiphertextBlob=blob, SourceEncryptionContext={"app": "payroll"},
                               DestinationKeyId=other["KeyId"], DestinationEncryptionContext={"app": "payroll"})
    assert moved["KeyId"] == other["Arn"]
    tagged = kms.create_key(Tags=[{"TagKey": "team", "TagValue": "blue"}])["KeyMetadata"]
    allow(server.client("iam"), user_arn, ["kms:DescribeKey"])
    kms.put_key_policy(KeyId=tagged["KeyId"], Policy=policy(
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "kms:DescribeKey", "Resource": "*",
         "Condition": {"StringEquals": {"aws:ResourceTag/team": "blue"}}},
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "kms:DescribeKey", "Resource": "*"},
    ), BypassPolicyLockoutSafetyCheck=True)
    message = denied(as_user.describe_key, KeyId=tagged["KeyId"])
    assert message.endswith("with an explicit deny in a resource-based policy")


def test_iam_only_operations_and_the_lockout_check_with_real_iam(server, kms):
    iam = server.client("iam")
    user_arn, key_id, secret = new_user(iam, "kms-iam-ops", ["kms:CreateKey", "kms:ListKeys"])
    as_user = server.client("kms", key=key_id, secret=secret)
    as_user.list_keys()
    assert "kms:GenerateRandom" in denied(as_user.generate_random, NumberOfBytes=8)
    # A policy naming only the account lets the user back in only through IAM, which lacks PutKeyPolicy.
    with pytest.raises(ClientError) as excinfo:
        as_user.create_key(Policy=policy())
    assert error_of(excinfo) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )
    allow(iam, user_arn, ["kms:CreateKey", "kms:PutKeyPolicy", "kms:DescribeKey"])
    created = as_user.create_key(Policy=policy())["KeyMetadata"]
    assert created["KeyManager"] == "CUSTOMER"


def test_cross_account_use_needs_the_key_policy_and_the_other_accounts_iam(server, kms, tmp_path: Path):
    create_account(server, OTHER_ACCOUNT, OTHER_KEY_ID, OTHER_SECRET, tmp_path / "admin")
    other_iam = server.client("iam", key=OTHER_KEY_ID, secret=OTHER_SECRET)
    user_arn, key_id, secret = new_user(other_iam, "kms-foreign")
    foreign = server.client("kms", key=key_id, secret=secret)
    foreign_root = server.client("kms", key=OTHER_KEY_ID, secret=OTHER_SECRET)
    key = kms.create_key(Description=f"shared {uuid.uuid4()}")["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"shared")["CiphertextBlob"]
    assert denied(foreign.decrypt, CiphertextBlob=blob, KeyId=key["Arn"]) == (
        f"User: {user_arn} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
        "because no resource-based policy allows the kms:Decrypt action"
    )
    kms.put_key_policy(KeyId=key["KeyId"], Policy=policy(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": "kms:Decrypt",
         "Resource": "*"},
    ))
    assert denied(foreign.decrypt, CiphertextBlob=blob, KeyId=key["Arn"]) == (
        f"User: {user_arn} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
        "because no identity-based policy allows the kms:Decrypt action"
    )
    allow(other_iam, user_arn, ["kms:Decrypt"])
    assert foreign.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"shared"
    # The ciphertext alone names the key, in whichever account it is.
    assert foreign.decrypt(CiphertextBlob=blob)["KeyId"] == key["Arn"]
    assert foreign_root.decrypt(CiphertextBlob=blob)["Plaintext"] == b"shared"
    # Only Decrypt was shared.
    assert "kms:Encrypt" in denied(foreign_root.encrypt, KeyId=key["Arn"], Plaintext=b"x")
