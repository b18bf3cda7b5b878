"""Decisions remembered for requests whose evaluation read nothing of the request's context.

The engine's decision is a pure function of the request's principal, action, resource and owner,
the policies weighed, and — only through Condition elements and policy variables — the condition
keys. When an evaluation never read the condition keys (`AuthorizationRequest.read_context` is
False), the same principal, action, resource and policies get the same decision whatever the
request's context, so it can be reused. Policies are compared by identity: compiled documents are
immutable and shared (a changed policy is a new document), and each entry keeps the documents it
was decided on alive, so their ids cannot be taken by other objects while the entry exists.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Sequence

from strongroom.auth.policy import Decision, PolicyDocument

# Enough for every principal x action x key of a busy server; past it the cache starts over.
CAPACITY = 8192

DecisionKey = tuple[Hashable, ...]


def documents_key(documents: Sequence[PolicyDocument] | PolicyDocument | None) -> Hashable:
    if documents is None:
        return None
    if isinstance(documents, PolicyDocument):
        return id(documents)
    return tuple(id(document) for document in documents)


class DecisionCache:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self._capacity = capacity
        self._entries: dict[DecisionKey, tuple[Decision, object]] = {}
        self._lock = threading.Lock()

    def get(self, key: DecisionKey) -> Decision | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[0]

    def put(self, key: DecisionKey, decision: Decision, documents: object) -> None:
        """Remember `decision`; `documents` holds every policy document whose id is in `key`."""
        with self._lock:
            if len(self._entries) >= self._capacity:
                self._entries.clear()
            self._entries[key] = (decision, documents)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


decisions = DecisionCache()
