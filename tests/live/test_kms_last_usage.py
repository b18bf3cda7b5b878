"""GetKeyLastUsage and Encapsulate/Decapsulate over boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import serialization

from .helpers import error_of


def test_unused_key_has_no_last_usage(kms):
    key = kms.create_key()["KeyMetadata"]
    answer = kms.get_key_last_usage(KeyId=key["KeyId"])
    assert answer["KeyId"] == key["Arn"]
    assert answer["KeyLastUsage"] == {}
    assert answer["KeyCreationDate"] == key["CreationDate"]
    assert answer["TrackingStartDate"] >= answer["KeyCreationDate"]


def test_last_successful_operation_is_recorded(kms):
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/last-usage-{key['KeyId'][:8]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    encrypted = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data")
    usage = kms.get_key_last_usage(KeyId=alias)["KeyLastUsage"]
    assert usage["Operation"] == "Encrypt"
    assert usage["KmsRequestId"] == encrypted["ResponseMetadata"]["RequestId"]
    assert len(usage["CloudTrailEventId"]) == 36
    kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"])
    assert kms.get_key_last_usage(KeyId=key["Arn"])["KeyLastUsage"]["Operation"] == "Decrypt"
    # A failed operation is not a use.
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=encrypted["CiphertextBlob"], EncryptionContext={"wrong": "context"})
    with pytest.raises(ClientError):
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data", DryRun=True)
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Decrypt"
    # ReEncrypt records both keys.
    destination = kms.create_key()["KeyMetadata"]
    kms.re_encrypt(CiphertextBlob=encrypted["CiphertextBlob"], DestinationKeyId=destination["KeyId"])
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "ReEncrypt"
    assert kms.get_key_last_usage(KeyId=destination["KeyId"])["KeyLastUsage"]["Operation"] == "ReEncrypt"


def test_last_usage_of_unknown_key(kms):
    with pytest.raises(ClientError) as excinfo:
        kms.get_key_last_usage(KeyId="not-a-key")
    assert error_of(excinfo) == ("NotFoundException", "Invalid keyId 'not-a-key'")


@pytest.mark.parametrize("spec", ["ML_KEM_768", "ML_KEM_1024"])
def test_encapsulate_decapsulate(kms, spec):
    key = kms.create_key(KeySpec=spec, KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    encapsulated = kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert encapsulated["KeyId"] == key["Arn"]
    assert encapsulated["EncapsulationAlgorithm"] == "ML_KEM"
    assert len(encapsulated["SharedSecret"]) == 32
    decapsulated = kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM",
                                   SharedSecretCiphertextBlob=encapsulated["SharedSecretCiphertextBlob"])
    assert decapsulated["SharedSecret"] == encapsulated["SharedSecret"]
    assert kms.get_key_last_usage(KeyId=key["KeyId"])["KeyLastUsage"]["Operation"] == "Decapsulate"
    # A client can encapsulate locally under the public key and KMS finds the same secret.
    public = serialization.load_der_public_key(kms.get_public_key(KeyId=key["KeyId"])["PublicKey"])
    secret, ciphertext = public.encapsulate()
    assert kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM",
                           SharedSecretCiphertextBlob=ciphertext)["SharedSecret"] == secret


def test_encapsulation_errors(kms):
    key = kms.create_key(KeySpec="ML_KEM_768", KeyUsage="ENCAPSULATE_DECAPSULATE")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.decapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM", SharedSecretCiphertextBlob=b"short")
    assert error_of(excinfo)[0] == "InvalidCiphertextException"
    with pytest.raises(ClientError) as excinfo:
        kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM", DryRun=True)
    assert error_of(excinfo) == ("DryRunOperationException",
                                 "The request would have succeeded, but the DryRun option is set.")
    symmetric = kms.create_key()["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.encapsulate(KeyId=symmetric["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert error_of(excinfo) == (
        "InvalidKeyUsageException",
        f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Encapsulate.",
    )
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as excinfo:
        kms.encapsulate(KeyId=key["KeyId"], EncapsulationAlgorithm="ML_KEM")
    assert error_of(excinfo) == ("DisabledException", f"{key['Arn']} is disabled.")
