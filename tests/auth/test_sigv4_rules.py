"""SigV4 rules beyond the signature itself: clock skew, presigned expiry, malformed authorization, junk input."""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from strongroom.auth.failures import AuthFailure, AuthFailureKind
from strongroom.auth.sigv4 import SigV4Claim, read_claim, verify
from strongroom.wire.http import Headers, HttpRequest

VECTORS = json.loads((Path(__file__).parents[1] / "vectors" / "sigv4" / "botocore-signed.json").read_text("utf-8"))
SECRET = VECTORS[0]["secret_access_key"]
SIGNED_AT = datetime(2024, 5, 17, 9, 30, tzinfo=UTC)
SECOND = timedelta(seconds=1)
FIVE_MINUTES = timedelta(minutes=5)


def vector(name: str) -> HttpRequest:
    record = next(r for r in VECTORS if r["name"] == name)
    headers = Headers((n, v.strip()) for n, v in record["headers"])
    return HttpRequest(record["method"], record["path"], record["query"], headers, base64.b64decode(record["body_b64"]))


def claim_of(request: HttpRequest) -> SigV4Claim:
    claim = read_claim(request)
    assert claim is not None
    return claim


def failure(request: HttpRequest, *, now: datetime = SIGNED_AT, secret: str = SECRET) -> AuthFailure:
    with pytest.raises(AuthFailure) as caught:
        verify(request, claim_of(request), secret, now=now)
    return caught.value


def read_failure(request: HttpRequest) -> AuthFailure:
    with pytest.raises(AuthFailure) as caught:
        read_claim(request)
    return caught.value


# --- time -------------------------------------------------------------------------------------


def test_header_form_accepts_exactly_five_minutes_of_skew_either_way() -> None:
    request = vector("kms-json-post")
    verify(request, claim_of(request), SECRET, now=SIGNED_AT + FIVE_MINUTES)
    verify(request, claim_of(request), SECRET, now=SIGNED_AT - FIVE_MINUTES)
    late = failure(request, now=SIGNED_AT + FIVE_MINUTES + SECOND)
    early = failure(request, now=SIGNED_AT - FIVE_MINUTES - SECOND)
    assert late.kind is early.kind is AuthFailureKind.REQUEST_EXPIRED
    assert late.message == (
        "Signature expired: 20240517T093000Z is now earlier than 20240517T093001Z (20240517T093501Z - 5 min.)"
    )
    assert early.message == (
        "Signature not yet current: 20240517T093000Z is still later than 20240517T092959Z (20240517T092459Z + 5 min.)"
    )


def test_expiry_message_has_aws_form() -> None:
    request = HttpRequest(
        "POST",
        "/",
        headers=Headers(
            [
                ("Host", "kms.us-east-1.amazonaws.com"),
                ("X-Amz-Date", "20240101T000000Z"),
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, "
                    f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}",
                ),
            ]
        ),
    )
    expired = failure(request, now=datetime(2024, 1, 1, 0, 10, tzinfo=UTC))
    assert expired.message == (
        "Signature expired: 20240101T000000Z is now earlier than 20240101T000500Z (20240101T001000Z - 5 min.)"
    )


def test_naive_now_is_taken_as_utc() -> None:
    request = vector("kms-json-post")
    verify(request, claim_of(request), SECRET, now=datetime(2024, 5, 17, 9, 34))
    assert failure(request, now=datetime(2024, 5, 17, 9, 36)).kind is AuthFailureKind.REQUEST_EXPIRED


@pytest.mark.parametrize(
    ("name", "expires"),
    [("presigned-sts-token", 60), ("presigned-s3-token", 1), ("presigned-s3-get", 604800), ("client-presign-sts", 900)],
)
def test_presigned_is_valid_until_date_plus_expires_exactly(name: str, expires: int) -> None:
    request = vector(name)
    assert claim_of(request).expires_seconds == expires
    verify(request, claim_of(request), SECRET, now=SIGNED_AT + timedelta(seconds=expires))
    expired = failure(request, now=SIGNED_AT + timedelta(seconds=expires) + SECOND)
    assert expired.kind is AuthFailureKind.PRESIGNED_EXPIRED
    assert expired.presigned


def test_presigned_allows_five_minutes_of_skew_for_a_future_date() -> None:
    request = vector("presigned-sts-get")
    verify(request, claim_of(request), SECRET, now=SIGNED_AT - FIVE_MINUTES)
    assert failure(request, now=SIGNED_AT - FIVE_MINUTES - SECOND).kind is AuthFailureKind.REQUEST_EXPIRED


