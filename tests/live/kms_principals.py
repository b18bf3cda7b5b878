"""Helpers for the KMS authorization tests: IAM users with access keys, and a second account."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from tests.live.helpers import unique


def new_user(iam: Any, prefix: str, actions: list[str] | None = None) -> tuple[str, str, str]:
    """An IAM user (ARN, access key id, secret), with an inline policy allowing `actions` on "*" if given."""
    name = unique(prefix)
    arn = iam.create_user(UserName=name)["User"]["Arn"]
    if actions:
        allow(iam, name, actions)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return arn, key["AccessKeyId"], key["SecretAccessKey"]


def allow(iam: Any, user_arn_or_name: str, actions: list[str]) -> None:
    name = user_arn_or_name.rsplit("/", 1)[-1]
    iam.put_user_policy(UserName=name, PolicyName="kms", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}],
    }))


def create_account(server: Any, account_id: str, access_key_id: str, secret: str, work_dir: Path) -> None:
    """A second account on the running server, made as operators make one."""
    database_url = server.store_url
    result = subprocess.run(
        [sys.executable, "-m", "strongroom", "admin", "create-account", "--account-id", account_id,
         "--access-key-id", access_key_id, "--secret-access-key", secret, "--database-url", database_url,
         "--root-key-file", str(server.data_dir / "root.key"), "--data-dir", str(work_dir)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    if result.returncode != 0 and "exists" not in result.stderr.lower():
        raise AssertionError(result.stderr)


def denied(call: Any, **kwargs: Any) -> str:
    """The AccessDeniedException message `call` answers (anything else fails the test)."""
    try:
        call(**kwargs)
    except ClientError as error:
        assert error.response["Error"]["Code"] == "AccessDeniedException", error.response
        return str(error.response["Error"].get("Message", ""))
    raise AssertionError("the call was allowed")
