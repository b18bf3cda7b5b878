"""The request values SigV4 reads: case-insensitive headers, and a body hash computed once per request."""

from __future__ import annotations

import hashlib
from dataclasses import FrozenInstanceError, replace

import pytest

from strongroom.wire.http import Headers, HttpRequest


def test_headers_are_case_insensitive_and_repeats_are_joined() -> None:
    headers = Headers([("X-Amz-Date", "1"), ("Host", "h"), ("x-amz-date", "2")])
    assert headers["x-amz-date"] == headers["X-AMZ-DATE"] == "1,2"
    assert headers.get("HOST") == "h" and headers.get("absent") is None and headers.get("absent", "") == ""
    assert "Host" in headers and "absent" not in headers and 1 not in headers
    assert dict(headers.lowered) == {"x-amz-date": "1,2", "host": "h"}
    assert list(headers) == ["x-amz-date", "host"] and len(headers) == 2


def test_headers_from_latin1_equal_the_decoded_pairs() -> None:
    raw = [(b"Content-Type", b"a/b"), (b"x-name", b"caf\xe9"), (b"X-Name", b"2")]
    from_raw = Headers.from_latin1(raw)
    assert dict(from_raw) == dict(Headers((n.decode("latin-1"), v.decode("latin-1")) for n, v in raw))
    assert from_raw["x-name"] == "café,2"


def test_request_defaults_and_immutability() -> None:
    request = HttpRequest("GET", "/")
    assert (request.query_string, dict(request.headers), request.body) == ("", {}, b"")
    with pytest.raises(FrozenInstanceError):
        request.method = "POST"  # type: ignore[misc]
    assert request == HttpRequest(method="GET", path="/", query_string="", headers=Headers(), body=b"")


def test_body_hash_is_of_this_request_body() -> None:
    request = HttpRequest("POST", "/", body=b"{}")
    assert request.body_sha256 == hashlib.sha256(b"{}").hexdigest()
    assert request.body_sha256 == hashlib.sha256(b"{}").hexdigest()
    changed = replace(request, body=b"[]")
    assert changed.body_sha256 == hashlib.sha256(b"[]").hexdigest()
    assert changed == HttpRequest("POST", "/", body=b"[]")
