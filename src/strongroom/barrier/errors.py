"""The barrier's errors: one opaque error for anything sealed, and clear ones for root key problems."""

from __future__ import annotations

from strongroom.errors import ServiceError

TAMPERED_TEXT = (
    "A stored value this request needs failed its integrity check: the store was changed outside Strongroom. "
    "The operator has been told."
)


class BarrierError(Exception):
    """A sealed value could not be opened (or sealed).

    Deliberately says nothing about why: a wrong key, a wrong locator, a tampered byte and a truncated
    value must look the same to whoever made the attempt.
    """

    def __init__(self) -> None:
        super().__init__("the sealed value cannot be opened")


class RootKeyError(Exception):
    """The root key is missing, unsafe, malformed, or not the one that sealed this store's keyring.

    Its message names the file or variable and what is wrong, never the key itself.
    """


class TamperedRecord(BarrierError, ServiceError):
    """A value sealed in the store did not open for the record that holds it: the row was changed,
    moved to another record, or its bytes altered, outside Strongroom (only the root key seals).

    Answered as a server failure that says so; `record` (the locator, never the secret) is for the log.
    """

    def __init__(self, record: str) -> None:
        ServiceError.__init__(self, "InternalFailure", TAMPERED_TEXT, status=500, sender_fault=False)
        self.record = record
