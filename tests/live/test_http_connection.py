"""The server's HTTP/1.1 connections, spoken to over raw sockets: keep-alive, pipelining, HEAD,
Expect: 100-continue, chunked bodies, HTTP/1.0, and the refusals of what cannot be read."""

from __future__ import annotations

import json
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tests.live.conftest import Server
from tests.live.helpers import audit_records

TARGET = "TrentService.GenerateRandom"


class Answer:
    def __init__(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def json(self) -> dict[str, object]:
        loaded: dict[str, object] = json.loads(self.body)
        return loaded


def signed(server: Server, body: bytes = b'{"NumberOfBytes": 16}', *, extra: dict[str, str] | None = None,
           framing: dict[str, str] | None = None) -> tuple[bytes, bytes]:
    """A SigV4-signed KMS request as raw bytes (head, body); `framing` headers are added after signing."""
    request = AWSRequest(method="POST", url=f"{server.endpoint}/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": TARGET, **(extra or {})})
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "kms", "us-east-1").add_auth(request)
    prepared = request.prepare()
    headers = {**dict(prepared.headers), "Host": f"127.0.0.1:{server.port}", **(framing or {})}
    if "Transfer-Encoding" in headers:
        headers.pop("Content-Length", None)
    else:
        headers.setdefault("Content-Length", str(len(body)))
    head = "POST / HTTP/1.1\r\n" + "".join(f"{name}: {value}\r\n" for name, value in headers.items()) + "\r\n"
    return head.encode("latin-1"), body


@pytest.fixture()
def connection(server: Server) -> Iterator[tuple[socket.socket, BinaryIO]]:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    reader = sock.makefile("rb")
    yield sock, reader
    reader.close()
    sock.close()


def read_answer(reader: BinaryIO, *, head_only: bool = False) -> Answer:
    status_line = reader.readline()
    assert status_line.startswith(b"HTTP/1.1 "), status_line
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    length = 0 if head_only else int(headers.get("content-length", "0"))
    return Answer(int(status_line.split()[1]), headers, reader.read(length))


def closed(reader: BinaryIO) -> bool:
    return reader.read(1) == b""


