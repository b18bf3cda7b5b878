"""IAM access keys through boto3: a new user's key authenticates as that user, until made inactive."""

from __future__ import annotations

import re

import pytest

from .conftest import Server
from .helpers import refusal, unique

ACCOUNT = "000000000000"


@pytest.mark.parametrize("region", ["us-east-1", "eu-central-1"])
def test_a_users_new_key_authenticates_as_the_user_until_inactive(server: Server, region: str) -> None:
    iam = server.client("iam", region=region)
    name = unique("keyed")
    user = iam.create_user(UserName=name)["User"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert key["UserName"] == name
    assert key["Status"] == "Active"
    assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key["AccessKeyId"])
    assert len(key["SecretAccessKey"]) == 40

    sts = server.client("sts", region=region, key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    identity = sts.get_caller_identity()
    assert identity == {
        **identity,
        "Arn": f"arn:aws:iam::{ACCOUNT}:user/{name}",
        "UserId": user["UserId"],
        "Account": ACCOUNT,
    }

    listed = iam.list_access_keys(UserName=name)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"], k["UserName"]) for k in listed] == [(key["AccessKeyId"], "Active", name)]
    assert "SecretAccessKey" not in listed[0]
    last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    assert last_used["UserName"] == name

    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    assert refusal(sts.get_caller_identity)[0] == "InvalidClientTokenId"
    iam.update_access_key(UserName=name, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"].endswith(f":user/{name}")

    assert refusal(lambda: iam.delete_user(UserName=name)) == (
        "DeleteConflict",
        "Cannot delete entity, must delete access keys first.",
        409,
    )
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    assert refusal(sts.get_caller_identity)[0] == "InvalidClientTokenId"
    assert iam.list_access_keys(UserName=name)["AccessKeyMetadata"] == []
    iam.delete_user(UserName=name)


def test_at_most_two_keys_per_user(server: Server) -> None:
    iam = server.client("iam")
    name = unique("twokeys")
    iam.create_user(UserName=name)
    first = iam.create_access_key(UserName=name)["AccessKey"]["AccessKeyId"]
    iam.create_access_key(UserName=name)
    assert refusal(lambda: iam.create_access_key(UserName=name)) == (
        "LimitExceeded",
        "Cannot exceed quota for AccessKeysPerUser: 2",
        409,
    )
    assert refusal(lambda: iam.create_access_key(UserName=unique("ghost")))[0] == "NoSuchEntity"
    missing = "AKIAIOSFODNN7EXAMPLE"
    assert refusal(lambda: iam.update_access_key(UserName=name, AccessKeyId=missing, Status="Inactive")) == (
        "NoSuchEntity",
        f"The Access Key with id {missing} cannot be found.",
        404,
    )
    assert refusal(lambda: iam.delete_access_key(UserName=name, AccessKeyId=missing))[0] == "NoSuchEntity"
    iam.delete_access_key(UserName=name, AccessKeyId=first)
    assert len(iam.list_access_keys(UserName=name)["AccessKeyMetadata"]) == 1


def test_a_user_manages_its_own_keys_without_naming_itself(server: Server) -> None:
    iam = server.client("iam")
    name = unique("self")
    iam.create_user(UserName=name)
    iam.put_user_policy(
        UserName=name,
        PolicyName="own-keys",
        PolicyDocument=(
            '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["iam:*AccessKey*", "iam:GetUser"],'
            f' "Resource": "arn:aws:iam::{ACCOUNT}:user/{name}"}}]}}'
        ),
    )
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = server.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert as_user.get_user()["User"]["UserName"] == name
    second = as_user.create_access_key()["AccessKey"]
    assert second["UserName"] == name
    assert {k["AccessKeyId"] for k in as_user.list_access_keys()["AccessKeyMetadata"]} == {
        key["AccessKeyId"],
        second["AccessKeyId"],
    }


def test_a_renamed_users_key_authenticates_under_its_new_name(server: Server) -> None:
    iam = server.client("iam")
    name, renamed = unique("before"), unique("after")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    sts = server.client("sts", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{name}"
    iam.update_user(UserName=name, NewUserName=renamed, NewPath="/moved/")
    assert sts.get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/moved/{renamed}"
    assert iam.list_access_keys(UserName=renamed)["AccessKeyMetadata"][0]["UserName"] == renamed


def test_a_user_without_policies_is_denied_iam_calls(server: Server) -> None:
    iam = server.client("iam")
    name = unique("powerless")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    as_user = server.client("iam", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    code, message, status = refusal(lambda: as_user.list_users())
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: arn:aws:iam::{ACCOUNT}:user/{name} is not authorized to perform: iam:ListUsers on resource: "
        f"arn:aws:iam::{ACCOUNT}:user/ because no identity-based policy allows the iam:ListUsers action"
    )


def test_last_used_of_unknown_key(server: Server) -> None:
    iam = server.client("iam")
    name = unique("lastused")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"] == {
        "ServiceName": "N/A",
        "Region": "N/A",
    }
    assert refusal(lambda: iam.get_access_key_last_used(AccessKeyId="AKIAIOSFODNN7EXAMPLE"))[0] == "NoSuchEntity"
