"""List a source's current entries, whatever its kind: feed, page, sitemap, search, telegram.

Each kind fetches with the source's validators (conditional GET) and returns a
`Listing`; the pipeline decides what is new. `page` and `sitemap` obey robots.txt.
Each kind's parser (feedparser, lxml, courlan) is imported when a source of that kind is
listed: a run with no sources, or with feeds only, does not pay for the others.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
from concurrent.futures import Executor
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from bot.settings import Settings, Source
from watchers.addresses import LinkGuard
from watchers.errors import WatchError
from watchers.feedmodel import FeedEntry, ParsedFeed
from watchers.fetch import Fetcher, FetchResult
from watchers.robots import RobotsCache
from watchers.search import HOST_DELAYS, search_url, unwrap

__all__ = ["Listing", "fetcher_kwargs", "list_entries", "source_url", "MAX_CHILD_SITEMAPS"]

log = logging.getLogger(__name__)
MAX_CHILD_SITEMAPS = 10  # child sitemaps followed per index (one level)
MAX_HINT = 6 * 3600  # a cache hint never pushes a poll further than this
_REGIONS = {"en": "US", "ar": "SY", "ru": "RU", "fr": "FR", "de": "DE", "tr": "TR"}
_TELEGRAM = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,})/?$")
_MAX_AGE = re.compile(r"max-age\s*=\s*(\d+)", re.I)
_FEED_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.8"


@dataclass(frozen=True)
class Listing:
    entries: tuple[FeedEntry, ...]
    count: int  # what the parser read from the body (a feed's skipped empty entries too)
    title: str
    unchanged: bool  # 304 or the same bytes as last time: nothing parsed
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    hint: int | None = None  # seconds the server says the content stays fresh
    problem: str | None = None  # a survivable problem (malformed feed, charset): reported


def fetcher_kwargs(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for `Fetcher(...)`: the settings' limits and the engines' host delays."""
    return {"timeout": settings.timeout, "max_bytes": settings.max_bytes,
            "concurrency": settings.concurrency, "per_host": settings.per_host,
            "host_delays": dict(HOST_DELAYS)}


def source_url(source: Source) -> str:
    """The URL polled for a source (search: built from query/engine/language)."""
    if source.kind == "search" and source.query:
        lang = (source.language or "en").lower()
        return search_url(source.engine or "google-news", source.query, lang=lang,
                          region=_REGIONS.get(lang, "US"))
    parts = urlsplit(source.url)
    if source.kind == "telegram" and (parts.hostname or "") in ("t.me", "telegram.me"):
        found = _TELEGRAM.match(parts.path)
        if found:  # t.me/<channel> -> its web preview t.me/s/<channel>
            from watchers.telegram_channel import channel_preview_url

            return channel_preview_url(found.group(1))
    return source.url


def _hint(result: FetchResult, ttl: int | None) -> int | None:
    found = _MAX_AGE.search(result.headers.get("cache-control", ""))
    hints = [h for h in (ttl, int(found.group(1)) if found else None) if h]
    return min(max(hints), MAX_HINT) if hints else None


def _bare(url: str, published: Any = None, title: str = "") -> FeedEntry:
    return FeedEntry(url, url, title, "", "", published, None)


class _Lister:
    def __init__(self, fetcher: Fetcher, robots: RobotsCache, state: Any,
                 link_guard: LinkGuard | None = None) -> None:
        self.fetcher = fetcher
        self.robots = robots
        self.state = state
        self.link_guard = link_guard  # for URLs found in the source, checked before robots

    async def fetch(self, url: str, *, polite: bool, accept: str | None = None
                    ) -> tuple[FetchResult, str | None, bool]:
        """(result, body hash, unchanged) for the source's own URL."""
        if polite:
            await self.robots.check(url)
        result = await self.fetcher.fetch(url, etag=self.state.etag,
                                          last_modified=self.state.last_modified, accept=accept)
        digest = hashlib.sha256(result.content).hexdigest() if result.content else None
        unchanged = result.not_modified or (digest is not None and digest == self.state.body_hash)
        return result, digest, unchanged

    async def sitemap_children(self, children: list[str]) -> list[FeedEntry]:
        from watchers.sitemaps import parse_sitemap

        out: list[FeedEntry] = []
        for child in children[:MAX_CHILD_SITEMAPS]:
            try:
                if self.link_guard is not None:
                    await self.link_guard(child)
                await self.robots.check(child)
                result = await self.fetcher.fetch(child, guard=self.link_guard)
                pages, _ = parse_sitemap(result.content, url=result.url)
            except WatchError as exc:  # one bad child sitemap must not lose the others
                log.info("child sitemap %s: %s", child, exc)
                continue
            out += [_bare(p.url, p.lastmod, p.title or "") for p in pages]
        return out

    async def allowed(self, entries: list[FeedEntry]) -> list[FeedEntry]:
        """Only links the link guard and robots.txt let us fetch (the articles come next)."""
        return [e for e in entries if e.url and await self._guarded(e.url)
                and await self.robots.allowed(e.url)]

    async def _guarded(self, url: str) -> bool:
        if self.link_guard is None:
            return True
        try:
            await self.link_guard(url)
        except WatchError as exc:
            log.info("link %s: %s", url, exc)
            return False
        return True


