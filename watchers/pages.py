"""Article links on a listing or section page without a feed."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from courlan import is_navigation_page, is_not_crawlable
from lxml import etree

__all__ = ["find_article_links", "is_article_url"]

_NOT_ARTICLE_EXT = re.compile(
    r"\.(jpe?g|png|gif|webp|svg|pdf|zip|mp[34]|css|js|xml|rss|json|ico|woff2?)$", re.I
)
_NAV_SEGMENT = re.compile(
    r"^(tags?|topics?|category|categories|section|author|authors|page|search|login|register|"
    r"subscribe|about|contact|privacy|terms|feed|rss|video|videos|photos?|gallery|live|"
    r"newsletter|account|cdn-cgi|wp-admin|wp-login\.php)$",
    re.I,
)
_DATE_PATH = re.compile(r"/(19|20)\d{2}[/-](0?[1-9]|1[0-2])([/-]|$)")
_NUMERIC_ID = re.compile(r"\d{4,}")


def _site(host: str | None) -> str:
    host = (host or "").lower()
    return host[4:] if host.startswith("www.") else host


def is_article_url(url: str) -> bool:
    """Heuristic: a dated path, a long slug or a numeric id, and no navigation segment."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    if not segments or _NOT_ARTICLE_EXT.search(parts.path):
        return False
    if any(_NAV_SEGMENT.match(s) for s in segments[:2]):
        return False
    last = segments[-1].rsplit(".", 1)[0]
    slug_words = len(re.split(r"[-_]+", last))
    return bool(
        _DATE_PATH.search(parts.path)
        or slug_words >= 4
        or (_NUMERIC_ID.search(last) and len(segments) >= 2)
    )


def _normalise(href: str, base_url: str) -> str | None:
    absolute = urljoin(base_url, href.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https"):
        return None
    return urlunsplit((parts.scheme, parts.netloc.lower(), parts.path or "/", parts.query, ""))


def find_article_links(html: str | bytes, *, base_url: str) -> list[str]:
    """Same-site, article-like links of a page, in page order, without duplicates."""
    try:
        tree = lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return []
    base = tree.find(".//base[@href]")
    if base is not None:
        base_url = urljoin(base_url, base.get("href"))
    site = _site(urlsplit(base_url).hostname)
    found: dict[str, None] = {}
    for anchor in tree.iter("a"):
        href = anchor.get("href")
        url = _normalise(href, base_url) if href else None
        if url is None or url in found or _site(urlsplit(url).hostname) != site:
            continue
        if url.rstrip("/") == base_url.rstrip("/") or not is_article_url(url):
            continue
        if is_navigation_page(url) or is_not_crawlable(url):
            continue
        found[url] = None
    return list(found)