def test_presigned_without_expires_lives_fifteen_minutes() -> None:
    request = vector("presigned-sts-get")
    query = request.query_string.replace("X-Amz-Expires=900&", "")
    claim = claim_of(replace(request, query_string=query))
    assert claim.expires_seconds is None
    # The signature no longer matches (Expires was signed) but the expiry check comes first.
    assert failure(replace(request, query_string=query), now=SIGNED_AT + timedelta(seconds=901)).kind is (
        AuthFailureKind.PRESIGNED_EXPIRED
    )
    assert failure(replace(request, query_string=query), now=SIGNED_AT + timedelta(seconds=900)).kind is (
        AuthFailureKind.SIGNATURE_MISMATCH
    )


def test_far_dates_do_not_overflow() -> None:
    for stamp in ("99991231T235959Z", "00010101T000000Z"):
        request = HttpRequest(
            "GET",
            "/",
            query_string=f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F{stamp[:8]}%2Fus-east-1%2Fs3%2F"
            f"aws4_request&X-Amz-Date={stamp}&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=00",
            headers=Headers([("Host", "h")]),
        )
        assert failure(request).kind in {AuthFailureKind.REQUEST_EXPIRED, AuthFailureKind.PRESIGNED_EXPIRED}


# --- what the request claims ------------------------------------------------------------------


def test_no_authentication_at_all_is_none() -> None:
    assert read_claim(HttpRequest("POST", "/", headers=Headers([("Host", "h")]), body=b"{}")) is None
    assert read_claim(HttpRequest("GET", "/", query_string="Action=ListUsers&X-Amz-Target=x")) is None


def test_claim_fields_of_a_header_request() -> None:
    claim = claim_of(vector("client-kms-list-keys-token"))
    assert (claim.access_key_id, claim.date, claim.region, claim.service) == (
        "AKIDEXAMPLESTRONGROOM",
        "20240517",
        "eu-west-1",
        "kms",
    )
    assert claim.signed_headers == ("content-type", "host", "x-amz-date", "x-amz-security-token", "x-amz-target")
    assert claim.amz_date == SIGNED_AT and claim.amz_date.tzinfo is not None
    assert not claim.presigned and claim.expires_seconds is None
    assert claim.payload_hash == hashlib.sha256(b'{"Limit": 5}').hexdigest()


def test_presigned_payload_is_unsigned_for_s3_and_the_empty_body_elsewhere() -> None:
    assert claim_of(vector("presigned-s3-get")).payload_hash == "UNSIGNED-PAYLOAD"
    empty_sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert claim_of(vector("presigned-sts-get")).payload_hash == empty_sha256


def test_date_header_is_used_when_there_is_no_x_amz_date() -> None:
    request = HttpRequest(
        "GET",
        "/",
        headers=Headers(
            [
                ("Host", "h"),
                ("Date", "Fri, 17 May 2024 09:30:00 GMT"),
                (
                    "Authorization",
                    f"AWS4-HMAC-SHA256 Credential=AKID/20240517/us-east-1/kms/aws4_request, "
                    f"SignedHeaders=date;host, Signature={'0' * 64}",
                ),
            ]
        ),
    )
    assert claim_of(request).amz_date == SIGNED_AT


def _signed_now(headers: dict[str, str], body: bytes = b"{}") -> HttpRequest:
    """A request botocore signs right now (its own clock), as a server would receive it."""
    aws = AWSRequest(method="POST", url="https://kms.us-east-1.amazonaws.com/", data=body, headers=headers)
    SigV4Auth(Credentials("AKID", SECRET), "kms", "us-east-1").add_auth(aws)
    pairs = [("Host", "kms.us-east-1.amazonaws.com"), *((k, str(v)) for k, v in aws.headers.items())]
    return HttpRequest("POST", "/", headers=Headers(pairs), body=body)


def test_undeclared_payload_modes_are_refused_after_the_signature_check() -> None:
    request = _signed_now({"X-Amz-Content-SHA256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"})
    claim = claim_of(request)
    with pytest.raises(AuthFailure) as caught:
        verify(request, claim, SECRET, now=claim.amz_date)
    assert caught.value.kind is AuthFailureKind.PAYLOAD_HASH_MISMATCH
    with pytest.raises(AuthFailure) as caught:
        verify(request, claim, "wrong", now=claim.amz_date)
    assert caught.value.kind is AuthFailureKind.SIGNATURE_MISMATCH


def test_declared_payload_hash_is_checked_against_the_body_in_any_case() -> None:
    body = b'{"KeyId": "k"}'
    upper = hashlib.sha256(body).hexdigest().upper()
    request = _signed_now({"X-Amz-Content-SHA256": upper}, body)
    claim = claim_of(request)
    verify(request, claim, SECRET, now=claim.amz_date)
    with pytest.raises(AuthFailure) as caught:
        verify(replace(request, body=body + b" "), claim, SECRET, now=claim.amz_date)
    assert caught.value.kind is AuthFailureKind.PAYLOAD_HASH_MISMATCH
    assert caught.value.message == "The provided 'x-amz-content-sha256' header does not match what was computed."


