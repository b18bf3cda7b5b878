"""The process's caches are one LRU type, and one `clear()` (the runtime's, on a reset) empties them all."""

from __future__ import annotations

import threading

from strongroom.auth.authorize import _identities
from strongroom.auth.decisions import decisions
from strongroom.lru import CACHES, Caches, LRUCache
from strongroom.runtime import Runtime
from strongroom.services.events.routing import rule_cache
from strongroom.services.iam import identity
from strongroom.services.kms.store import material_cache
from strongroom.services.secretsmanager import read_cache as secret_reads
from strongroom.services.ssm import read_cache as parameter_reads
from strongroom.store.revision_cache import RevisionCache


def test_least_recently_used_entries_leave_first() -> None:
    cache: LRUCache[str, int] = LRUCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert cache.get("b") is None
    assert (cache.get("a"), cache.get("c"), len(cache)) == (1, 3, 2)
    assert list(cache) == ["a", "c"]


def test_pop_and_discard_where() -> None:
    cache: LRUCache[tuple[str, int], str] = LRUCache(10)
    for number in range(4):
        cache.put(("k", number), str(number))
    assert cache.pop(("k", 0)) == "0" and cache.pop(("k", 0)) is None
    cache.discard_where(lambda key, value: key[1] % 2 == 1)
    assert list(cache) == [("k", 2)]


def test_concurrent_readers_and_writers_keep_the_bound() -> None:
    cache: LRUCache[int, int] = LRUCache(50)

    def work(offset: int) -> None:
        for number in range(2000):
            cache.put(offset + number % 200, number)
            cache.get(offset + (number * 7) % 200)

    threads = [threading.Thread(target=work, args=(offset,)) for offset in (0, 100, 1000, 5000)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(cache) <= 50


def test_the_runtime_clears_every_cache_of_the_process() -> None:
    assert Runtime.__dataclass_fields__["caches"].default_factory() is CACHES  # type: ignore[misc]
    revisioned: RevisionCache[str, int] = RevisionCache()
    revisioned.put(7, "a", 1)
    material_cache.put(("1", "r", "k", "m"), b"material")
    identity._documents.put(("doc",), object())  # type: ignore[arg-type]
    decisions._entries.put(("decision",), ((), None))  # type: ignore[arg-type]
    rule_cache._known.put(("1", "r", "default"), (True, 1e18))
    secret_reads.secrets.put(1, ("1", "r", "s"), object())  # type: ignore[arg-type]
    parameter_reads.versions.put(1, ("1", "r", "p"), object())  # type: ignore[arg-type]
    _identities.put(1, ("1", "u", "x"), object())  # type: ignore[arg-type]
    filled = [revisioned, material_cache._entries, identity._documents, decisions, rule_cache._known,
              secret_reads.secrets, parameter_reads.versions, _identities]
    assert all(len(cache) for cache in filled)

    CACHES.clear()
    assert [len(cache) for cache in filled] == [0] * len(filled)
    # A revision cache forgets the revision it had seen too: a store reset starts revisions anew.
    revisioned.put(1, "b", 2)
    assert revisioned.get(1, "b") == 2


def test_a_cache_goes_with_its_owner() -> None:
    caches = Caches()
    cache: LRUCache[str, int] = LRUCache(1)
    caches.add(cache)
    assert len(caches) == 1
    del cache
    assert len(caches) == 0
