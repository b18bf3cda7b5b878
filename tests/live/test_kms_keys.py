"""KMS keys over boto3: creation of every spec, metadata, listing, lifecycle, deletion on the clock, policies."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import uuid

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .helpers import error_of

ALL_SPECS = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"]),
    ("RSA_2048", "ENCRYPT_DECRYPT", "EncryptionAlgorithms", ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]),
    ("RSA_3072", "SIGN_VERIFY", "SigningAlgorithms", None),
    ("ECC_NIST_P256", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_P384", "KEY_AGREEMENT", "KeyAgreementAlgorithms", ["ECDH"]),
    ("ECC_NIST_P521", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_512"]),
    ("ECC_SECG_P256K1", "SIGN_VERIFY", "SigningAlgorithms", ["ECDSA_SHA_256"]),
    ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY", "SigningAlgorithms", ["ED25519_SHA_512", "ED25519_PH_SHA_512"]),
    ("HMAC_224", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_224"]),
    ("HMAC_512", "GENERATE_VERIFY_MAC", "MacAlgorithms", ["HMAC_SHA_512"]),
    ("ML_DSA_44", "SIGN_VERIFY", "SigningAlgorithms", ["ML_DSA_SHAKE_256"]),
    ("ML_KEM_768", "ENCAPSULATE_DECAPSULATE", "EncapsulationAlgorithms", ["ML_KEM"]),
]
ALGORITHM_LISTS = {"EncryptionAlgorithms", "SigningAlgorithms", "MacAlgorithms", "KeyAgreementAlgorithms",
                   "EncapsulationAlgorithms"}


@pytest.fixture()
def account(server):
    return server.client("sts").get_caller_identity()["Account"]


def test_create_key_defaults_and_describe(kms, account):
    created = kms.create_key()["KeyMetadata"]
    key_id = created["KeyId"]
    assert uuid.UUID(key_id)
    assert created["Arn"] == f"arn:aws:kms:us-east-1:{account}:key/{key_id}"
    assert created["AWSAccountId"] == account
    assert created["KeySpec"] == created["CustomerMasterKeySpec"] == "SYMMETRIC_DEFAULT"
    assert created["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert created["KeyState"] == "Enabled" and created["Enabled"] is True
    assert created["Origin"] == "AWS_KMS" and created["KeyManager"] == "CUSTOMER"
    assert created["Description"] == ""
    assert created["MultiRegion"] is False
    assert "MultiRegionConfiguration" not in created
    assert re.fullmatch(r"[0-9a-f]{64}", created["CurrentKeyMaterialId"])
    assert created["EncryptionAlgorithms"] == ["SYMMETRIC_DEFAULT"]
    assert not ALGORITHM_LISTS - {"EncryptionAlgorithms"} & set(created)
    described = kms.describe_key(KeyId=created["Arn"])["KeyMetadata"]
    assert described == created


@pytest.mark.parametrize(("spec", "usage", "member", "algorithms"), ALL_SPECS)
def test_create_key_of_every_spec(kms, spec, usage, member, algorithms):
    metadata = kms.create_key(KeySpec=spec, KeyUsage=usage, Description=spec)["KeyMetadata"]
    assert (metadata["KeySpec"], metadata["KeyUsage"], metadata["Description"]) == (spec, usage, spec)
    assert set(metadata) & ALGORITHM_LISTS == {member}
    if algorithms is not None:
        assert metadata[member] == algorithms
    # As AWS: only a symmetric encryption key can hold several materials and shows which is current.
    if spec == "SYMMETRIC_DEFAULT":
        assert len(metadata["CurrentKeyMaterialId"]) == 64
    else:
        assert "CurrentKeyMaterialId" not in metadata
        assert "CurrentKeyMaterialId" not in kms.describe_key(KeyId=metadata["KeyId"])["KeyMetadata"]


def test_create_key_refusals(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec="RSA_2048")
    assert error_of(excinfo) == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="KEY_AGREEMENT")
    assert error_of(excinfo) == (
        "ValidationException", "KeyUsage KEY_AGREEMENT is not compatible with KeySpec RSA_2048"
    )
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Tags=[{"TagKey": "aws:owner", "TagValue": "x"}])
    assert error_of(excinfo) == ("TagException", "Tags beginning with aws: are reserved")


def test_multi_region_and_external_keys(kms):
    mrk = kms.create_key(MultiRegion=True)["KeyMetadata"]
    assert re.fullmatch(r"mrk-[0-9a-f]{32}", mrk["KeyId"])
    assert mrk["MultiRegion"] is True
    assert mrk["MultiRegionConfiguration"] == {
        "MultiRegionKeyType": "PRIMARY",
        "PrimaryKey": {"Arn": mrk["Arn"], "Region": "us-east-1"},
        "ReplicaKeys": [],
    }
    external = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    assert (external["Origin"], external["KeyState"], external["Enabled"]) == ("EXTERNAL", "PendingImport", False)
    assert "CurrentKeyMaterialId" not in external


def test_key_id_forms_and_not_found_texts(server, kms, account):
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/forms-" + key_id[:8], TargetKeyId=key_id)
    alias = "alias/forms-" + key_id[:8]
    for reference in (key_id, f"arn:aws:kms:us-east-1:{account}:key/{key_id}", alias,
                      f"arn:aws:kms:us-east-1:{account}:{alias}"):
        assert kms.describe_key(KeyId=reference)["KeyMetadata"]["KeyId"] == key_id
    cases = {
        "not-a-key": "Invalid keyId 'not-a-key'",
        key_id.replace("-", ""): f"Invalid keyId '{key_id.replace('-', '')}'",
        "mrk-fake": "Invalid keyId 'mrk-fake'",
        "00000000-0000-0000-0000-000000000000":
            f"Key 'arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000000' does not exist",
        f"arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000001":
            f"Key 'arn:aws:kms:us-east-1:{account}:key/00000000-0000-0000-0000-000000000001' does not exist",
        "alias/absent": f"Alias arn:aws:kms:us-east-1:{account}:alias/absent is not found.",
        f"arn:aws:kms:eu-west-1:{account}:key/{key_id}": "Invalid arn eu-west-1",
    }
    for reference, message in cases.items():
        with pytest.raises(ClientError) as excinfo:
            kms.describe_key(KeyId=reference)
        assert error_of(excinfo) == ("NotFoundException", message), reference
    # Management operations take no aliases.
    with pytest.raises(ClientError) as excinfo:
        kms.disable_key(KeyId=alias)
    assert error_of(excinfo) == ("NotFoundException", f"Invalid keyId '{alias}'")


def test_regions_are_isolated(server, kms):
    key = kms.create_key()["KeyMetadata"]
    europe = server.client("kms", region="eu-west-1")
    with pytest.raises(ClientError) as excinfo:
        europe.describe_key(KeyId=key["KeyId"])
    elsewhere = key["Arn"].replace("us-east-1", "eu-west-1")
    assert error_of(excinfo) == ("NotFoundException", f"Key '{elsewhere}' does not exist")
    european = europe.create_key()["KeyMetadata"]
    assert european["Arn"].startswith("arn:aws:kms:eu-west-1:")
    listed = {k["KeyId"] for k in europe.get_paginator("list_keys").paginate().build_full_result()["Keys"]}
    assert european["KeyId"] in listed and key["KeyId"] not in listed


def test_list_keys_pages(kms):
    created = {kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(3)}
    first = kms.list_keys(Limit=2)
    assert first["Truncated"] is True and len(first["Keys"]) == 2
    seen = [k["KeyId"] for k in first["Keys"]]
    marker = first["NextMarker"]
    while marker:
        page = kms.list_keys(Limit=2, Marker=marker)
        seen += [k["KeyId"] for k in page["Keys"]]
        marker = page.get("NextMarker")
        assert page["Truncated"] is bool(marker)
    assert len(seen) == len(set(seen)) and created <= set(seen)
    assert all(k["KeyArn"].endswith(f"key/{k['KeyId']}") for k in first["Keys"])


def test_enable_disable_and_description(kms):
    key = kms.create_key(Description="first")["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    kms.disable_key(KeyId=key["KeyId"])  # idempotent
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"]) == ("Disabled", False)
    kms.update_key_description(KeyId=key["KeyId"], Description="second")
    kms.enable_key(KeyId=key["KeyId"])
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert (described["KeyState"], described["Enabled"], described["Description"]) == ("Enabled", True, "second")


def test_schedule_and_cancel_deletion(kms):
    key = kms.create_key()["KeyMetadata"]
    arn = key["Arn"]
    with pytest.raises(ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=arn, PendingWindowInDays=6)
    assert error_of(excinfo) == ("ValidationException", "PendingWindowInDays must be between 7 and 30")
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"])
    assert (scheduled["KeyId"], scheduled["KeyState"], scheduled["PendingWindowInDays"]) == (arn, "PendingDeletion", 30)
    days = (scheduled["DeletionDate"] - key["CreationDate"]).total_seconds() / 86400
    assert 29.99 < days < 30.01
    described = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and described["PendingDeletionWindowInDays"] == 30
    assert described["DeletionDate"] == scheduled["DeletionDate"]
    with pytest.raises(ClientError) as excinfo:
        kms.schedule_key_deletion(KeyId=arn)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} is pending deletion.")
    with pytest.raises(ClientError) as excinfo:
        kms.enable_key(KeyId=arn)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} is pending deletion.")
    assert kms.cancel_key_deletion(KeyId=key["KeyId"])["KeyId"] == arn
    described = kms.describe_key(KeyId=arn)["KeyMetadata"]
    assert described["KeyState"] == "Disabled"
    assert "DeletionDate" not in described and "PendingDeletionWindowInDays" not in described
    with pytest.raises(ClientError) as excinfo:
        kms.cancel_key_deletion(KeyId=arn)
    assert error_of(excinfo) == ("KMSInvalidStateException", f"{arn} is not pending deletion.")


def test_deletion_happens_when_the_window_has_passed(server, kms):
    doomed = kms.create_key()["KeyMetadata"]
    kept = kms.create_key()["KeyMetadata"]
    alias = f"alias/doomed-{doomed['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=doomed["KeyId"])
    kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    kms.schedule_key_deletion(KeyId=kept["KeyId"], PendingWindowInDays=8)
    assert server.admin("clock", {"advance_seconds": 7 * 86400 - 120})[0] == 200
    assert kms.describe_key(KeyId=doomed["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert server.admin("clock", {"advance_seconds": 240})[0] == 200
    with pytest.raises(ClientError) as excinfo:
        kms.describe_key(KeyId=doomed["KeyId"])
    assert error_of(excinfo) == ("NotFoundException", f"Key '{doomed['Arn']}' does not exist")
    assert alias not in {a["AliasName"] for a in kms.list_aliases(Limit=100)["Aliases"]}
    assert kms.describe_key(KeyId=kept["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    kms.cancel_key_deletion(KeyId=kept["KeyId"])


def test_key_policies(server, kms, account):
    key = kms.create_key()["KeyMetadata"]
    default = kms.get_key_policy(KeyId=key["KeyId"])
    assert default["PolicyName"] == "default"
    assert json.loads(default["Policy"]) == {
        "Version": "2012-10-17",
        "Id": "key-default-1",
        "Statement": [{
            "Sid": "Enable IAM User Permissions", "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*",
        }],
    }
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    narrower = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:*", "Resource": "*",
    }]})
    kms.put_key_policy(KeyId=key["KeyId"], Policy=narrower)
    assert kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"] == narrower
    with pytest.raises(ClientError) as excinfo:
        kms.put_key_policy(KeyId=key["KeyId"], Policy="{not json")
    assert error_of(excinfo)[0] == "MalformedPolicyDocumentException"
    lockout = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "kms:Encrypt",
        "Resource": "*",
    }]})
    with pytest.raises(ClientError) as excinfo:
        kms.put_key_policy(KeyId=key["KeyId"], Policy=lockout)
    assert error_of(excinfo) == (
        "MalformedPolicyDocumentException",
        "The new key policy will not allow you to update the key policy in the future.",
    )
    with pytest.raises(ClientError) as excinfo:
        kms.create_key(Policy=lockout)
    assert error_of(excinfo)[0] == "MalformedPolicyDocumentException"
    too_big = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "x" * 33000, "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:*", "Resource": "*",
    }]})
    with pytest.raises(ClientError) as excinfo:
        kms.put_key_policy(KeyId=key["KeyId"], Policy=too_big, BypassPolicyLockoutSafetyCheck=True)
    assert error_of(excinfo)[0] == "LimitExceededException"
    kms.put_key_policy(KeyId=key["KeyId"], Policy=lockout, BypassPolicyLockoutSafetyCheck=True)
    # The key policy is enforced: even the account root is now locked out of everything but Encrypt.
    kms.encrypt(KeyId=key["KeyId"], Plaintext=b"still usable")
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_policy(KeyId=key["KeyId"])
    assert error_of(excinfo)[0] == "AccessDeniedException"


def test_generate_random(kms):
    first = kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    second = kms.generate_random(NumberOfBytes=1024)["Plaintext"]
    assert len(first) == len(second) == 1024 and first != second
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random()
    assert error_of(excinfo) == ("ValidationException", "NumberOfBytes is required.")
    with pytest.raises(ClientError) as excinfo:
        kms.generate_random(NumberOfBytes=1025)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_key_material_is_stored_only_sealed(server, kms):
    key = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"probe", MacAlgorithm="HMAC_SHA_256")["Mac"]
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT material_id, state, sealed_material FROM kms_key_materials WHERE key_id = :id"),
                {"id": key["KeyId"]},
            ).all()
    finally:
        engine.dispose()
    [(material_id, state, sealed)] = rows
    assert state == "CURRENT" and len(material_id) == 64  # not shown for HMAC keys, as AWS shows none
    # The stored bytes are not the key: no 32-byte window of them computes the MAC KMS returned.
    sealed = bytes(sealed)
    assert len(sealed) > 32
    assert all(hmac.new(sealed[i:i + 32], b"probe", hashlib.sha256).digest() != mac for i in range(len(sealed) - 31))
