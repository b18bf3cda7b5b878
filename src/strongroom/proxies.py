"""Trusted proxies (`strongroom serve --forwarded-allow-ips`): the ASGI middleware that lets a named
proxy's X-Forwarded-For decide the client address that audit records (`sourceIPAddress`) and
`aws:SourceIp` conditions see. Nobody is trusted by default: otherwise any client could choose the
address recorded for it."""

from __future__ import annotations

import ipaddress
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]


class TrustedProxies:
    """The peers whose X-Forwarded-For names the real client: addresses and networks, or "*" for any."""

    def __init__(self, spec: str | list[str] | None) -> None:
        entries = [part.strip() for part in (spec.split(",") if isinstance(spec, str) else spec or [])]
        self.anyone = "*" in entries
        self._networks = [ipaddress.ip_network(entry, strict=False) for entry in entries if entry and entry != "*"]

    def __bool__(self) -> bool:
        return self.anyone or bool(self._networks)

    def __contains__(self, host: str) -> bool:
        if self.anyone:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        return any(address in network for network in self._networks)

    def client(self, peer: str, forwarded_for: str | None) -> str:
        """The client's address: the nearest X-Forwarded-For entry not itself a trusted proxy, when the
        peer is one; the peer otherwise."""
        if not forwarded_for or peer not in self:
            return peer
        hops = [_host_of(hop.strip()) for hop in forwarded_for.split(",")]
        for hop in reversed(hops):
            if hop and hop not in self:
                return hop
        return hops[0] or peer


def _host_of(hop: str) -> str:
    """An X-Forwarded-For entry without its port: "192.0.2.1:443", "[2001:db8::1]:443", "2001:db8::1"."""
    if hop.startswith("["):
        return hop[1:hop.find("]")] if "]" in hop else hop
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


class ForwardedFor:
    """ASGI middleware: an http request from a trusted proxy gets the client its X-Forwarded-For names
    as `scope["client"]` (port 0: the client's port is not known)."""

    def __init__(self, app: App, proxies: TrustedProxies) -> None:
        self.app = app
        self.proxies = proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            peer = scope.get("client")
            if peer:
                forwarded = [value for name, value in scope["headers"] if name.lower() == b"x-forwarded-for"]
                if forwarded:
                    header = b",".join(forwarded).decode("latin-1")
                    client = self.proxies.client(peer[0], header)
                    if client != peer[0]:
                        scope = dict(scope, client=(client, 0))
        await self.app(scope, receive, send)


def trusting(app: App, spec: str) -> App:
    """`app` behind the proxies named by `spec` (`--forwarded-allow-ips`); `app` itself when none is named."""
    proxies = TrustedProxies(spec)
    return ForwardedFor(app, proxies) if proxies else app
