"""The per-worker KMS caches without a server: key facts filed by cache revision, unsealed material by key."""

from __future__ import annotations

import datetime

from strongroom.services.kms.key_cache import KeyCache, KeyFacts
from strongroom.services.kms.store import MaterialCache
from strongroom.services.kms.tables import KmsKey

ACCOUNT, REGION = "111122223333", "us-east-1"


def facts(key_id: str, description: str = "") -> KeyFacts:
    key = KmsKey(
        account_id=ACCOUNT, region=REGION, key_id=key_id, arn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}",
        key_spec="SYMMETRIC_DEFAULT", key_usage="ENCRYPT_DECRYPT", origin="AWS_KMS", key_manager="CUSTOMER",
        description=description, state="Enabled", multi_region=False, policy="{}",
        created_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC),
    )
    return KeyFacts(key, {}, [])


def name(key_id: str) -> tuple[str, str, str]:
    return ACCOUNT, REGION, key_id


def test_facts_are_served_for_the_revision_they_were_loaded_under() -> None:
    cache = KeyCache()
    assert cache.key(1, name("k1")) is None
    loaded = facts("k1")
    cache.put(1, loaded, alias=name("alias/one"))
    assert cache.key(1, name("k1")) is loaded
    assert cache.alias(1, name("alias/one")) == "k1"
    # A moved revision drops everything held.
    assert cache.key(2, name("k1")) is None
    assert cache.alias(2, name("alias/one")) is None


def test_facts_loaded_under_another_revision_are_not_kept() -> None:
    cache = KeyCache()
    assert cache.key(2, name("k1")) is None
    cache.put(1, facts("k1"))  # read before a change this cache has already seen
    assert cache.key(2, name("k1")) is None
    cache.put(3, facts("k1"))  # a revision not yet seen
    assert cache.key(2, name("k1")) is None


def test_a_reader_of_an_older_revision_never_sees_newer_generations_entries() -> None:
    cache = KeyCache()
    assert cache.key(1, name("k1")) is None
    held = cache._at(1)  # what a reader of revision 1 holds while another request moves the revision
    assert cache.key(2, name("k1")) is None
    cache.put(2, facts("k1", "loaded under 2"))
    assert held.keys.get(name("k1")) is None
    assert cache.key(1, name("k1")) is None  # revision 1 again: a fresh, empty generation


def test_least_recently_used_facts_go_first() -> None:
    cache = KeyCache(capacity=2)
    assert cache.key(1, name("k1")) is None
    for key_id in ("k1", "k2"):
        cache.put(1, facts(key_id))
    assert cache.key(1, name("k1")) is not None  # k1 is now the most recently used
    cache.put(1, facts("k3"))
    assert cache.key(1, name("k2")) is None
    assert cache.key(1, name("k1")) is not None
    assert cache.key(1, name("k3")) is not None


def test_material_of_a_key_is_forgotten_with_it() -> None:
    cache = MaterialCache(capacity=3)
    cache.put((ACCOUNT, REGION, "k1", "m1"), b"one")
    cache.put((ACCOUNT, REGION, "k1", "m2"), b"two")
    cache.put((ACCOUNT, REGION, "k2", "m1"), b"three")
    assert cache.get((ACCOUNT, REGION, "k1", "m1")) == b"one"
    cache.forget_key(ACCOUNT, REGION, "k1")
    assert cache.get((ACCOUNT, REGION, "k1", "m1")) is None
    assert cache.get((ACCOUNT, REGION, "k1", "m2")) is None
    assert cache.get((ACCOUNT, REGION, "k2", "m1")) == b"three"


def test_least_recently_used_material_goes_first() -> None:
    cache = MaterialCache(capacity=2)
    cache.put((ACCOUNT, REGION, "k1", "m1"), b"one")
    cache.put((ACCOUNT, REGION, "k2", "m1"), b"two")
    assert cache.get((ACCOUNT, REGION, "k1", "m1")) == b"one"
    cache.put((ACCOUNT, REGION, "k3", "m1"), b"three")
    assert cache.get((ACCOUNT, REGION, "k2", "m1")) is None
    assert cache.get((ACCOUNT, REGION, "k1", "m1")) == b"one"


def test_a_keys_last_use_is_rewritten_after_a_minute_or_for_another_operation() -> None:
    from strongroom.services.kms.last_usage import _RecentWrites

    recent = _RecentWrites()
    start = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)
    second = datetime.timedelta(seconds=1)
    assert recent.due(name("k1"), "Encrypt", start)
    assert not recent.due(name("k1"), "Encrypt", start + 59 * second)
    assert recent.due(name("k2"), "Encrypt", start + 59 * second)
    assert recent.due(name("k1"), "Encrypt", start + 60 * second)
    assert recent.due(name("k1"), "Decrypt", start + 61 * second)
    assert recent.due(name("k1"), "Encrypt", start + 62 * second)
    assert not recent.due(name("k1"), "Encrypt", start + 62 * second + 59 * second)
