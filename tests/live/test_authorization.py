"""Authorization on every call, live: AWS's denial texts, inline policies, conditions, and the simulator agreeing."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import Server
from .helpers import audit_records, unique

ACCOUNT = "000000000000"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def denial(call: Callable[[], Any]) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]


def client(server: Server, service: str, key: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=token,
        config=Config(retries={"max_attempts": 1}),
    )


def new_user(server: Server) -> tuple[str, str, Any]:
    """A fresh user of the default account without policies: (name, ARN, its IAM client)."""
    iam = server.client("iam")
    name = unique("user")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, arn, client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])


def simulate(server: Server, user_arn: str, action: str, source_ip: str = "127.0.0.1") -> str:
    result = server.client("iam").simulate_principal_policy(
        PolicySourceArn=user_arn,
        ActionNames=[action],
        ContextEntries=[{"ContextKeyName": "aws:SourceIp", "ContextKeyValues": [source_ip], "ContextKeyType": "ip"}],
    )
    return str(result["EvaluationResults"][0]["EvalDecision"])


def test_a_user_without_policies_is_denied_in_aws_words(server: Server) -> None:
    _name, arn, iam = new_user(server)
    code, message, status = denial(iam.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ "
        "because no identity-based policy allows the iam:ListUsers action"
    )
    assert simulate(server, arn, "iam:ListUsers") == "implicitDeny"


def test_an_inline_policy_allows_and_a_source_ip_deny_wins(server: Server) -> None:
    name, arn, iam = new_user(server)
    admin = server.client("iam")
    admin.put_user_policy(
        UserName=name,
        PolicyName="list",
        PolicyDocument=policy({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}),
    )
    assert any(user["Arn"] == arn for user in iam.list_users()["Users"])
    assert simulate(server, arn, "iam:ListUsers") == "allowed"
    # Still denied what the policy does not name.
    code, message, _ = denial(iam.list_roles)
    assert code == "AccessDenied" and "iam:ListRoles" in message

    admin.put_user_policy(
        UserName=name,
        PolicyName="not-from-here",
        PolicyDocument=policy(
            {
                "Effect": "Deny",
                "Action": "iam:*",
                "Resource": "*",
                "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.1/32"}},
            }
        ),
    )
    code, message, status = denial(iam.list_users)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {arn} is not authorized to perform: iam:ListUsers on resource: arn:aws:iam::{ACCOUNT}:user/ "
        "with an explicit deny in an identity-based policy"
    )
    # The simulator agrees for this address, and allows from another one.
    assert simulate(server, arn, "iam:ListUsers", "127.0.0.1") == "explicitDeny"
    assert simulate(server, arn, "iam:ListUsers", "192.0.2.7") == "allowed"


def test_policy_variables_and_principal_tags(server: Server) -> None:
    name, arn, iam = new_user(server)
    admin = server.client("iam")
    admin.put_user_policy(
        UserName=name,
        PolicyName="self",
        PolicyDocument=policy(
            {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {
                "Effect": "Allow",
                "Action": "iam:ListRoles",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
            },
        ),
    )
    assert iam.get_user(UserName=name)["User"]["Arn"] == arn
    code, _message, _ = denial(lambda: iam.get_user(UserName="someone-else"))
    assert code in ("AccessDenied", "NoSuchEntity")
    code, _message, _ = denial(iam.list_roles)
    assert code == "AccessDenied"
    admin.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    assert "Roles" in iam.list_roles()


def test_a_permissions_boundary_narrows(server: Server) -> None:
    name, arn, iam = new_user(server)
    admin = server.client("iam")
    boundary = admin.create_policy(
        PolicyName=unique("boundary"),
        PolicyDocument=policy({"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}),
    )["Policy"]["Arn"]
    admin.put_user_policy(
        UserName=name, PolicyName="all", PolicyDocument=policy({"Effect": "Allow", "Action": "iam:*", "Resource": "*"})
    )
    admin.put_user_permissions_boundary(UserName=name, PermissionsBoundary=boundary)
    assert "Roles" in iam.list_roles()
    code, message, _ = denial(iam.list_users)
    assert code == "AccessDenied"
    assert message.endswith("because no permissions boundary allows the iam:ListUsers action")
    assert simulate(server, arn, "iam:ListUsers") == "implicitDeny"
    assert simulate(server, arn, "iam:ListRoles") == "allowed"


def test_the_root_may_do_anything_in_its_account(server: Server) -> None:
    iam = server.client("iam")
    assert "Users" in iam.list_users()
    assert server.client("sts").get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"


def test_anyone_may_ask_who_they_are(server: Server) -> None:
    _name, arn, _iam = new_user(server)
    iam = server.client("iam")
    key = iam.create_access_key(UserName=arn.rsplit("/", 1)[1])["AccessKey"]
    sts = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    assert sts.get_caller_identity()["Arn"] == arn


def test_a_denial_is_audited(server: Server) -> None:
    _name, arn, iam = new_user(server)
    with pytest.raises(ClientError) as raised:
        iam.list_groups()
    (record,) = audit_records(server, raised.value.response["ResponseMetadata"]["RequestId"])
    assert record["errorCode"] == "AccessDenied"
    assert record["userIdentity"]["arn"] == arn
    assert record["eventName"] == "ListGroups"
