"""Least-recently-used bookkeeping on an OrderedDict (oldest use first), shared by the per-process caches."""

from __future__ import annotations

from collections import OrderedDict
from typing import TypeVar

K = TypeVar("K")
V = TypeVar("V")


def remember(entries: OrderedDict[K, V], key: K, value: V, capacity: int) -> None:
    """Keep `value` under `key` as just used, dropping the least recently used entries beyond
    `capacity`. The caller holds its cache's lock."""
    entries[key] = value
    entries.move_to_end(key)
    while len(entries) > capacity:
        entries.popitem(last=False)


def touch(entries: OrderedDict[K, V], key: K) -> None:
    """Mark `key` as just used, unless a writer has just evicted it; needs no lock (move_to_end is atomic
    under the GIL), so that cache hits take none."""
    try:  # noqa: SIM105 - contextlib.suppress costs a context manager on every cache hit
        entries.move_to_end(key)
    except KeyError:
        pass
