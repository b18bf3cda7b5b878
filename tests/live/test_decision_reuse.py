"""Remembered decisions never change an answer: requests that alternate between values a condition allows and
values it refuses get, every time, the answer and the message a first request gets."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.live.kms_principals import denied, new_user

ACCOUNT = "000000000000"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
REGION = "us-east-1"
MANAGE = ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"]


def no_key_policy_allows(caller: str, key_arn: str) -> str:
    """AWS's refusal of kms:Encrypt when no statement of the key policy allows the caller."""
    return (f"User: {caller} is not authorized to perform: kms:Encrypt on resource: {key_arn} "
            "because no resource-based policy allows the kms:Encrypt action")


def key_policy(*statements: dict[str, Any]) -> str:
    admin = {"Sid": "Admin", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": MANAGE, "Resource": "*"}
    return json.dumps({"Version": "2012-10-17", "Statement": [admin, *statements]})


def identity_policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def test_a_principal_tag_changed_between_calls(server: Any) -> None:
    iam = server.client("iam")
    user_arn, key_id, secret = new_user(iam, "reuse-tag")
    name = user_arn.rsplit("/", 1)[1]
    iam.put_user_policy(UserName=name, PolicyName="team", PolicyDocument=identity_policy({
        "Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*",
        "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
    }))
    key = server.client("kms").create_key()["KeyMetadata"]
    as_user = server.client("kms", key=key_id, secret=secret)
    refusal = (f"User: {user_arn} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
               "because no identity-based policy allows the kms:Encrypt action")
    for _ in range(3):
        assert denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == refusal
        iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
        for _ in range(2):
            assert as_user.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]
        iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "red"}])
        for _ in range(2):
            assert denied(as_user.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == refusal
        iam.untag_user(UserName=name, TagKeys=["team"])


def test_an_encryption_context_alternating_between_allowed_and_refused(server: Any, kms: Any) -> None:
    key = kms.create_key(Policy=key_policy(
        {"Sid": "Blue", "Effect": "Allow", "Principal": {"AWS": ROOT}, "Action": ["kms:Encrypt", "kms:Decrypt"],
         "Resource": "*", "Condition": {"StringEquals": {"kms:EncryptionContext:team": "blue"}}},
        {"Sid": "NoRed", "Effect": "Deny", "Principal": "*", "Action": "kms:*", "Resource": "*",
         "Condition": {"StringEqualsIgnoreCase": {"kms:EncryptionContext:team": "red"}}},
    ))["KeyMetadata"]
    implicit = no_key_policy_allows(ROOT, key["Arn"])
    explicit = (f"User: {ROOT} is not authorized to perform: kms:Encrypt on resource: {key['Arn']} "
                "with an explicit deny in a resource-based policy")
    for _ in range(3):
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "blue"})["CiphertextBlob"]
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"team": "blue"})["Plaintext"] == b"x"
        assert denied(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "green"}) == implicit
        assert denied(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "RED"}) == explicit
        assert denied(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == implicit
        assert denied(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"team": "Blue"}) == implicit
        # Condition key names are not case sensitive.
        spelled = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"Team": "blue"})
        assert spelled["KeyId"] == key["Arn"]
        assert denied(kms.decrypt, CiphertextBlob=blob, EncryptionContext={"team": "red"}).endswith(
            "with an explicit deny in a resource-based policy")
        assert denied(kms.decrypt, CiphertextBlob=blob).endswith(
            "because no resource-based policy allows the kms:Decrypt action")


