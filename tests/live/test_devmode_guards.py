"""What developer mode refuses: reset without --enable-reset, mixing developer and ordinary stores,
bad seed files and account ids; and what it keeps: a seeded data dir across restarts."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from strongroom.services.registry import SERVED
from tests import server_process

from .conftest import Server
from .test_devmode_pipeline import SEED, DevServer, refused, write_seed


def run_strongroom(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}
    return server_process.run([sys.executable, "-m", "strongroom", *args], env=env, cwd=cwd)


def test_reset_is_refused_without_enable_reset_and_nothing_is_lost(tmp_path: Path) -> None:
    server = DevServer(tmp_path)
    try:
        kms = server.client("kms")
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        for path in ("/_strongroom/reset", "/_localstack/state/reset", "/moto-api/reset"):
            status, body = server.post(path)
            assert (status, body["error"]) == (403, "Forbidden")
        assert [k["KeyId"] for k in kms.list_keys()["Keys"]] == [key_id]
        assert "Reset is enabled" not in server.output()
    finally:
        server.stop()


def test_seed_is_applied_once_across_restarts_of_a_kept_data_dir(tmp_path: Path) -> None:
    seed = str(write_seed(tmp_path))
    data_dir = str(tmp_path / "kept")
    first = DevServer(tmp_path, "--seed", seed, "--data-dir", data_dir)
    try:
        key_arn = first.client("kms").describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"]
        first.client("iam").create_user(UserName="made-between-starts")
    finally:
        first.stop()
    second = DevServer(tmp_path, "--seed", seed, "--data-dir", data_dir)
    try:
        kms = second.client("kms")
        assert kms.describe_key(KeyId="alias/app")["KeyMetadata"]["Arn"] == key_arn
        assert [k["KeyArn"] for k in kms.list_keys()["Keys"]] == [key_arn]
        users = sorted(u["UserName"] for u in second.client("iam").list_users()["Users"])
        assert users == ["deployer", "made-between-starts"]
        assert "kept" in second.output() and "throwaway" not in second.output()
    finally:
        second.stop()
    assert (tmp_path / "kept" / "strongroom.db").exists()


def test_account_id_chooses_the_default_account(tmp_path: Path) -> None:
    server = DevServer(tmp_path, "--account-id", "123456789012")
    try:
        assert server.client("sts").get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:root"
    finally:
        server.stop()
    result = run_strongroom("serve", "--dev", "--account-id", "12345", cwd=tmp_path)
    assert result.returncode == 2
    assert "12 digits" in result.stderr


def test_developer_and_ordinary_stores_are_never_mixed(tmp_path: Path) -> None:
    developer_dir = tmp_path / "developer"
    DevServer(tmp_path, "--data-dir", str(developer_dir)).stop()
    result = run_strongroom("serve", "--data-dir", str(developer_dir), cwd=tmp_path)
    assert result.returncode == 2
    assert "admits the test/test credentials" in result.stderr

    ordinary_dir = tmp_path / "ordinary"
    Server(ordinary_dir).stop()
    result = run_strongroom("serve", "--dev", "--data-dir", str(ordinary_dir), cwd=tmp_path)
    assert result.returncode == 2
    assert "was not set up by --dev" in result.stderr


def test_create_account_keeps_validating_credentials(tmp_path: Path) -> None:
    common = ("admin", "create-account", "--data-dir", str(tmp_path / "data"), "--account-id", "123456789012")
    result = run_strongroom(*common, "--access-key-id", "test", "--secret-access-key", "test", cwd=tmp_path)
    assert result.returncode == 2
    assert "access key id must be 16 to 128 characters" in result.stderr
    result = run_strongroom(*common, "--access-key-id", "AKIACHOSENKEY0000001", "--secret-access-key",
                            "a chosen secret", cwd=tmp_path)
    assert result.returncode == 2
    assert "without spaces" in result.stderr and "a chosen secret" not in result.stderr


def test_a_bad_seed_file_stops_the_start_with_where_and_why(tmp_path: Path) -> None:
    seed = tmp_path / "bad.yaml"
    seed.write_text(SEED.replace("description:", "descripton:"))
    result = run_strongroom("serve", "--dev", "--seed", str(seed), cwd=tmp_path)
    assert result.returncode == 2
    assert "seed.kms_keys[0]: unknown field 'descripton'" in result.stderr
    seed.write_text("accounts:\n  - account_id: 111122223333\n")
    result = run_strongroom("serve", "--dev", "--seed", str(seed), cwd=tmp_path)
    assert result.returncode == 2
    assert "quote it" in result.stderr


def test_a_seeded_key_with_another_secret_is_refused(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "kept")
    DevServer(tmp_path, "--seed", str(write_seed(tmp_path)), "--data-dir", data_dir).stop()
    changed = write_seed(tmp_path, SEED.replace("deployer-secret-0123456789", "deployer-secret-changed"))
    result = run_strongroom("serve", "--dev", "--seed", str(changed), "--data-dir", data_dir, cwd=tmp_path)
    assert result.returncode == 2
    assert "exists with another secret" in result.stderr
    assert "deployer-secret" not in result.stderr


def test_wrong_secret_for_test_is_refused_on_every_service(tmp_path: Path) -> None:
    server = DevServer(tmp_path)
    try:
        assert refused(server.client("sts", secret="not-test").get_caller_identity) == "SignatureDoesNotMatch"
        assert refused(server.client("iam", secret="not-test").list_users) == "SignatureDoesNotMatch"
        assert refused(server.client("kms", secret="not-test").list_keys) in ("SignatureDoesNotMatch",
                                                                            "InvalidSignatureException")
    finally:
        server.stop()


PARAMETER_SEED = "parameters:\n  - {name: /app/url, value: https://app.example}\n"
SECRET_SEED = "secrets:\n  - {name: app/db, value: '{\"password\": \"pw\"}'}\n"


@pytest.mark.parametrize(("service", "text"), [("ssm", PARAMETER_SEED), ("secretsmanager", SECRET_SEED)])
def test_parameters_and_secrets_are_seeded_through_their_services(tmp_path: Path, service: str, text: str) -> None:
    seed = write_seed(tmp_path, text)
    if service not in SERVED:
        result = run_strongroom("serve", "--dev", "--seed", str(seed), cwd=tmp_path)
        assert result.returncode == 2
        assert "not supported yet" in result.stderr and service in result.stderr
        return
    server = DevServer(tmp_path, "--seed", str(seed))
    try:
        if service == "ssm":
            value = server.client("ssm").get_parameter(Name="/app/url")["Parameter"]["Value"]
            assert value == "https://app.example"
        else:
            value = server.client("secretsmanager").get_secret_value(SecretId="app/db")["SecretString"]
            assert value == '{"password": "pw"}'
    finally:
        server.stop()
