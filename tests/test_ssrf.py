"""The address guard (issue 12): IPv6 forms of private addresses, DNS rebinding, and links in
configured feeds that point at internal pages on another host."""

from __future__ import annotations

import ipaddress

import pytest

from tests.loopback import LoopbackServer
from watchers.addresses import check_public_url, is_public
from watchers.errors import BlockedError
from watchers.pinned import guarded_fetcher


@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "::7f00:1",  # IPv4-compatible ::127.0.0.1
    "::a00:1",  # IPv4-compatible ::10.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
    "::ffff:127.0.0.1",  # IPv4-mapped
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
])
def test_ipv6_forms_of_private_ipv4_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [
    "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_stay_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::7f00:1]"])
async def test_check_public_url_refuses_ipv6_wrapped_loopback(host):
    with pytest.raises(BlockedError, match="non-public address"):
        await check_public_url(f"http://{host}/feed")


class Rebinding:
    """A resolver that answers a public address first and a private one afterwards."""

    def __init__(self, first: str, then: str) -> None:
        self.answers = [first, then]
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return [self.answers[min(len(self.calls), 2) - 1]]


async def test_a_rebinding_name_never_reaches_the_private_address():
    with LoopbackServer(host="127.0.0.1") as internal:
        internal.add("secret", "internal admin page")
        resolver = Rebinding("93.184.215.14", "127.0.0.1")
        # "localhost": before pinning, the connection resolved it again (to 127.0.0.1)
        url = f"http://localhost:{internal.port}/secret"
        async with guarded_fetcher(resolver=resolver, timeout=5.0) as fetcher:
            with pytest.raises(BlockedError, match="non-public address 127.0.0.1") as caught:
                await fetcher.fetch(url)
        assert caught.value.url == url
        assert internal.requests == []
        assert resolver.calls == ["localhost", "localhost"]  # the check, then the connection


async def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept():
    with LoopbackServer(host="127.0.0.2") as allowed, LoopbackServer(host="127.0.0.1") as other:
        allowed.add("page", "the page")
        other.add("page", "not this one")

        async def resolver(host: str, port: int) -> list[str]:
            return ["127.0.0.2"]

        def only_127_0_0_2(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
            return str(addr) == "127.0.0.2"

        from watchers.fetch import Fetcher
        from watchers.pinned import pinned_transport

        transport = pinned_transport(resolver=resolver, allow=only_127_0_0_2)
        async with Fetcher(transport=transport, timeout=5.0) as fetcher:
            result = await fetcher.fetch(f"http://news.example:{allowed.port}/page")
        assert result.content == b"the page"
        [(path, headers)] = allowed.requests
        assert headers["Host"] == f"news.example:{allowed.port}" and other.requests == []
