"""The process's caches: one bounded, least-recently-used map type, and one call that empties them all.

Every per-process cache of the store's state (key facts and material, identity and policy documents,
decisions, read caches, rule lookups) is an `LRUCache`; what decides whether an entry still holds
(cache revisions, expiry times) is the owner's, kept in the values or around the cache. Each cache is
known to the process's `CACHES`, so a reset empties them all at once (`Runtime.clear_caches`).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from typing import Generic, Protocol, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRUCache(Generic[K, V]):
    """At most `capacity` entries, the least recently used dropped first.

    Reads take no lock (a dict read and move_to_end are each atomic under the GIL, and an entry a writer
    evicts in between is simply not moved), so that hits cost no lock; writes take the cache's lock.
    """

    __slots__ = ("__weakref__", "_capacity", "_entries", "_lock")

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()
        CACHES.add(self)

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            try:  # noqa: SIM105 - contextlib.suppress costs a context manager on every hit
                self._entries.move_to_end(key)
            except KeyError:
                pass
        return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            entries = self._entries
            entries[key] = value
            entries.move_to_end(key)
            while len(entries) > self._capacity:
                entries.popitem(last=False)

    def pop(self, key: K) -> V | None:
        with self._lock:
            return self._entries.pop(key, None)

    def discard_where(self, drop: Callable[[K, V], bool]) -> None:
        """Drop every entry for which `drop(key, value)` holds."""
        with self._lock:
            # A snapshot: a lock-free get may reorder the dict while this runs.
            for key, value in list(self._entries.items()):
                if drop(key, value):
                    self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[K]:
        """The keys, least recently used first (a snapshot)."""
        with self._lock:
            return iter(list(self._entries))


class Clearable(Protocol):
    def clear(self) -> None: ...


class Caches:
    """Every cache of the process: each `LRUCache`, and the caches built on them that keep more state
    (a revision) to forget. Weakly held: a cache goes with its owner."""

    def __init__(self) -> None:
        self._caches: weakref.WeakSet[Clearable] = weakref.WeakSet()
        self._lock = threading.Lock()

    def add(self, cache: Clearable) -> None:
        with self._lock:
            self._caches.add(cache)

    def clear(self) -> None:
        """Empty every cache: what the process remembers of the store is forgotten."""
        with self._lock:
            caches = list(self._caches)
        for cache in caches:
            cache.clear()

    def __len__(self) -> int:
        return len(self._caches)


CACHES = Caches()
