"""The runtime's two fetchers: trusted (the config's sources) and guarded (untrusted URLs).

Both connect through `watchers.pinned` (each connection to the address just checked), built at
their first fetch: a run with no sources imports no httpx or httpcore and loads no TLS roots.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from watchers.addresses import Resolver, check_public_url
from watchers.fetch import Fetcher

if TYPE_CHECKING:
    import httpx

__all__ = ["TLS", "default_tls", "guarded_fetcher", "trusted_fetcher"]

TLS = Callable[[], ssl.SSLContext]  # the TLS context to connect with, made when first asked for


def default_tls() -> ssl.SSLContext:
    """httpx's default context (certifi's roots, ~30 ms to load): share one, e.g. through
    ``functools.cache(default_tls)``, between the fetchers of a runtime."""
    import httpx

    return httpx.create_ssl_context()


def _pinned(concurrency: int, resolver: Resolver | None, tls: TLS,
            open_hosts: Iterable[str] = ()) -> Callable[[], httpx.AsyncBaseTransport]:
    def make() -> httpx.AsyncBaseTransport:
        import httpx

        from watchers.pinned import pinned_transport

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return pinned_transport(limits=limits, resolver=resolver, open_hosts=open_hosts,
                                ssl_context=tls())
    return make


def guarded_fetcher(*, resolver: Resolver | None = None, concurrency: int = 16,
                    tls: TLS = default_tls, **kwargs: Any) -> Fetcher:
    """A Fetcher for untrusted URLs: every hop checked, every connection pinned to its check."""
    return Fetcher(guard=functools.partial(check_public_url, resolver=resolver),
                   make_transport=_pinned(concurrency, resolver, tls),
                   concurrency=concurrency, **kwargs)


def trusted_fetcher(source_urls: Iterable[str], *, resolver: Resolver | None = None,
                    concurrency: int = 16, tls: TLS = default_tls, **kwargs: Any) -> Fetcher:
    """A Fetcher for the config's sources: their own hosts may be private (an intranet feed);
    any other host is connected only at the public address it resolved to, so a link that
    `watchers.addresses.LinkGuard` found public stays public when the connection is made."""
    hosts = frozenset({urlsplit(u).hostname or "" for u in source_urls} - {""})
    return Fetcher(make_transport=_pinned(concurrency, resolver, tls, hosts),
                   concurrency=concurrency, **kwargs)