# --- malformed authorization ------------------------------------------------------------------

SIG = "a" * 64
GOOD_CREDENTIAL = "AKID/20240517/us-east-1/kms/aws4_request"


def header_request(authorization: str, *, date: str | None = "20240517T093000Z") -> HttpRequest:
    headers = [("Host", "kms.us-east-1.amazonaws.com"), ("Authorization", authorization)]
    if date is not None:
        headers.append(("X-Amz-Date", date))
    return HttpRequest("POST", "/", headers=Headers(headers), body=b"{}")


MALFORMED_HEADERS = [
    (
        "AWS4-HMAC-SHA256",
        "Authorization header requires 'Credential' parameter. Authorization header requires "
        "'Signature' parameter. Authorization header requires 'SignedHeaders' parameter.",
    ),
    (
        f"AWS4-HMAC-SHA256 SignedHeaders=host;x-amz-date, Signature={SIG}",
        "Authorization header requires 'Credential' parameter.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, Signature={SIG}",
        "Authorization header requires 'SignedHeaders' parameter.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, SignedHeaders=host;x-amz-date",
        "Authorization header requires 'Signature' parameter.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, SignedHeaders=host, Signature=",
        "Authorization header requires 'Signature' parameter.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240517/us-east-1/kms, SignedHeaders=host, Signature={SIG}",
        "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
        "got 'AKID/20240517/us-east-1/kms'",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240517/us-east-1/kms/aws3_request, SignedHeaders=host, Signature={SIG}",
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws3_request'.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential=AKID/2024-05-17/us-east-1/kms/aws4_request, SignedHeaders=host, Signature={SIG}",
        None,
    ),
    (f"AWS4-HMAC-SHA256 Credential=/20240517/us-east-1/kms/aws4_request, SignedHeaders=host, Signature={SIG}", None),
    (
        f"AWS4-HMAC-SHA256 Credential=AKID/20240518/us-east-1/kms/aws4_request, SignedHeaders=host, Signature={SIG}",
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
        "'20240518' != '20240517', from '20240517T093000Z'.",
    ),
    (
        f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, SignedHeaders=x-amz-date, Signature={SIG}",
        "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    ),
    (
        f"AWS4-HMAC-SHA512 Credential={GOOD_CREDENTIAL}, SignedHeaders=host, Signature={SIG}",
        "Unsupported AWS 'algorithm': 'AWS4-HMAC-SHA512'",
    ),
    ("AWS AKID:c2lnbmF0dXJl", "Unsupported AWS 'algorithm': 'AWS'"),
    ("Bearer abc.def", "Unsupported AWS 'algorithm': 'Bearer'"),
    ("", "Unsupported AWS 'algorithm': ''"),
    (f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL} SignedHeaders=host Signature={SIG}", None),
    (
        f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, host, Signature={SIG}",
        "'host' not a valid key=value pair (missing equal-sign) in Authorization header",
    ),
]


@pytest.mark.parametrize(("authorization", "message"), MALFORMED_HEADERS)
def test_malformed_authorization_is_an_incomplete_signature(authorization: str, message: str | None) -> None:
    caught = read_failure(header_request(authorization))
    assert caught.kind is AuthFailureKind.INCOMPLETE_SIGNATURE
    assert not caught.presigned
    if message is not None:
        assert caught.message == message


def test_missing_or_malformed_date_is_an_incomplete_signature() -> None:
    authorization = f"AWS4-HMAC-SHA256 Credential={GOOD_CREDENTIAL}, SignedHeaders=host, Signature={SIG}"
    missing = read_failure(header_request(authorization, date=None))
    assert missing.kind is AuthFailureKind.INCOMPLETE_SIGNATURE
    assert missing.message == "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
    for bad in ("2024-05-17T09:30:00Z", "20240517T093000", "20241317T093000Z", "20240517T250000Z", ""):
        assert read_failure(header_request(authorization, date=bad)).kind is AuthFailureKind.INCOMPLETE_SIGNATURE


def test_header_and_query_authentication_together_are_refused() -> None:
    request = replace(vector("kms-json-post"), query_string="X-Amz-Signature=00")
    assert read_failure(request).kind is AuthFailureKind.INCOMPLETE_SIGNATURE


PRESIGNED_BASE = vector("presigned-sts-get").query_string


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("X-Amz-Credential=", "X-Amz-Credentials=", None),
        ("X-Amz-SignedHeaders=host&", "", None),
        ("X-Amz-Date=20240517T093000Z&", "", None),
        (
            "X-Amz-Algorithm=AWS4-HMAC-SHA256",
            "X-Amz-Algorithm=AWS4-HMAC-SHA1",
            'X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"',
        ),
        ("X-Amz-Expires=900", "X-Amz-Expires=0", None),
        ("X-Amz-Expires=900", "X-Amz-Expires=-1", "X-Amz-Expires must be non-negative"),
        (
            "X-Amz-Expires=900",
            "X-Amz-Expires=604801",
            "X-Amz-Expires must be less than a week (in seconds) that is; 604800",
        ),
        ("X-Amz-Expires=900", "X-Amz-Expires=" + "9" * 5000, None),
        ("X-Amz-Expires=900", "X-Amz-Expires=ten", "X-Amz-Expires should be a number"),
        ("X-Amz-Expires=900", "X-Amz-Expires=%D9%A1", "X-Amz-Expires should be a number"),
        ("X-Amz-Date=20240517T093000Z", "X-Amz-Date=20240517", None),
        ("X-Amz-Date=20240517T093000Z", "X-Amz-Date=20240517T093000Z&X-Amz-Date=20240517T093000Z", None),
        ("X-Amz-SignedHeaders=host", "X-Amz-SignedHeaders=x-amz-date", None),
        ("X-Amz-Credential=AKIDEXAMPLESTRONGROOM%2F", "X-Amz-Credential=AKIDEXAMPLESTRONGROOM%2Fx%2F", None),
    ],
)
def test_malformed_presigned_query_is_an_incomplete_signature(old: str, new: str, message: str | None) -> None:
    assert old in PRESIGNED_BASE
    request = replace(vector("presigned-sts-get"), query_string=PRESIGNED_BASE.replace(old, new))
    caught = read_failure(request)
    assert caught.kind is AuthFailureKind.INCOMPLETE_SIGNATURE
    assert caught.presigned
    if message is not None:
        assert caught.message == message


