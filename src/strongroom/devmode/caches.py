"""Dropping what a worker keeps in memory of the store, once a reset has wiped the store under it."""

from __future__ import annotations

from sqlalchemy import select

from strongroom.runtime import Runtime
from strongroom.services.kms.store import material_cache
from strongroom.services.kms.tables import KmsKey


def forget_cached_state(runtime: Runtime) -> None:
    """After a reset (by this worker or another): no cached key, credential, session, policy, decision or
    clock offset outlives it."""
    runtime.caches.clear()
    runtime.load_clock_offset()


def forget_kms_material(runtime: Runtime) -> None:
    """Drop this process's unsealed material of every key in the store (before the store is wiped).

    Other workers keep theirs until it ages out of their bounded cache: it is unreachable, since
    cache entries are named by random key and material ids, and every use reads the key first.
    """
    with runtime.database.session() as session:
        keys = session.execute(select(KmsKey.account_id, KmsKey.region, KmsKey.key_id)).all()
    for account_id, region, key_id in keys:
        material_cache.forget_key(account_id, region, key_id)
