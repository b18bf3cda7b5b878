"""Temporary credentials, live: AssumeRole across and within accounts, GetSessionToken, expiry on the server clock."""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.config import Config

from .conftest import Server
from .helpers import refusal, unique

ACCOUNT = "000000000000"


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def trusting(principal: str, **condition: Any) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    if condition:
        statement["Condition"] = condition
    return policy(statement)


def client(server: Server, service: str, credentials: dict[str, str]) -> Any:
    """A client signing with `credentials`: AccessKeyId, SecretAccessKey and, for a session, SessionToken."""
    return boto3.client(
        service,
        endpoint_url=server.endpoint,
        region_name="us-east-1",
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials.get("SessionToken"),
        config=Config(retries={"max_attempts": 1}),
    )


def new_user(server: Server, iam: Any, *statements: dict[str, Any]) -> tuple[str, dict[str, str]]:
    """A user of the account `iam` administers, with an inline policy of `statements`: (ARN, its key)."""
    name = unique("user")
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if statements:
        iam.put_user_policy(UserName=name, PolicyName="given", PolicyDocument=policy(*statements))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, {"AccessKeyId": key["AccessKeyId"], "SecretAccessKey": key["SecretAccessKey"]}


def new_role(iam: Any, trust: str, *statements: dict[str, Any], **options: Any) -> str:
    name = unique("role")
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust, **options)["Role"]["Arn"]
    if statements:
        iam.put_role_policy(RoleName=name, PolicyName="given", PolicyDocument=policy(*statements))
    return str(arn)


@pytest.fixture(scope="module")
def other_account(server: Server) -> tuple[str, dict[str, str]]:
    """A second account on the same server, made as operators make one: (account id, its root key)."""
    account_id = "".join(secrets.choice("0123456789") for _ in range(12))
    key = "AKIA" + "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
    secret = secrets.token_urlsafe(30)[:40]
    command = [
        sys.executable, "-m", "strongroom", "admin", "create-account", "--account-id", account_id,
        # "=" keeps a secret that starts with "-" from reading as an option.
        "--access-key-id", key, f"--secret-access-key={secret}", "--data-dir", str(server.data_dir),
    ]
    if server.database_url:
        command += ["--database-url", server.database_url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return account_id, {"AccessKeyId": key, "SecretAccessKey": secret}


def test_cross_account_assume_role_needs_the_trust_policy_and_expires_on_the_server_clock(
    server: Server, other_account: tuple[str, dict[str, str]]
) -> None:
    other_id, other_root = other_account
    other_iam = client(server, "iam", other_root)
    # Trusting another user of this account (a trust policy may name only principals that exist).
    bystander, _key = new_user(server, server.client("iam"))
    role_arn = new_role(other_iam, trusting(bystander), {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"})
    user_arn, key = new_user(
        server, server.client("iam"), {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": role_arn}
    )
    sts = client(server, "sts", key)

    code, message, status = refusal(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="audit"))
    assert (code, status) == ("AccessDenied", 403)
    assert message == f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"

    other_iam.update_assume_role_policy(RoleName=role_arn.rsplit("/", 1)[1], PolicyDocument=trusting(user_arn))
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="audit", DurationSeconds=900)
    credentials, user = answer["Credentials"], answer["AssumedRoleUser"]
    role_name = role_arn.rsplit("/", 1)[1]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    assert len(credentials["SecretAccessKey"]) == 40 and credentials["SessionToken"]
    assert user["Arn"] == f"arn:aws:sts::{other_id}:assumed-role/{role_name}/audit"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}:audit", user["AssumedRoleId"])

    session_sts = client(server, "sts", credentials)
    identity = session_sts.get_caller_identity()
    assert identity == {**identity, "Account": other_id, "Arn": user["Arn"], "UserId": user["AssumedRoleId"]}
    assert "Roles" in client(server, "iam", credentials).list_roles()
    code, message, _ = refusal(client(server, "iam", credentials).list_users)
    assert code == "AccessDenied"
    assert message.startswith(f"User: {user['Arn']} is not authorized to perform: iam:ListUsers")

    # Still good just before Expiration on the server's clock, refused once it has passed.
    left = (credentials["Expiration"] - server_now(server)).total_seconds()
    assert 0 < left <= 900
    assert server.admin("clock", {"advance_seconds": left - 30})[0] == 200
    assert session_sts.get_caller_identity()["Arn"] == user["Arn"]
    assert server.admin("clock", {"advance_seconds": 31})[0] == 200
    code, message, status = refusal(session_sts.get_caller_identity)
    assert (code, message, status) == ("ExpiredToken", "The security token included in the request is expired", 403)


def server_now(server: Server) -> datetime:
    status, body = server.admin("clock")
    assert status == 200, body
    return datetime.fromisoformat(str(body["now"]))


def test_a_cross_account_caller_needs_its_own_identity_policy_too(
    server: Server, other_account: tuple[str, dict[str, str]]
) -> None:
    _other_id, other_root = other_account
    user_arn, key = new_user(server, server.client("iam"))
    role_arn = new_role(client(server, "iam", other_root), trusting(user_arn))
    code, message, _ = refusal(lambda: client(server, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="s1"))
    assert code == "AccessDenied"
    assert message == f"User: {user_arn} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"


def test_same_account_trust_naming_the_user_is_enough_and_names_the_account_is_not(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    sts = client(server, "sts", key)
    direct = new_role(iam, trusting(user_arn))
    assert sts.assume_role(RoleArn=direct, RoleSessionName="direct")["Credentials"]["AccessKeyId"].startswith("ASIA")
    via_account = new_role(iam, trusting(f"arn:aws:iam::{ACCOUNT}:root"))
    code, _message, _ = refusal(lambda: sts.assume_role(RoleArn=via_account, RoleSessionName="account"))
    assert code == "AccessDenied"


def test_root_may_not_assume_roles(server: Server) -> None:
    role_arn = new_role(server.client("iam"), trusting(f"arn:aws:iam::{ACCOUNT}:root"))
    code, message, status = refusal(
        lambda: server.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="root")
    )
    assert (code, message, status) == ("AccessDenied", "Roles may not be assumed by root accounts.", 403)


def test_duration_limits(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    sts = client(server, "sts", key)
    role_arn = new_role(iam, trusting(user_arn), MaxSessionDuration=7200)
    code, message, status = refusal(
        lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="long", DurationSeconds=7201)
    )
    assert (code, message, status) == (
        "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", 400
    )
    code, _message, _ = refusal(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="bad name!"))
    assert code == "ValidationError"
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="ok", DurationSeconds=7200)["Credentials"]

    # Role chaining: a role session may assume a role (here its own, once trusted) for an hour at most.
    iam.update_assume_role_policy(
        RoleName=role_arn.rsplit("/", 1)[1],
        PolicyDocument=policy(
            {"Effect": "Allow", "Principal": {"AWS": [user_arn, role_arn]}, "Action": "sts:AssumeRole"}
        ),
    )
    chained = client(server, "sts", credentials)
    code, message, _ = refusal(
        lambda: chained.assume_role(RoleArn=role_arn, RoleSessionName="chain", DurationSeconds=3601)
    )
    assert (code, message) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.",
    )
    assert chained.assume_role(RoleArn=role_arn, RoleSessionName="chain")["AssumedRoleUser"]["Arn"].endswith("/chain")


