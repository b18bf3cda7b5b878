"""IAM inline and managed policies, versions and attachments through boto3 against the real server."""

from __future__ import annotations

import json
import re
from typing import Any

from .conftest import Server
from .helpers import refusal, unique

ACCOUNT = "000000000000"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def document(action: str, effect: str = "Allow") -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": [{"Effect": effect, "Action": action, "Resource": "*"}]}


def test_inline_policies_of_users_groups_and_roles(server: Server) -> None:
    iam = server.client("iam")
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    policy = document("s3:GetObject")
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(policy))
    iam.put_group_policy(GroupName=group, PolicyName="read", PolicyDocument=json.dumps(policy))
    iam.put_role_policy(RoleName=role, PolicyName="read", PolicyDocument=json.dumps(policy))

    got = iam.get_user_policy(UserName=user, PolicyName="read")
    assert (got["UserName"], got["PolicyName"], got["PolicyDocument"]) == (user, "read", policy)
    assert iam.get_group_policy(GroupName=group, PolicyName="read")["PolicyDocument"] == policy
    assert iam.get_role_policy(RoleName=role, PolicyName="read")["PolicyDocument"] == policy
    # GetXPolicy sends the document URL-encoded, as AWS does.
    raw = server.send(
        "iam",
        f"Action=GetUserPolicy&Version=2010-05-08&UserName={user}&PolicyName=read".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert b"<PolicyDocument>%7B%22Version%22" in raw.body

    changed = document("s3:*")
    iam.put_user_policy(UserName=user, PolicyName="read", PolicyDocument=json.dumps(changed))
    assert iam.get_user_policy(UserName=user, PolicyName="read")["PolicyDocument"] == changed
    iam.put_user_policy(UserName=user, PolicyName="write", PolicyDocument=json.dumps(changed))
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["read", "write"]
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["read"]
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["read"]

    assert refusal(lambda: iam.delete_user(UserName=user)) == (
        "DeleteConflict",
        "Cannot delete entity, must delete policies first.",
        409,
    )
    assert refusal(lambda: iam.delete_role(RoleName=role))[0] == "DeleteConflict"
    iam.delete_user_policy(UserName=user, PolicyName="read")
    assert refusal(lambda: iam.get_user_policy(UserName=user, PolicyName="read")) == (
        "NoSuchEntity",
        "The user policy with name read cannot be found.",
        404,
    )
    assert refusal(lambda: iam.delete_role_policy(RoleName=role, PolicyName="nope")) == (
        "NoSuchEntity",
        "The role policy with name nope cannot be found.",
        404,
    )
    assert refusal(
        lambda: iam.put_user_policy(UserName=user, PolicyName="bad", PolicyDocument='{"Statement": []')
    ) == ("MalformedPolicyDocument", "Syntax errors in policy.", 400)
    with_principal = {"Version": "2012-10-17", "Statement": [{**document("s3:*")["Statement"][0], "Principal": "*"}]}
    assert refusal(
        lambda: iam.put_group_policy(GroupName=group, PolicyName="p", PolicyDocument=json.dumps(with_principal))
    ) == ("MalformedPolicyDocument", "Policy document should not specify a principal.", 400)


def test_managed_policy_versions(server: Server) -> None:
    iam = server.client("iam")
    name = unique("managed")
    created = iam.create_policy(
        PolicyName=name, Path="/app/", PolicyDocument=json.dumps(document("s3:GetObject")), Description="reads"
    )["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{ACCOUNT}:policy/app/{name}"
    assert re.fullmatch(r"ANPA[A-Z0-9]{17}", created["PolicyId"])
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == ("v1", 0, True)
    assert refusal(lambda: iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document("s3:*")))) == (
        "EntityAlreadyExists",
        f"A policy called {name} already exists. Duplicate names are not allowed.",
        409,
    )
    assert iam.get_policy(PolicyArn=arn)["Policy"]["Description"] == "reads"

    v2 = iam.create_policy_version(
        PolicyArn=arn, PolicyDocument=json.dumps(document("s3:PutObject")), SetAsDefault=True
    )["PolicyVersion"]
    assert (v2["VersionId"], v2["IsDefaultVersion"]) == ("v2", True)
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
    assert iam.get_policy_version(PolicyArn=arn, VersionId="v1")["PolicyVersion"]["Document"] == document(
        "s3:GetObject"
    )
    for _ in range(3):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document("s3:*")))
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=arn)["Versions"]] == [
        "v5",
        "v4",
        "v3",
        "v2",
        "v1",
    ]
    assert refusal(lambda: iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document("s3:*")))) == (
        "LimitExceeded",
        "A managed policy can have up to 5 versions. Before you create a new version, you must delete an existing "
        "version.",
        409,
    )
    assert refusal(lambda: iam.delete_policy_version(PolicyArn=arn, VersionId="v2")) == (
        "DeleteConflict",
        "Cannot delete the default version of a policy.",
        409,
    )
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    iam.delete_policy_version(PolicyArn=arn, VersionId="v2")
    # Version ids are not reused.
    assert (
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(document("s3:*")))["PolicyVersion"][
            "VersionId"
        ]
        == "v6"
    )
    assert refusal(lambda: iam.get_policy_version(PolicyArn=arn, VersionId="v2"))[0] == "NoSuchEntity"
    assert refusal(lambda: iam.delete_policy(PolicyArn=arn))[0] == "DeleteConflict"
    for version in ("v3", "v4", "v5", "v6"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=version)
    iam.delete_policy(PolicyArn=arn)
    assert refusal(lambda: iam.get_policy(PolicyArn=arn)) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)
    assert refusal(
        lambda: iam.create_policy(PolicyName=unique("bad"), PolicyDocument='{"Version": "2012-10-17"}')
    ) == ("MalformedPolicyDocument", "Missing required field Statement", 400)


