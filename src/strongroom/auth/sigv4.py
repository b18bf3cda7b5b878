"""AWS Signature Version 4: read what a request claims about its signature, then verify it.

Two forms: the `Authorization: AWS4-HMAC-SHA256 ...` header, and presigned URLs carrying the
same facts in `X-Amz-*` query parameters. `read_claim` parses without any secret; `verify`
rebuilds the canonical request and string to sign the way AWS's clients do and compares
signatures in constant time. Every failure is an `AuthFailure`, never another exception.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from urllib.parse import quote, unquote_to_bytes

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.hmac import HMAC

from strongroom.auth.failures import AuthFailure, AuthFailureKind
from strongroom.wire.http import HttpRequest

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
MAX_CLOCK_SKEW = timedelta(minutes=5)
MAX_PRESIGNED_EXPIRES = 604800  # one week: a signing key is only valid for seven days
DEFAULT_PRESIGNED_EXPIRES = 900  # STS presigned URLs without X-Amz-Expires live 15 minutes

_HEX_DIGITS = "0123456789abcdef"
_QUERY_AUTH_PARAMS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature")
_PRESIGNED_REQUIRED = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
_ECHO_LIMIT = 64  # client text echoed in messages is cut to this length


@dataclass(frozen=True)
class SigV4Claim:
    """What the request says about its signature, before any verification."""

    access_key_id: str
    date: str  # yyyymmdd of the credential scope
    region: str
    service: str
    signed_headers: tuple[str, ...]
    signature: str
    amz_date: datetime  # tz-aware UTC, from X-Amz-Date (or Date) / the X-Amz-Date query param
    security_token: str | None
    presigned: bool
    expires_seconds: int | None
    payload_hash: str

    # By hand (dataclass keeps an __init__ it finds): the generated frozen one sets each field through
    # object.__setattr__, twice the cost of this on every request.
    def __init__(
        self,
        access_key_id: str,
        date: str,
        region: str,
        service: str,
        signed_headers: tuple[str, ...],
        signature: str,
        amz_date: datetime,
        security_token: str | None,
        presigned: bool,
        expires_seconds: int | None,
        payload_hash: str,
    ) -> None:
        self.__dict__.update(
            access_key_id=access_key_id,
            date=date,
            region=region,
            service=service,
            signed_headers=signed_headers,
            signature=signature,
            amz_date=amz_date,
            security_token=security_token,
            presigned=presigned,
            expires_seconds=expires_seconds,
            payload_hash=payload_hash,
        )


def read_claim(request: HttpRequest) -> SigV4Claim | None:
    """The request's signature claim; None when it carries no authentication at all."""
    query_auth = _query_auth_params(request.query_string)
    authorization = request.headers.lowered.get("authorization")
    if authorization is not None and query_auth:
        raise _incomplete(
            "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter "
            "or the Authorization header should be specified"
        )
    if authorization is not None:
        return _claim_from_header(request, authorization)
    if query_auth:
        return _claim_from_query(request, query_auth)
    return None


def verify(request: HttpRequest, claim: SigV4Claim, secret_access_key: str, *, now: datetime) -> None:
    """Raise AuthFailure unless `claim` is a valid, current signature of `request` under the secret."""
    now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    _check_time(claim, now)
    string_to_sign = build_string_to_sign(request, claim)
    mac = _signer(secret_access_key, claim.date, claim.region, claim.service).copy()
    mac.update(string_to_sign.encode("utf-8"))
    expected = mac.finalize().hex().encode("ascii")
    if not hmac.compare_digest(expected, claim.signature.encode("utf-8", "replace")):
        raise AuthFailure(
            AuthFailureKind.SIGNATURE_MISMATCH,
            "The request signature we calculated does not match the signature you provided. "
            "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            presigned=claim.presigned,
        )
    _check_payload(request, claim)


# --- the canonical request and string to sign -------------------------------------------------


def build_string_to_sign(request: HttpRequest, claim: SigV4Claim) -> str:
    digest = hashlib.sha256(build_canonical_request(request, claim).encode("utf-8")).hexdigest()
    return (
        f"{ALGORITHM}\n{_stamp(claim.amz_date)}\n{claim.date}/{claim.region}/{claim.service}/{TERMINATOR}\n{digest}"
    )


