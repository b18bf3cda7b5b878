"""NextToken paging over an ordered list: the token is the opaque offset of the next page."""

from __future__ import annotations

import base64
import binascii
from typing import Any, TypeVar

from strongroom.errors import ServiceError

T = TypeVar("T")


def page(
    items: list[T], max_results: int | None, token: str | None, default: int = 100
) -> tuple[list[T], dict[str, Any]]:
    start = 0
    if token is not None:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode().removeprefix("offset:"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ServiceError("InvalidNextTokenException", "The NextToken value is invalid.") from None
        if start < 0:
            raise ServiceError("InvalidNextTokenException", "The NextToken value is invalid.")
    size = max_results or default
    chosen = items[start:start + size]
    paging: dict[str, Any] = {}
    if start + size < len(items):
        paging["NextToken"] = base64.urlsafe_b64encode(f"offset:{start + size}".encode()).decode()
    return chosen, paging
