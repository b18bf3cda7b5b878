"""Each worker keeps the parameter versions GetParameter found; every change must be seen by the very
next request in every worker, also when another process changes the store (the "ssm" cache
revision, bumped by triggers), and KMS must still decrypt (and authorize) every SecureString read."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import Server
from .helpers import BOTH_DATABASES, error_of, run_sql, two_worker_server

TIMES = 12  # a new client is a new connection: spread over both workers


@pytest.fixture(scope="module", params=BOTH_DATABASES)
def two_workers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    yield from two_worker_server(request, tmp_path_factory, "ssm-read-cache")


def _name() -> str:
    return f"/read-cache-{uuid.uuid4().hex[:10]}/p"


def _every_worker_reads(server: Server, name: str, value: str, *, decrypt: bool = False) -> None:
    for _ in range(TIMES):
        got = server.client("ssm").get_parameter(Name=name, WithDecryption=decrypt)["Parameter"]
        assert got["Value"] == value


def _every_worker_refuses(server: Server, name: str, code: str, *, decrypt: bool = False) -> None:
    for _ in range(TIMES):
        with pytest.raises(ClientError) as caught:
            server.client("ssm").get_parameter(Name=name, WithDecryption=decrypt)
        assert error_of(caught)[0] == code


def test_an_overwritten_value_is_seen_at_once(two_workers: Server) -> None:
    ssm, name = two_workers.client("ssm"), _name()
    ssm.put_parameter(Name=name, Value="first", Type="SecureString")
    _every_worker_reads(two_workers, name, "first", decrypt=True)
    ssm.put_parameter(Name=name, Value="second", Type="SecureString", Overwrite=True)
    _every_worker_reads(two_workers, name, "second", decrypt=True)
    _every_worker_refuses(two_workers, f"{name}:3", "ParameterVersionNotFound")


def test_a_moved_label_is_seen_at_once(two_workers: Server) -> None:
    ssm, name = two_workers.client("ssm"), _name()
    ssm.put_parameter(Name=name, Value="one", Type="String")
    ssm.put_parameter(Name=name, Value="two", Type="String", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable"])
    _every_worker_reads(two_workers, f"{name}:stable", "one")
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["stable"])
    _every_worker_reads(two_workers, f"{name}:stable", "two")
    ssm.unlabel_parameter_version(Name=name, ParameterVersion=2, Labels=["stable"])
    _every_worker_refuses(two_workers, f"{name}:stable", "ParameterVersionNotFound")


def test_a_deleted_parameter_is_gone_at_once(two_workers: Server) -> None:
    ssm, name = two_workers.client("ssm"), _name()
    ssm.put_parameter(Name=name, Value="doomed", Type="String")
    _every_worker_reads(two_workers, name, "doomed")
    ssm.delete_parameter(Name=name)
    _every_worker_refuses(two_workers, name, "ParameterNotFound")


def test_an_expired_parameter_is_gone_at_once(two_workers: Server) -> None:
    ssm, name = two_workers.client("ssm"), _name()
    _status, clock = two_workers.admin("clock")
    expires = (datetime.fromisoformat(clock["now"]) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    expiration = {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": expires}}
    ssm.put_parameter(Name=name, Value="short-lived", Type="String", Tier="Advanced",
                      Policies=json.dumps([expiration]))
    _every_worker_reads(two_workers, name, "short-lived")
    two_workers.admin("clock", {"advance_seconds": 3600 + 60})  # the policy acts before the answer
    _every_worker_refuses(two_workers, name, "ParameterNotFound")


def test_kms_is_asked_on_every_read(two_workers: Server) -> None:
    kms, ssm, name = two_workers.client("kms"), two_workers.client("ssm"), _name()
    key_id = kms.create_key()["KeyMetadata"]["KeyId"]
    ssm.put_parameter(Name=name, Value="guarded", Type="SecureString", KeyId=key_id)
    _every_worker_reads(two_workers, name, "guarded", decrypt=True)
    kms.disable_key(KeyId=key_id)
    _every_worker_refuses(two_workers, name, "InvalidKeyId", decrypt=True)
    kms.enable_key(KeyId=key_id)
    _every_worker_reads(two_workers, name, "guarded", decrypt=True)


def test_a_change_made_outside_the_server_is_seen_at_once(two_workers: Server) -> None:
    ssm, name = two_workers.client("ssm"), _name()
    ssm.put_parameter(Name=name, Value="as-put", Type="String")
    _every_worker_reads(two_workers, name, "as-put")
    run_sql(two_workers, "UPDATE ssm_parameter_versions SET value = 'as-edited' WHERE name = :name", name=name)
    _every_worker_reads(two_workers, name, "as-edited")
    run_sql(two_workers, "DELETE FROM ssm_parameter_versions WHERE name = :name", name=name)
    _every_worker_refuses(two_workers, name, "ParameterVersionNotFound")
