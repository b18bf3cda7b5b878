"""Helpers shared by the request parsers: scalar conversion from wire text, timestamps, plan caching.

Converters raise `MalformedInput`; each protocol turns that into its own AWS error code, so the
scalar rules live here once.
"""

from __future__ import annotations

import binascii
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from botocore.model import Shape

TextConverter = Callable[[str], Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class MalformedInput(ValueError):
    """A request value the parser cannot read; the message is short and never echoes the value."""


def wire_name(member: Shape, default: str) -> str:
    """The name a member travels under (its locationName), else `default`."""
    return str(member.serialization.get("name", default))


def plan_key(shape: Shape) -> str:
    """Cache key for a shape's parse plan: its name plus the traits its member reference adds."""
    if not shape.serialization:
        return str(shape.name)
    return f"{shape.name}|{sorted(shape.serialization.items())!r}"


def timestamp_from_epoch(seconds: float) -> datetime:
    """An epoch-seconds number as an aware UTC datetime (microseconds rounded, not truncated)."""
    try:
        if isinstance(seconds, int):
            return _EPOCH + timedelta(seconds=seconds)
        return _EPOCH + timedelta(microseconds=round(seconds * 1_000_000))
    except (OverflowError, ValueError) as exc:
        raise MalformedInput("timestamp out of range") from exc


def timestamp_from_text(text: str) -> datetime:
    """A timestamp in any format AWS accepts on input: ISO 8601, epoch seconds or an HTTP date."""
    text = text.strip()
    if not text:
        raise MalformedInput("empty timestamp")
    if text[0].isdigit() and ("-" in text or ":" in text):
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    try:
        return timestamp_from_epoch(float(text) if "." in text or "e" in text.lower() else int(text))
    except ValueError:
        pass
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise MalformedInput("invalid timestamp") from exc
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def boolean_from_text(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    raise MalformedInput("invalid boolean")


def integer_from_text(text: str) -> int:
    try:
        return int(text)
    except ValueError as exc:
        raise MalformedInput("invalid integer") from exc


def float_from_text(text: str) -> float:
    try:
        return float(text)
    except ValueError as exc:
        raise MalformedInput("invalid number") from exc


def blob_from_base64(text: str) -> bytes:
    # What base64.b64decode(text, validate=True) does, without its Python-level wrapper.
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MalformedInput("invalid base64") from exc


def _text(text: str) -> str:
    return text


_TEXT_CONVERTERS: dict[str, TextConverter] = {
    "string": _text,
    "boolean": boolean_from_text,
    "integer": integer_from_text,
    "long": integer_from_text,
    "float": float_from_text,
    "double": float_from_text,
    "blob": blob_from_base64,
    "timestamp": timestamp_from_text,
}


def text_converter(shape: Shape) -> TextConverter:
    """How a scalar of `shape` is read from its wire text (query, XML, URI, header, query string)."""
    try:
        return _TEXT_CONVERTERS[shape.type_name]
    except KeyError:
        raise TypeError(f"{shape.type_name} is not a scalar shape") from None
