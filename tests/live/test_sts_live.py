"""STS GetCallerIdentity through boto3, the aws CLI and a presigned URL, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from .conftest import Server


def test_get_caller_identity_with_boto3(server: Server) -> None:
    identity = server.client("sts").get_caller_identity()
    assert identity["Account"] == "000000000000"
    assert identity["Arn"] == "arn:aws:iam::000000000000:root"
    assert identity["UserId"] == "000000000000"
    assert identity["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert identity["ResponseMetadata"]["RequestId"]


def test_get_caller_identity_with_the_aws_cli(server: Server) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity", "--output", "json"],
        env=server.cli_env(), capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "UserId": "000000000000",
        "Account": "000000000000",
        "Arn": "arn:aws:iam::000000000000:root",
    }


def test_the_aws_cli_shows_an_authentication_error(server: Server) -> None:
    env = server.cli_env()
    env["AWS_SECRET_ACCESS_KEY"] = "not-the-secret"
    result = subprocess.run(
        [sys.executable, "-m", "awscli", "sts", "get-caller-identity"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0
    assert "SignatureDoesNotMatch" in result.stderr


def test_presigned_url_is_accepted(server: Server) -> None:
    url = server.client("sts").generate_presigned_url("get_caller_identity", ExpiresIn=60, HttpMethod="GET")
    with urllib.request.urlopen(url, timeout=10) as reply:
        body = reply.read().decode()
    assert reply.status == 200
    assert "<Arn>arn:aws:iam::000000000000:root</Arn>" in body


def test_each_region_answers(server: Server) -> None:
    for region in ("us-east-1", "eu-west-1", "ap-southeast-2"):
        assert server.client("sts", region=region).get_caller_identity()["Account"] == "000000000000"
