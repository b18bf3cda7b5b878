"""Each worker caches what it reads of a key (state, policy, tags, aliases, material); every change
must be seen by the very next request, in the worker that made it, in other workers, and when the
store is changed by another process altogether (the "kms" cache revision, bumped by triggers)."""

from __future__ import annotations

import itertools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .conftest import Server
from .helpers import error_of

CONTEXT = {"purpose": "cache-test"}


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    server = Server(tmp_path_factory.mktemp("key-cache") / "data", workers=2)
    try:
        yield server
    finally:
        server.stop()


def _warm(server: Server, key_id: str, times: int = 12) -> None:
    # A new client is a new connection: spread over both workers, so each has the key cached.
    for _ in range(times):
        server.client("kms").encrypt(KeyId=key_id, Plaintext=b"warm", EncryptionContext=CONTEXT)


def _every_worker_refuses(server: Server, key_id: str, code: str, times: int = 12) -> None:
    for _ in range(times):
        with pytest.raises(ClientError) as caught:
            server.client("kms").encrypt(KeyId=key_id, Plaintext=b"x", EncryptionContext=CONTEXT)
        assert error_of(caught)[0] == code


def _root_policy(account: str, *, deny_encrypt_unless_tag: str | None = None, deny_encrypt: bool = False) -> str:
    statements: list[dict[str, object]] = [{
        "Sid": "Root", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"},
        "Action": "kms:*", "Resource": "*",
    }]
    if deny_encrypt:
        statements.append({"Sid": "NoEncrypt", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt",
                           "Resource": "*"})
    if deny_encrypt_unless_tag:
        statements.append({
            "Sid": "NeedsTag", "Effect": "Deny", "Principal": "*", "Action": "kms:Encrypt", "Resource": "*",
            "Condition": {"Null": {f"aws:ResourceTag/{deny_encrypt_unless_tag}": "true"}},
        })
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _account(server: Server) -> str:
    return str(server.client("sts").get_caller_identity()["Account"])


def test_disable_is_seen_by_every_worker_at_once(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    _warm(two_workers, key_id)
    kms.disable_key(KeyId=key_id)
    _every_worker_refuses(two_workers, key_id, "DisabledException")
    kms.enable_key(KeyId=key_id)
    _warm(two_workers, key_id)


def test_policy_change_is_seen_by_every_worker_at_once(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    account = _account(two_workers)
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    _warm(two_workers, key_id)
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=_root_policy(account, deny_encrypt=True))
    _every_worker_refuses(two_workers, key_id, "AccessDeniedException")
    kms.put_key_policy(KeyId=key_id, PolicyName="default", Policy=_root_policy(account))
    _warm(two_workers, key_id)


def test_removed_tag_is_seen_by_every_worker_at_once(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    account = _account(two_workers)
    key_id = kms.create_key(
        Policy=_root_policy(account, deny_encrypt_unless_tag="team"), Tags=[{"TagKey": "team", "TagValue": "a"}]
    )["KeyMetadata"]["KeyId"]
    _warm(two_workers, key_id)
    kms.untag_resource(KeyId=key_id, TagKeys=["team"])
    _every_worker_refuses(two_workers, key_id, "AccessDeniedException")
    kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "team", "TagValue": "b"}])
    _warm(two_workers, key_id)


def test_deleted_and_moved_alias_is_seen_by_every_worker_at_once(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    first = kms.create_key()["KeyMetadata"]["KeyId"]
    second = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = f"alias/cache-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=first)
    _warm(two_workers, alias)
    kms.update_alias(AliasName=alias, TargetKeyId=second)
    for _ in range(12):
        answer = two_workers.client("kms").encrypt(KeyId=alias, Plaintext=b"x", EncryptionContext=CONTEXT)
        assert answer["KeyId"].endswith(second)
    kms.delete_alias(AliasName=alias)
    _every_worker_refuses(two_workers, alias, "NotFoundException")


def test_rotation_is_seen_by_every_worker_at_once(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    old_blob = kms.encrypt(KeyId=key_id, Plaintext=b"before", EncryptionContext=CONTEXT)["CiphertextBlob"]
    _warm(two_workers, key_id)
    old_material = kms.decrypt(CiphertextBlob=old_blob, EncryptionContext=CONTEXT)["KeyMaterialId"]
    kms.rotate_key_on_demand(KeyId=key_id)
    for _ in range(12):
        client = two_workers.client("kms")
        blob = client.encrypt(KeyId=key_id, Plaintext=b"after", EncryptionContext=CONTEXT)["CiphertextBlob"]
        assert client.decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)["KeyMaterialId"] != old_material
        assert client.decrypt(CiphertextBlob=old_blob, EncryptionContext=CONTEXT)["Plaintext"] == b"before"


def test_a_change_made_outside_the_server_is_seen_at_once(two_workers: Server) -> None:
    """Another node, or an operator's SQL: no worker made the change, the triggers still tell them all."""
    kms = two_workers.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    alias = f"alias/outside-{uuid.uuid4().hex[:12]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    _warm(two_workers, key_id)
    _warm(two_workers, alias)
    engine = create_engine(two_workers.store_url)
    try:
        with engine.begin() as connection:
            connection.execute(text("DELETE FROM kms_aliases WHERE alias_name = :name"), {"name": alias})
        _every_worker_refuses(two_workers, alias, "NotFoundException")
        with engine.begin() as connection:
            connection.execute(text("UPDATE kms_keys SET state = 'Disabled' WHERE key_id = :key"), {"key": key_id})
        _every_worker_refuses(two_workers, key_id, "DisabledException")
    finally:
        engine.dispose()


def test_decrypt_follows_key_state_in_every_worker(two_workers: Server) -> None:
    kms = two_workers.client("kms")
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret", EncryptionContext=CONTEXT)["CiphertextBlob"]
    for _ in range(12):
        two_workers.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    for _ in range(12):
        with pytest.raises(ClientError) as caught:
            two_workers.client("kms").decrypt(CiphertextBlob=blob, EncryptionContext=CONTEXT)
        assert error_of(caught)[0] == "KMSInvalidStateException"


def test_the_revision_moves_with_every_kms_table(tmp_path: Path) -> None:
    from strongroom.store.db import Database

    database = Database(f"sqlite:///{tmp_path / 'store.db'}")
    database.migrate()
    seen = [database.revision("kms")]
    statements = [
        "INSERT INTO kms_tags (account_id, region, key_id, tag_key, tag_value) VALUES ('1', 'r', 'k', 't', 'v')",
        "UPDATE kms_tags SET tag_value = 'w'",
        "DELETE FROM kms_tags",
        "INSERT INTO kms_aliases (account_id, region, alias_name, key_id, created_at, updated_at) "
        "VALUES ('1', 'r', 'alias/a', 'k', '2026-01-01', '2026-01-01')",
        "DELETE FROM kms_aliases",
    ]
    for statement in statements:
        with database.engine.begin() as connection:
            connection.execute(text(statement))
        seen.append(database.revision("kms"))
    assert all(later > earlier for earlier, later in itertools.pairwise(seen)), seen
    database.dispose()
