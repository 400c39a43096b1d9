"""What is behind a URL: a feed, a page linking feeds, a sitemap, a Telegram channel, a page."""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit

from courlan import get_hostinfo
from trafilatura.feeds import FeedParameters, determine_feed

from watchers.addresses import LinkGuard
from watchers.errors import ParseError, WatchError
from watchers.extract import decode_html
from watchers.feeds import parse_feed
from watchers.fetch import Fetcher
from watchers.sitemaps import parse_sitemap
from watchers.telegram_channel import channel_preview_url

__all__ = ["MAX_CANDIDATES", "discover"]

logger = logging.getLogger(__name__)

MAX_CANDIDATES = 5  # feed links tried per page
_TELEGRAM = re.compile(r"^/(?:s/)?([A-Za-z][A-Za-z0-9_]{3,})/?$")
_ACCEPT = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/html;q=0.8"


def _telegram(url: str) -> str | None:
    parts = urlsplit(url)
    if (parts.hostname or "").lower() not in ("t.me", "telegram.me"):
        return None
    found = _TELEGRAM.match(parts.path)
    return channel_preview_url(found.group(1)) if found else None


def _is_sitemap(content: bytes, url: str) -> bool:
    head = content[:2048].lstrip()
    if not (head.startswith(b"<") or head[:2] == b"\x1f\x8b") or b"<html" in head[:512].lower():
        return False
    try:
        pages, children = parse_sitemap(content, url=url)
    except ParseError:
        return False
    return bool(pages or children)


async def _first_feed(html: str, url: str, fetcher: Fetcher, home: str) -> str | None:
    domain, base = get_hostinfo(url)
    candidates = determine_feed(html, FeedParameters(base, domain or "", url))
    guard = LinkGuard(home)  # feed links on the page: private only on the given URL's host
    for candidate in candidates[:MAX_CANDIDATES]:
        try:
            result = await fetcher.fetch(candidate, accept=_ACCEPT, guard=guard)
            parse_feed(result.content, url=result.url, headers=result.headers)
        except WatchError as exc:
            logger.info("discover %s: candidate %s: %s", url, candidate, exc)
            continue
        return result.url
    return None


async def discover(url: str, fetcher: Fetcher) -> tuple[str, str]:
    """(kind, url) for a new source: kind is feed, sitemap, telegram or page.

    Raises the fetch error when ``url`` itself cannot be fetched.
    """
    telegram = _telegram(url)
    if telegram:
        return "telegram", telegram
    result = await fetcher.fetch(url, accept=_ACCEPT)
    if _is_sitemap(result.content, result.url):
        return "sitemap", result.url
    try:
        parse_feed(result.content, url=result.url, headers=result.headers)
    except ParseError:
        pass
    else:
        return "feed", result.url
    html = decode_html(result.content, result.headers)
    feed = await _first_feed(html, result.url, fetcher, url)
    if feed:
        return "feed", feed
    return "page", result.url
