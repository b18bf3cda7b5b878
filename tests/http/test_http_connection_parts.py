"""The pure parts of the server's HTTP connections: answers as bytes, and trusted proxies."""

from __future__ import annotations

import pytest

from strongroom.http_connection import TrustedProxies, encode_response
from strongroom.wire.http import HttpResponse

DATE = [(b"date", b"Mon, 07 Dec 2026 03:17:02 GMT")]


def test_an_answer_is_status_line_headers_length_and_body() -> None:
    response = HttpResponse(200, [("Content-Type", "application/x-amz-json-1.1"), ("x-amzn-RequestId", "r-1")],
                            b'{"a":1}')
    assert encode_response(response, DATE, head=False, keep_alive=True) == (
        b"HTTP/1.1 200 OK\r\ndate: Mon, 07 Dec 2026 03:17:02 GMT\r\n"
        b"Content-Type: application/x-amz-json-1.1\r\nx-amzn-RequestId: r-1\r\ncontent-length: 7\r\n\r\n"
        b'{"a":1}'
    )


def test_head_and_closing_answers() -> None:
    response = HttpResponse(404, [("Content-Length", "999")], b"missing")
    # The length is always the body's own; a HEAD answer carries it without the body.
    assert encode_response(response, [], head=True, keep_alive=False) == (
        b"HTTP/1.1 404 Not Found\r\ncontent-length: 7\r\nconnection: close\r\n\r\n"
    )


def test_an_unknown_status_still_has_a_status_line() -> None:
    assert encode_response(HttpResponse(599), [], head=False, keep_alive=True).startswith(b"HTTP/1.1 599 \r\n")


@pytest.mark.parametrize("header", [("X-Echo", "a\r\nSet-Cookie: b"), ("X-Echo", "a\nb"), ("X\r\nY", "v"),
                                    ("X-Echo", "a\x00b")])
def test_a_header_that_would_split_the_answer_is_refused(header: tuple[str, str]) -> None:
    with pytest.raises(ValueError, match="line break or NUL"):
        encode_response(HttpResponse(200, [header]), [], head=False, keep_alive=True)


def test_nobody_is_a_trusted_proxy_by_default() -> None:
    for spec in (None, "", []):
        proxies = TrustedProxies(spec)
        assert not proxies
        assert proxies.client("127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_the_client_is_the_nearest_untrusted_hop() -> None:
    proxies = TrustedProxies("127.0.0.1, 10.0.0.0/8,::1")
    assert proxies
    assert proxies.client("127.0.0.1", "203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("::1", "198.51.100.9:5555, 203.0.113.7:443, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("127.0.0.1", "[2001:db8::5]:443") == "2001:db8::5"
    assert proxies.client("127.0.0.1", "2001:db8::5") == "2001:db8::5"
    # Every hop trusted: the first one is the client.
    assert proxies.client("127.0.0.1", "10.0.0.1, 10.0.0.2") == "10.0.0.1"
    # An untrusted peer's header is ignored; so is an empty one.
    assert proxies.client("192.0.2.1", "203.0.113.7") == "192.0.2.1"
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client("127.0.0.1", "") == "127.0.0.1"


def test_star_trusts_every_peer() -> None:
    proxies = TrustedProxies("*")
    assert proxies.client("192.0.2.1", "203.0.113.7, 198.51.100.2") == "203.0.113.7"


def test_a_bad_entry_is_refused() -> None:
    with pytest.raises(ValueError):
        TrustedProxies("127.0.0.1,not-an-address")
