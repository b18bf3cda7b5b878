"""Grants: a user without policies uses a key through a grant, at once, within its constraints, until retired."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.live.helpers import error_of
from tests.live.kms_principals import denied, new_user

ROOT = "arn:aws:iam::000000000000:root"


def test_a_grant_lets_a_user_without_policies_use_the_key_until_retired(server, kms):
    user_arn, key_id, secret = new_user(server.client("iam"), "kms-grantee")
    as_user = server.client("kms", key=key_id, secret=secret)
    key = kms.create_key()["KeyMetadata"]
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    grant = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user_arn, Operations=["Encrypt", "Decrypt"],
                             RetiringPrincipal=ROOT, Name="app")
    blob = as_user.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=[grant["GrantToken"]])["CiphertextBlob"]
    assert as_user.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"
    denied(as_user.generate_data_key, KeyId=key["KeyId"], NumberOfBytes=16)  # not a granted operation
    again = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user_arn, Operations=["Decrypt", "Encrypt"],
                             RetiringPrincipal=ROOT, Name="app")
    assert again["GrantId"] == grant["GrantId"]
    [entry] = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert entry["GrantId"] == grant["GrantId"] and entry["GranteePrincipal"] == user_arn
    assert entry["KeyId"] == key["Arn"] and entry["IssuingAccount"] == ROOT and entry["Name"] == "app"
    assert sorted(entry["Operations"]) == ["Decrypt", "Encrypt"] and entry["RetiringPrincipal"] == ROOT
    assert [g["GrantId"] for g in kms.list_retirable_grants(RetiringPrincipal=ROOT)["Grants"]].count(
        grant["GrantId"]) == 1
    # The grantee itself may not retire it: RetireGrant is not among its operations.
    denied(as_user.retire_grant, GrantToken=grant["GrantToken"])
    kms.retire_grant(GrantToken=grant["GrantToken"])
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []


def test_grant_tokens_are_checked_and_operations_must_fit_the_key(server, kms):
    key = kms.create_key()["KeyMetadata"]
    user_arn, _, _ = new_user(server.client("iam"), "kms-tokens")
    with pytest.raises(ClientError) as excinfo:
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", GrantTokens=["not-a-token"])
    assert error_of(excinfo)[0] == "InvalidGrantTokenException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user_arn, Operations=["Sign"])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=key["KeyId"], Operations=["Encrypt"])
    assert error_of(excinfo)[0] == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user_arn, Operations=["Encrypt"], DryRun=True)
    assert error_of(excinfo) == (
        "DryRunOperationException", "The request would have succeeded, but the DryRun option is set."
    )
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    with pytest.raises(ClientError) as excinfo:
        kms.create_grant(KeyId=signing["KeyId"], GranteePrincipal=user_arn, Operations=["Sign"],
                         Constraints={"EncryptionContextSubset": {"a": "b"}})
    assert error_of(excinfo)[0] == "ValidationException"


def test_constraints_are_enforced_and_a_grant_only_delegates_what_it_has(server, kms):
    iam = server.client("iam")
    user_arn, key_id, secret = new_user(iam, "kms-constrained")
    second_arn, second_key, second_secret = new_user(iam, "kms-delegated")
    as_user = server.client("kms", key=key_id, secret=secret)
    as_second = server.client("kms", key=second_key, secret=second_secret)
    key = kms.create_key()["KeyMetadata"]
    kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=user_arn, Operations=["Encrypt", "CreateGrant"],
                     Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    as_user.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "a", "extra": "1"})
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "b"})
    denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x")
    # Delegation: no operation it lacks, no looser constraints.
    denied(as_user.create_grant, KeyId=key["Arn"], GranteePrincipal=second_arn, Operations=["Decrypt"],
           Constraints={"EncryptionContextSubset": {"tenant": "a"}})
    denied(as_user.create_grant, KeyId=key["Arn"], GranteePrincipal=second_arn, Operations=["Encrypt"])
    child = as_user.create_grant(KeyId=key["Arn"], GranteePrincipal=second_arn, Operations=["Encrypt"],
                                 Constraints={"EncryptionContextEquals": {"tenant": "a", "env": "prod"}})
    context = {"tenant": "a", "env": "prod"}
    as_second.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context,
                      GrantTokens=[child["GrantToken"]])
    denied(as_second.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"tenant": "a"})
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=child["GrantId"])
    denied(as_second.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext=context)
    with pytest.raises(ClientError) as excinfo:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=child["GrantId"])
    assert error_of(excinfo)[0] == "NotFoundException"
