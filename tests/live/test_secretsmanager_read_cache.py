"""Each worker keeps the secrets and versions GetSecretValue found; every change must be seen by the very
next request in every worker, also when another process changes the store (the "secretsmanager"
cache revision, bumped by triggers). KMS must still decrypt (and authorize) every read, and the access
must still be recorded once a day."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError
from sqlalchemy import create_engine, text

from .conftest import Server
from .helpers import BOTH_DATABASES, error_of, run_sql, two_worker_server

TIMES = 12  # a new client is a new connection: spread over both workers


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def two_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from two_worker_server(request, tmp_path_factory, "sm-read-cache")


def _name() -> str:
    return f"read-cache-{uuid.uuid4().hex[:10]}"


def _every_worker_reads(server: Server, secret_id: str, value: str, **selector: str) -> None:
    for _ in range(TIMES):
        got = server.client("secretsmanager").get_secret_value(SecretId=secret_id, **selector)
        assert got["SecretString"] == value


def _every_worker_refuses(server: Server, secret_id: str, code: str, **selector: str) -> None:
    for _ in range(TIMES):
        with pytest.raises(ClientError) as caught:
            server.client("secretsmanager").get_secret_value(SecretId=secret_id, **selector)
        assert error_of(caught)[0] == code


def test_a_new_value_is_seen_at_once(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    first = sm.create_secret(Name=name, SecretString="first")
    _every_worker_reads(two_workers, name, "first")
    _every_worker_reads(two_workers, first["ARN"], "first")
    sm.put_secret_value(SecretId=name, SecretString="second")
    _every_worker_reads(two_workers, name, "second")
    _every_worker_reads(two_workers, first["ARN"], "second")
    _every_worker_reads(two_workers, name, "first", VersionStage="AWSPREVIOUS")


def test_a_moved_stage_is_seen_at_once(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    first = sm.create_secret(Name=name, SecretString="first")["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="second")["VersionId"]
    _every_worker_reads(two_workers, name, "second")
    _every_worker_reads(two_workers, name, "first", VersionId=first, VersionStage="AWSPREVIOUS")
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=first,
                                   RemoveFromVersionId=second)
    _every_worker_reads(two_workers, name, "first")
    _every_worker_refuses(two_workers, name, "InvalidRequestException", VersionId=first,
                          VersionStage="AWSPREVIOUS")


def test_a_resource_policy_is_seen_at_once(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    sm.create_secret(Name=name, SecretString="guarded")
    _every_worker_reads(two_workers, name, "guarded")
    deny = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}
    sm.put_resource_policy(SecretId=name, ResourcePolicy=json.dumps(deny))
    _every_worker_refuses(two_workers, name, "AccessDeniedException")
    sm.delete_resource_policy(SecretId=name)
    _every_worker_reads(two_workers, name, "guarded")


def test_a_deletion_and_a_restore_are_seen_at_once(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    sm.create_secret(Name=name, SecretString="kept")
    _every_worker_reads(two_workers, name, "kept")
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    _every_worker_refuses(two_workers, name, "InvalidRequestException")
    sm.restore_secret(SecretId=name)
    _every_worker_reads(two_workers, name, "kept")
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    _every_worker_refuses(two_workers, name, "ResourceNotFoundException")


def test_kms_is_asked_on_every_read(two_workers: Server) -> None:
    kms, sm, name = two_workers.client("kms"), two_workers.client("secretsmanager"), _name()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    sm.create_secret(Name=name, SecretString="sealed", KmsKeyId=key_id)
    _every_worker_reads(two_workers, name, "sealed")
    kms.disable_key(KeyId=key_id)
    _every_worker_refuses(two_workers, name, "DecryptionFailure")
    kms.enable_key(KeyId=key_id)
    _every_worker_reads(two_workers, name, "sealed")


def test_a_change_made_outside_the_server_is_seen_at_once(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    created = sm.create_secret(Name=name, SecretString="first")
    first = created["VersionId"]
    second = sm.put_secret_value(SecretId=name, SecretString="second")["VersionId"]
    _every_worker_reads(two_workers, name, "second")
    # An operator puts the first version back as the current one.
    run_sql(two_workers, "UPDATE sm_secret_versions SET stages = :stages WHERE secret_arn = :arn AND version_id = :id",
         stages='["AWSCURRENT"]', arn=created["ARN"], id=first)
    run_sql(two_workers, "UPDATE sm_secret_versions SET stages = '[]' WHERE secret_arn = :arn AND version_id = :id",
         arn=created["ARN"], id=second)
    _every_worker_reads(two_workers, name, "first")
    run_sql(two_workers, "DELETE FROM sm_secret_versions WHERE secret_arn = :arn", arn=created["ARN"])
    _every_worker_refuses(two_workers, name, "ResourceNotFoundException")


def _revision(server: Server) -> int:
    engine = create_engine(server.store_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(
                text("SELECT value FROM cache_revisions WHERE name = 'secretsmanager'")).scalar_one())
    finally:
        engine.dispose()


def test_the_access_is_recorded_without_emptying_the_caches(two_workers: Server) -> None:
    sm, name = two_workers.client("secretsmanager"), _name()
    created = sm.create_secret(Name=name, SecretString="read")
    before = _revision(two_workers)
    _every_worker_reads(two_workers, name, "read")
    _every_worker_reads(two_workers, created["ARN"], "read")
    assert _revision(two_workers) == before
    accessed = sm.describe_secret(SecretId=name)["LastAccessedDate"]
    assert (accessed.hour, accessed.minute, accessed.second) == (0, 0, 0)
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [version["LastAccessedDate"] for version in versions] == [accessed]
    # Still recorded once the caches hold the secret, on a version read for the first time.
    second = sm.put_secret_value(SecretId=name, SecretString="again")["VersionId"]
    _every_worker_reads(two_workers, name, "again")
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert {version["VersionId"]: version.get("LastAccessedDate") for version in versions}[second] == accessed


def test_the_access_is_recorded_each_day(server: Server) -> None:
    # One worker: the clock it is told to move is the one its next request reads.
    sm, name = server.client("secretsmanager"), _name()
    sm.create_secret(Name=name, SecretString="daily")
    for _ in range(3):  # the later reads come from the cache
        assert sm.get_secret_value(SecretId=name)["SecretString"] == "daily"
    first_day = sm.describe_secret(SecretId=name)["LastAccessedDate"]
    _status, clock = server.admin("clock", {"advance_seconds": 86400})
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "daily"
    next_day = sm.describe_secret(SecretId=name)["LastAccessedDate"]
    assert (next_day - first_day).days == 1
    assert next_day.astimezone(UTC).date() == datetime.fromisoformat(clock["now"]).astimezone(UTC).date()
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [version["LastAccessedDate"] for version in versions] == [next_day]
