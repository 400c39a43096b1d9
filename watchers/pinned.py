"""An httpx transport that connects only to addresses it has just checked (no DNS rebinding).

Checking a URL's host and then letting the connection resolve the name again leaves a gap: a
hostile DNS server answers a public address to the check and 127.0.0.1 to the connection.
Here the network backend resolves once per connection, refuses the connection unless every
address is allowed (public, see `watchers.addresses.is_public`), and connects to one of those
very addresses. httpcore still uses the URL's host name for the Host header and for TLS (SNI
and certificate checks), as it passes the name only to ``connect_tcp``. The fetchers built on
it are in `watchers.fetchers`.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx

from watchers.addresses import IPAddress, Resolver, is_public, public_addresses

__all__ = ["PinnedBackend", "pinned_transport"]


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """connect_tcp to the checked addresses of ``host``, never to the name itself."""

    def __init__(self, *, resolver: Resolver | None = None,
                 allow: Callable[[IPAddress], bool] = is_public,
                 inner: httpcore.AsyncNetworkBackend | None = None,
                 open_hosts: Iterable[str] = ()) -> None:
        self._resolver = resolver
        self._allow = allow
        self._inner = inner or httpcore.AnyIOBackend()
        # hosts connected by name, whatever they resolve to: the config's own sources
        self._open = frozenset(h.lower().rstrip(".") for h in open_hosts)

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None,
                          ) -> httpcore.AsyncNetworkStream:
        if host.lower().rstrip(".") in self._open:
            return await self._inner.connect_tcp(host, port, timeout=timeout,
                                                 local_address=local_address,
                                                 socket_options=socket_options)
        addresses = await public_addresses(host, port, url=f"//{host}:{port}",
                                           resolver=self._resolver, allow=self._allow)
        error: Exception | None = None
        for addr in addresses:  # the first that answers, as a resolver-using connect would
            try:
                return await self._inner.connect_tcp(str(addr), port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except httpcore.ConnectError as exc:
                error = exc
        assert error is not None  # public_addresses never returns an empty list
        raise error

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None,
                                  ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("unix sockets are not for guarded fetches")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(*, limits: httpx.Limits | None = None, resolver: Resolver | None = None,
                     allow: Callable[[IPAddress], bool] = is_public,
                     open_hosts: Iterable[str] = (),
                     ssl_context: ssl.SSLContext | None = None) -> httpx.AsyncHTTPTransport:
    """An AsyncHTTPTransport whose connections go through a :class:`PinnedBackend`.

    ``ssl_context``: httpx's default (certifi's roots) unless given; building one loads the
    roots (~30 ms), so the fetchers of one runtime share theirs."""
    limits = limits or httpx.Limits()
    ssl_context = ssl_context or httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    # The same pool httpx builds, with our backend (httpx takes no backend argument).
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(resolver=resolver, allow=allow, open_hosts=open_hosts),
    )
    return transport
