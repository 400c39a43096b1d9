"""Refuse URLs that point at private, loopback or link-local addresses (checked after DNS).

Sources added through the bot go through a fetcher guarded by :func:`check_public_url` on
every request and redirect hop, so a user cannot make the bot fetch internal services; its
connections go to the very address that was checked (`watchers.pinned`), so a name that
resolves differently the second time (DNS rebinding) reaches nothing new.

IPv6 forms that carry an IPv4 address (mapped, compatible, translated, NAT64, 6to4, Teredo)
are judged by the IPv4 address inside too: ``64:ff9b::7f00:1`` is 127.0.0.1 behind NAT64.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Sequence
from urllib.parse import urlsplit

from watchers.errors import BlockedError, FetchError

__all__ = [
    "IPAddress", "LinkGuard", "Resolver", "check_public_url", "embedded_ipv4", "is_public",
    "public_addresses", "system_resolver", "url_host_port",
]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# (host, port) -> the addresses it resolves to, as strings; a seam for the tests
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]
_LOW32 = (
    ipaddress.ip_network("::/96"),  # IPv4-compatible (deprecated), :: and ::1 included
    ipaddress.ip_network("::ffff:0:0:0/96"),  # IPv4-translated (SIIT)
    ipaddress.ip_network("64:ff9b::/96"),  # NAT64 well-known prefix
    ipaddress.ip_network("64:ff9b:1::/48"),  # NAT64 local-use prefix
)


def embedded_ipv4(addr: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address stands for (none for a plain IPv6 address)."""
    found = [a for a in (addr.ipv4_mapped, addr.sixtofour) if a is not None]
    if addr.teredo is not None:
        found += list(addr.teredo)  # (server, client)
    if any(addr in net for net in _LOW32):
        found.append(ipaddress.IPv4Address(int(addr) & 0xFFFFFFFF))
    return found


def is_public(addr: IPAddress) -> bool:
    """Globally routable and unicast, and so is any IPv4 address it embeds."""
    # is_global excludes private, loopback, link-local (cloud metadata), CGNAT, reserved
    if not addr.is_global or addr.is_multicast:
        return False
    if isinstance(addr, ipaddress.IPv6Address):
        return all(is_public(inner) for inner in embedded_ipv4(addr))
    return True


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's answer (getaddrinfo), as address strings."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(sockaddr[0]) for *_, sockaddr in infos]


async def public_addresses(host: str, port: int, *, url: str, resolver: Resolver | None = None,
                           allow: Callable[[IPAddress], bool] = is_public) -> list[IPAddress]:
    """Every address ``host`` resolves to, once; BlockedError if any is not public."""
    try:
        answers = await (resolver or system_resolver)(host.strip("[]"), port)
    except OSError:
        raise FetchError(f"DNS lookup failed for {host}", url=url) from None
    addresses = [ipaddress.ip_address(a.split("%")[0]) for a in answers]
    if not addresses:
        raise FetchError(f"DNS lookup failed for {host}", url=url)
    for addr in addresses:
        if not allow(addr):
            raise BlockedError(f"refused non-public address {addr} for {host}", url=url)
    return addresses


def url_host_port(url: str) -> tuple[str, int]:
    """(host, port) of an http(s) URL; BlockedError for anything else."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        raise BlockedError(f"not an http(s) URL: {parts.scheme or 'no scheme'}", url=url)
    host = parts.hostname
    if not host:
        raise BlockedError("no host in URL", url=url)
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BlockedError("bad port in URL", url=url) from None
    return host, port


async def check_public_url(url: str, *, resolver: Resolver | None = None) -> None:
    """Raise BlockedError unless ``url`` is http(s) and every address it resolves to is public."""
    host, port = url_host_port(url)
    await public_addresses(host, port, url=url, resolver=resolver)



def _effective(host: str, port: int) -> tuple[str, int]:
    return host.lower().rstrip("."), 0 if port in (80, 443) else port


class LinkGuard:
    """Links found inside a source (and their redirects) may reach a private address only on
    the source's own host (the same name and port); anything else must be public.

    A configured feed on an intranet may link its own pages; it may not make the bot fetch
    another internal service. Answers are cached per host for the guard's lifetime (a poll).
    """

    def __init__(self, home: str, *, resolver: Resolver | None = None) -> None:
        try:
            self._home: tuple[str, int] | None = _effective(*url_host_port(home))
        except BlockedError:
            self._home = None
        self._resolver = resolver
        self._refused: dict[tuple[str, int], str | None] = {}

    async def __call__(self, url: str) -> None:
        host, port = url_host_port(url)
        key = _effective(host, port)
        if key == self._home:
            return
        if key not in self._refused:
            try:
                await public_addresses(host, port, url=url, resolver=self._resolver)
                self._refused[key] = None
            except BlockedError as exc:
                self._refused[key] = exc.message
        reason = self._refused[key]
        if reason is not None:
            raise BlockedError(f"{reason} (a link outside the source's own host)", url=url)
