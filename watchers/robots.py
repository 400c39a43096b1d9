"""robots.txt, fetched once per host and cached, for `page` and `sitemap` sources."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from watchers.errors import BlockedError, FetchError
from watchers.fetch import Fetcher

__all__ = ["RobotsCache"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Entry:
    parser: RobotFileParser | None  # None: allow everything (no robots.txt)
    disallow_all: bool
    expires: float


class RobotsCache:
    """Answer "may we fetch this URL?" per host, re-reading robots.txt after ``ttl`` seconds.

    RFC 9309: a 4xx robots.txt means no rules (allow); an unreachable one (5xx, timeout)
    means disallow for now, re-checked sooner (``error_ttl``).
    """

    def __init__(
        self,
        fetcher: Fetcher,
        *,
        agent: str = "tanfwatch",
        ttl: float = 86400.0,
        error_ttl: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetcher = fetcher
        self._agent = agent
        self._ttl = ttl
        self._error_ttl = error_ttl
        self._clock = clock
        self._entries: dict[str, _Entry] = {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def allowed(self, url: str) -> bool:
        entry = await self._entry(url)
        if entry.disallow_all:
            return False
        return entry.parser is None or entry.parser.can_fetch(self._agent, url)

    async def check(self, url: str) -> None:
        """Raise BlockedError when robots.txt disallows ``url``."""
        if not await self.allowed(url):
            entry = await self._entry(url)
            reason = "robots.txt unreachable" if entry.disallow_all else "disallowed by robots.txt"
            raise BlockedError(reason, url=url)

    async def crawl_delay(self, url: str) -> float | None:
        entry = await self._entry(url)
        if entry.parser is None:
            return None
        delay = entry.parser.crawl_delay(self._agent)
        return float(delay) if delay is not None else None

    async def _entry(self, url: str) -> _Entry:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:  # one robots.txt fetch per host, however many pages wait
            entry = self._entries.get(origin)
            if entry is None or entry.expires <= self._clock():
                entry = self._entries[origin] = await self._load(origin)
            return entry

    async def _load(self, origin: str) -> _Entry:
        now = self._clock()
        try:
            result = await self._fetcher.fetch(origin + "/robots.txt", accept="text/plain")
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return _Entry(None, False, now + self._ttl)
            logger.warning("robots %s: %s", origin, exc)
            return _Entry(None, True, now + self._error_ttl)
        parser = RobotFileParser(origin + "/robots.txt")
        parser.parse(result.content.decode("utf-8", errors="replace").splitlines())
        return _Entry(parser, False, now + self._ttl)
