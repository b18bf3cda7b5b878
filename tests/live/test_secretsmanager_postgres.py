"""The built-in PostgreSQL single-user rotator against the machine's PostgreSQL.

The machine's pg_hba may trust every connection from 127.0.0.1, so logging in proves nothing about a
password there. What PostgreSQL would accept under password authentication is decided by the role's
SCRAM-SHA-256 verifier in pg_authid: the test checks, by recomputing the verifier's keys from a
password, that after rotation the stored verifier accepts the new password and rejects the old one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import uuid
from typing import Any

import psycopg
import pytest
from psycopg import sql

from tests.live.helpers import wait_for
from tests.live.test_secretsmanager_rotation import audit_events

ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
FUNCTION = "strongroom-postgresql-single-user"


def admin_connection() -> psycopg.Connection[Any]:
    url = os.environ.get("STRONGROOM_TEST_POSTGRES_URL")
    if url:
        return psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True)
    return psycopg.connect(**ADMIN, autocommit=True, connect_timeout=5)


def scram_accepts(verifier: str, password: str) -> bool:
    """Whether a SCRAM-SHA-256 verifier (as PostgreSQL stores it) was made from `password`."""
    method, rest = verifier.split("$", 1)
    assert method == "SCRAM-SHA-256"
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = (base64.b64decode(part) for part in keys.split(":"))
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    expected_server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
    return hmac.compare_digest(hashlib.sha256(client_key).digest(), stored_key) and hmac.compare_digest(
        expected_server_key, server_key
    )


def stored_verifier(role: str) -> str:
    with admin_connection() as connection:
        row = connection.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (role,)).fetchone()
    assert row is not None and row[0]
    return str(row[0])


@pytest.fixture()
def role() -> Any:
    try:
        connection = admin_connection()
    except psycopg.OperationalError:
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    name = f"rotated_{uuid.uuid4().hex[:10]}"
    password = secrets.token_urlsafe(18)
    with connection:
        connection.execute("SET password_encryption = 'scram-sha-256'")
        connection.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(sql.Identifier(name), sql.Literal(password))
        )
    yield name, password
    with admin_connection() as connection:
        connection.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def test_postgres_single_user_rotation_changes_the_real_password(server, role):
    name, old_password = role
    sm = server.client("secretsmanager")
    account = server.client("sts").get_caller_identity()["Account"]
    credentials = {"engine": "postgres", "host": "127.0.0.1", "port": 5432, "username": name,
                   "password": old_password, "dbname": "postgres"}
    secret = f"pg/{name}"
    created = sm.create_secret(Name=secret, SecretString=json.dumps(credentials))
    old_verifier = stored_verifier(name)
    assert scram_accepts(old_verifier, old_password)

    token = sm.rotate_secret(
        SecretId=secret, RotationLambdaARN=f"arn:aws:lambda:us-east-1:{account}:function:{FUNCTION}",
        RotationRules={"AutomaticallyAfterDays": 30},
    )["VersionId"]
    wait_for(lambda: audit_events(server, "RotationSucceeded", created["ARN"]), timeout=20)
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert stages == {token: ["AWSCURRENT"], created["VersionId"]: ["AWSPREVIOUS"]}

    current = json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])
    new_password = current["password"]
    assert new_password != old_password and len(new_password) == 32
    assert {k: v for k, v in current.items() if k != "password"} == {
        k: v for k, v in credentials.items() if k != "password"
    }
    # PostgreSQL's stored verifier now accepts the new password only.
    new_verifier = stored_verifier(name)
    assert new_verifier != old_verifier
    assert scram_accepts(new_verifier, new_password)
    assert not scram_accepts(new_verifier, old_password)
    # The application reading AWSCURRENT keeps working.
    with psycopg.connect(host=current["host"], port=current["port"], user=current["username"],
                         password=current["password"], dbname=current["dbname"], connect_timeout=5) as connection:
        assert connection.execute("SELECT current_user").fetchone() == (name,)
    # AWSPREVIOUS still holds the old credentials, as AWS's rotator leaves them.
    previous = json.loads(sm.get_secret_value(SecretId=secret, VersionStage="AWSPREVIOUS")["SecretString"])
    assert previous["password"] == old_password


def test_postgres_rotation_failure_keeps_the_current_password(server, role):
    name, old_password = role
    sm = server.client("secretsmanager")
    account = server.client("sts").get_caller_identity()["Account"]
    # A secret naming a port nothing listens on: setSecret cannot log in.
    credentials = {"engine": "postgres", "host": "127.0.0.1", "port": 1, "username": name,
                   "password": old_password, "dbname": "postgres"}
    secret = f"pg-broken/{name}"
    created = sm.create_secret(Name=secret, SecretString=json.dumps(credentials))
    token = sm.rotate_secret(
        SecretId=secret, RotationLambdaARN=f"arn:aws:lambda:us-east-1:{account}:function:{FUNCTION}",
    )["VersionId"]
    # The rotation has ended (as it records it) before anything is checked.
    wait_for(lambda: audit_events(server, "RotationFailed", created["ARN"]), timeout=20)
    stages = sm.describe_secret(SecretId=secret)["VersionIdsToStages"]
    assert stages == {created["VersionId"]: ["AWSCURRENT"], token: ["AWSPENDING"]}
    assert json.loads(sm.get_secret_value(SecretId=secret)["SecretString"])["password"] == old_password
    assert scram_accepts(stored_verifier(name), old_password)
