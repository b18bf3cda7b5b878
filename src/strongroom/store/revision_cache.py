"""A per-process cache whose entries hold for one value of a store cache revision.

Readers pass the revision they read before reading the store (see `CacheRevision`); an entry
filed under an older revision is never returned, and the first reader of a newer revision
empties the cache. With no revision (None) nothing is cached.
"""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Generic, TypeVar

from strongroom.lru import CACHES, LRUCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class RevisionCache(Generic[K, V]):
    def __init__(self, capacity: int = 4096) -> None:
        self._entries: LRUCache[K, V] = LRUCache(capacity)
        self._revision: int | None = None
        self._lock = threading.Lock()
        CACHES.add(self)

    def get(self, revision: int | None, key: K) -> V | None:
        if revision is None or revision != self._revision:
            return None
        with self._lock:
            if revision != self._revision:
                return None
            return self._entries.get(key)

    def put(self, revision: int | None, key: K, value: V) -> None:
        if revision is None:
            return
        with self._lock:
            if self._revision is None or revision > self._revision:
                self._entries.clear()
                self._revision = revision
            elif revision < self._revision:
                return  # read before a change this cache has already seen
            self._entries.put(key, value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._revision = None

    def __len__(self) -> int:
        return len(self._entries)