def test_attachments_and_entities_for_policy(server: Server) -> None:
    iam = server.client("iam")
    user, group, role = unique("u"), unique("g"), unique("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    name = unique("attached")
    arn = iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(document("s3:*")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    iam.attach_group_policy(GroupName=group, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    iam.attach_role_policy(RoleName=role, PolicyArn=arn)  # attaching twice changes nothing

    expected = [{"PolicyName": name, "PolicyArn": arn}]
    assert iam.list_attached_user_policies(UserName=user)["AttachedPolicies"] == expected
    assert iam.list_attached_group_policies(GroupName=group)["AttachedPolicies"] == expected
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == expected
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 3
    entities = iam.list_entities_for_policy(PolicyArn=arn)
    assert [u["UserName"] for u in entities["PolicyUsers"]] == [user]
    assert [g["GroupName"] for g in entities["PolicyGroups"]] == [group]
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    only_roles = iam.list_entities_for_policy(PolicyArn=arn, EntityFilter="Role")
    assert (only_roles["PolicyUsers"], len(only_roles["PolicyRoles"])) == ([], 1)
    assert arn in [p["Arn"] for p in iam.list_policies(Scope="Local", OnlyAttached=True)["Policies"]]

    assert refusal(lambda: iam.delete_policy(PolicyArn=arn)) == (
        "DeleteConflict",
        "Cannot delete a policy attached to entities.",
        409,
    )
    assert refusal(lambda: iam.delete_role(RoleName=role)) == (
        "DeleteConflict",
        "Cannot delete entity, must detach all policies first.",
        409,
    )
    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('none')}"
    assert refusal(lambda: iam.attach_user_policy(UserName=user, PolicyArn=missing)) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
    iam.detach_user_policy(UserName=user, PolicyArn=arn)
    iam.detach_group_policy(GroupName=group, PolicyArn=arn)
    iam.detach_role_policy(RoleName=role, PolicyArn=arn)
    assert refusal(lambda: iam.detach_role_policy(RoleName=role, PolicyArn=arn)) == (
        "NoSuchEntity",
        f"Policy {arn} was not found.",
        404,
    )
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    iam.delete_policy(PolicyArn=arn)
    iam.delete_role(RoleName=role)


def test_attached_policies_quota(server: Server) -> None:
    iam = server.client("iam")
    role = unique("busy")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    arns = [
        iam.create_policy(PolicyName=unique("q"), PolicyDocument=json.dumps(document("s3:*")))["Policy"]["Arn"]
        for _ in range(11)
    ]
    for arn in arns[:10]:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    assert refusal(lambda: iam.attach_role_policy(RoleName=role, PolicyArn=arns[10])) == (
        "LimitExceeded",
        "Cannot exceed quota for PoliciesPerRole: 10",
        409,
    )
