"""Each worker keeps what applies to a caller (its policies, groups' policies, boundary, tags); every
IAM change must be seen by the very next request in every worker, also when another process
changes the store (the "iam" cache revision, bumped by triggers)."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import text

from .conftest import Server
from .helpers import error_of, run_sql

CONTEXT = {"purpose": "identity-cache-test"}
TIMES = 12  # a new client is a new connection: spread over both workers


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("identity-cache") / "data", workers=2)
    try:
        yield server
    finally:
        server.stop()


def _policy(condition: dict[str, Any] | None = None) -> str:
    statement: dict[str, Any] = {"Effect": "Allow", "Action": "kms:Encrypt", "Resource": "*"}
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _user(server: Server) -> tuple[str, dict[str, str]]:
    iam = server.client("iam")
    name = f"cache-{uuid.uuid4().hex[:10]}"
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}


def _key(server: Server) -> str:
    return str(server.client("kms").create_key()["KeyMetadata"]["KeyId"])


def _every_worker_allows(server: Server, credentials: dict[str, str], key_id: str) -> None:
    for _ in range(TIMES):
        server.client("kms", **credentials).encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=CONTEXT)


def _every_worker_refuses(server: Server, credentials: dict[str, str], key_id: str) -> None:
    for _ in range(TIMES):
        with pytest.raises(ClientError) as caught:
            server.client("kms", **credentials).encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=CONTEXT)
        assert error_of(caught)[0] == "AccessDeniedException"


def test_a_deleted_user_policy_is_seen_at_once(two_workers: Server) -> None:
    name, credentials = _user(two_workers)
    key_id = _key(two_workers)
    iam = two_workers.client("iam")
    iam.put_user_policy(UserName=name, PolicyName="encrypt", PolicyDocument=_policy())
    _every_worker_allows(two_workers, credentials, key_id)
    iam.delete_user_policy(UserName=name, PolicyName="encrypt")
    _every_worker_refuses(two_workers, credentials, key_id)


def test_leaving_a_group_is_seen_at_once(two_workers: Server) -> None:
    name, credentials = _user(two_workers)
    key_id = _key(two_workers)
    iam = two_workers.client("iam")
    group = f"encrypters-{uuid.uuid4().hex[:8]}"
    iam.create_group(GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="encrypt", PolicyDocument=_policy())
    iam.add_user_to_group(GroupName=group, UserName=name)
    _every_worker_allows(two_workers, credentials, key_id)
    iam.remove_user_from_group(GroupName=group, UserName=name)
    _every_worker_refuses(two_workers, credentials, key_id)


def test_a_changed_principal_tag_is_seen_at_once(two_workers: Server) -> None:
    name, credentials = _user(two_workers)
    key_id = _key(two_workers)
    iam = two_workers.client("iam")
    iam.put_user_policy(UserName=name, PolicyName="team", PolicyDocument=_policy(
        {"StringEquals": {"aws:PrincipalTag/team": "blue"}}))
    _every_worker_refuses(two_workers, credentials, key_id)
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    _every_worker_allows(two_workers, credentials, key_id)
    iam.tag_user(UserName=name, Tags=[{"Key": "team", "Value": "red"}])
    _every_worker_refuses(two_workers, credentials, key_id)


def test_a_new_managed_policy_version_is_seen_at_once(two_workers: Server) -> None:
    name, credentials = _user(two_workers)
    key_id = _key(two_workers)
    iam = two_workers.client("iam")
    arn = iam.create_policy(PolicyName=f"encrypt-{uuid.uuid4().hex[:8]}", PolicyDocument=_policy())["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=arn)
    _every_worker_allows(two_workers, credentials, key_id)
    nothing = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "kms:DescribeKey", "Resource": "*"}]})
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=nothing, SetAsDefault=True)
    _every_worker_refuses(two_workers, credentials, key_id)


def test_a_change_made_outside_the_server_is_seen_at_once(two_workers: Server) -> None:
    name, credentials = _user(two_workers)
    key_id = _key(two_workers)
    two_workers.client("iam").put_user_policy(UserName=name, PolicyName="encrypt", PolicyDocument=_policy())
    _every_worker_allows(two_workers, credentials, key_id)
    run_sql(two_workers, "DELETE FROM iam_inline_policies WHERE policy_name = 'encrypt' AND owner_id = "
            "(SELECT user_id FROM iam_users WHERE user_name = :name)", name=name)
    _every_worker_refuses(two_workers, credentials, key_id)


def test_the_revision_moves_with_every_identity_table(tmp_path: Path) -> None:
    from strongroom.store.db import Database

    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    database.migrate()
    seen = [database.revision("iam")]
    statements = [
        "INSERT INTO iam_tags (owner_id, key_lower, account_id, tag_key, tag_value) VALUES ('u', 't', '1', 'T', 'v')",
        "UPDATE iam_tags SET tag_value = 'w'",
        "DELETE FROM iam_tags",
        "INSERT INTO iam_group_members (group_id, user_id, account_id) VALUES ('g', 'u', '1')",
        "DELETE FROM iam_group_members",
    ]
    for statement in statements:
        with database.engine.begin() as connection:
            connection.execute(text(statement))
        seen.append(database.revision("iam"))
    assert all(later > earlier for earlier, later in itertools.pairwise(seen)), seen
    database.dispose()
