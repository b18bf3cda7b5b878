"""IAM users through boto3 against the real server: lifecycle, errors, paging, boundaries, tags, regions."""

from __future__ import annotations

import json
import re
from datetime import datetime

from .conftest import Server
from .helpers import refusal, unique

ACCOUNT = "000000000000"
ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})


def test_create_get_update_delete_user(server: Server) -> None:
    iam = server.client("iam")
    name = unique("alice")
    created = iam.create_user(UserName=name, Path="/engineering/")["User"]
    assert created["UserName"] == name
    assert created["Path"] == "/engineering/"
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/engineering/{name}"
    assert re.fullmatch(r"AIDA[A-Z0-9]{17}", created["UserId"])
    assert isinstance(created["CreateDate"], datetime)

    fetched = iam.get_user(UserName=name)["User"]
    assert fetched["UserId"] == created["UserId"]
    assert fetched["Arn"] == created["Arn"]

    renamed = unique("alicia")
    iam.update_user(UserName=name, NewUserName=renamed, NewPath="/ops/")
    after = iam.get_user(UserName=renamed)["User"]
    assert (after["UserId"], after["Arn"]) == (created["UserId"], f"arn:aws:iam::{ACCOUNT}:user/ops/{renamed}")
    assert refusal(lambda: iam.get_user(UserName=name)) == (
        "NoSuchEntity",
        f"The user with name {name} cannot be found.",
        404,
    )

    iam.delete_user(UserName=renamed)
    assert refusal(lambda: iam.get_user(UserName=renamed))[0] == "NoSuchEntity"
    assert refusal(lambda: iam.delete_user(UserName=renamed)) == (
        "NoSuchEntity",
        f"The user with name {renamed} cannot be found.",
        404,
    )


def test_user_names_are_unique_regardless_of_case(server: Server) -> None:
    iam = server.client("iam")
    name = unique("Bob")
    iam.create_user(UserName=name)
    assert refusal(lambda: iam.create_user(UserName=name.upper())) == (
        "EntityAlreadyExists",
        f"User with name {name.upper()} already exists.",
        409,
    )
    other = unique("carol")
    iam.create_user(UserName=other)
    assert refusal(lambda: iam.update_user(UserName=other, NewUserName=name))[0] == "EntityAlreadyExists"


def test_invalid_names_are_validation_errors(server: Server) -> None:
    iam = server.client("iam")
    code, message, status = refusal(lambda: iam.create_user(UserName="bad name!"))
    assert (code, status) == ("ValidationError", 400)
    assert "userName" in message


def test_get_user_without_a_name_is_the_caller(server: Server) -> None:
    user = server.client("iam").get_user()["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert user["UserId"] == ACCOUNT


def test_list_users_pages_with_marker_and_path_prefix(server: Server) -> None:
    iam = server.client("iam")
    path = f"/{unique('team')}/"
    names = sorted(unique(f"user{index}") for index in range(5))
    for name in names:
        iam.create_user(UserName=name, Path=path)

    first = iam.list_users(PathPrefix=path, MaxItems=2)
    assert [user["UserName"] for user in first["Users"]] == names[:2]
    assert first["IsTruncated"] is True
    second = iam.list_users(PathPrefix=path, MaxItems=2, Marker=first["Marker"])
    assert [user["UserName"] for user in second["Users"]] == names[2:4]
    last = iam.list_users(PathPrefix=path, MaxItems=2, Marker=second["Marker"])
    assert [user["UserName"] for user in last["Users"]] == names[4:]
    assert last["IsTruncated"] is False
    assert "Marker" not in last

    paged = [
        user["UserName"]
        for page in iam.get_paginator("list_users").paginate(PathPrefix=path, PaginationConfig={"PageSize": 3})
        for user in page["Users"]
    ]
    assert paged == names


def test_iam_is_global_every_region_sees_the_same_users(server: Server) -> None:
    name = unique("global")
    created = server.client("iam", region="eu-west-1").create_user(UserName=name)["User"]
    for region in ("us-east-1", "ap-southeast-2"):
        assert server.client("iam", region=region).get_user(UserName=name)["User"]["UserId"] == created["UserId"]


def test_user_tags(server: Server) -> None:
    iam = server.client("iam")
    name = unique("tagged")
    created = iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])["User"]
    assert created["Tags"] == [{"Key": "team", "Value": "blue"}]
    iam.tag_user(UserName=name, Tags=[{"Key": "Team", "Value": "red"}, {"Key": "cost", "Value": "42"}])
    assert iam.list_user_tags(UserName=name)["Tags"] == [
        {"Key": "cost", "Value": "42"},
        {"Key": "Team", "Value": "red"},
    ]
    iam.untag_user(UserName=name, TagKeys=["COST"])
    assert iam.get_user(UserName=name)["User"]["Tags"] == [{"Key": "Team", "Value": "red"}]

    many = [{"Key": f"k{index}", "Value": "v"} for index in range(49)]
    iam.tag_user(UserName=name, Tags=many)
    assert refusal(lambda: iam.tag_user(UserName=name, Tags=[{"Key": "one-more", "Value": "v"}])) == (
        "LimitExceeded",
        "Cannot exceed quota for TagsPerUser: 50",
        409,
    )
    assert refusal(lambda: iam.tag_user(UserName=name, Tags=[{"Key": "aws:x", "Value": "v"}]))[0] == "InvalidInput"
    assert refusal(lambda: iam.list_user_tags(UserName=unique("ghost")))[0] == "NoSuchEntity"


def test_user_permissions_boundary(server: Server) -> None:
    iam = server.client("iam")
    policy_arn = iam.create_policy(PolicyName=unique("boundary"), PolicyDocument=ALLOW_ALL)["Policy"]["Arn"]
    name = unique("bounded")
    created = iam.create_user(UserName=name, PermissionsBoundary=policy_arn)["User"]
    assert created["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": policy_arn,
    }
    assert iam.get_policy(PolicyArn=policy_arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    assert refusal(lambda: iam.delete_policy(PolicyArn=policy_arn))[0] == "DeleteConflict"
    iam.delete_user_permissions_boundary(UserName=name)
    assert "PermissionsBoundary" not in iam.get_user(UserName=name)["User"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=policy_arn)
    assert iam.get_user(UserName=name)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == policy_arn

    missing = f"arn:aws:iam::{ACCOUNT}:policy/{unique('nothing')}"
    assert refusal(lambda: iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=missing)) == (
        "NoSuchEntity",
        f"Policy {missing} does not exist or is not attachable.",
        404,
    )
