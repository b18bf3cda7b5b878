"""The barrier's errors: one opaque error for anything sealed, and clear ones for root key problems."""

from __future__ import annotations


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
