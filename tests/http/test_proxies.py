"""Trusted proxies: whose X-Forwarded-For names the client."""

from __future__ import annotations

import pytest

from strongroom.proxies import TrustedProxies


def test_nobody_is_a_trusted_proxy_by_default() -> None:
    for spec in (None, "", []):
        proxies = TrustedProxies(spec)
        assert not proxies
        assert proxies.client("127.0.0.1", "203.0.113.7") == "127.0.0.1"


def test_the_client_is_the_nearest_untrusted_hop() -> None:
    proxies = TrustedProxies("127.0.0.1, 10.0.0.0/8,::1")
    assert proxies
    assert proxies.client("127.0.0.1", "203.0.113.7, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("::1", "198.51.100.9:5555, 203.0.113.7:443, 10.1.2.3") == "203.0.113.7"
    assert proxies.client("127.0.0.1", "[2001:db8::5]:443") == "2001:db8::5"
    assert proxies.client("127.0.0.1", "2001:db8::5") == "2001:db8::5"
    # Every hop trusted: the first one is the client.
    assert proxies.client("127.0.0.1", "10.0.0.1, 10.0.0.2") == "10.0.0.1"
    # An untrusted peer's header is ignored; so is an empty one.
    assert proxies.client("192.0.2.1", "203.0.113.7") == "192.0.2.1"
    assert proxies.client("127.0.0.1", None) == "127.0.0.1"
    assert proxies.client("127.0.0.1", "") == "127.0.0.1"


def test_star_trusts_every_peer() -> None:
    proxies = TrustedProxies("*")
    assert proxies.client("192.0.2.1", "203.0.113.7, 198.51.100.2") == "203.0.113.7"


def test_a_bad_entry_is_refused() -> None:
    with pytest.raises(ValueError):
        TrustedProxies("127.0.0.1,not-an-address")