def test_presigned_s3_needs_expires() -> None:
    request = vector("presigned-s3-get")
    query = request.query_string.replace("X-Amz-Expires=604800&", "")
    assert read_failure(replace(request, query_string=query)).kind is AuthFailureKind.INCOMPLETE_SIGNATURE


# --- junk never escapes as anything but AuthFailure -----------------------------------------------

_TOKENS = st.sampled_from(
    [
        "AWS4-HMAC-SHA256",
        " ",
        ",",
        "=",
        "/",
        ";",
        "Credential",
        "SignedHeaders",
        "Signature",
        "aws4_request",
        "host",
        "x-amz-date",
        "20240517",
        "us-east-1",
        "kms",
        "s3",
        "%",
        "%2F",
        "%ZZ",
        "&",
        "X-Amz-Algorithm",
        "X-Amz-Credential",
        "X-Amz-Signature",
        "X-Amz-SignedHeaders",
        "X-Amz-Date",
        "X-Amz-Expires",
        "20240517T093000Z",
        "99991231T235959Z",
        "-1",
        "604800",
        "+",
        "..",
        "\u1234",
        "\x00",
        "\t",
    ]
)
_JUNK = st.lists(st.one_of(_TOKENS, st.text(max_size=6)), max_size=25).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    authorization=st.one_of(st.none(), _JUNK),
    query=_JUNK,
    amz_date=st.one_of(
        st.none(), st.sampled_from(["20240517T093000Z", "20240517", "Fri, 17 May 2024 09:30:00 GMT"]), _JUNK
    ),
    date=st.one_of(st.none(), _JUNK),
    content_sha=st.one_of(st.none(), st.sampled_from(["UNSIGNED-PAYLOAD", "e" * 64, "x"]), _JUNK),
    path=st.one_of(st.just("/"), _JUNK),
    now=st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)),
)
def test_junk_raises_only_auth_failure(
    authorization: str | None,
    query: str,
    amz_date: str | None,
    date: str | None,
    content_sha: str | None,
    path: str,
    now: datetime,
) -> None:
    headers = [("Host", "h")]
    for name, value in (
        ("Authorization", authorization),
        ("X-Amz-Date", amz_date),
        ("Date", date),
        ("X-Amz-Content-Sha256", content_sha),
    ):
        if value is not None:
            headers.append((name, value))
    request = HttpRequest("POST", path, query, Headers(headers), b"{}")
    try:
        claim = read_claim(request)
        if claim is not None:
            verify(request, claim, "secret", now=now)
    except AuthFailure as failure:
        assert isinstance(failure.kind, AuthFailureKind)
        assert failure.message
