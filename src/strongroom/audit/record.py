"""CloudTrail event records for API calls, and the `AuditEvent` column values that index them.

A record follows CloudTrail's `AwsApiCall` shape (eventVersion 1.11) as KMS, Secrets Manager, SSM
and STS events show it: no `apiVersion`, `errorCode`/`errorMessage` only on failure,
`responseElements` null for read-only calls and failures, `tlsDetails` left out (plain HTTP).
Request and response values pass through `redact` first, so no secret reaches the record.
"""

from __future__ import annotations

import base64
import os
import time
from datetime import UTC, datetime
from typing import Any

import orjson

from strongroom.audit.redact import redact
from strongroom.auth.principal import Principal, root_arn
from strongroom.context import RequestContext
from strongroom.errors import ServiceError

EVENT_VERSION = "1.11"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A handler may add member paths its model forgets to mark sensitive (see `redact`), as an iterable of
# dotted member names in ctx.extra under this key; they apply to both request and response.
EXTRA_SENSITIVE = "audit.extra_sensitive"


def build_record(
    ctx: RequestContext,
    *,
    event_source: str,
    read_only: bool,
    output: dict[str, Any] | None,
    error: ServiceError | None,
    management: bool = True,
    extra_sensitive: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """One CloudTrail record for the call `ctx` describes, which answered `output` or failed with `error`."""
    declared = ctx.extra.get(EXTRA_SENSITIVE)
    extra = extra_sensitive
    if declared:
        extra = extra | frozenset([declared] if isinstance(declared, str) else declared)
    operation = ctx.operation
    principal = ctx.principal
    record: dict[str, Any] = {
        "eventVersion": EVENT_VERSION,
        "userIdentity": user_identity(principal) if principal is not None else None,
        "eventTime": format_time(ctx.received_at),
        "eventSource": event_source,
        "eventName": operation.name if operation is not None else "",
        "awsRegion": ctx.region,
        "sourceIPAddress": ctx.source_ip,
        "userAgent": ctx.user_agent,
    }
    if error is not None:
        record["errorCode"] = error.code
        if error.message:
            record["errorMessage"] = error.message
    if operation is None:
        record["requestParameters"] = record["responseElements"] = None
    else:
        record["requestParameters"] = redact(operation.input_shape, ctx.params, extra_sensitive=extra)
        record["responseElements"] = (
            None if read_only or error is not None else redact(operation.output_shape, output, extra_sensitive=extra)
        )
    record["requestID"] = ctx.request_id
    record["eventID"] = event_id()
    record["readOnly"] = read_only
    if ctx.resources:
        record["resources"] = [dict(resource) for resource in ctx.resources]
    record["eventType"] = "AwsApiCall"
    record["managementEvent"] = management
    record["recipientAccountId"] = principal.account_id if principal is not None else ""
    record["eventCategory"] = "Management" if management else "Data"
    return record


def user_identity(principal: Principal) -> dict[str, Any]:
    """CloudTrail's `userIdentity` for a Root, IAMUser or AssumedRole caller."""
    account = principal.account_id
    if principal.type == "Root":
        return {
            "type": "Root",
            "principalId": account,
            "arn": root_arn(account),
            "accountId": account,
            "accessKeyId": principal.access_key_id,
        }
    identity: dict[str, Any] = {
        "type": principal.type,
        "principalId": principal.user_id,
        "arn": principal.arn,
        "accountId": account,
        "accessKeyId": principal.access_key_id,
    }
    if principal.type == "AssumedRole":
        identity["sessionContext"] = _session_context(principal)
    elif principal.user_name is not None:
        identity["userName"] = principal.user_name
    return identity


def _session_context(principal: Principal) -> dict[str, Any]:
    """The role behind an assumed-role session, read from its ARN `arn:aws:sts::A:assumed-role/R/S`.

    The role's path is not in the session ARN; a principal that knows its role ARN and session
    creation time (attributes `role_arn`, `session_created_at`) supplies them instead.
    """
    account = principal.account_id
    role_name = principal.arn.split(":", 5)[-1].split("/")[1] if "/" in principal.arn else ""
    role_arn = getattr(principal, "role_arn", None)
    issuer = {
        "type": "Role",
        "principalId": principal.user_id.split(":", 1)[0],
        "arn": role_arn if isinstance(role_arn, str) else f"arn:aws:iam::{account}:role/{role_name}",
        "accountId": account,
        "userName": role_name,
    }
    attributes: dict[str, str] = {}
    created = getattr(principal, "session_created_at", None)
    if isinstance(created, datetime):
        attributes["creationDate"] = format_time(created)
    attributes["mfaAuthenticated"] = "false"
    return {"sessionIssuer": issuer, "attributes": attributes}


def format_time(when: datetime) -> str:
    """UTC in CloudTrail's `YYYY-MM-DDThh:mm:ssZ`."""
    global _last_formatted
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    elif when.tzinfo is not UTC:
        when = when.astimezone(UTC)
    # Records made in the same second share their text, and formatting it costs ten times more than
    # this comparison. Safe to share: the text is fully determined by the key.
    second = (when.second, when.minute, when.hour, when.day, when.month, when.year)
    last = _last_formatted
    if last[0] == second:
        return last[1]
    # TIME_FORMAT without strftime, which costs more than the rest of this function.
    text = f"{when.year:04d}-{when.month:02d}-{when.day:02d}T{when.hour:02d}:{when.minute:02d}:{when.second:02d}Z"
    _last_formatted = (second, text)  # one assignment: threads see either the old pair or the new one
    return text


_last_formatted: tuple[tuple[int, ...], str] = ((), "")


def random_uuid() -> str:
    """A random (version 4) UUID string, as `str(uuid.uuid4())` makes it at a fraction of the cost.

    Made `_UUID_BATCH` at a time from one `os.urandom` read; each is handed out once (`list.pop` is
    atomic), and a forked child drops what its parent made, so no two processes share one.
    """
    try:
        return _uuids.pop()
    except IndexError:
        pass
    raw = bytearray(os.urandom(16 * _UUID_BATCH))
    raw[6::16] = raw[6::16].translate(_VERSION_4)
    raw[8::16] = raw[8::16].translate(_RFC_4122_VARIANT)
    # All laid out at once: each hex digit position of every UUID moved in one slice assignment.
    digits = raw.hex().encode()
    text = bytearray(_UUID_BLANKS)
    for source, target in _DIGIT_PLACES:
        text[target::37] = digits[source::32]
    made = text.decode().split()
    mine = made.pop()
    _uuids.extend(made)
    return mine


_UUID_BATCH = 64

# "--------…- " per UUID; the 32 digits of a UUID's hex go around the dashes at 8, 13, 18 and 23.
_UUID_BLANKS = b"".join([b"-" * 36 + b" "] * _UUID_BATCH)
_DIGIT_PLACES = [(digit, digit + sum(digit >= start for start in (8, 12, 16, 20))) for digit in range(32)]
# Byte translations setting a UUID's version and variant bits.
_VERSION_4 = bytes(byte & 0x0F | 0x40 for byte in range(256))
_RFC_4122_VARIANT = bytes(byte & 0x3F | 0x80 for byte in range(256))
_uuids: list[str] = []
os.register_at_fork(after_in_child=_uuids.clear)


def event_id() -> str:
    """A new event's id: a version 7 UUID (RFC 9562), the Unix time in milliseconds followed by the
    random bits of a `random_uuid`. Ids made later sort later, so the store's unique index on them
    grows at its end, as the events table does, instead of taking a write to a random page of the
    index for every record (which doubled what a batch of records wrote to SQLite's WAL). The time
    it shows is the record's own eventTime, give or take the clock."""
    stamp = f"{time.time_ns() // 1_000_000:012x}"
    return f"{stamp[:8]}-{stamp[8:]}-7{random_uuid()[15:]}"


def row_for(record: dict[str, Any]) -> dict[str, Any]:
    """The `AuditEvent` column values for `record`."""
    identity = record.get("userIdentity") or {}
    return {
        "event_id": record["eventID"],
        # fromisoformat reads the trailing "Z" as UTC, and is far cheaper than strptime.
        "event_time": datetime.fromisoformat(record["eventTime"]),
        "account_id": record["recipientAccountId"],
        "region": record["awsRegion"],
        "event_source": record["eventSource"],
        "event_name": record["eventName"],
        "read_only": bool(record["readOnly"]),
        "username": lookup_username(identity),
        "access_key_id": identity.get("accessKeyId"),
        "error_code": record.get("errorCode"),
        "record": record_text(record),
    }


def record_text(record: dict[str, Any]) -> str:
    """`record` as the JSON text the store keeps. Never fails: a record orjson cannot write as it
    is (see `representable`) is first made representable, in place, so the record its listeners
    receive afterwards is the one stored."""
    try:
        return orjson.dumps(record).decode()
    except orjson.JSONEncodeError:
        for key, value in record.items():
            record[key] = representable(value)
        return orjson.dumps(record).decode()


# orjson writes integers in [-2**63, 2**64 - 1]; past that a number is kept as its digits.
_LOWEST_INT, _HIGHEST_INT = -(2**63), 2**64 - 1


def representable(value: Any) -> Any:
    """`value` with everything JSON (or orjson) cannot hold replaced by text that shows it:

    - integers past 64 bits become their decimal digits as a string;
    - bytes become their base64 text (how the wire carries a blob);
    - strings with lone surrogates (no UTF-8 form) keep them as `\\udXXX` escapes;
    - keys that are not strings become their text; tuples and sets become lists; anything else
      unknown becomes its `str()`.
    """
    if value is None or value is True or value is False:
        return value
    if isinstance(value, str):
        try:
            value.encode()
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode()
        return value
    if isinstance(value, int):
        return value if _LOWEST_INT <= value <= _HIGHEST_INT else str(value)
    if isinstance(value, float | datetime):
        return value  # orjson writes both (NaN and the infinities as null: JSON has no such numbers)
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {_key_text(key): representable(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [representable(item) for item in value]
    return representable(str(value))


def _key_text(key: Any) -> str:
    text = representable(key)
    return text if isinstance(text, str) else orjson.dumps(text).decode()


def lookup_username(identity: dict[str, Any]) -> str | None:
    """The name LookupEvents shows: "root", the IAM user name, or an assumed role's session name."""
    kind = identity.get("type")
    if kind == "Root":
        return "root"
    if kind == "AssumedRole":
        arn = str(identity.get("arn", ""))
        return arn.rsplit("/", 1)[-1] if "/" in arn else None
    name = identity.get("userName")
    return str(name) if name is not None else None
