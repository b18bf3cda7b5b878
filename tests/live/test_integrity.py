"""The store's sealed values against someone who can write to the database but has no root key: a row
edited or moved to another record does not open. An access key or session is then refused as AWS
refuses an unknown key, anything else with an error that says the store was tampered with, and the
server log names the record, never the secret."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from sqlalchemy import text

from tests.live.helpers import BOTH_DATABASES, refusal, run_sql, stored_rows, unique
from tests.live.test_cloudtrail_lookup import ALLOW_ALL

TAMPERED = "failed its integrity check: the store was changed outside Strongroom"


def _user_with_key(server: Any) -> tuple[str, str, str]:
    iam = server.client("iam")
    name = unique("mallory")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=ALLOW_ALL)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return name, key["AccessKeyId"], key["SecretAccessKey"]


@contextlib.contextmanager
def _tampered(server: Any, table: str, column: str, value: str, **changes: Any) -> Iterator[None]:
    """Rows of `table` whose `column` is `value` changed behind the server's back, put back afterwards so
    that no other test of the shared server meets them."""
    names = sorted(changes)
    where = f"FROM {table} WHERE {column} = :value"  # the tests' own constants
    before = stored_rows(server, f"SELECT {', '.join(names)} {where}", value=value)
    assert len(before) == 1, before
    assignments = ", ".join(f"{name} = :{name}" for name in names)
    run_sql(server, f"UPDATE {table} SET {assignments} WHERE {column} = :value", value=value, **changes)
    try:
        yield
    finally:
        run_sql(server, f"UPDATE {table} SET {assignments} WHERE {column} = :value",
                value=value, **dict(zip(names, before[0], strict=True)))


def _stored(server: Any, table: str, column: str, value: str, wanted: str) -> Any:
    return stored_rows(server, f"SELECT {wanted} FROM {table} WHERE {column} = :value", value=value)[0][0]


def _tampering_logged(server: Any, record: str, secret: str | None = None) -> None:
    log = server.output()
    lines = [line for line in log.splitlines() if "tampering" in line and record in line]
    assert lines, log[-3000:]
    if secret is not None:
        assert secret not in log


def test_a_key_row_pointed_at_the_root_is_refused_as_an_invalid_key(server):
    account = server.client("sts").get_caller_identity()["Account"]
    _name, key_id, secret = _user_with_key(server)
    with _tampered(server, "access_keys", "access_key_id", key_id, principal_type="Root", user_name=None,
                   principal_arn=f"arn:aws:iam::{account}:root", principal_id=account):
        sts = server.client("sts", key=key_id, secret=secret)
        code, message, status = refusal(sts.get_caller_identity)
        assert (code, status) == ("InvalidClientTokenId", 403)
        assert message == "The security token included in the request is invalid."
        # Nor anything the root could do.
        assert refusal(lambda: server.client("iam", key=key_id, secret=secret).list_users())[0] == (
            "InvalidClientTokenId")
    _tampering_logged(server, f"access_key/{key_id}", secret)


def test_a_key_row_moved_to_another_user_is_refused(server):
    admin_name, _admin_key, _admin_secret = _user_with_key(server)
    _name, key_id, secret = _user_with_key(server)
    admin = server.client("iam").get_user(UserName=admin_name)["User"]
    with _tampered(server, "access_keys", "access_key_id", key_id, principal_arn=admin["Arn"],
                   principal_id=admin["UserId"], user_name=admin_name):
        code, _message, status = refusal(server.client("sts", key=key_id, secret=secret).get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    _tampering_logged(server, f"access_key/{key_id}", secret)


def test_a_renamed_users_key_still_works(server):
    iam = server.client("iam")
    name, key_id, secret = _user_with_key(server)
    new_name = unique("renamed")
    iam.update_user(UserName=name, NewUserName=new_name, NewPath="/team/")
    arn = server.client("sts", key=key_id, secret=secret).get_caller_identity()["Arn"]
    assert arn.endswith(f":user/team/{new_name}")


def test_a_session_row_given_to_another_principal_is_refused(server):
    account = server.client("sts").get_caller_identity()["Account"]
    _name, key_id, secret = _user_with_key(server)
    session = server.client("sts", key=key_id, secret=secret).get_session_token()["Credentials"]
    sts = boto3.client("sts", endpoint_url=server.endpoint, region_name="us-east-1",
                       aws_access_key_id=session["AccessKeyId"], aws_secret_access_key=session["SecretAccessKey"],
                       aws_session_token=session["SessionToken"], config=Config(retries={"max_attempts": 1}))
    with _tampered(server, "sts_sessions", "access_key_id", session["AccessKeyId"], principal_type="Root",
                   principal_arn=f"arn:aws:iam::{account}:root", principal_id=account, user_name=None):
        code, _message, status = refusal(sts.get_caller_identity)
    assert (code, status) == ("InvalidClientTokenId", 403)
    _tampering_logged(server, f"session/{session['AccessKeyId']}", session["SecretAccessKey"])


def _refused_as_tampered(error: tuple[str, str, int]) -> None:
    code, message, status = error
    assert status == 500 and code == "InternalFailure", error
    assert TAMPERED in message


def test_key_material_moved_to_another_key_does_not_open(server, kms):
    source = kms.create_key(Description="source")["KeyMetadata"]["KeyId"]
    target = kms.create_key(Description="target")["KeyMetadata"]["KeyId"]
    moved = _stored(server, "kms_key_materials", "key_id", source, "sealed_material")
    with _tampered(server, "kms_key_materials", "key_id", target, sealed_material=moved):
        _refused_as_tampered(refusal(lambda: kms.encrypt(KeyId=target, Plaintext=b"x")))
    _tampering_logged(server, target)
    assert kms.decrypt(CiphertextBlob=kms.encrypt(KeyId=source, Plaintext=b"x")["CiphertextBlob"])["Plaintext"] == b"x"


def test_a_secret_value_moved_to_another_secret_does_not_open(server, sm):
    source = sm.create_secret(Name=unique("source"), SecretString="the source's value")
    target = sm.create_secret(Name=unique("target"), SecretString="the target's value")
    moved = _stored(server, "sm_secret_versions", "secret_arn", source["ARN"], "sealed_value")
    with _tampered(server, "sm_secret_versions", "secret_arn", target["ARN"], sealed_value=moved):
        error = refusal(lambda: sm.get_secret_value(SecretId=target["ARN"]))
    _refused_as_tampered(error)
    assert "source's value" not in error[1]
    _tampering_logged(server, target["ARN"], "the source's value")
    assert sm.get_secret_value(SecretId=source["ARN"])["SecretString"] == "the source's value"
    assert sm.get_secret_value(SecretId=target["ARN"])["SecretString"] == "the target's value"  # put back: opens


def test_a_secure_string_moved_to_another_parameter_does_not_open(server, ssm):
    source, target = f"/{unique('source')}", f"/{unique('target')}"
    ssm.put_parameter(Name=source, Type="SecureString", Value="the source's value")
    ssm.put_parameter(Name=target, Type="SecureString", Value="the target's value")
    moved = _stored(server, "ssm_parameter_versions", "name", source, "sealed_value")
    with _tampered(server, "ssm_parameter_versions", "name", target, sealed_value=moved):
        _refused_as_tampered(refusal(lambda: ssm.get_parameter(Name=target, WithDecryption=True)))
    _tampering_logged(server, target.lstrip("/"), "the source's value")
    assert ssm.get_parameter(Name=source, WithDecryption=True)["Parameter"]["Value"] == "the source's value"


def test_a_flipped_byte_in_key_material_is_reported(server, kms):
    key = kms.create_key(Description="flipped")["KeyMetadata"]["KeyId"]
    flipped = bytearray(_stored(server, "kms_key_materials", "key_id", key, "sealed_material"))
    flipped[-1] ^= 0x01
    with _tampered(server, "kms_key_materials", "key_id", key, sealed_material=bytes(flipped)):
        _refused_as_tampered(refusal(lambda: kms.generate_data_key(KeyId=key, KeySpec="AES_256")))
    assert re.search(rf"tampering: .*{key}", server.output())


@pytest.mark.parametrize("database", BOTH_DATABASES)
def test_a_data_dir_from_before_the_binding_keeps_working(request, tmp_path, database):
    """Secrets sealed the old way (for `access_key/<id>` only) are sealed again at the next start."""
    from strongroom.auth.rebinding import MARKER
    from strongroom.barrier import open_barrier
    from strongroom.store.db import Database

    from .conftest import Server

    databases = request.getfixturevalue("postgres_databases") if database == "postgres" else None
    database_url = databases.create() if databases is not None else None
    data_dir = tmp_path / "data"
    server = Server(data_dir, database_url)
    try:
        _name, key_id, secret = _user_with_key(server)
        server.stop()
        store = Database(server.store_url)
        try:
            barrier = open_barrier(store, data_dir, environ={})
            with store.session() as session:
                for row_key, row_secret in ((key_id, secret), (server.access_key_id, server.secret_access_key)):
                    session.execute(text("UPDATE access_keys SET sealed_secret = :sealed WHERE access_key_id = :key"),
                                    {"sealed": barrier.seal(row_secret.encode(), f"access_key/{row_key}"),
                                     "key": row_key})
                session.execute(text("DELETE FROM server_state WHERE name = :name"), {"name": MARKER})
        finally:
            store.dispose()
        server = Server(data_dir, database_url)
        assert server.client("sts").get_caller_identity()["Arn"].endswith(":root")
        assert server.client("sts", key=key_id, secret=secret).get_caller_identity()["Arn"].endswith(_name)
        assert "tampering" not in server.output()
    finally:
        server.stop()
        if databases is not None and database_url is not None:
            databases.drop(database_url)
