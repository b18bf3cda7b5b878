"""The built-in rotator for PostgreSQL credentials, single-user strategy, as AWS's rotation template does it.

The secret is JSON with `engine`, `host`, `port`, `username`, `password`, `dbname`.
- createSecret: unless version TOKEN already has AWSPENDING, put it with a new random password.
- setSecret: log in as the user (with the pending password if that already works, else the current
  one) and set the pending password with `ALTER ROLE ... PASSWORD`; the password is sent to
  PostgreSQL only as a SCRAM-SHA-256 verifier computed client-side, never as plaintext.
- testSecret: log in with the pending credentials.
- finishSecret: move AWSCURRENT to the token's version (the old one becomes AWSPREVIOUS).
Failures never include a password in their message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Protocol

import psycopg
from psycopg import sql

from strongroom.services.secretsmanager.functions import StepFailed
from strongroom.services.secretsmanager.passwords import random_password

CONNECT_TIMEOUT_SECONDS = 5
# Characters that trouble connection strings and shells are left out of generated passwords.
EXCLUDED_CHARACTERS = "/@\"'\\ :;`$&"
PASSWORD_LENGTH = 32
REQUIRED_FIELDS = ("host", "username", "password")


class SecretAccess(Protocol):
    """What the rotator may do to the secret being rotated."""

    def value(self, *, stage: str | None = None, version_id: str | None = None) -> str | None: ...
    def put_pending(self, version_id: str, text: str) -> None: ...
    def finish(self, version_id: str) -> None: ...


def _credentials(text: str | None, what: str) -> dict[str, Any]:
    if text is None:
        raise StepFailed(f"the secret has no {what} value")
    try:
        secret = json.loads(text)
    except ValueError:
        raise StepFailed(f"the {what} value is not JSON") from None
    if not isinstance(secret, dict) or any(field not in secret for field in REQUIRED_FIELDS):
        raise StepFailed(f"the {what} value lacks one of {', '.join(REQUIRED_FIELDS)}")
    if secret.get("engine", "postgres") not in ("postgres", "postgresql"):
        raise StepFailed(f"the {what} value's engine is not postgres")
    return secret


def _connect(secret: dict[str, Any]) -> psycopg.Connection[Any]:
    try:
        return psycopg.connect(
            host=str(secret["host"]), port=int(secret.get("port", 5432)), user=str(secret["username"]),
            password=str(secret["password"]), dbname=str(secret.get("dbname", "postgres")),
            connect_timeout=CONNECT_TIMEOUT_SECONDS, autocommit=True,
        )
    except psycopg.OperationalError:
        raise StepFailed("could not log in to PostgreSQL with the credentials") from None


def _connect_either(first: dict[str, Any], second: dict[str, Any]) -> psycopg.Connection[Any]:
    """Log in with the current credentials or, on a retried rotation that already set them, the pending ones."""
    try:
        return _connect(first)
    except StepFailed:
        return _connect(second)


def create_secret(access: SecretAccess, token: str) -> None:
    if access.value(stage="AWSPENDING", version_id=token) is not None:
        return
    current = _credentials(access.value(stage="AWSCURRENT"), "AWSCURRENT")
    current["password"] = random_password(PASSWORD_LENGTH, exclude=EXCLUDED_CHARACTERS)
    access.put_pending(token, json.dumps(current))


def set_secret(access: SecretAccess, token: str) -> None:
    pending = _credentials(access.value(stage="AWSPENDING", version_id=token), "AWSPENDING")
    current = _credentials(access.value(stage="AWSCURRENT"), "AWSCURRENT")
    if pending["username"] != current["username"]:
        raise StepFailed("the pending user name differs from the current one")
    with _connect_either(current, pending) as connection:
        pgconn = connection.pgconn
        verifier = pgconn.encrypt_password(
            str(pending["password"]).encode(), str(pending["username"]).encode(), b"scram-sha-256"
        )
        try:
            connection.execute(sql.SQL("ALTER ROLE {} WITH PASSWORD {}").format(
                sql.Identifier(str(pending["username"])), sql.Literal(verifier.decode())
            ))
        except psycopg.Error as error:
            raise StepFailed(f"PostgreSQL refused the password change ({type(error).__name__})") from None


def test_secret(access: SecretAccess, token: str) -> None:
    pending = _credentials(access.value(stage="AWSPENDING", version_id=token), "AWSPENDING")
    with _connect(pending) as connection:
        connection.execute("SELECT 1")


def finish_secret(access: SecretAccess, token: str) -> None:
    access.finish(token)


STEPS: dict[str, Callable[[SecretAccess, str], None]] = {
    "createSecret": create_secret,
    "setSecret": set_secret,
    "testSecret": test_secret,
    "finishSecret": finish_secret,
}
