"""IAM groups, membership and roles through boto3 against the real server."""

from __future__ import annotations

import json
import re

from .conftest import Server
from .helpers import refusal, unique

ACCOUNT = "000000000000"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
    ],
}


def test_group_membership(server: Server) -> None:
    iam = server.client("iam")
    group, first, second = unique("devs"), unique("ann"), unique("ben")
    created = iam.create_group(GroupName=group, Path="/teams/")["Group"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:group/teams/{group}"
    assert re.fullmatch(r"AGPA[A-Z0-9]{17}", created["GroupId"])
    assert refusal(lambda: iam.create_group(GroupName=group)) == (
        "EntityAlreadyExists",
        f"Group with name {group} already exists.",
        409,
    )
    for user in (first, second):
        iam.create_user(UserName=user)
        iam.add_user_to_group(GroupName=group, UserName=user)

    answer = iam.get_group(GroupName=group)
    assert answer["Group"]["GroupId"] == created["GroupId"]
    assert sorted(user["UserName"] for user in answer["Users"]) == sorted([first, second])
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=first)["Groups"]] == [group]
    assert group in [g["GroupName"] for g in iam.list_groups(PathPrefix="/teams/")["Groups"]]

    assert refusal(lambda: iam.delete_group(GroupName=group)) == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
        409,
    )
    assert refusal(lambda: iam.delete_user(UserName=first))[0] == "DeleteConflict"
    iam.remove_user_from_group(GroupName=group, UserName=first)
    iam.remove_user_from_group(GroupName=group, UserName=second)
    assert iam.get_group(GroupName=group)["Users"] == []
    assert iam.list_groups_for_user(UserName=first)["Groups"] == []
    iam.delete_group(GroupName=group)
    assert refusal(lambda: iam.get_group(GroupName=group)) == (
        "NoSuchEntity",
        f"The group with name {group} cannot be found.",
        404,
    )
    missing = unique("nobody")
    assert refusal(lambda: iam.add_user_to_group(GroupName=unique("g"), UserName=missing))[0] == "NoSuchEntity"


def test_role_lifecycle(server: Server) -> None:
    iam = server.client("iam")
    name = unique("deployer")
    role = iam.create_role(
        RoleName=name,
        Path="/service/",
        AssumeRolePolicyDocument=json.dumps(TRUST),
        Description="deploys things",
        MaxSessionDuration=7200,
        Tags=[{"Key": "env", "Value": "prod"}],
    )["Role"]
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{name}"
    assert re.fullmatch(r"AROA[A-Z0-9]{17}", role["RoleId"])
    assert role["AssumeRolePolicyDocument"] == TRUST  # boto3 decodes the URL-encoded document

    fetched = iam.get_role(RoleName=name)["Role"]
    assert (fetched["Description"], fetched["MaxSessionDuration"]) == ("deploys things", 7200)
    assert fetched["Tags"] == [{"Key": "env", "Value": "prod"}]
    assert name in [r["RoleName"] for r in iam.list_roles(PathPrefix="/service/")["Roles"]]

    iam.update_role(RoleName=name, Description="changed", MaxSessionDuration=43200)
    updated = iam.get_role(RoleName=name)["Role"]
    assert (updated["Description"], updated["MaxSessionDuration"]) == ("changed", 43200)

    new_trust = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(new_trust))
    assert iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"] == new_trust

    iam.tag_role(RoleName=name, Tags=[{"Key": "owner", "Value": "me"}])
    iam.untag_role(RoleName=name, TagKeys=["env"])
    assert iam.list_role_tags(RoleName=name)["Tags"] == [{"Key": "owner", "Value": "me"}]

    iam.delete_role(RoleName=name)
    assert refusal(lambda: iam.get_role(RoleName=name)) == (
        "NoSuchEntity",
        f"The role with name {name} cannot be found.",
        404,
    )


def test_role_errors(server: Server) -> None:
    iam = server.client("iam")
    name = unique("role")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))
    assert refusal(lambda: iam.create_role(RoleName=name.upper(), AssumeRolePolicyDocument=json.dumps(TRUST))) == (
        "EntityAlreadyExists",
        f"Role with name {name.upper()} already exists.",
        409,
    )
    no_principal = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole"}]}
    assert refusal(
        lambda: iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(no_principal))
    ) == ("MalformedPolicyDocument", "Missing required field Principal", 400)
    assert refusal(lambda: iam.create_role(RoleName=unique("r"), AssumeRolePolicyDocument="{not json"))[0] == (
        "MalformedPolicyDocument"
    )
    with_resource = {"Version": "2012-10-17", "Statement": [{**TRUST["Statement"][0], "Resource": "*"}]}
    assert refusal(lambda: iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(with_resource))) == (
        "MalformedPolicyDocument",
        "Has prohibited field Resource",
        400,
    )
    too_long = 50000  # botocore checks only the minimum (3600); the server checks the maximum (43200)
    code, _message, status = refusal(
        lambda: iam.create_role(
            RoleName=unique("r"), AssumeRolePolicyDocument=json.dumps(TRUST), MaxSessionDuration=too_long
        )
    )
    assert (code, status) == ("ValidationError", 400)
    assert refusal(lambda: iam.update_role(RoleName=unique("ghost"), Description="x"))[0] == "NoSuchEntity"
