"""Secrets sealed before they were bound to their owner are sealed again once at start, on both stores,
by exactly one of several nodes starting together; afterwards only the binding opens them."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, update

from strongroom.auth.credentials import CredentialStore
from strongroom.auth.rebinding import MARKER, rebind_sealed_secrets
from strongroom.auth.session_tables import StsSession
from strongroom.auth.sessions import SessionGrant, SessionStore
from strongroom.barrier import Barrier, open_barrier
from strongroom.store.db import Database
from strongroom.store.tables import AccessKey, ServerState

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
ALICE = {"account_id": "123456789012", "principal_type": "IAMUser",
         "principal_arn": "arn:aws:iam::123456789012:user/alice", "principal_id": "AIDAEXAMPLEALICE0001",
         "user_name": "alice"}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, data_dir: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{data_dir / 'strongroom.db'}"
    else:
        yield request.getfixturevalue("postgres_url")


@pytest.fixture
def store(store_url: str, data_dir: Path) -> Iterator[tuple[Database, Barrier]]:
    database = Database(store_url)
    database.migrate()
    barrier = open_barrier(database, data_dir, environ={})
    yield database, barrier
    database.dispose()


def _old_store(database: Database, barrier: Barrier, keys: int) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """A store as the previous version left it: secrets sealed for `access_key/<id>` and `session/<id>`."""
    credentials, sessions = CredentialStore(database, barrier), SessionStore(database, barrier)
    made_keys: dict[str, str] = {}
    made_sessions: dict[str, tuple[str, str]] = {}
    for _ in range(keys):
        with database.session() as session:
            key_id, secret = credentials.create_access_key(session, now=NOW, **ALICE)
        made_keys[key_id] = secret
        issued = sessions.issue(SessionGrant(account_id="123456789012", principal_type="IAMUser",
                                             principal_arn=ALICE["principal_arn"], principal_id=ALICE["principal_id"],
                                             user_name="alice", duration=timedelta(hours=1)), NOW)
        made_sessions[issued.access_key_id] = (issued.secret_access_key, issued.session_token)
    with database.session() as session:
        for key_id, secret in made_keys.items():
            session.execute(update(AccessKey).where(AccessKey.access_key_id == key_id).values(
                sealed_secret=barrier.seal(secret.encode(), f"access_key/{key_id}")))
        for key_id, (secret, _token) in made_sessions.items():
            session.execute(update(StsSession).where(StsSession.access_key_id == key_id).values(
                sealed_secret=barrier.seal(secret.encode(), f"session/{key_id}")))
        session.execute(delete(ServerState).where(ServerState.name == MARKER))
    return made_keys, made_sessions


def _all_open(database: Database, barrier: Barrier, keys: dict[str, str],
              sessions: dict[str, tuple[str, str]]) -> None:
    credentials = CredentialStore(database, barrier, cache_size=0)
    for key_id, secret in keys.items():
        found = credentials.lookup(key_id)
        assert found is not None and found[1] == secret
    session_store = SessionStore(database, barrier)
    for key_id, (secret, token) in sessions.items():
        found = session_store.lookup(key_id, token, NOW)
        assert found is not None and found[1] == secret


def test_old_secrets_are_sealed_again_once(store: tuple[Database, Barrier]) -> None:
    database, barrier = store
    keys, sessions = _old_store(database, barrier, 3)
    # Before: the old seal does not open under the binding (a lookup would refuse every old key).
    assert CredentialStore(database, barrier, cache_size=0).lookup(next(iter(keys))) is None
    assert rebind_sealed_secrets(database, barrier) == 6
    _all_open(database, barrier, keys, sessions)
    assert rebind_sealed_secrets(database, barrier) == 0
    with database.session() as session:
        assert session.get(ServerState, MARKER) is not None


def test_a_row_moved_after_resealing_is_refused(store: tuple[Database, Barrier]) -> None:
    database, barrier = store
    keys, _sessions = _old_store(database, barrier, 1)
    rebind_sealed_secrets(database, barrier)
    key_id = next(iter(keys))
    with database.session() as session:
        session.execute(update(AccessKey).where(AccessKey.access_key_id == key_id).values(
            principal_type="Root", principal_arn="arn:aws:iam::123456789012:root", principal_id="123456789012",
            user_name=None))
    assert CredentialStore(database, barrier, cache_size=0).lookup(key_id) is None


def test_a_secret_that_opens_under_neither_locator_is_logged_and_left(
    store: tuple[Database, Barrier], caplog: pytest.LogCaptureFixture
) -> None:
    database, barrier = store
    keys, _sessions = _old_store(database, barrier, 2)
    broken, intact = list(keys)
    with database.session() as session:
        session.execute(update(AccessKey).where(AccessKey.access_key_id == broken).values(
            sealed_secret=barrier.seal(b"x", "access_key/ANOTHERKEY")))
    assert rebind_sealed_secrets(database, barrier) == 3
    assert f"tampering: the sealed value of access_key/{broken}" in caplog.text
    credentials = CredentialStore(database, barrier, cache_size=0)
    assert credentials.lookup(broken) is None and credentials.lookup(intact) is not None


def test_nodes_starting_together_reseal_once(store: tuple[Database, Barrier], store_url: str,
                                            data_dir: Path) -> None:
    database, barrier = store
    keys, sessions = _old_store(database, barrier, 5)
    counts: list[int] = []
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def node() -> None:
        own = Database(store_url)
        try:
            own_barrier = open_barrier(own, data_dir, environ={})
            start.wait()
            counts.append(rebind_sealed_secrets(own, own_barrier))
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            own.dispose()

    threads = [threading.Thread(target=node) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    assert sorted(counts) == [0, 0, 0, 10]
    _all_open(database, barrier, keys, sessions)
