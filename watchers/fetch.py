"""One shared, polite and bounded HTTP fetcher for every watcher.

Limits: a global concurrency cap, a per-host cap with a minimum delay between
requests to one host, a total timeout per request, a redirect cap with loop
detection and a body-size cap that also bounds decompressed output (gzip bombs).
Every failure becomes a :class:`FetchError` with a one-line message. httpx is imported and the
client made at the first fetch: a fetcher a run never uses (no sources) costs nothing.
"""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from watchers.addresses import check_public_url
from watchers.decompress import ACCEPT_ENCODING, CHUNK, BoundedDecoder
from watchers.errors import FetchError, WatchError

if TYPE_CHECKING:
    import httpx

__all__ = [
    "USER_AGENT",
    "FetchResult",
    "Fetcher",
    "check_public_url",
    "parse_retry_after",
]

logger = logging.getLogger(__name__)

USER_AGENT = "tanfwatch/0.1 (+https://github.com/tanfwatch/tanfwatch)"
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_ERRNO = re.compile(r"^\[Errno -?\d+\]\s*")


@dataclass(frozen=True)
class FetchResult:
    url: str  # final URL after redirects
    status: int
    headers: Mapping[str, str]  # lower-cased names
    content: bytes  # b"" for 304
    etag: str | None
    last_modified: str | None
    not_modified: bool
    elapsed: float


@dataclass(frozen=True)
class _Redirect:
    location: str


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After value (delta-seconds or an HTTP date)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


@dataclass
class _HostGate:
    sem: asyncio.Semaphore
    next_at: float = field(default=0.0)

    async def wait_turn(self, delay: float) -> None:
        now = time.monotonic()
        start = max(now, self.next_at)
        self.next_at = start + delay  # reserved before awaiting: no lock needed
        if start > now:
            await asyncio.sleep(start - now)


def _host_key(url: str) -> str:
    return urlsplit(url).netloc.lower()