def test_session_policies_only_narrow(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    role_arn = new_role(iam, trusting(user_arn), {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"})
    narrowed = client(server, "sts", key).assume_role(
        RoleArn=role_arn,
        RoleSessionName="narrow",
        Policy=policy({"Effect": "Allow", "Action": ["iam:ListRoles", "iam:CreateUser"], "Resource": "*"}),
    )
    assert 0 < narrowed["PackedPolicySize"] <= 100
    session_iam = client(server, "iam", narrowed["Credentials"])
    assert "Roles" in session_iam.list_roles()
    code, message, _ = refusal(session_iam.list_users)
    assert code == "AccessDenied"
    assert message.endswith("because no session policy allows the iam:ListUsers action")
    # The session policy cannot grant what the role's policies do not.
    code, message, _ = refusal(lambda: session_iam.create_user(UserName=unique("never")))
    assert message.endswith("because no identity-based policy allows the iam:CreateUser action")

    code, _message, _ = refusal(
        lambda: client(server, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="bad", Policy="{not json")
    )
    assert code == "MalformedPolicyDocument"


def test_managed_session_policies(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    role_arn = new_role(iam, trusting(user_arn), {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"})
    managed = iam.create_policy(
        PolicyName=unique("session"),
        PolicyDocument=policy({"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}),
    )["Policy"]["Arn"]
    answer = client(server, "sts", key).assume_role(
        RoleArn=role_arn, RoleSessionName="managed", PolicyArns=[{"arn": managed}]
    )
    session_iam = client(server, "iam", answer["Credentials"])
    assert "Users" in session_iam.list_users()
    assert refusal(session_iam.list_roles)[0] == "AccessDenied"


def test_session_tags_become_principal_tags(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    trust = policy({"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": ["sts:AssumeRole", "sts:TagSession"]})
    role_arn = new_role(
        iam,
        trust,
        {
            "Effect": "Allow",
            "Action": "iam:ListRoles",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue"}},
        },
    )
    sts = client(server, "sts", key)
    blue = sts.assume_role(RoleArn=role_arn, RoleSessionName="blue", Tags=[{"Key": "team", "Value": "blue"}])
    assert "Roles" in client(server, "iam", blue["Credentials"]).list_roles()
    red = sts.assume_role(RoleArn=role_arn, RoleSessionName="red", Tags=[{"Key": "team", "Value": "red"}])
    assert refusal(client(server, "iam", red["Credentials"]).list_roles)[0] == "AccessDenied"

    # Without sts:TagSession in the trust policy, tags are refused.
    untaggable = new_role(iam, trusting(user_arn))
    code, message, _ = refusal(
        lambda: sts.assume_role(RoleArn=untaggable, RoleSessionName="t1", Tags=[{"Key": "team", "Value": "blue"}])
    )
    assert code == "AccessDenied"
    assert message == f"User: {user_arn} is not authorized to perform: sts:TagSession on resource: {untaggable}"


def test_external_id_condition(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    role_arn = new_role(iam, trusting(user_arn, StringEquals={"sts:ExternalId": "shared-secret-42"}))
    sts = client(server, "sts", key)
    assert refusal(lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ext"))[0] == "AccessDenied"
    assert refusal(
        lambda: sts.assume_role(RoleArn=role_arn, RoleSessionName="ext", ExternalId="wrong-one")
    )[0] == "AccessDenied"
    answer = sts.assume_role(RoleArn=role_arn, RoleSessionName="ext", ExternalId="shared-secret-42")
    assert answer["AssumedRoleUser"]["Arn"].endswith("/ext")


def test_source_identity_is_returned_and_kept(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    trust = policy(
        {"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}
    )
    role_arn = new_role(iam, trust)
    answer = client(server, "sts", key).assume_role(RoleArn=role_arn, RoleSessionName="s1", SourceIdentity="alice")
    assert answer["SourceIdentity"] == "alice"


def test_a_wrong_or_missing_token_is_refused(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam)
    credentials = client(server, "sts", key).assume_role(
        RoleArn=new_role(iam, trusting(user_arn)), RoleSessionName="t1"
    )["Credentials"]
    for token in (credentials["SessionToken"][:-4] + "AAAA", None):
        forged = {**credentials, "SessionToken": token} if token else {
            "AccessKeyId": credentials["AccessKeyId"], "SecretAccessKey": credentials["SecretAccessKey"]
        }
        code, message, status = refusal(client(server, "sts", forged).get_caller_identity)
        assert (code, status) == ("InvalidClientTokenId", 403)
        assert message == "The security token included in the request is invalid."
    wrong_secret = {**credentials, "SecretAccessKey": "x" * 40}
    assert refusal(client(server, "sts", wrong_secret).get_caller_identity)[0] == "SignatureDoesNotMatch"


def test_get_session_token_acts_as_the_user(server: Server) -> None:
    iam = server.client("iam")
    user_arn, key = new_user(server, iam, {"Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"})
    answer = client(server, "sts", key).get_session_token(DurationSeconds=900)
    credentials = answer["Credentials"]
    assert re.fullmatch(r"ASIA[A-Z2-7]{16}", credentials["AccessKeyId"])
    session_sts = client(server, "sts", credentials)
    identity = session_sts.get_caller_identity()
    assert identity["Arn"] == user_arn and identity["UserId"].startswith("AIDA")
    # Without MFA these credentials may not call IAM, and may not make more sessions.
    code, _message, status = refusal(client(server, "iam", credentials).list_users)
    assert (code, status) == ("InvalidClientTokenId", 403)
    code, message, _ = refusal(session_sts.get_session_token)
    assert (code, message) == ("AccessDenied", "Cannot call GetSessionToken with session credentials")


def test_get_session_token_of_the_root_lasts_an_hour_at_most(server: Server) -> None:
    credentials = server.client("sts").get_session_token(DurationSeconds=7200)["Credentials"]
    identity = client(server, "sts", credentials).get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert credentials["Expiration"] - server_now(server) <= timedelta(seconds=3600)
