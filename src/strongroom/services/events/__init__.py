"""Amazon EventBridge: event buses and their policies, rules (event patterns and schedules), targets
that really deliver (API destinations over HTTP, other event buses), connections, PutEvents, and
`emit` for Strongroom's own services' events.

Everything is scoped per (account, region). Importing the operation modules registers their handlers
and tasks on the plugin.
"""

from __future__ import annotations

from strongroom.services.events import (
    api_destinations,
    buses,
    connections,
    put_events,
    rules,
    tags,
    targets,
    tasks,
)
from strongroom.services.events.emit import ApiCallEvents
from strongroom.services.events.plugin import service

service.audit_listener = ApiCallEvents()

__all__ = [
    "api_destinations",
    "buses",
    "connections",
    "put_events",
    "rules",
    "service",
    "tags",
    "targets",
    "tasks",
]
