"""The IAM policy simulator through boto3: decisions and matched statements follow the documents."""

from __future__ import annotations

import json

from .conftest import Server
from .helpers import unique

ACCOUNT = "000000000000"


def statement(effect: str, action: str, resource: str = "*") -> dict[str, str]:
    return {"Effect": effect, "Action": action, "Resource": resource}


def decisions(results: list[dict]) -> dict[tuple[str, str], str]:
    return {(result["EvalActionName"], result["EvalResourceName"]): result["EvalDecision"] for result in results}


def test_simulate_principal_policy_follows_the_users_policies(server: Server) -> None:
    iam = server.client("iam")
    user, group = unique("sim"), unique("simgroup")
    bucket = unique("bucket")
    user_arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.put_user_policy(
        UserName=user,
        PolicyName="reads",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [statement("Allow", "s3:Get*", f"arn:aws:s3:::{bucket}/*")]}
        ),
    )
    managed = unique("nodelete")
    policy_arn = iam.create_policy(
        PolicyName=managed,
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement("Deny", "s3:DeleteObject")]}),
    )["Policy"]["Arn"]
    iam.attach_group_policy(GroupName=group, PolicyArn=policy_arn)

    objects = f"arn:aws:s3:::{bucket}/key"
    answer = iam.simulate_principal_policy(
        PolicySourceArn=user_arn,
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
        ResourceArns=[objects, "arn:aws:s3:::other/key"],
    )
    assert decisions(answer["EvaluationResults"]) == {
        ("s3:GetObject", objects): "allowed",
        ("s3:GetObject", "arn:aws:s3:::other/key"): "implicitDeny",
        ("s3:PutObject", objects): "implicitDeny",
        ("s3:PutObject", "arn:aws:s3:::other/key"): "implicitDeny",
        ("s3:DeleteObject", objects): "explicitDeny",
        ("s3:DeleteObject", "arn:aws:s3:::other/key"): "explicitDeny",
    }
    matched = {
        (result["EvalActionName"], result["EvalResourceName"]): result["MatchedStatements"]
        for result in answer["EvaluationResults"]
    }
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in matched[("s3:GetObject", objects)]] == [
        ("reads", "user")
    ]
    assert [(m["SourcePolicyId"], m["SourcePolicyType"]) for m in matched[("s3:DeleteObject", objects)]] == [
        (managed, "user-managed")
    ]
    assert matched[("s3:PutObject", objects)] == []

    # An extra policy given with the request is simulated with the user's own.
    extra = json.dumps({"Version": "2012-10-17", "Statement": [statement("Allow", "s3:PutObject")]})
    answer = iam.simulate_principal_policy(
        PolicySourceArn=user_arn, ActionNames=["s3:PutObject"], PolicyInputList=[extra]
    )
    assert answer["EvaluationResults"][0]["EvalDecision"] == "allowed"
    assert answer["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_simulate_principal_policy_applies_the_permissions_boundary(server: Server) -> None:
    iam = server.client("iam")
    role = unique("simrole")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "sts:AssumeRole"}
        ],
    }
    boundary = iam.create_policy(
        PolicyName=unique("edge"),
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement("Allow", "s3:*")]}),
    )["Policy"]["Arn"]
    role_arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust), PermissionsBoundary=boundary)[
        "Role"
    ]["Arn"]
    iam.put_role_policy(
        RoleName=role,
        PolicyName="all",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement("Allow", "*")]}),
    )
    answer = iam.simulate_principal_policy(PolicySourceArn=role_arn, ActionNames=["s3:ListBucket", "kms:Decrypt"])
    assert decisions(answer["EvaluationResults"]) == {
        ("s3:ListBucket", "*"): "allowed",
        ("kms:Decrypt", "*"): "implicitDeny",
    }


def test_simulate_custom_policy_with_context(server: Server) -> None:
    iam = server.client("iam")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Action": "ec2:StartInstances",
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
                }
            ],
        }
    )

    def decide(region: str) -> str:
        answer = iam.simulate_custom_policy(
            PolicyInputList=[policy],
            ActionNames=["ec2:StartInstances"],
            ContextEntries=[
                {"ContextKeyName": "aws:RequestedRegion", "ContextKeyValues": [region], "ContextKeyType": "string"}
            ],
        )
        return answer["EvaluationResults"][0]["EvalDecision"]

    assert decide("eu-west-1") == "allowed"
    assert decide("us-east-1") == "implicitDeny"
