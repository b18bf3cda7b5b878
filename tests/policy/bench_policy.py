"""Microseconds per evaluation of a typical request against five policies (run: python tests/policy/bench_policy.py)."""

from __future__ import annotations

import json
import time

from strongroom.auth.policy import AuthorizationRequest, PolicyDocument, PolicyKind, evaluate

ACCOUNT = "111122223333"


def parse(statements: list[dict], kind: PolicyKind) -> PolicyDocument:
    return PolicyDocument.parse(json.dumps({"Version": "2012-10-17", "Statement": statements}), kind=kind)


def main() -> None:
    identity = [
        parse(
            [
                {
                    "Sid": "Kms",
                    "Effect": "Allow",
                    "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
                    "Resource": f"arn:aws:kms:*:{ACCOUNT}:key/*",
                },
                {"Sid": "Describe", "Effect": "Allow", "Action": "kms:Describe*", "Resource": "*"},
            ],
            PolicyKind.IDENTITY,
        ),
        parse(
            [
                {
                    "Sid": "S3",
                    "Effect": "Allow",
                    "Action": ["s3:GetObject", "s3:PutObject"],
                    "Resource": "arn:aws:s3:::bucket/home/${aws:username}/*",
                }
            ],
            PolicyKind.IDENTITY,
        ),
        parse(
            [
                {
                    "Sid": "NoPlainHttp",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
                {
                    "Sid": "Network",
                    "Effect": "Deny",
                    "Action": "kms:*",
                    "Resource": "*",
                    "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.0.2.0/24"]}},
                },
            ],
            PolicyKind.IDENTITY,
        ),
    ]
    boundary = parse(
        [{"Sid": "Bound", "Effect": "Allow", "Action": ["kms:*", "s3:*"], "Resource": "*"}], PolicyKind.BOUNDARY
    )
    key_policy = parse(
        [
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            },
            {
                "Sid": "Tagged",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": "blue", "kms:CallerAccount": ACCOUNT}},
            },
        ],
        PolicyKind.RESOURCE,
    )
    request = AuthorizationRequest(
        f"arn:aws:iam::{ACCOUNT}:user/alice",
        ACCOUNT,
        "kms:Decrypt",
        f"arn:aws:kms:us-east-1:{ACCOUNT}:key/k1",
        {
            "aws:username": "alice",
            "aws:SecureTransport": True,
            "aws:SourceIp": "10.1.2.3",
            "aws:PrincipalTag/team": "red",
            "kms:CallerAccount": ACCOUNT,
        },
    )
    rounds = 20000
    start = time.perf_counter()
    for _ in range(rounds):
        decision = evaluate(
            request,
            identity_policies=identity,
            resource_policy=key_policy,
            permissions_boundary=boundary,
            resource_policy_required=True,
        )
    elapsed = time.perf_counter() - start
    print(
        f"{decision.effect} via {decision.policy_kind} {decision.statement_sid}: "
        f"{elapsed / rounds * 1e6:.1f} us per evaluation (5 policies, 8 statements)"
    )


if __name__ == "__main__":
    main()