def test_keep_alive_and_pipelined_requests_are_answered_in_order(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    first, second = (b"".join(signed(server)) for _ in range(2))
    health = f"GET /_strongroom/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    sock.sendall(first + second + health)  # three requests in one write
    answers = [read_answer(reader) for _ in range(3)]
    assert [answer.status for answer in answers] == [200, 200, 200]
    assert all(len(str(answer.json()["Plaintext"])) == 24 for answer in answers[:2])  # 16 bytes, base64
    assert answers[0].headers["x-amzn-requestid"] != answers[1].headers["x-amzn-requestid"]
    assert answers[2].json()["status"] == "ok"
    assert all("connection" not in answer.headers for answer in answers)
    # The connection is still open for the next request.
    sock.sendall(b"".join(signed(server)))
    assert read_answer(reader).status == 200


def test_head_answers_with_headers_only(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    sock, reader = connection
    request = f"HEAD /_strongroom/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    sock.sendall(request)
    answer = read_answer(reader, head_only=True)
    assert answer.status == 200 and int(answer.headers["content-length"]) > 0
    # Had a body been sent, it would be read here as the next answer's status line.
    sock.sendall(request.replace(b"HEAD", b"GET"))
    assert read_answer(reader).json()["status"] == "ok"


def test_an_unreadable_request_is_refused_and_the_connection_closed(
    connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    sock.sendall(b"NOT HTTP AT ALL\r\n\r\n")
    answer = read_answer(reader)
    assert (answer.status, answer.headers["connection"]) == (400, "close")
    assert answer.body == b"Invalid HTTP request received."
    assert closed(reader)


def test_a_body_framed_two_ways_is_refused(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    """Content-Length beside Transfer-Encoding: the way request smuggling starts."""
    sock, reader = connection
    head, body = signed(server, framing={"Transfer-Encoding": "chunked"})
    head = head.replace(b"\r\n\r\n", f"\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    sock.sendall(head + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
    assert read_answer(reader).status == 400
    assert closed(reader)


KMS_LIMIT = 512 * 1024  # strongroom.request_limits, from KMS's documented quotas


def test_a_body_over_the_services_limit_is_refused_before_it_is_sent(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    head, _ = signed(server, framing={"Content-Length": str(KMS_LIMIT + 1), "Expect": "100-continue"})
    sock.sendall(head)  # and no body at all: the answer must not wait for it
    answer = read_answer(reader)  # the final answer, no 100 Continue first: the body is not wanted
    assert (answer.status, answer.headers["connection"]) == (413, "close")
    assert answer.json() == {"__type": "RequestEntityTooLarge",
                             "message": f"Request body exceeds the maximum of {KMS_LIMIT} bytes."}
    assert closed(reader)


def test_a_body_at_the_services_limit_is_read(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    """The limit is the service's, not lower: a KMS request of exactly 512 KiB is read and answered."""
    sock, reader = connection
    body = b'{"NumberOfBytes": 16, "Padding": "' + b"x" * (KMS_LIMIT - 36) + b'"}'
    assert len(body) == KMS_LIMIT
    sock.sendall(b"".join(signed(server, body)))
    answer = read_answer(reader)
    assert answer.status == 200, answer.body[:200]
    assert len(str(answer.json()["Plaintext"])) == 24


def test_a_query_protocol_body_over_the_limit_gets_the_services_xml_error(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    request = AWSRequest(method="POST", url=f"{server.endpoint}/", data=b"Action=GetCallerIdentity&Version=2011-06-15",
                         headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials(server.access_key_id, server.secret_access_key), "sts", "us-east-1").add_auth(request)
    headers = {**dict(request.prepare().headers), "Host": f"127.0.0.1:{server.port}",
               "Content-Length": str(2 * 1024 * 1024)}
    sock.sendall(("POST / HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode())
    answer = read_answer(reader)
    assert (answer.status, answer.headers["connection"]) == (413, "close")
    assert b"<Code>RequestEntityTooLarge</Code>" in answer.body and b"<ErrorResponse" in answer.body


def test_a_chunked_body_over_the_limit_is_refused_once_the_limit_is_crossed(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    head, _ = signed(server, framing={"Transfer-Encoding": "chunked"})
    sock.sendall(head)
    chunk = b"x" * (64 * 1024)
    sent = 0
    while sent < 16 * 1024 * 1024 and not select.select([sock], [], [], 0.01)[0]:
        sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
        sent += len(chunk)
    answer = read_answer(reader)  # while the client is still sending
    assert (answer.status, answer.headers["connection"]) == (413, "close")
    assert answer.json()["__type"] == "RequestEntityTooLarge"
    assert sent < 2 * 1024 * 1024  # answered near the limit, not at the end of the body


def test_an_oversized_head_is_refused(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    sock, reader = connection
    head, body = signed(server, framing={"X-Padding": "p" * 70_000})
    sock.sendall(head + body)
    answer = read_answer(reader)
    assert (answer.status, answer.headers["connection"]) == (431, "close")
    assert closed(reader)


def test_a_head_is_refused_as_soon_as_it_crosses_the_limit(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    """One endless header: the answer comes once 64 KiB (and a read) arrived, not after the whole of it."""
    sock, reader = connection
    sock.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Padding: ")
    for _ in range(10):
        sock.sendall(b"p" * 16 * 1024)  # 160 KiB of a head that never ends
    sock.settimeout(5)
    answer = read_answer(reader)
    assert (answer.status, answer.headers["connection"]) == (431, "close")
    assert closed(reader)


def test_expect_100_continue_gets_the_interim_answer_first(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    head, body = signed(server, framing={"Expect": "100-continue"})
    sock.sendall(head)
    assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert reader.readline() == b"\r\n"
    sock.sendall(body)
    assert read_answer(reader).status == 200


def test_expect_100_continue_is_answered_in_turn_when_pipelined(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    """A request that waits for 100 Continue behind another one: the first one's answer comes first,
    then the 100 Continue, then (once the body is sent) the second answer."""
    sock, reader = connection
    first = b"".join(signed(server))
    head, body = signed(server, framing={"Expect": "100-continue"})
    sock.sendall(first + head)
    assert read_answer(reader).status == 200
    assert reader.readline() == b"HTTP/1.1 100 Continue\r\n"
    assert reader.readline() == b"\r\n"
    sock.sendall(body)
    answer = read_answer(reader)
    assert answer.status == 200 and len(str(answer.json()["Plaintext"])) == 24


def test_a_chunked_body_is_read_whole(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    sock, reader = connection
    head, body = signed(server, framing={"Transfer-Encoding": "chunked"})
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:5], body[5:]))
    sock.sendall(head + chunks + b"0\r\n\r\n")
    answer = read_answer(reader)
    assert answer.status == 200, answer.body
    assert len(str(answer.json()["Plaintext"])) == 24


def test_http_1_0_is_answered_then_closed(server: Server, connection: tuple[socket.socket, BinaryIO]) -> None:
    sock, reader = connection
    sock.sendall(b"GET /_strongroom/health HTTP/1.0\r\n\r\n")
    answer = read_answer(reader)
    assert (answer.status, answer.headers["connection"]) == (200, "close")
    assert closed(reader)


def test_a_client_that_half_closes_still_gets_its_answer(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    sock.sendall(b"".join(signed(server)))
    sock.shutdown(socket.SHUT_WR)
    assert read_answer(reader).status == 200
    assert closed(reader)


def _source_ip(server: Server) -> str:
    head, body = signed(server, extra={"X-Forwarded-For": "203.0.113.7, 198.51.100.1"})
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock, sock.makefile("rb") as reader:
        sock.sendall(head + body)
        answer = read_answer(reader)
    assert answer.status == 200
    (record,) = audit_records(server, answer.headers["x-amzn-requestid"])
    address: str = record["sourceIPAddress"]
    return address


def test_x_forwarded_for_counts_only_from_trusted_proxies(server: Server, tmp_path: Path) -> None:
    # By default no peer is a trusted proxy: a client cannot choose its recorded address.
    assert _source_ip(server) == "127.0.0.1"
    behind_proxy = Server(tmp_path / "data", options=["--forwarded-allow-ips", "127.0.0.1,198.51.100.0/24"])
    try:
        # The nearest address that is not itself a trusted proxy.
        assert _source_ip(behind_proxy) == "203.0.113.7"
    finally:
        behind_proxy.stop()


def test_an_idle_connection_is_closed_after_five_seconds(
    server: Server, connection: tuple[socket.socket, BinaryIO]
) -> None:
    sock, reader = connection
    for _ in range(2):
        sock.sendall(f"GET /_strongroom/health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode())
        assert read_answer(reader).status == 200
        time.sleep(2)  # idle, but not for long enough
    went_idle = time.monotonic()
    assert closed(reader)
    assert 2.5 <= time.monotonic() - went_idle <= 8  # five seconds after the last answer
