"""Scalar values as AWS writes them: timestamps in three formats, base64 blobs, XML text, header values.

Every function here is on the hot path of every response, so each has a fast path for the common case.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def as_utc(value: datetime) -> datetime:
    """`value` in UTC; a naive datetime is taken to be UTC already (the house convention)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def epoch_seconds(value: datetime | float) -> int | float:
    """Seconds since the epoch: an int when whole, else a float (how AWS's JSON protocols send time)."""
    if isinstance(value, datetime):
        # Exact integer arithmetic first, so whole seconds never pick up float noise.
        delta = as_utc(value) - _EPOCH
        seconds = delta.days * 86400 + delta.seconds
        if delta.microseconds:
            return seconds + delta.microseconds / 1_000_000
        return seconds
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def epoch_text(value: datetime | float) -> str:
    return repr(epoch_seconds(value))


def iso8601(value: datetime | float) -> str:
    """ISO 8601 in UTC with a `Z`, fractional seconds only when present (query and XML bodies)."""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, UTC)
    value = as_utc(value)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"
    if value.microsecond:
        return f"{text}.{value.microsecond:06d}".rstrip("0") + "Z"
    return text + "Z"


def rfc822(value: datetime | float) -> str:
    """An HTTP date (`Tue, 01 Aug 2023 12:00:00 GMT`), whole seconds: the format of timestamp headers."""
    if not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, UTC)
    return format_datetime(as_utc(value).replace(microsecond=0), usegmt=True)


TimestampFormatter = Callable[[Any], Any]

TEXT_TIMESTAMP_FORMATS: dict[str, Callable[[Any], str]] = {
    "iso8601": iso8601,
    "rfc822": rfc822,
    "unixTimestamp": epoch_text,
}


def blob_bytes(value: Any) -> bytes:
    """The raw bytes of a blob value; handlers may hand back str (UTF-8) or any bytes-like object."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8")
    if hasattr(value, "read"):
        return blob_bytes(value.read())
    return bytes(value)


def base64_text(value: Any) -> str:
    # base64.b64encode's own call, without its Python-level wrapper.
    data = value if value.__class__ is bytes else blob_bytes(value)
    return binascii.b2a_base64(data, newline=False).decode("ascii")


def float_text(value: float) -> str:
    """A float as XML/header text; non-finite values use the names AWS's protocols define."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(float(value))


def json_float(value: float) -> float | str:
    """JSON has no NaN or Infinity: AWS's JSON protocols send them as these strings."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Infinity" if value > 0 else "-Infinity"
    return value


# Characters XML text cannot hold literally. `\r` must be a reference or parsers turn it into `\n`;
# C0 controls other than tab/LF/CR, lone surrogates and U+FFFE/U+FFFF are not XML 1.0 characters at all
# (not even as references), so they become U+FFFD: the document stays well-formed for every client.
_XML_TEXT_SPECIAL = re.compile("[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_XML_ATTR_SPECIAL = re.compile('[&<>"\r\n\t\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]')
_XML_REPLACEMENTS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "\r": "&#xD;",
    "\n": "&#xA;",
    "\t": "&#x9;",
}


def _xml_replacement(match: re.Match[str]) -> str:
    return _XML_REPLACEMENTS.get(match.group(), "\ufffd")


def xml_text(value: str) -> str:
    """`value` escaped for XML element content."""
    if _XML_TEXT_SPECIAL.search(value) is None:
        return value
    return _XML_TEXT_SPECIAL.sub(_xml_replacement, value)


def xml_attribute(value: str) -> str:
    """`value` escaped for a double-quoted XML attribute (whitespace kept through normalization)."""
    if _XML_ATTR_SPECIAL.search(value) is None:
        return value
    return _XML_ATTR_SPECIAL.sub(_xml_replacement, value)


_HEADER_SAFE = re.compile(r"[\x20-\x7e]*")


def header_text(value: str) -> str:
    """A header value: printable ASCII as is, anything else as an RFC 2047 encoded word (as S3 does).

    HTTP/1.1 headers cannot carry line breaks or (portably) non-ASCII text.
    """
    if _HEADER_SAFE.fullmatch(value) is not None:
        return value
    encoded = base64.b64encode(value.encode("utf-8", "replace")).decode("ascii")
    return f"=?UTF-8?B?{encoded}?="
