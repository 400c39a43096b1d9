"""Refuse URLs that point at private, loopback or link-local addresses (checked after DNS).

Sources added through the bot go through a fetcher guarded by :func:`check_public_url` on
every request and redirect hop, so a user cannot make the bot fetch internal services.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from watchers.errors import BlockedError, FetchError

__all__ = ["check_public_url"]


def _is_public(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    # is_global excludes private, loopback, link-local (cloud metadata), CGNAT, reserved
    return addr.is_global and not addr.is_multicast


async def check_public_url(url: str) -> None:
    """Raise BlockedError unless ``url`` is http(s) and every address it resolves to is public."""
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
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError:
        raise FetchError(f"DNS lookup failed for {host}", url=url) from None
    for *_, sockaddr in infos:
        addr = ipaddress.ip_address(str(sockaddr[0]).split("%")[0])
        if not _is_public(addr):
            raise BlockedError(f"refused non-public address {addr} for {host}", url=url)