def _clean(exc: Exception) -> str:
    text = _ERRNO.sub("", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return text[:200]


class Fetcher:
    """Fetch URLs through one shared ``httpx.AsyncClient`` within global and per-host limits."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient | None = None,
        max_bytes: int = 10_000_000,
        timeout: float = 20.0,
        concurrency: int = 16,
        per_host: int = 2,
        host_delay: float = 0.0,
        max_redirects: int = 5,
        user_agent: str = USER_AGENT,
        guard: Callable[[str], object] | None = None,
        host_delays: Mapping[str, float] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        make_transport: Callable[[], httpx.AsyncBaseTransport] | None = None,
    ) -> None:
        """``transport`` or ``make_transport`` (called at the first fetch): e.g.
        watchers.pinned's, which connects to checked addresses only."""
        self._timeout = timeout
        self._concurrency = concurrency
        self._owns_client = client is None
        self._client = client  # else made at the first fetch (see _http)
        self._transport = transport
        self._make_transport = make_transport
        self._request_timeout: httpx.Timeout | None = None
        self._closed = False
        self._max_bytes = max_bytes
        self._global = asyncio.Semaphore(concurrency)
        self._per_host = per_host
        self._host_delay = host_delay
        self._host_delays = {k.lower(): v for k, v in (host_delays or {}).items()}
        self._hosts: dict[str, _HostGate] = {}
        self._max_redirects = max_redirects
        self._user_agent = user_agent
        self._guard = guard

    def set_host_delay(self, host: str, delay: float) -> None:
        """Minimum seconds between requests to ``host`` (e.g. a robots.txt Crawl-delay)."""
        self._host_delays[host.lower()] = delay

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        self._closed = True
        if self._owns_client and self._client is not None:
            await self._client.aclose()

    def _http(self) -> tuple[httpx.AsyncClient, httpx.Timeout]:
        """The client and the request timeout, made at the first fetch."""
        if self._client is None or self._request_timeout is None:
            if self._closed:
                raise RuntimeError("fetcher closed")
            import httpx

            self._request_timeout = httpx.Timeout(self._timeout, connect=min(10.0, self._timeout))
            n = self._concurrency
            self._client = self._client or httpx.AsyncClient(
                timeout=self._request_timeout, follow_redirects=False,
                limits=httpx.Limits(max_connections=n, max_keepalive_connections=n),
                transport=self._make_transport() if self._make_transport else self._transport)
        return self._client, self._request_timeout

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str | None = None,
        guard: Callable[[str], object] | None = None,
    ) -> FetchResult:
        """GET ``url``, following redirects; FetchError/BlockedError carry a specific message.

        ``guard`` is checked on every hop too, after the fetcher's own guard (both must pass).
        """
        headers = {"User-Agent": self._user_agent, "Accept-Encoding": ACCEPT_ENCODING}
        if accept:
            headers["Accept"] = accept
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        current, seen = url, {url}
        for _ in range(self._max_redirects + 1):
            await self._check(current, self._guard)
            await self._check(current, guard)
            outcome = await self._fetch_once(current, headers, started)
            if isinstance(outcome, FetchResult):
                return outcome
            if outcome.location in seen:
                raise FetchError("redirect loop", url=url)
            seen.add(outcome.location)
            current = outcome.location
        raise FetchError(f"too many redirects (over {self._max_redirects})", url=url)

    @staticmethod
    async def _check(url: str, guard: Callable[[str], object] | None) -> None:
        if guard is None:
            return
        result = guard(url)
        if inspect.isawaitable(result):
            await result

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        key = _host_key(url)
        gate = self._hosts.get(key)
        if gate is None:
            gate = self._hosts[key] = _HostGate(asyncio.Semaphore(self._per_host))
        # the host slot first, so waiting on a busy host never holds a global slot
        delay = self._host_delays.get(urlsplit(url).hostname or "", self._host_delay)
        async with gate.sem:
            await gate.wait_turn(delay)
            async with self._global:
                yield

    async def _fetch_once(
        self, url: str, headers: dict[str, str], started: float
    ) -> FetchResult | _Redirect:
        import httpx

        timeout_msg = f"timeout after {self._timeout:g} s"
        async with self._slot(url):
            try:
                async with asyncio.timeout(self._timeout):
                    return await self._request(url, headers, started)
            except (TimeoutError, httpx.TimeoutException):
                raise FetchError(timeout_msg, url=url) from None
            except httpx.UnsupportedProtocol:
                raise FetchError("unsupported URL scheme", url=url) from None
            except httpx.InvalidURL:
                raise FetchError("invalid URL", url=url) from None
            except httpx.ConnectError as exc:
                raise FetchError(f"connection failed: {_clean(exc)}", url=url) from None
            except httpx.RemoteProtocolError as exc:
                raise FetchError(f"protocol error: {_clean(exc)}", url=url) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{type(exc).__name__}: {_clean(exc)}", url=url) from None
            except WatchError as exc:
                if exc.url.startswith("//"):  # from a pinned transport, which knows no URL
                    exc.url = url
                raise

    async def _request(
        self, url: str, headers: dict[str, str], started: float
    ) -> FetchResult | _Redirect:
        client, timeout = self._http()
        async with client.stream(
            "GET", url, headers=headers, follow_redirects=False, timeout=timeout
        ) as resp:
            status = resp.status_code
            if status in _REDIRECTS and resp.headers.get("location"):
                return _Redirect(urljoin(str(resp.url), resp.headers["location"].strip()))
            if status != 304 and not 200 <= status < 300:
                retry = None
                if status in (429, 503):
                    retry = parse_retry_after(resp.headers.get("retry-after"))
                raise FetchError(f"HTTP {status}", url=url, status=status, retry_after=retry)
            content = b"" if status == 304 else await self._read_body(resp, url)
            return FetchResult(
                url=str(resp.url),
                status=status,
                headers={k.lower(): v for k, v in resp.headers.items()},
                content=content,
                etag=resp.headers.get("etag"),
                last_modified=resp.headers.get("last-modified"),
                not_modified=status == 304,
                elapsed=time.monotonic() - started,
            )

    def _too_big(self, url: str) -> FetchError:
        return FetchError(f"body over {self._max_bytes / 1_000_000:g} MB", url=url)

    async def _read_body(self, resp: httpx.Response, url: str) -> bytes:
        import httpx

        coding = resp.headers.get("content-encoding", "").strip().lower()
        declared = resp.headers.get("content-length", "")
        if not coding and declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_big(url)  # refuse before reading a byte
        decoder = BoundedDecoder(coding, url)
        parts: list[bytes] = []
        size = 0
        try:
            async for raw in resp.aiter_raw(CHUNK):
                for chunk in decoder.feed(raw):
                    size += len(chunk)
                    if size > self._max_bytes:
                        raise self._too_big(url)
                    parts.append(chunk)
        except httpx.RemoteProtocolError:
            raise FetchError("truncated body (connection closed early)", url=url) from None
        return b"".join(parts)
