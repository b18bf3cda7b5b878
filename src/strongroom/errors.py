"""The one error type every layer raises: an AWS error with its code, message and HTTP status.

Services raise the error codes their botocore model declares; the wire layer fills in the HTTP
status (and, for the query protocol, the wire code) from the model when `status` is left as None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ServiceError(Exception):
    """An AWS error answered to the client: `code` is the modeled error shape's name."""

    def __init__(
        self,
        code: str,
        message: str | None = "",
        *,
        status: int | None = None,
        sender_fault: bool = True,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        keeps_changes: bool = False,
    ) -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        # None means "no message member at all" (AWS sends none for some errors).
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields: dict[str, Any] = dict(fields or {})
        self.headers: dict[str, str] = dict(headers or {})
        # The rare AWS error that answers a call whose change still stands (e.g. RotateSecret
        # reattempting an unfinished rotation): the change commits with the error's audit record.
        # Any other error rolls back everything the call changed.
        self.keeps_changes = keeps_changes

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r}, status={self.status!r})"


class InternalFailure(ServiceError):
    """The server failed; the client sees no detail of why."""

    def __init__(self) -> None:
        super().__init__(
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
            status=500,
            sender_fault=False,
        )


class NotImplementedOperation(ServiceError):
    """An operation in the model that Strongroom does not serve yet."""

    def __init__(self, service: str, operation: str) -> None:
        super().__init__(
            "NotImplemented",
            f"The operation {operation} of service {service} is not implemented by Strongroom.",
            status=501,
            sender_fault=False,
        )
