"""The AWS Encryption SDK for Python, unchanged, using Strongroom KMS keys through a botocore session."""

from __future__ import annotations

import json
import logging
import os
import uuid
from pathlib import Path
from typing import Any

import aws_encryption_sdk
import botocore.session
import pytest
from aws_encryption_sdk.exceptions import DecryptKeyError
from botocore.exceptions import ClientError
from cryptography.exceptions import InvalidTag

from tests.live.kms_principals import allow, create_account, new_user

ACCOUNT = "000000000000"
OTHER_ACCOUNT = "777788889999"
OTHER_KEY_ID = "AKIAESDKOTHERACCOUNT"
OTHER_SECRET = "esdk-other-account-secret-0123456789abcdef"
MESSAGE_SIZE = 1024 * 1024


def botocore_session(server: Any, config_dir: Path, key: str, secret: str) -> botocore.session.Session:
    """A botocore session configured as a user configures one: a profile naming the endpoint, and credentials."""
    config = config_dir / f"config-{key}"
    config.write_text(f"[profile strongroom]\nregion = us-east-1\nendpoint_url = {server.endpoint}\n")
    session = botocore.session.Session()
    session.set_config_variable("config_file", str(config))
    session.set_config_variable("profile", "strongroom")
    session.set_credentials(key, secret)
    return session


def provider(server: Any, config_dir: Path, key_arn: str, key: str, secret: str) -> Any:
    return aws_encryption_sdk.StrictAwsKmsMasterKeyProvider(
        key_ids=[key_arn], botocore_session=botocore_session(server, config_dir, key, secret),
    )


def kms_refusals(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The KMS errors behind the SDK's DecryptKeyError (the SDK logs each with its cause)."""
    errors = [record.exc_info[1] for record in caplog.records if record.exc_info]
    return [error.response["Error"] for error in errors if isinstance(error, ClientError)]


def test_encrypts_and_decrypts_a_megabyte_with_a_strongroom_key(server, kms, tmp_path):
    key = kms.create_key(Description=f"esdk {uuid.uuid4()}")["KeyMetadata"]
    client = aws_encryption_sdk.EncryptionSDKClient()  # default commitment policy: REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    assert client.config.commitment_policy == aws_encryption_sdk.CommitmentPolicy.REQUIRE_ENCRYPT_REQUIRE_DECRYPT
    keys = provider(server, tmp_path, key["Arn"], server.access_key_id, server.secret_access_key)
    message = os.urandom(MESSAGE_SIZE)
    context = {"purpose": "esdk-test", "tenant": "a"}

    ciphertext, encrypt_header = client.encrypt(source=message, key_provider=keys, encryption_context=context)
    assert message not in ciphertext and len(ciphertext) > MESSAGE_SIZE
    assert encrypt_header.algorithm.is_committing()

    plaintext, header = client.decrypt(source=ciphertext, key_provider=keys)
    assert plaintext == message
    assert header.message_id == encrypt_header.message_id
    assert {k: v for k, v in header.encryption_context.items() if not k.startswith("aws-crypto-")} == context
    # The message's encrypted data key names the Strongroom key, and decrypts in KMS on its own.
    assert [(edk.key_provider.provider_id, edk.key_provider.key_info) for edk in header.encrypted_data_keys] == [
        ("aws-kms", key["Arn"].encode()),
    ]
    (edk,) = header.encrypted_data_keys
    unwrapped = kms.decrypt(CiphertextBlob=edk.encrypted_data_key, EncryptionContext=header.encryption_context)
    assert unwrapped["KeyId"] == key["Arn"]
    assert len(unwrapped["Plaintext"]) == header.algorithm.data_key_len

    # A changed byte of the message body does not decrypt.
    tampered = bytearray(ciphertext)
    tampered[len(tampered) // 2] ^= 1
    with pytest.raises(InvalidTag):  # the SDK lets the frame's failed authentication through
        client.decrypt(source=bytes(tampered), key_provider=keys)


def test_another_account_decrypts_only_once_the_key_policy_and_its_iam_allow(server, kms, tmp_path, caplog):
    create_account(server, OTHER_ACCOUNT, OTHER_KEY_ID, OTHER_SECRET, tmp_path / "admin")
    other_iam = server.client("iam", key=OTHER_KEY_ID, secret=OTHER_SECRET)
    with_iam_arn, with_iam_key, with_iam_secret = new_user(other_iam, "esdk-foreign")
    without_iam_arn, without_iam_key, without_iam_secret = new_user(other_iam, "esdk-foreign-no-iam")
    key = kms.create_key(Description=f"esdk shared {uuid.uuid4()}")["KeyMetadata"]
    client = aws_encryption_sdk.EncryptionSDKClient()
    message = os.urandom(MESSAGE_SIZE)
    ciphertext, _ = client.encrypt(
        source=message, key_provider=provider(server, tmp_path, key["Arn"], server.access_key_id,
                                              server.secret_access_key),
    )
    foreign = provider(server, tmp_path, key["Arn"], with_iam_key, with_iam_secret)
    foreign_without_iam = provider(server, tmp_path, key["Arn"], without_iam_key, without_iam_secret)

    def refused(keys: Any, user_arn: str, because: str) -> None:
        caplog.clear()
        with caplog.at_level(logging.ERROR), pytest.raises(DecryptKeyError):
            client.decrypt(source=ciphertext, key_provider=keys)
        assert kms_refusals(caplog) == [{
            "Code": "AccessDeniedException",
            "Message": f"User: {user_arn} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
                       f"because no {because} policy allows the kms:Decrypt action",
        }]

    # The default key policy trusts only the key's own account.
    refused(foreign, with_iam_arn, "resource-based")
    # The other account's IAM policy alone does not open the key.
    allow(other_iam, with_iam_arn, ["kms:Decrypt"])
    refused(foreign, with_iam_arn, "resource-based")

    kms.put_key_policy(KeyId=key["KeyId"], Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
         "Action": "kms:*", "Resource": "*"},
        {"Sid": "OtherAccountDecrypts", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{OTHER_ACCOUNT}:root"}, "Action": "kms:Decrypt", "Resource": "*"},
    ]}))
    # The key policy alone does not either: it delegates to the other account's IAM.
    refused(foreign_without_iam, without_iam_arn, "identity-based")
    # Both together do.
    plaintext, header = client.decrypt(source=ciphertext, key_provider=foreign)
    assert plaintext == message
    assert [edk.key_provider.key_info for edk in header.encrypted_data_keys] == [key["Arn"].encode()]
