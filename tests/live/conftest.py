"""A real Strongroom server on a free port, started as users start it, for boto3 and aws CLI tests."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import botocore.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests import server_process

ACCESS_KEY_ID = "AKIASTRONGROOMTEST01"
SECRET_ACCESS_KEY = "strongroom-test-secret-key/0123456789abcd"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@contextlib.contextmanager
def _frozen_signing_time(when: datetime) -> Iterator[None]:
    """Sign as a client whose clock reads `when` (botocore's signer asks this function for the time)."""
    real = botocore.auth.get_current_datetime
    botocore.auth.get_current_datetime = lambda: when.replace(tzinfo=None)
    try:
        yield
    finally:
        botocore.auth.get_current_datetime = real


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """One `strongroom serve` process and what a client needs to talk to it. Stop it with `stop()` (or
    use it as a context manager); one a test forgets dies with the test process anyway."""

    ready_route = "health"  # under /_strongroom/, polled until it answers 200
    ready_timeout = 60.0  # seconds

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None = None,
        workers: int = 1,
        *,
        root_key_file: Path | None = None,
        bootstrap_credentials: bool = True,
        options: Sequence[str] = (),
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.access_key_id = ACCESS_KEY_ID
        self.secret_access_key = SECRET_ACCESS_KEY
        self.log_path = data_dir.parent / f"{data_dir.name}.log"
        command = [
            sys.executable, "-m", "strongroom", "serve", "--port", str(self.port),
            "--data-dir", str(data_dir), "--workers", str(workers), "--enable-clock-control",
            "--log-level", "warning",
        ]
        if database_url:
            command += ["--database-url", database_url]
        if root_key_file:
            command += ["--root-key-file", str(root_key_file)]
        command += options
        env = dict(os.environ)
        if bootstrap_credentials:
            env.update(STRONGROOM_ACCESS_KEY_ID=ACCESS_KEY_ID, STRONGROOM_SECRET_ACCESS_KEY=SECRET_ACCESS_KEY)
        self._launch(command, env)

    def _launch(self, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        """Start `command`, its output going to `self.log_path`, and wait until it answers `ready_route`;
        if it does not (or the wait is interrupted), it is stopped, workers and all, before the error
        goes on. It runs in a session of its own and dies with this process (`tests.server_process`)."""
        self._log = self.log_path.open("wb")
        self.process = server_process.start(command, env=env, cwd=cwd, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout
        while time.monotonic() < deadline:
            if server_process.exited(self.process):
                raise RuntimeError(f"strongroom exited early:\n{self.output()}")
            try:
                with urllib.request.urlopen(f"{self.endpoint}/_strongroom/{self.ready_route}", timeout=1) as reply:
                    if reply.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"strongroom did not become ready:\n{self.output()}")

    @property
    def store_url(self) -> str:
        """The database the server keeps its state in: the one given, or its data dir's SQLite file."""
        return self.database_url or f"sqlite:///{self.data_dir / 'strongroom.db'}"

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        """SIGTERM, as an operator stops it; whatever of it is left after 20 s is killed. None of its
        processes is left when this returns."""
        server_process.stop(self.process)
        self._log.close()

    def client(self, service: str, region: str = "us-east-1", **credentials: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=region,
            aws_access_key_id=credentials.get("key", self.access_key_id),
            aws_secret_access_key=credentials.get("secret", self.secret_access_key),
            config=Config(retries={"max_attempts": 1}),
        )

    def admin(self, route: str, body: dict[str, Any] | None = None) -> tuple[int, dict[str, Any]]:
        """GET (or, with `body`, POST) /_strongroom/<route>, signed as the operator's root signs it."""
        reply = self.send("strongroom", json.dumps(body).encode() if body is not None else b"",
                          method="POST" if body is not None else "GET", path=f"/_strongroom/{route}",
                          headers={"Content-Type": "application/json"} if body is not None else None)
        return reply.status, reply.json()

    def send(
        self,
        service: str,
        body: bytes = b"",
        *,
        method: str = "POST",
        path: str = "/",
        headers: dict[str, str] | None = None,
        region: str = "us-east-1",
        sign: bool = True,
        key: str | None = None,
        secret: str | None = None,
        signed_at: datetime | None = None,
    ) -> Reply:
        """A raw HTTP request, SigV4-signed as a client would (or not), for cases boto3 won't send."""
        request = AWSRequest(method=method, url=f"{self.endpoint}{path}", data=body, headers=headers or {})
        if sign:
            credentials = Credentials(key or self.access_key_id, secret or self.secret_access_key)
            signer = SigV4Auth(credentials, service, region)
            if signed_at is not None:
                with _frozen_signing_time(signed_at):
                    signer.add_auth(request)
            else:
                signer.add_auth(request)
        prepared = request.prepare()
        raw = urllib.request.Request(prepared.url, data=prepared.body or None, method=prepared.method,
                                     headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(raw, timeout=10) as reply:
                return Reply(reply.status, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())

    def cli_env(self) -> dict[str, str]:
        return dict(os.environ, AWS_ENDPOINT_URL=self.endpoint, AWS_ACCESS_KEY_ID=self.access_key_id,
                    AWS_SECRET_ACCESS_KEY=self.secret_access_key, AWS_DEFAULT_REGION="us-east-1",
                    AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null")


@pytest.fixture(scope="session")
def postgres_database_url(postgres_databases: Any) -> Iterator[str]:
    """A fresh PostgreSQL database shared by the live tests of one session (one server)."""
    url = postgres_databases.create()
    yield url
    postgres_databases.drop(url)


@pytest.fixture(scope="session", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The server, once on SQLite and once on PostgreSQL: every live test runs on both stores."""
    data_dir = tmp_path_factory.mktemp("strongroom") / "data"
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_database_url")
    instance = Server(data_dir, database_url)
    yield instance
    instance.stop()


@pytest.fixture()
def kms(server: Server) -> Any:
    return server.client("kms")


@pytest.fixture()
def sm(server: Server) -> Any:
    return server.client("secretsmanager")


@pytest.fixture()
def ssm(server: Server) -> Any:
    return server.client("ssm")