def build_canonical_request(request: HttpRequest, claim: SigV4Claim) -> str:
    headers = request.headers.lowered
    header_lines = [f"{name}:{' '.join(headers.get(name.lower(), '').split())}\n" for name in claim.signed_headers]
    return (
        f"{request.method.upper()}\n{canonical_uri(request.path, claim.service)}\n"
        f"{canonical_query(request.query_string, drop_signature=claim.presigned)}\n"
        f"{''.join(header_lines)}\n{';'.join(claim.signed_headers)}\n{claim.payload_hash}"
    )


def canonical_uri(raw_path: str, service: str) -> str:
    """S3 signs the path as sent; every other service signs it normalized and encoded once more."""
    if raw_path in ("", "/"):
        return "/"
    if service == "s3":
        return raw_path
    return quote(_remove_dot_segments(raw_path), safe="/~")


def _remove_dot_segments(path: str) -> str:
    """RFC 3986 5.2.4 dot-segment removal, also dropping empty segments (AWS folds repeated slashes)."""
    kept: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if kept:
                kept.pop()
        elif segment and segment != ".":
            kept.append(segment)
    trailing = "/" if path.endswith("/") and kept else ""
    return "/" + "/".join(kept) + trailing


def canonical_query(query_string: str, *, drop_signature: bool) -> str:
    """Pairs re-encoded to RFC 3986 from their exact bytes, sorted by encoded name then value."""
    if not query_string:
        return ""
    pairs = []
    for item in query_string.split("&"):
        name, _, value = item.partition("=")
        encoded_name = _rfc3986(name)
        if drop_signature and encoded_name == "X-Amz-Signature":
            continue
        pairs.append((encoded_name, _rfc3986(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _rfc3986(component: str) -> str:
    return quote(unquote_to_bytes(component), safe="~") if component else ""


def signing_key(secret_access_key: str, date: str, region: str, service: str) -> bytes:
    """kSigning = HMAC chain over date, region, service and the terminator (kept by `_signer`, keyed with it)."""
    key = ("AWS4" + secret_access_key).encode("utf-8")
    for part in (date, region, service, TERMINATOR):
        key = hmac.digest(key, part.encode("utf-8"), "sha256")
    return key


@lru_cache(maxsize=512)
def _signer(secret_access_key: str, date: str, region: str, service: str) -> HMAC:
    """HMAC-SHA256 keyed with the signing key, never finalized: each request signs with a copy of it,
    which spares setting up a MAC context per request (the larger part of an HMAC over a short text)."""
    return HMAC(signing_key(secret_access_key, date, region, service), hashes.SHA256())


# --- checks after parsing -----------------------------------------------------------------------


def _check_time(claim: SigV4Claim, now: datetime) -> None:
    # Comparisons are arranged so nothing is ever added to a client's date (which could overflow).
    if claim.amz_date > now + MAX_CLOCK_SKEW:
        stamp = _fmt(claim.amz_date)
        raise AuthFailure(
            AuthFailureKind.REQUEST_EXPIRED,
            f"Signature not yet current: {stamp} is still later than {_fmt(now + MAX_CLOCK_SKEW)} "
            f"({_fmt(now)} + 5 min.)",
            presigned=claim.presigned,
        )
    if claim.presigned:
        lifetime = timedelta(seconds=claim.expires_seconds or DEFAULT_PRESIGNED_EXPIRES)
        if claim.amz_date < now - lifetime:
            raise AuthFailure(AuthFailureKind.PRESIGNED_EXPIRED, "Request has expired", presigned=True)
    elif claim.amz_date < now - MAX_CLOCK_SKEW:
        stamp = _fmt(claim.amz_date)
        raise AuthFailure(
            AuthFailureKind.REQUEST_EXPIRED,
            f"Signature expired: {stamp} is now earlier than {_fmt(now - MAX_CLOCK_SKEW)} ({_fmt(now)} - 5 min.)",
        )


def _check_payload(request: HttpRequest, claim: SigV4Claim) -> None:
    given = claim.payload_hash
    if given == UNSIGNED_PAYLOAD:
        return
    # 64 hex digits, checked by hand; ASCII first, since lower() maps some non-ASCII letters to ASCII ones.
    lowered = given.lower()
    if len(given) != 64 or not given.isascii() or lowered.strip(_HEX_DIGITS):
        raise AuthFailure(
            AuthFailureKind.PAYLOAD_HASH_MISMATCH,
            "x-amz-content-sha256 must be UNSIGNED-PAYLOAD or a valid sha256 value.",
            presigned=claim.presigned,
        )
    if not hmac.compare_digest(request.body_sha256, lowered):
        raise AuthFailure(
            AuthFailureKind.PAYLOAD_HASH_MISMATCH,
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
            presigned=claim.presigned,
        )


def _fmt(moment: datetime) -> str:
    # By hand: strftime's %Y does not pad years below 1000 on every platform.
    return (
        f"{moment.year:04d}{moment.month:02d}{moment.day:02d}"
        f"T{moment.hour:02d}{moment.minute:02d}{moment.second:02d}Z"
    )


@lru_cache(maxsize=64)
def _stamp(amz_date: datetime) -> str:
    """`_fmt` of a claim's date. Cached (bounded, a pure function): requests of one second share their date."""
    return _fmt(amz_date)


# --- parsing the two forms ----------------------------------------------------------------------


def _claim_from_header(request: HttpRequest, authorization: str) -> SigV4Claim:
    algorithm, _, rest = authorization.strip().partition(" ")
    if algorithm != ALGORITHM:
        raise _incomplete(f"Unsupported AWS 'algorithm': '{_echo(algorithm)}'")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        part = part.strip()
        if not part:
            continue
        name, equals, field_value = part.partition("=")
        if not equals:
            raise _incomplete(
                f"'{_echo(part)}' not a valid key=value pair (missing equal-sign) in Authorization header"
            )
        fields[name.strip()] = field_value.strip()
    headers = request.headers.lowered
    amz_date_header = headers.get("x-amz-date")
    # X-Amz-Date wins over Date when both are sent.
    date_header = headers.get("date") if amz_date_header is None else amz_date_header
    credential, signature = fields.get("Credential"), fields.get("Signature")
    signed_headers = fields.get("SignedHeaders")
    if not credential or not signature or not signed_headers or not date_header:
        raise _incomplete(_missing_in_header(fields, date_header))
    amz_date = _parse_http_date(date_header) if amz_date_header is None else _parse_amz_date(amz_date_header, False)
    return _build_claim(
        request,
        credential=credential,
        signed_headers=signed_headers,
        signature=signature,
        amz_date=amz_date,
        security_token=headers.get("x-amz-security-token"),
        presigned=False,
        expires_seconds=None,
        given_payload_hash=headers.get("x-amz-content-sha256"),
    )


def _missing_in_header(fields: dict[str, str], date_header: str | None) -> str:
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if not date_header:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    return " ".join(missing)


def _claim_from_query(request: HttpRequest, params: dict[str, str]) -> SigV4Claim:
    if any(not params.get(name) for name in _PRESIGNED_REQUIRED):
        raise _incomplete(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', "
            "'X-Amz-SignedHeaders', 'X-Amz-Date'. Re-examine the query-string parameters.",
            presigned=True,
        )
    if params["X-Amz-Algorithm"] != ALGORITHM:
        raise _incomplete(f'X-Amz-Algorithm only supports "{ALGORITHM}"', presigned=True)
    amz_date = _parse_amz_date(params["X-Amz-Date"], True)
    return _build_claim(
        request,
        credential=params["X-Amz-Credential"],
        signed_headers=params["X-Amz-SignedHeaders"],
        signature=params["X-Amz-Signature"],
        amz_date=amz_date,
        security_token=params.get("X-Amz-Security-Token") or request.headers.get("x-amz-security-token"),
        presigned=True,
        expires_seconds=_parse_expires(params.get("X-Amz-Expires")),
        given_payload_hash=request.headers.get("x-amz-content-sha256") or params.get("X-Amz-Content-Sha256"),
    )


def _build_claim(
    request: HttpRequest,
    *,
    credential: str,
    signed_headers: str,
    signature: str,
    amz_date: datetime,
    security_token: str | None,
    presigned: bool,
    expires_seconds: int | None,
    given_payload_hash: str | None,
) -> SigV4Claim:
    access_key_id, date, region, service = _parse_credential(credential, presigned)
    stamp = _stamp(amz_date)
    day = stamp[:8]
    if date != day:
        raise _incomplete(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: "
            f"'{date}' != '{day}', from '{stamp}'.",
            presigned=presigned,
        )
    names = tuple(signed_headers.split(";"))
    if "host" not in names:
        raise _incomplete("'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.", presigned)
    if presigned and service == "s3" and expires_seconds is None:
        raise _incomplete("X-Amz-Expires must be present in a presigned S3 request", presigned=True)
    if given_payload_hash:
        payload_hash = given_payload_hash
    elif presigned and service == "s3":
        payload_hash = UNSIGNED_PAYLOAD  # S3 presigned URLs never sign a body they cannot know
    else:
        # Other services' presigned URLs move the body into the query and sign an empty body.
        payload_hash = request.body_sha256
    return SigV4Claim(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        signed_headers=names,
        signature=signature,
        amz_date=amz_date,
        security_token=security_token,
        presigned=presigned,
        expires_seconds=expires_seconds,
        payload_hash=payload_hash,
    )


@lru_cache(maxsize=256)
def _parse_credential(credential: str, presigned: bool) -> tuple[str, str, str, str]:
    """Key id, date, region and service. Cached (bounded, a pure function): a client sends one scope all day."""
    parts = credential.split("/")
    if len(parts) != 5:
        raise _incomplete(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, "
            f"got '{_echo(credential)}'",
            presigned,
        )
    access_key_id, date, region, service, terminator = parts
    if terminator != TERMINATOR:
        raise _incomplete(
            f"Credential should be scoped with a valid terminator: '{TERMINATOR}', not '{_echo(terminator)}'.",
            presigned,
        )
    if not access_key_id or not region or not service:
        raise _incomplete(f"Credential has an empty element: '{_echo(credential)}'", presigned)
    if len(date) != 8 or not date.isdecimal():  # isdecimal is exactly what a regex \d matches
        raise _incomplete(f"Credential should be scoped to a valid date (yyyyMMdd), got '{_echo(date)}'.", presigned)
    return access_key_id, date, region, service


def _parse_http_date(value: str) -> datetime:
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        raise _incomplete(f"Date must be in RFC 1123 format. Got '{_echo(value)}'.") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


@lru_cache(maxsize=64)
def _parse_amz_date(value: str, presigned: bool) -> datetime:
    """yyyymmddThhmmssZ as UTC. Cached (bounded, a pure function; datetimes are immutable): one second's
    requests share their date."""
    # By hand rather than a regex and strptime; isdecimal is exactly what a regex \d matches.
    if (
        len(value) == 16
        and value[8] == "T"
        and value[15] == "Z"
        and value[:8].isdecimal()
        and value[9:15].isdecimal()
    ):
        try:
            return datetime(
                int(value[0:4]),
                int(value[4:6]),
                int(value[6:8]),
                int(value[9:11]),
                int(value[11:13]),
                int(value[13:15]),
                tzinfo=UTC,
            )
        except ValueError:
            pass
    raise _incomplete(
        f"Date must be in ISO-8601 'basic format'. Got '{_echo(value)}'. See http://en.wikipedia.org/wiki/ISO_8601",
        presigned,
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    digits = value.removeprefix("-")
    if not digits.isascii() or not digits.isdigit():
        raise _incomplete("X-Amz-Expires should be a number", presigned=True)
    if value.startswith("-"):
        raise _incomplete("X-Amz-Expires must be non-negative", presigned=True)
    # Length first: int() of a huge digit string is slow (and refused past 4300 digits).
    seconds = int(digits) if len(digits) <= 7 else MAX_PRESIGNED_EXPIRES + 1
    if seconds < 1:
        raise _incomplete("X-Amz-Expires must be at least 1", presigned=True)
    if seconds > MAX_PRESIGNED_EXPIRES:
        raise _incomplete(
            f"X-Amz-Expires must be less than a week (in seconds) that is; {MAX_PRESIGNED_EXPIRES}", presigned=True
        )
    return seconds


def _query_auth_params(query_string: str) -> dict[str, str]:
    """The X-Amz-* parameters when the query string carries SigV4 auth; empty when it carries none."""
    if "X-Amz" not in query_string and "%" not in query_string:
        return {}
    params: dict[str, str] = {}
    for item in query_string.split("&"):
        raw_name, _, raw_value = item.partition("=")
        name = _decoded(raw_name)
        if not name.startswith("X-Amz-"):
            continue
        if name in params:
            raise _incomplete(f"Query-string parameter '{_echo(name)}' must appear only once.", presigned=True)
        params[name] = _decoded(raw_value)
    return params if any(name in params for name in _QUERY_AUTH_PARAMS) else {}


def _decoded(component: str) -> str:
    return unquote_to_bytes(component.replace("+", " ")).decode("utf-8", "replace")


def _echo(text: str) -> str:
    return text if len(text) <= _ECHO_LIMIT else text[:_ECHO_LIMIT] + "..."


def _incomplete(message: str, presigned: bool = False) -> AuthFailure:
    return AuthFailure(AuthFailureKind.INCOMPLETE_SIGNATURE, message, presigned=presigned)
