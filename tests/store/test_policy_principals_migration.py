"""Migration 0016 binds the users and roles of resource policies saved before it to their unique ids, on
SQLite and PostgreSQL: the ARNs of existing principals are bound, others (deleted ones) stay unbound."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from strongroom.store.db import MIGRATIONS_DIR, Database

ACCOUNT = "000000000000"
OTHER = "111122223333"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
USER = f"arn:aws:iam::{ACCOUNT}:user/team/alice"
ROLE = f"arn:aws:iam::{OTHER}:role/deployer"
GONE = f"arn:aws:iam::{ACCOUNT}:user/bob"


def policy(*principals: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": [*principals, f"arn:aws:iam::{ACCOUNT}:root"]}, "Action": "*",
         "Resource": "*"}]})


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    url = request.getfixturevalue("postgres_url") if request.param == "postgres" else f"sqlite:///{tmp_path / 's.db'}"
    database = Database(url)
    yield database
    database.dispose()


def _migrate_to(database: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _insert(database: Database, table: str, **values: object) -> None:
    columns = ", ".join(values)
    with database.engine.begin() as connection:
        connection.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + k for k in values)})"),
                           values)


def _column(database: Database, table: str, column: str, where: str) -> object:
    with database.engine.connect() as connection:
        return connection.execute(text(f"SELECT {column} FROM {table} WHERE {where}")).scalar_one()


def test_policies_saved_before_the_migration_are_bound_to_the_principals_that_exist(database: Database) -> None:
    _migrate_to(database, "0015")
    _insert(database, "iam_users", user_id="AIDAALICE000000000001", account_id=ACCOUNT, user_name="alice",
            name_key="alice", path="/team/", created_at=NOW)
    _insert(database, "iam_roles", role_id="AROADEPLOYER000000001", account_id=OTHER, role_name="deployer",
            name_key="deployer", path="/", created_at=NOW, trust_policy=policy(USER), max_session_duration=3600)
    _insert(database, "kms_keys", account_id=ACCOUNT, region="us-east-1", key_id="k1", arn="arn:k1",
            key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT", origin="AWS_KMS", key_manager="CUSTOMER",
            description="", state="Enabled", created_at=NOW, multi_region=False, policy=policy(USER, ROLE, GONE))
    _insert(database, "sm_secrets", account_id=ACCOUNT, region="us-east-1", name="s1", arn="arn:s1", tags="[]",
            created_at=NOW, last_changed_at=NOW, rotation_enabled=False, policy=policy(GONE))
    _insert(database, "events_buses", account_id=ACCOUNT, region="us-east-1", name="b1", arn="arn:b1",
            created_at=NOW, modified_at=NOW, policy=policy(ROLE))
    _insert(database, "events_buses", account_id=ACCOUNT, region="us-east-1", name="b2", arn="arn:b2",
            created_at=NOW, modified_at=NOW)

    database.migrate()

    def bindings(table: str, column: str, where: str) -> object:
        stored = _column(database, table, column, where)
        return None if stored is None else json.loads(str(stored))

    assert bindings("iam_roles", "trust_policy_principals", "role_id = 'AROADEPLOYER000000001'") == {
        USER: "AIDAALICE000000000001"}
    # The deleted user's ARN stays unbound: it names nobody.
    assert bindings("kms_keys", "policy_principals", "key_id = 'k1'") == {
        USER: "AIDAALICE000000000001", ROLE: "AROADEPLOYER000000001"}
    assert bindings("sm_secrets", "policy_principals", "name = 's1'") is None
    assert bindings("events_buses", "policy_principals", "name = 'b1'") == {ROLE: "AROADEPLOYER000000001"}
    assert bindings("events_buses", "policy_principals", "name = 'b2'") is None


def test_setting_a_secrets_bindings_alone_moves_its_cache_revision(database: Database) -> None:
    database.migrate()
    _insert(database, "sm_secrets", account_id=ACCOUNT, region="us-east-1", name="s1", arn="arn:s1", tags="[]",
            created_at=NOW, last_changed_at=NOW, rotation_enabled=False)
    before = _column(database, "cache_revisions", "value", "name = 'secretsmanager'")
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE sm_secrets SET policy_principals = '{}' WHERE name = 's1'"))
    assert _column(database, "cache_revisions", "value", "name = 'secretsmanager'") == int(str(before)) + 1
