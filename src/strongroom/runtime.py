"""The server's shared machinery in one place: settings, store, barrier, credentials, clock, audit, services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import select

from strongroom.audit.writer import AuditWriter
from strongroom.auth.credentials import CredentialStore
from strongroom.barrier import Barrier, open_barrier
from strongroom.clock import Clock
from strongroom.lru import CACHES, Caches
from strongroom.services.base import Service
from strongroom.services.registry import load_services
from strongroom.settings import Settings
from strongroom.store.db import Database
from strongroom.store.tables import ServerState
from strongroom.wire.routing import ServiceRouter

CLOCK_OFFSET = "clock_offset_seconds"


@dataclass
class Runtime:
    settings: Settings
    database: Database
    barrier: Barrier
    credentials: CredentialStore
    clock: Clock
    audit: AuditWriter
    services: dict[str, Service]
    router: ServiceRouter
    # Every per-process cache of the store's state (strongroom.lru): `caches.clear()` forgets them all.
    caches: Caches = field(default_factory=lambda: CACHES)

    @classmethod
    def open(cls, settings: Settings) -> Runtime:
        """Connect to an already prepared data dir and database (see `strongroom.server.prepare`)."""
        database = Database(settings.database_url)
        barrier = open_barrier(database, settings.data_dir, settings.root_key_file)
        services = load_services()
        runtime = cls(
            settings=settings,
            database=database,
            barrier=barrier,
            credentials=CredentialStore(database, barrier),
            clock=Clock(),
            audit=AuditWriter(database, take_turns=settings.workers > 1),
            services=services,
            router=ServiceRouter(plugin.model for plugin in services.values()),
        )
        runtime.load_clock_offset()
        return runtime

    def load_clock_offset(self) -> None:
        """Business time is shared by every worker and node: its offset lives in the store."""
        with self.database.session() as session:
            row = session.scalar(select(ServerState).where(ServerState.name == CLOCK_OFFSET))
        self.clock.set_offset(timedelta(seconds=float(row.value)) if row else timedelta(0))