def test_a_user_and_the_root_on_one_condition(server: Any, kms: Any) -> None:
    _arn, key_id, secret = new_user(server.client("iam"), "reuse-type")
    as_user = server.client("kms", key=key_id, secret=secret)
    key = kms.create_key(Policy=key_policy(
        {"Sid": "Users", "Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "kms:Encrypt", "Resource": "*",
         "Condition": {"StringEquals": {"aws:PrincipalType": "User", "aws:PrincipalAccount": ACCOUNT}}},
    ))["KeyMetadata"]
    for _ in range(3):
        assert as_user.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["KeyId"] == key["Arn"]
        assert denied(kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == no_key_policy_allows(ROOT, key["Arn"])


def test_a_key_usable_only_through_ssm_alternating_with_direct_calls(server: Any, ssm: Any) -> None:
    iam = server.client("iam")
    user_arn, key_id, secret = new_user(iam, "reuse-via")
    name = user_arn.rsplit("/", 1)[1]
    iam.put_user_policy(UserName=name, PolicyName="ssm", PolicyDocument=identity_policy(
        {"Effect": "Allow", "Action": ["ssm:PutParameter", "ssm:GetParameter"], "Resource": "*"}))
    key = server.client("kms").create_key(Policy=key_policy(
        {"Sid": "ViaSsm", "Effect": "Allow", "Principal": {"AWS": user_arn},
         "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*",
         "Condition": {"StringEquals": {"kms:ViaService": f"ssm.{REGION}.amazonaws.com"}}},
    ))["KeyMetadata"]
    as_user_ssm = server.client("ssm", key=key_id, secret=secret)
    as_user_kms = server.client("kms", key=key_id, secret=secret)
    parameter = f"/reuse/{uuid.uuid4().hex}"
    as_user_ssm.put_parameter(Name=parameter, Value="via ssm", Type="SecureString", KeyId=key["KeyId"])
    for _ in range(3):
        got = as_user_ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        assert got == "via ssm"
        assert denied(as_user_kms.encrypt, KeyId=key["KeyId"], Plaintext=b"x") == no_key_policy_allows(
            user_arn, key["Arn"])
    # The root of the account is not named by the key policy: through SSM or not, it may not use the key.
    assert ssm.get_parameter(Name=parameter)["Parameter"]["Type"] == "SecureString"
    for _ in range(2):
        code, message = _error(lambda: ssm.get_parameter(Name=parameter, WithDecryption=True))
        assert code == "AccessDeniedException"
        assert message.startswith(
            f"User: {ROOT} is not authorized to perform: kms:Decrypt on resource: {key['Arn']} "
            "because no resource-based policy allows the kms:Decrypt action (Service: AWSKMS;")
        got = as_user_ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
        assert got == "via ssm"


def test_the_managed_keys_through_their_service_and_directly(server: Any, ssm: Any, sm: Any, kms: Any) -> None:
    parameter, secret = f"/reuse/{uuid.uuid4().hex}", f"reuse/{uuid.uuid4().hex}"
    ssm.put_parameter(Name=parameter, Value="p", Type="SecureString")
    sm.create_secret(Name=secret, SecretString="s")
    for _ in range(3):
        assert ssm.get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"] == "p"
        assert sm.get_secret_value(SecretId=secret)["SecretString"] == "s"
        for alias in ("alias/aws/ssm", "alias/aws/secretsmanager"):
            arn = kms.describe_key(KeyId=alias)["KeyMetadata"]["Arn"]
            assert denied(kms.encrypt, KeyId=alias, Plaintext=b"x") == no_key_policy_allows(ROOT, arn)


def test_a_secret_policy_on_a_principal_tag(server: Any, sm: Any) -> None:
    iam = server.client("iam")
    user_arn, key_id, secret_key = new_user(iam, "reuse-secret")
    name = user_arn.rsplit("/", 1)[1]
    secret = sm.create_secret(Name=f"reuse/{uuid.uuid4().hex}", SecretString="s")["ARN"]
    sm.put_resource_policy(SecretId=secret, ResourcePolicy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "secretsmanager:GetSecretValue",
         "Resource": "*", "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}}},
    ]}))
    as_user = server.client("secretsmanager", key=key_id, secret=secret_key)
    refusal = _error(lambda: as_user.get_secret_value(SecretId=secret))
    assert refusal[0] == "AccessDeniedException"
    for team in ("blue", "red", "blue", "red"):
        iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": team}])
        for _ in range(2):
            if team == "blue":
                assert as_user.get_secret_value(SecretId=secret)["SecretString"] == "s"
            else:
                assert _error(lambda: as_user.get_secret_value(SecretId=secret)) == refusal


def _error(call: Any) -> tuple[str, str]:
    from botocore.exceptions import ClientError

    try:
        call()
    except ClientError as error:
        return error.response["Error"]["Code"], str(error.response["Error"].get("Message", ""))
    raise AssertionError("the call was allowed")
