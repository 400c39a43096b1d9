"""Sitemaps: urlsets (with Google News extensions), sitemap indexes and plain-text lists."""

from __future__ import annotations

import logging
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

from lxml import etree

from watchers.dates import parse_date
from watchers.errors import ParseError
from watchers.feedmodel import drop_controls

__all__ = ["SitemapUrl", "parse_sitemap"]

logger = logging.getLogger(__name__)

MAX_UNCOMPRESSED = 50_000_000  # the sitemap protocol's own limit
_PARSER = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)


@dataclass(frozen=True)
class SitemapUrl:
    url: str
    lastmod: datetime | None  # aware UTC; news:publication_date wins over lastmod
    title: str | None  # news:title when present


def _gunzip(content: bytes, url: str) -> bytes:
    decomp = zlib.decompressobj(31)
    out = decomp.decompress(content, MAX_UNCOMPRESSED + 1)
    if len(out) > MAX_UNCOMPRESSED:
        raise ParseError("sitemap over 50 MB uncompressed", url=url)
    return out


def _date(text: str | None) -> datetime | None:
    if not text or not text.strip():
        return None
    try:
        when = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return parse_date(text)  # W3C partial dates ("2024-12") and other shapes
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def _child(element: etree._Element, name: str) -> str | None:
    for child in element.iter():
        if isinstance(child.tag, str) and etree.QName(child).localname == name:
            return (child.text or "").strip() or None
    return None


def _text_list(content: bytes, url: str) -> list[SitemapUrl]:
    lines = content.decode("utf-8", errors="replace").splitlines()
    urls = [line.strip() for line in lines if line.strip().startswith(("http://", "https://"))]
    if not urls:
        raise ParseError("not a sitemap", url=url)
    return [SitemapUrl(u, None, None) for u in urls]


def _root(content: bytes, url: str) -> etree._Element:
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"XML error: {exc}", url=url) from None
    if root is None or not isinstance(root.tag, str):
        raise ParseError("not a sitemap", url=url)
    kind = etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise ParseError(f"not a sitemap: <{kind}>", url=url)
    return root


def parse_sitemap(content: bytes, *, url: str) -> tuple[list[SitemapUrl], list[str]]:
    """(page URLs, child sitemap URLs) of a sitemap body; gzip bodies are accepted."""
    if content[:2] == b"\x1f\x8b":
        content = _gunzip(content, url)
    if not content.lstrip().startswith(b"<"):
        return _text_list(content, url), []
    pages: list[SitemapUrl] = []
    children: list[str] = []
    for element in _root(content, url):
        loc = _child(element, "loc") if isinstance(element.tag, str) else None
        target = urljoin(url, loc) if loc else ""
        if not target.startswith(("http://", "https://")):
            continue
        if etree.QName(element).localname == "sitemap":
            children.append(target)
        else:
            when = _date(_child(element, "publication_date")) or _date(_child(element, "lastmod"))
            title = _child(element, "title")  # recover mode keeps &#1;: controls dropped
            pages.append(SitemapUrl(target, when, drop_controls(title) if title else title))
    return pages, children
