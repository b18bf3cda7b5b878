"""Requests signed by botocore and by the AWS SigV4 test suite verify; any tampering with them does not."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from strongroom.auth.failures import AuthFailure, AuthFailureKind
from strongroom.auth.sigv4 import read_claim, verify
from strongroom.wire.http import Headers, HttpRequest

VECTORS = Path(__file__).parents[1] / "vectors" / "sigv4"
HEX = "0123456789abcdef"


@dataclass(frozen=True)
class Vector:
    name: str
    request: HttpRequest
    headers: tuple[tuple[str, str], ...]
    secret: str
    token: str | None
    now: datetime


def _request(method: str, path: str, query: str, headers: list[tuple[str, str]], body: bytes) -> HttpRequest:
    # An HTTP server hands over header values without surrounding whitespace.
    return HttpRequest(method, path, query, Headers((name, value.strip()) for name, value in headers), body)


def botocore_vectors() -> list[Vector]:
    records = json.loads((VECTORS / "botocore-signed.json").read_text(encoding="utf-8"))
    vectors = []
    for record in records:
        headers = [(name, value) for name, value in record["headers"]]
        body = base64.b64decode(record["body_b64"])
        vectors.append(
            Vector(
                name=record["name"],
                request=_request(record["method"], record["path"], record["query"], headers, body),
                headers=tuple(headers),
                secret=record["secret_access_key"],
                token=record["session_token"],
                now=datetime.fromisoformat(record["now"]),
            )
        )
    return vectors


def suite_vectors() -> list[Vector]:
    root = VECTORS / "aws-signing-test-suite"
    context = json.loads((root / "context.json").read_text(encoding="utf-8"))
    vectors = []
    for path in sorted(root.glob("*/*-signed-request.txt")):
        head, _, body = path.read_text(encoding="utf-8").partition("\n\n")
        request_line, *header_lines = head.split("\n")
        method, _, rest = request_line.partition(" ")
        target_path, _, query = rest.removesuffix(" HTTP/1.1").partition("?")
        headers = [(name, value) for name, _, value in (line.partition(":") for line in header_lines)]
        has_token = any(name.lower() == "x-amz-security-token" for name, _ in headers) or "Security-Token" in query
        vectors.append(
            Vector(
                name=f"aws-suite/{path.parent.name}/{path.stem}",
                request=_request(method, target_path, query, headers, body.encode("utf-8")),
                headers=tuple(headers),
                secret=context["credentials"]["secret_access_key"],
                token=context["credentials"]["token"] if has_token else None,
                now=datetime.fromisoformat(context["timestamp"]),
            )
        )
    return vectors


ALL = botocore_vectors() + suite_vectors()
IDS = [vector.name for vector in ALL]


def _fails(vector: Vector, request: HttpRequest, secret: str | None = None) -> AuthFailureKind:
    with pytest.raises(AuthFailure) as caught:
        claim = read_claim(request)
        assert claim is not None
        verify(request, claim, secret or vector.secret, now=vector.now)
    return caught.value.kind


def _with_signature(request: HttpRequest, old: str, new: str) -> HttpRequest:
    if "authorization" in request.headers:
        headers = [(n, v.replace(f"Signature={old}", f"Signature={new}")) for n, v in _items(request)]
        return replace(request, headers=Headers(headers))
    return replace(
        request, query_string=request.query_string.replace(f"X-Amz-Signature={old}", f"X-Amz-Signature={new}")
    )


def _items(request: HttpRequest) -> list[tuple[str, str]]:
    return [(name, request.headers[name]) for name in request.headers]


def test_there_are_many_vectors_of_each_form() -> None:
    presigned = [v for v in ALL if "X-Amz-Signature" in v.request.query_string]
    assert len(ALL) >= 40
    assert len(presigned) >= 8
    assert {"s3", "kms", "sts", "iam", "service"} <= {read_claim(v.request).service for v in ALL}  # type: ignore[union-attr]


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_vector_verifies(vector: Vector) -> None:
    claim = read_claim(vector.request)
    assert claim is not None
    assert claim.security_token == vector.token
    assert claim.presigned == ("X-Amz-Signature" in vector.request.query_string)
    assert claim.amz_date == vector.now.replace(tzinfo=UTC)
    assert claim.access_key_id in {"AKIDEXAMPLESTRONGROOM", "AKIDEXAMPLE"}
    verify(vector.request, claim, vector.secret, now=vector.now)


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_every_single_character_change_to_the_signature_fails(vector: Vector) -> None:
    claim = read_claim(vector.request)
    assert claim is not None
    signature = claim.signature
    for position, char in enumerate(signature):
        # One other hex digit at every position, and a non-hex and an upper-case variant now and then.
        substitutes = [HEX[(HEX.index(char) + 1) % 16]]
        if position % 16 == 0:
            substitutes += ["g", char.upper() if char.isalpha() else "A"]
        for substitute in substitutes:
            changed = signature[:position] + substitute + signature[position + 1 :]
            tampered = _with_signature(vector.request, signature, changed)
            assert _fails(vector, tampered) is AuthFailureKind.SIGNATURE_MISMATCH, (position, substitute)
    for changed in (signature[:-1], signature + "0", ""):
        if changed:
            assert (
                _fails(vector, _with_signature(vector.request, signature, changed))
                is AuthFailureKind.SIGNATURE_MISMATCH
            )


def test_every_hex_substitution_fails_on_one_vector() -> None:
    vector = ALL[0]
    claim = read_claim(vector.request)
    assert claim is not None
    for position in range(64):
        for substitute in HEX.replace(claim.signature[position], ""):
            changed = claim.signature[:position] + substitute + claim.signature[position + 1 :]
            tampered = replace(claim, signature=changed)
            with pytest.raises(AuthFailure) as caught:
                verify(vector.request, tampered, vector.secret, now=vector.now)
            assert caught.value.kind is AuthFailureKind.SIGNATURE_MISMATCH


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_wrong_secret_fails(vector: Vector) -> None:
    assert _fails(vector, vector.request, vector.secret + "x") is AuthFailureKind.SIGNATURE_MISMATCH
    assert _fails(vector, vector.request, vector.secret[:-1]) is AuthFailureKind.SIGNATURE_MISMATCH


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_changed_signed_header_fails(vector: Vector) -> None:
    claim = read_claim(vector.request)
    assert claim is not None
    for name in claim.signed_headers:
        if name == "x-amz-date":
            continue  # changing it changes the claim's date instead; covered by the time tests
        headers = [(n, v + "x" if n.lower() == name else v) for n, v in vector.headers]
        tampered = replace(vector.request, headers=Headers((n, v.strip()) for n, v in headers))
        assert _fails(vector, tampered) is AuthFailureKind.SIGNATURE_MISMATCH, name


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_changed_method_or_path_fails(vector: Vector) -> None:
    other_method = "PUT" if vector.request.method != "PUT" else "POST"
    assert _fails(vector, replace(vector.request, method=other_method)) is AuthFailureKind.SIGNATURE_MISMATCH
    longer_path = vector.request.path.rstrip("/") + "/x"
    assert _fails(vector, replace(vector.request, path=longer_path)) is AuthFailureKind.SIGNATURE_MISMATCH


@pytest.mark.parametrize("vector", ALL, ids=IDS)
def test_changed_body_fails_unless_the_payload_is_unsigned(vector: Vector) -> None:
    claim = read_claim(vector.request)
    assert claim is not None
    tampered = replace(vector.request, body=vector.request.body + b" ")
    given = vector.request.headers.get("x-amz-content-sha256")
    if claim.payload_hash == "UNSIGNED-PAYLOAD":
        verify(tampered, read_claim(tampered), vector.secret, now=vector.now)  # type: ignore[arg-type]
    elif given is not None:
        # The signature covers the declared hash, which no longer matches the body.
        assert _fails(vector, tampered) is AuthFailureKind.PAYLOAD_HASH_MISMATCH
    else:
        assert _fails(vector, tampered) is AuthFailureKind.SIGNATURE_MISMATCH


QUERY_VECTORS = [v for v in ALL if any(not p.startswith("X-Amz-") for p in v.request.query_string.split("&") if p)]


@pytest.mark.parametrize("vector", QUERY_VECTORS, ids=[v.name for v in QUERY_VECTORS])
def test_changed_query_value_fails(vector: Vector) -> None:
    pairs = vector.request.query_string.split("&")
    index = next(i for i, pair in enumerate(pairs) if pair and not pair.startswith("X-Amz-"))
    name, _, value = pairs[index].partition("=")
    for changed in (f"{name}={value}x", f"{name}x={value}"):
        query = "&".join([*pairs[:index], changed, *pairs[index + 1 :]])
        assert _fails(vector, replace(vector.request, query_string=query)) is AuthFailureKind.SIGNATURE_MISMATCH
    extra = vector.request.query_string + "&extra=1"
    assert _fails(vector, replace(vector.request, query_string=extra)) is AuthFailureKind.SIGNATURE_MISMATCH


PRESIGNED = [v for v in ALL if "X-Amz-Expires=" in v.request.query_string]


@pytest.mark.parametrize("vector", PRESIGNED, ids=[v.name for v in PRESIGNED])
def test_changed_presigned_expiry_fails(vector: Vector) -> None:
    claim = read_claim(vector.request)
    assert claim is not None and claim.expires_seconds is not None
    longer = claim.expires_seconds + 1 if claim.expires_seconds < 604800 else claim.expires_seconds - 1
    query = vector.request.query_string.replace(f"X-Amz-Expires={claim.expires_seconds}", f"X-Amz-Expires={longer}")
    assert _fails(vector, replace(vector.request, query_string=query)) is AuthFailureKind.SIGNATURE_MISMATCH


def test_mismatch_message_never_carries_the_expected_signature() -> None:
    vector = next(v for v in ALL if v.name == "client-kms-encrypt")
    claim = read_claim(vector.request)
    assert claim is not None
    with pytest.raises(AuthFailure) as caught:
        verify(vector.request, replace(claim, signature="0" * 64), vector.secret, now=vector.now)
    assert claim.signature not in str(caught.value)
    assert claim.signature not in caught.value.message
    assert vector.secret not in str(caught.value)


def test_repeated_verification_with_the_cached_signing_key() -> None:
    vector = ALL[0]
    claim = read_claim(vector.request)
    assert claim is not None
    verify(vector.request, claim, vector.secret, now=vector.now)
    verify(vector.request, claim, vector.secret, now=vector.now + timedelta(minutes=4))
    assert _fails(vector, vector.request, "another-secret") is AuthFailureKind.SIGNATURE_MISMATCH
