"""kill -9 under write load: a change and its audit record are committed together or not at all.

A two-worker server takes creates of secrets (with their KMS data keys), IAM users, SecureString
parameters and KMS keys from several clients; at a random moment the whole server (every process)
is killed with SIGKILL, then started again on the same store. Twenty times per database. After every
kill the store is read directly: every write a client saw acknowledged is there, every object in the
store has the audit record of the call that made it, and every record of a successful create names an
object that is there.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from sqlalchemy import create_engine, text

from tests import server_process

from .conftest import Server
from .helpers import BOTH_DATABASES

CYCLES = 20
# How long the load runs before the kill, in seconds (drawn anew each cycle).
LOAD_SECONDS = (0.2, 1.2)


class KillableServer(Server):
    """A server in a process group of its own, so that SIGKILL reaches its workers too."""

    def _launch(self, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        self._log = self.log_path.open("ab")
        self.process = server_process.start(command, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.kill()
            raise

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self._log.close()


@pytest.fixture(params=BOTH_DATABASES)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str | None]:
    if request.param == "sqlite":
        yield None
        return
    databases = request.getfixturevalue("postgres_databases")
    url = databases.create()
    yield url
    databases.drop(url)


class Load:
    """Clients creating objects until told to stop; what each saw acknowledged, by kind."""

    def __init__(self, server: Server, cycle: int) -> None:
        config = Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10)
        self._session = boto3.session.Session()

        def client(service: str) -> Any:
            return self._session.client(
                service, endpoint_url=server.endpoint, region_name="us-east-1", config=config,
                aws_access_key_id=server.access_key_id, aws_secret_access_key=server.secret_access_key,
            )

        self.acknowledged: dict[str, set[str]] = {"secret": set(), "user": set(), "parameter": set(), "key": set()}
        self._stop = threading.Event()
        sm, iam, ssm, kms = client("secretsmanager"), client("iam"), client("ssm"), client("kms")
        self._writers: list[tuple[str, Callable[[str], str]]] = [
            ("secret", lambda name: sm.create_secret(Name=name, SecretString=f"value of {name}")["Name"]),
            ("secret", lambda name: sm.create_secret(Name=name, SecretString=f"value of {name}")["Name"]),
            ("user", lambda name: iam.create_user(UserName=name)["User"]["UserName"]),
            ("parameter", lambda name: (ssm.put_parameter(Name=f"/crash/{name}", Value="v", Type="SecureString"),
                                        f"/crash/{name}")[1]),
            ("key", lambda name: kms.create_key(Description=name)["KeyMetadata"]["KeyId"]),
        ]
        self._threads = [
            threading.Thread(target=self._run, args=(kind, write, f"c{cycle}w{index}"), daemon=True)
            for index, (kind, write) in enumerate(self._writers)
        ]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=30)
            assert not thread.is_alive()

    def _run(self, kind: str, write: Callable[[str], str], prefix: str) -> None:
        count = 0
        while not self._stop.is_set():
            count += 1
            try:
                made = write(f"{prefix}-{count}")
            except (ClientError, BotoCoreError):
                continue  # refused, or the server went away: not acknowledged
            self.acknowledged[kind].add(made)


def _events(connection: Any, name: str) -> list[dict[str, Any]]:
    rows = connection.execute(
        text("SELECT record FROM audit_events WHERE event_name = :name AND error_code IS NULL"), {"name": name}
    ).scalars()
    return [json.loads(row) for row in rows]


def check_store(url: str, acknowledged: dict[str, set[str]]) -> dict[str, int]:
    """The invariants, read from the store with no server running; answers how many objects it holds."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            stored = {
                "secret": set(connection.execute(text("SELECT name FROM sm_secrets")).scalars()),
                "user": set(connection.execute(text("SELECT user_name FROM iam_users")).scalars()),
                "parameter": set(connection.execute(text("SELECT name FROM ssm_parameters")).scalars()),
                "key": set(connection.execute(text(
                    "SELECT key_id FROM kms_keys WHERE key_manager = 'CUSTOMER'")).scalars()),
            }
            recorded = {
                "secret": {event["requestParameters"]["name"] for event in _events(connection, "CreateSecret")},
                "user": {event["requestParameters"]["userName"] for event in _events(connection, "CreateUser")},
                "parameter": {event["requestParameters"]["name"] for event in _events(connection, "PutParameter")},
                "key": {event["responseElements"]["keyMetadata"]["keyId"]
                        for event in _events(connection, "CreateKey")},
            }
            # The parameters' data keys: each SecureString write made one KMS call on its caller's behalf.
            data_key_calls = len(connection.execute(text(
                "SELECT event_id FROM audit_events WHERE event_name = 'GenerateDataKey' AND error_code IS NULL"
            )).all()) + len(_events(connection, "Encrypt"))
    finally:
        engine.dispose()
    for kind in stored:
        missing = acknowledged[kind] - stored[kind]
        assert not missing, f"acknowledged {kind}s missing from the store: {sorted(missing)[:5]}"
        unrecorded = stored[kind] - recorded[kind]
        assert not unrecorded, f"{kind}s in the store without their audit record: {sorted(unrecorded)[:5]}"
        phantom = recorded[kind] - stored[kind]
        assert not phantom, f"records of {kind}s that were never committed: {sorted(phantom)[:5]}"
    assert data_key_calls >= len(stored["parameter"])
    return {kind: len(names) for kind, names in stored.items()}


def test_kill_9_under_write_load_leaves_no_change_unrecorded(store_url: str | None, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    chance = random.Random()  # when to kill: not a secret
    acknowledged: dict[str, set[str]] = {"secret": set(), "user": set(), "parameter": set(), "key": set()}
    url = store_url or f"sqlite:///{data_dir / 'strongroom.db'}"
    counts: dict[str, int] = {}
    for cycle in range(CYCLES):
        server = KillableServer(data_dir, store_url, workers=2)
        load = Load(server, cycle)
        try:
            load.start()
            threading.Event().wait(chance.uniform(*LOAD_SECONDS))
        finally:
            server.kill()
            load.stop()
        for kind, names in load.acknowledged.items():
            acknowledged[kind] |= names
        counts = check_store(url, acknowledged)
    # The load really ran and really wrote, in every kind.
    assert all(count > 0 for count in counts.values()), counts
    assert all(acknowledged[kind] for kind in acknowledged), {kind: len(names) for kind, names in acknowledged.items()}
    # The figures the README reports (pytest -rP shows them).
    print(f"{CYCLES} kills; stored with their records: {counts}; acknowledged: "
          f"{ {kind: len(names) for kind, names in acknowledged.items()} }")
