"""The error a policy document raises when it cannot be accepted."""

from __future__ import annotations


class MalformedPolicy(ValueError):
    """A policy AWS would reject; `reason` is AWS's own text for the problem.

    `limit_exceeded` marks a document that is well formed but too large: IAM answers those with
    LimitExceeded rather than MalformedPolicyDocument, so callers map the two differently.
    """

    def __init__(self, reason: str, *, limit_exceeded: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.limit_exceeded = limit_exceeded
