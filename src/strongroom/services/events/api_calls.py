"""One invocation of an API destination for a queued delivery, and what came of it.

Retried (as EventBridge retries): no answer, timeouts, HTTP 429 and 5xx, and 401/407 from an OAuth
endpoint (after dropping the token so a fresh one is fetched). Other 4xx answers are not retried.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from strongroom.services.events.connections import AUTHORIZED, open_auth, secrets_locator
from strongroom.services.events.http_calls import (
    USER_AGENT,
    Token,
    connection_http_parameters,
    fetch_oauth_token,
    send,
    static_auth_header,
    with_query,
)
from strongroom.services.events.plugin import aware
from strongroom.services.events.tables import EventApiDestination, EventConnection, EventDelivery
from strongroom.services.events.transform import read_path

if TYPE_CHECKING:
    from strongroom.runtime import Runtime

# A token without expires_in is used this long before it is fetched again.
DEFAULT_TOKEN_SECONDS = 3600
_BODY_METHODS = ("POST", "PUT", "PATCH")


@dataclass(frozen=True)
class Outcome:
    delivered: bool = False
    retryable: bool = False
    deferred: bool = False  # not attempted (rate limit): try again soon, no attempt counted
    code: str = ""
    message: str = ""


DELIVERED = Outcome(delivered=True)


class RateLimiter:
    """Per-process token buckets, one per API destination, refilled at its InvocationRateLimitPerSecond."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str, rate: int) -> bool:
        with self._lock:
            now = time.monotonic()
            tokens, at = self._buckets.get(key, (float(rate), now))
            tokens = min(float(rate), tokens + (now - at) * rate)
            if tokens < 1:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1, now)
            return True


rate_limiter = RateLimiter()


def _load(runtime: Runtime, target_arn: str) -> tuple[EventApiDestination | None, EventConnection | None]:
    with runtime.database.session() as session:
        destination = session.scalar(select(EventApiDestination).where(EventApiDestination.arn == target_arn))
        if destination is None:
            return None, None
        connection = session.scalar(select(EventConnection).where(
            EventConnection.arn == destination.connection_arn))
        return destination, connection


def bearer_token(runtime: Runtime, connection: EventConnection, auth: dict[str, Any]) -> str | Outcome:
    """A usable OAuth token: the stored one while valid, else a fresh one (stored sealed)."""
    now = runtime.clock.now()
    locator = secrets_locator(connection.arn) + "/token"
    if connection.sealed_token is not None and connection.token_expires_at is not None \
            and aware(connection.token_expires_at) > now:
        return runtime.barrier.open(connection.sealed_token, locator).decode()
    fetched = fetch_oauth_token(auth)
    with runtime.database.session(writes=True) as session:
        row = session.get(EventConnection, (connection.account_id, connection.region, connection.name))
        if row is None:
            return Outcome(code="NO_RESOURCE", message="The connection no longer exists.")
        if isinstance(fetched, str):
            row.state_reason = fetched
            return Outcome(retryable=True, code="THIRD_PARTY_FAILURE", message=fetched)
        assert isinstance(fetched, Token)
        row.sealed_token = runtime.barrier.seal(fetched.access_token.encode(), locator)
        row.token_expires_at = now + timedelta(seconds=fetched.expires_in or DEFAULT_TOKEN_SECONDS)
        row.state, row.state_reason, row.authorized_at = AUTHORIZED, None, now
    return fetched.access_token


def _forget_token(runtime: Runtime, connection: EventConnection) -> None:
    with runtime.database.session(writes=True) as session:
        row = session.get(EventConnection, (connection.account_id, connection.region, connection.name))
        if row is not None:
            row.sealed_token, row.token_expires_at = None, None


def _dynamic(value: str, event: dict[str, Any]) -> str:
    """Target HttpParameters values may be JSON paths into the original event."""
    if not value.startswith("$."):
        return value
    found = read_path(event, value)
    return found if isinstance(found, str) else json.dumps(found)


def call_api_destination(runtime: Runtime, delivery: EventDelivery) -> Outcome:
    destination, connection = _load(runtime, delivery.target_arn)
    if destination is None or connection is None:
        return Outcome(code="NO_RESOURCE", message="The API destination or its connection does not exist.")
    auth = open_auth(runtime, connection)
    if auth is None:
        return Outcome(code="NO_PERMISSIONS", message=f"Connection {connection.name} is deauthorized.")
    if not rate_limiter.take(destination.arn, destination.rate_limit or 300):
        return Outcome(deferred=True)
    event: dict[str, Any] = json.loads(delivery.event)
    http = json.loads(delivery.options).get("HttpParameters") or {}
    headers, query, body_parameters = connection_http_parameters(auth)
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": USER_AGENT, **headers}
    headers.update({key: _dynamic(value, event) for key, value in (http.get("HeaderParameters") or {}).items()})
    query.update({key: _dynamic(value, event) for key, value in (http.get("QueryStringParameters") or {}).items()})
    static = static_auth_header(auth)
    if static is not None:
        headers[static[0]] = static[1]
    else:
        token = bearer_token(runtime, connection, auth)
        if isinstance(token, Outcome):
            return token
        headers["Authorization"] = f"Bearer {token}"
    url = destination.endpoint
    for value in http.get("PathParameterValues") or []:
        url = url.replace("*", _dynamic(value, event), 1)
    body: bytes | None = None
    if destination.http_method in _BODY_METHODS:
        payload = delivery.payload
        if body_parameters:
            try:
                document = json.loads(payload)
            except ValueError:
                document = None
            if isinstance(document, dict):
                payload = json.dumps({**document, **body_parameters})
        body = payload.encode()
    result = send(destination.http_method, with_query(url, query), headers, body)
    if result.status is not None and 200 <= result.status < 300:
        return DELIVERED
    if result.status is None:
        return Outcome(retryable=True, code="TIMEOUT" if "timed out" in result.error else "THIRD_PARTY_FAILURE",
                       message=result.error)
    message = f"The endpoint answered HTTP {result.status}."
    if result.status in (401, 407) and static is None:
        _forget_token(runtime, connection)
        return Outcome(retryable=True, code="NO_PERMISSIONS", message=message)
    if result.status == 429:
        return Outcome(retryable=True, code="THROTTLING", message=message)
    return Outcome(retryable=result.status >= 500, code="THIRD_PARTY_FAILURE", message=message)
