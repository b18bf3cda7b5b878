"""RevisionCache: entries hold for one revision only."""

from __future__ import annotations

from strongroom.store.revision_cache import RevisionCache


def test_an_entry_is_returned_only_for_its_revision() -> None:
    cache: RevisionCache[str, int] = RevisionCache()
    cache.put(3, "a", 1)
    assert cache.get(3, "a") == 1
    assert cache.get(4, "a") is None
    assert cache.get(2, "a") is None


def test_a_newer_revision_empties_the_cache() -> None:
    cache: RevisionCache[str, int] = RevisionCache()
    cache.put(3, "a", 1)
    cache.put(4, "b", 2)
    assert cache.get(4, "a") is None
    assert cache.get(4, "b") == 2


def test_what_was_read_before_a_seen_change_is_not_kept() -> None:
    cache: RevisionCache[str, int] = RevisionCache()
    cache.put(4, "b", 2)
    cache.put(3, "a", 1)
    assert cache.get(3, "a") is None
    assert len(cache) == 1


def test_no_revision_caches_nothing() -> None:
    cache: RevisionCache[str, int] = RevisionCache()
    cache.put(None, "a", 1)
    assert cache.get(None, "a") is None
    assert len(cache) == 0


def test_the_cache_is_bounded_least_recently_used_first() -> None:
    cache: RevisionCache[str, int] = RevisionCache(capacity=2)
    cache.put(1, "a", 1)
    cache.put(1, "b", 2)
    assert cache.get(1, "a") == 1
    cache.put(1, "c", 3)
    assert cache.get(1, "b") is None
    assert cache.get(1, "a") == 1 and cache.get(1, "c") == 3
