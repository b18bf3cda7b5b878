"""Helpers shared by the live tests: unique names, and the error a refused call answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError


def unique(prefix: str) -> str:
    """`prefix` made unique, so tests sharing one server never meet each other's resources."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(excinfo: pytest.ExceptionInfo[ClientError]) -> tuple[str, str | None]:
    """The (code, message) of the ClientError caught by `pytest.raises`."""
    error = excinfo.value.response["Error"]
    return error["Code"], error.get("Message")


def refusal(call: Callable[[], Any]) -> tuple[str, str, int]:
    """The (code, message, HTTP status) `call` is refused with (the test fails if it is not refused)."""
    with pytest.raises(ClientError) as raised:
        call()
    response = raised.value.response
    return response["Error"]["Code"], response["Error"]["Message"], response["ResponseMetadata"]["HTTPStatusCode"]
