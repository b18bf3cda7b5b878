"""Routing: an event put on a bus becomes one queued delivery per target of every enabled rule it matches.

Also a small per-process cache of which (account, region, bus) have any enabled pattern rule, so that
services emitting events where no rule could match them pay no query. It is forgotten on every rule
change in this process and expires after a few seconds, for changes made by other processes.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.lru import LRUCache
from strongroom.services.events.patterns import EventPattern, InvalidEventPattern, parse_event_pattern
from strongroom.services.events.tables import EventDelivery, EventRule, EventTarget
from strongroom.services.events.transform import target_input

ENABLED = "ENABLED"
# A rule in this state also receives read-only "AWS API Call via CloudTrail" events.
ALL_MANAGEMENT_EVENTS = "ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS"
ACTIVE_STATES = (ENABLED, ALL_MANAGEMENT_EVENTS)
DEFAULT_MAX_RETRIES = 185
DEFAULT_MAX_AGE_SECONDS = 86400
RULE_CACHE_SECONDS = 5.0


@lru_cache(maxsize=4096)
def compiled_pattern(text: str) -> EventPattern | None:
    try:
        return parse_event_pattern(text)
    except InvalidEventPattern:
        return None


class RuleCache:
    """Whether a bus has any enabled rule with an event pattern, per process, briefly remembered."""

    def __init__(self, capacity: int = 10_000) -> None:
        self._known: LRUCache[tuple[str, str, str], tuple[bool, float]] = LRUCache(capacity)

    def has_rules(self, account_id: str, region: str, bus_name: str, lookup: Callable[[], Session]) -> bool:
        """The cached answer, or one query in the session `lookup` gives (only called on a miss)."""
        scope = (account_id, region, bus_name)
        known = self._known.get(scope)
        if known is not None and known[1] > time.monotonic():
            return known[0]
        found = lookup().scalar(select(EventRule.name).where(
            EventRule.account_id == account_id, EventRule.region == region, EventRule.bus_name == bus_name,
            EventRule.state.in_(ACTIVE_STATES), EventRule.event_pattern.is_not(None)).limit(1)) is not None
        self._known.put(scope, (found, time.monotonic() + RULE_CACHE_SECONDS))
        return found

    def known(self, account_id: str, region: str, bus_name: str) -> bool | None:
        """The remembered answer without any query; None when not known (or no longer)."""
        known = self._known.get((account_id, region, bus_name))
        return known[0] if known is not None and known[1] > time.monotonic() else None

    def forget(self, account_id: str, region: str, bus_name: str) -> None:
        self._known.pop((account_id, region, bus_name))


rule_cache = RuleCache()


def event_time_text(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def route_event(session: Session, account_id: str, region: str, bus_name: str, event: dict[str, Any],
                now: datetime, *, states: tuple[str, ...] = ACTIVE_STATES) -> list[str]:
    """Queue deliveries of `event` to the targets of every rule in `states` on the bus it matches; their ids."""
    if not rule_cache.has_rules(account_id, region, bus_name, lambda: session):
        return []
    rules = session.scalars(select(EventRule).where(
        EventRule.account_id == account_id, EventRule.region == region, EventRule.bus_name == bus_name,
        EventRule.state.in_(states), EventRule.event_pattern.is_not(None)))
    queued: list[str] = []
    for rule in rules:
        pattern = compiled_pattern(rule.event_pattern or "")
        if pattern is not None and pattern.matches(event):
            queued += queue_for_rule(session, rule, event, now)
    return queued


def queue_for_rule(session: Session, rule: EventRule, event: dict[str, Any], now: datetime) -> list[str]:
    """One delivery per target of `rule`, due now."""
    targets = session.scalars(select(EventTarget).where(
        EventTarget.account_id == rule.account_id, EventTarget.region == rule.region,
        EventTarget.bus_name == rule.bus_name, EventTarget.rule_name == rule.name))
    queued = []
    for target in targets:
        spec = json.loads(target.spec)
        retry = spec.get("RetryPolicy") or {}
        options = {member: spec[member] for member in ("HttpParameters", "DeadLetterConfig") if member in spec}
        payload = target_input(spec, event, rule_arn=rule.arn, rule_name=rule.name,
                               ingestion_time=event_time_text(now))
        delivery = EventDelivery(
            delivery_id=str(uuid.uuid4()), account_id=rule.account_id, region=rule.region, rule_arn=rule.arn,
            target_id=target.target_id, target_arn=target.arn, event_id=str(event.get("id", "")),
            event=json.dumps(event), payload=payload, options=json.dumps(options), attempts=0,
            max_retries=retry.get("MaximumRetryAttempts", DEFAULT_MAX_RETRIES),
            expires_at=now + timedelta(seconds=retry.get("MaximumEventAgeInSeconds", DEFAULT_MAX_AGE_SECONDS)),
            next_attempt_at=now, leased_until=None, last_error=None,
        )
        session.add(delivery)
        queued.append(delivery.delivery_id)
    return queued


def new_event(*, account_id: str, region: str, source: str, detail_type: str, detail: Any,
              resources: list[str], time: datetime) -> dict[str, Any]:
    """An event in EventBridge's envelope."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account_id,
        "time": event_time_text(time),
        "region": region,
        "resources": list(resources),
        "detail": detail,
    }
