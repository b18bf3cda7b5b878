"""AWS's key-state table over boto3: what a disabled, pending-deletion or pending-import key allows."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .helpers import error_of


def crypto_calls(kms, key_id: str, blob: bytes) -> dict:
    return {
        "Encrypt": lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"),
        "Decrypt": lambda: kms.decrypt(CiphertextBlob=blob),
        "ReEncrypt": lambda: kms.re_encrypt(CiphertextBlob=blob, DestinationKeyId=key_id),
        "GenerateDataKey": lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256"),
        "GenerateDataKeyWithoutPlaintext": lambda: kms.generate_data_key_without_plaintext(KeyId=key_id,
                                                                                           NumberOfBytes=16),
        "GenerateDataKeyPair": lambda: kms.generate_data_key_pair(KeyId=key_id, KeyPairSpec="ECC_NIST_P256"),
    }


def management_calls(kms, key_id: str) -> dict:
    return {
        "TagResource": lambda: kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "a", "TagValue": "b"}]),
        "UntagResource": lambda: kms.untag_resource(KeyId=key_id, TagKeys=["a"]),
        "UpdateKeyDescription": lambda: kms.update_key_description(KeyId=key_id, Description="d"),
        "CreateAlias": lambda: kms.create_alias(AliasName=f"alias/state-{key_id}", TargetKeyId=key_id),
    }


def always_allowed(kms, key_id: str) -> None:
    kms.describe_key(KeyId=key_id)
    policy = kms.get_key_policy(KeyId=key_id)["Policy"]
    kms.put_key_policy(KeyId=key_id, Policy=policy)
    kms.list_key_policies(KeyId=key_id)
    kms.list_resource_tags(KeyId=key_id)
    kms.list_aliases(KeyId=key_id)


def test_disabled_key(kms):
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    for name, call in crypto_calls(kms, key["KeyId"], blob).items():
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled."), name
    for call in management_calls(kms, key["KeyId"]).values():
        call()
    always_allowed(kms, key["KeyId"])
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"before"


def test_disabled_signing_key(kms):
    key = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    for call in (lambda: kms.sign(KeyId=key["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256"),
                 lambda: kms.get_public_key(KeyId=key["KeyId"])):
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")


def test_pending_deletion_key(kms):
    key = kms.create_key()["KeyMetadata"]
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"before")["CiphertextBlob"]
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    expected = ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.")
    calls = {**crypto_calls(kms, key["KeyId"], blob), **management_calls(kms, key["KeyId"]),
             "EnableKey": lambda: kms.enable_key(KeyId=key["KeyId"]),
             "DisableKey": lambda: kms.disable_key(KeyId=key["KeyId"])}
    for name, call in calls.items():
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == expected, name
    always_allowed(kms, key["KeyId"])
    kms.cancel_key_deletion(KeyId=key["KeyId"])


def test_pending_import_key(kms):
    key = kms.create_key(Origin="EXTERNAL")["KeyMetadata"]
    expected = ("KMSInvalidStateException", f"{key['Arn']} is pending import.")
    for name, call in {**crypto_calls(kms, key["KeyId"], b"\x00" * 200),
                       "EnableKey": lambda: kms.enable_key(KeyId=key["KeyId"])}.items():
        if name in ("Decrypt",):
            continue  # the blob names no key of ours
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == expected, name
    for call in management_calls(kms, key["KeyId"]).values():
        call()
    always_allowed(kms, key["KeyId"])
    scheduled = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert scheduled["KeyState"] == "PendingDeletion"
