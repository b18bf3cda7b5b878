"""Clients that hold connections without finishing their requests (slowloris): silent connections, heads
and bodies sent a byte at a time, hundreds of connections under a low file-descriptor limit. Each is
closed on its own deadline while a normal client keeps getting answers.

The server runs with short deadlines (2 s for a head, 3 s for a body) so that the tests wait for
seconds, not for the defaults' tens of seconds; and with at most 256 open files, as `ulimit -n 256`
would start it.
"""

from __future__ import annotations

import select
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live.conftest import Server

HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 3.0
OPEN_FILES = 256
# Connections a worker keeps under OPEN_FILES (strongroom.connections.RESERVED_DESCRIPTORS kept apart).
CONNECTIONS_PER_WORKER = OPEN_FILES - 96


class LimitedServer(Server):
    """`strongroom serve` started with at most OPEN_FILES open files (its soft and hard limit)."""

    def __init__(self, data_dir: Path, database_url: str | None, workers: int, options: list[str]) -> None:
        self.workers = workers
        super().__init__(data_dir, database_url, workers, options=options)

    def _launch(self, command: list[str], env: dict[str, str], cwd: Path | None = None) -> None:
        super()._launch(["prlimit", f"--nofile={OPEN_FILES}:{OPEN_FILES}", "--", *command], env, cwd)


@pytest.fixture(scope="module",
                params=["sqlite", "sqlite-2-workers", pytest.param("postgres", marks=pytest.mark.postgres)])
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LimitedServer]:
    database_url = None
    if request.param == "postgres":
        database_url = request.getfixturevalue("postgres_databases").create()
    workers = 2 if request.param.endswith("2-workers") else 1
    instance = LimitedServer(tmp_path_factory.mktemp("slow") / "data", database_url, workers, options=[
        "--header-timeout", str(HEADER_TIMEOUT), "--body-timeout", str(BODY_TIMEOUT)])
    yield instance
    instance.stop()
    if database_url is not None:
        request.getfixturevalue("postgres_databases").drop(database_url)


class NormalClient:
    """Calls KMS GenerateRandom over a new connection every 0.2 s in the background, timing each call."""

    def __init__(self, server: Server) -> None:
        self.kms = server.client("kms")
        self.seconds: list[float] = []
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> NormalClient:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(30)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            started = time.monotonic()
            try:
                assert len(self.kms.generate_random(NumberOfBytes=8)["Plaintext"]) == 8
            except Exception as exc:  # any failure is the finding
                self.failures.append(repr(exc))
            self.seconds.append(time.monotonic() - started)
            self.kms.close()  # a new connection for each call: it must get in

    def assert_served(self, at_least: int) -> None:
        assert not self.failures, self.failures[:3]
        assert len(self.seconds) >= at_least
        # Answered in the time a loaded 2-core machine takes, not after someone's deadline ran out.
        assert max(self.seconds) < HEADER_TIMEOUT, self.seconds


def closed_within(sock: socket.socket, seconds: float) -> tuple[bool, bytes]:
    """Whether the server closed `sock` within `seconds`, and what it sent before."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(4096):
            received += chunk
    except TimeoutError:
        return False, received
    except ConnectionResetError:
        pass
    return True, received


def connect(server: Server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=10)


def test_a_silent_connection_is_closed_after_the_header_timeout(server: Server) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        closed, sent = closed_within(sock, HEADER_TIMEOUT + 5)
        assert closed and sent == b""
        assert HEADER_TIMEOUT - 0.5 <= time.monotonic() - started <= HEADER_TIMEOUT + 3


def trickle(sock: socket.socket, byte: bytes, give_up_after: float) -> float:
    """Send `byte` every 0.2 s until the server answers (or resets); the seconds that took."""
    started = time.monotonic()
    try:
        while time.monotonic() - started < give_up_after and not select.select([sock], [], [], 0.2)[0]:
            sock.sendall(byte)  # each read is new: only a deadline on the whole head or body stops this
    except (BrokenPipeError, ConnectionResetError):
        pass
    return time.monotonic() - started


def test_a_head_sent_a_byte_at_a_time_is_cut_off_at_the_header_timeout(server: Server) -> None:
    head = f"GET /_strongroom/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nX-Slow: ".encode()
    with NormalClient(server) as client, connect(server) as sock:
        sock.sendall(head)
        elapsed = trickle(sock, b"a", HEADER_TIMEOUT + 10)
        closed, sent = closed_within(sock, 5)
    assert closed and sent.startswith(b"HTTP/1.1 408 "), sent
    assert HEADER_TIMEOUT - 0.5 <= elapsed <= HEADER_TIMEOUT + 2
    client.assert_served(at_least=5)


def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_body_timeout(server: Server) -> None:
    head = (f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/x-amz-json-1.1\r\n"
            "X-Amz-Target: TrentService.GenerateRandom\r\nContent-Length: 1000\r\n\r\n").encode()
    with NormalClient(server) as client, connect(server) as sock:
        sock.sendall(head)
        elapsed = trickle(sock, b" ", BODY_TIMEOUT + 10)
        closed, sent = closed_within(sock, 5)
    assert closed and sent.startswith(b"HTTP/1.1 408 "), sent
    assert BODY_TIMEOUT - 0.5 <= elapsed <= BODY_TIMEOUT + 2
    client.assert_served(at_least=5)


def test_300_silent_connections_under_256_open_files_do_not_lock_others_out(server: LimitedServer) -> None:
    silent: list[socket.socket] = []
    try:
        with NormalClient(server) as client:
            for _ in range(300):
                silent.append(connect(server))
            time.sleep(1)  # the normal client keeps calling while they sit there
        client.assert_served(at_least=3)
        # Nobody was refused at the door: the oldest silent connections were closed to make room.
        evicted = sum(closed_within(sock, 0.01)[0] for sock in silent)
        assert evicted >= 300 + len(client.seconds) - server.workers * CONNECTIONS_PER_WORKER
    finally:
        for sock in silent:
            sock.close()
    # And the server is still whole afterwards.
    assert server.client("kms").generate_random(NumberOfBytes=8)["Plaintext"]