def _listing(entries: list[FeedEntry], result: FetchResult, digest: str | None, *,
             title: str = "", count: int | None = None, ttl: int | None = None) -> Listing:
    unique = tuple({e.key: e for e in entries}.values())
    return Listing(unique, len(unique) if count is None else count, title, False,
                   result.etag, result.last_modified, digest, _hint(result, ttl))


def _unchanged(result: FetchResult, state: Any) -> Listing:
    # the same body as last time: the same problem, if it had one (kept on a healthy source)
    problem = state.last_error if state.status == "ok" else None
    return Listing((), state.entries, "", True, result.etag or state.etag,
                   result.last_modified or state.last_modified, state.body_hash,
                   _hint(result, None), problem)


async def list_entries(source: Source, state: Any, fetcher: Fetcher, robots: RobotsCache,
                       *, executor: Executor | None = None,
                       brief_before: datetime | None = None,
                       link_guard: LinkGuard | None = None) -> Listing:
    """Fetch a source and list its entries; raises WatchError on failure.

    With ``executor`` (a process pool) feeds are parsed there, off the event loop.
    ``brief_before``: feed entries older than this may come without their text (see
    `parse_feed`); pass a first poll's backfill cutoff, as those are only recorded as seen.
    ``link_guard`` checks the URLs a page or sitemap lists before anything is fetched there.
    """
    lister = _Lister(fetcher, robots, state, link_guard)
    url = source_url(source)
    polite = source.kind in ("page", "sitemap")
    accept = _FEED_ACCEPT if source.kind in ("feed", "search") else None
    result, digest, unchanged = await lister.fetch(url, polite=polite, accept=accept)
    if unchanged:
        return _unchanged(result, state)
    if source.kind == "page":
        from watchers.pages import find_article_links

        links = find_article_links(result.content, base_url=result.url)
        return _listing(await lister.allowed([_bare(u) for u in links]), result, digest)
    if source.kind == "sitemap":
        from watchers.sitemaps import parse_sitemap

        pages, children = parse_sitemap(result.content, url=result.url)
        entries = [_bare(p.url, p.lastmod, p.title or "") for p in pages]
        entries += await lister.sitemap_children(children)
        return _listing(await lister.allowed(entries), result, digest)
    if source.kind == "telegram":
        from watchers.telegram_channel import parse_channel_preview

        channel = urlsplit(result.url).path.rstrip("/").rsplit("/", 1)[-1]
        posts = parse_channel_preview(result.content, channel=channel)
        return _listing(posts, result, digest, title=f"Telegram @{channel}")
    return await _feed_listing(source, result, digest, executor, brief_before)


# a smaller feed parses in about a millisecond (lxml fast path): less than the trip to a worker
POOL_FEED_BYTES = 100_000


def _parse_job(content: bytes, url: str, headers: dict[str, str],
               brief_before: datetime | None) -> ParsedFeed:
    from watchers.feeds import parse_feed

    return parse_feed(content, url=url, headers=headers, brief_before=brief_before)


async def _feed_listing(source: Source, result: FetchResult, digest: str | None,
                        executor: Executor | None, brief_before: datetime | None) -> Listing:
    if executor is None or len(result.content) < POOL_FEED_BYTES:
        from watchers.feeds import parse_feed

        feed = parse_feed(result.content, url=result.url, headers=result.headers,
                          brief_before=brief_before)
    else:
        feed = await asyncio.get_running_loop().run_in_executor(
            executor, _parse_job, result.content, result.url, dict(result.headers),
            brief_before)
    if feed.problem:
        log.warning("source %s: recovered from a malformed feed: %s", source.name, feed.problem)
    entries = list(feed.entries)
    if source.kind == "search":  # the engines wrap article links in redirects
        entries = [_unwrapped(e) for e in entries]
    return Listing(tuple(entries), len(feed.entries) + feed.skipped, feed.title, False,
                   result.etag, result.last_modified, digest, _hint(result, feed.ttl),
                   feed.problem)


def _unwrapped(entry: FeedEntry) -> FeedEntry:
    if not entry.url:
        return entry
    target = unwrap(entry.url)
    return entry if target == entry.url else FeedEntry(
        entry.key, target, entry.title, entry.summary, entry.content, entry.published,
        entry.author)
