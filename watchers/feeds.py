"""Parse feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into our own frozen dataclasses.

Bad-input policy: a survivable problem (feedparser "bozo") is kept in ``ParsedFeed.problem``
and logged; an entry with nothing in it is skipped with a warning; nothing parseable (an
empty body, an HTML page, binary data) raises :class:`ParseError`.
"""

from __future__ import annotations

import calendar
import hashlib
import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date  # RFC 822 and the other date shapes

from watchers.errors import ParseError

__all__ = ["FeedEntry", "ParsedFeed", "html_to_text", "parse_feed"]

logger = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article header "
    "footer figure figcaption hr dd dt".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\s*\n\s*")
_UPDATE_PERIOD = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}
_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


@dataclass(frozen=True)
class FeedEntry:
    key: str  # stable id: guid/id, else link, else hash of title+summary
    url: str | None
    title: str
    summary: str  # plain text
    content: str  # plain text of the fullest content available
    published: datetime | None  # aware UTC (published or updated)
    author: str | None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]
    problem: str | None  # survivable problem, reported
    ttl: int | None  # seconds, from <ttl> / sy:updatePeriod if present
    skipped: int = 0  # empty entries dropped; len(entries) + skipped == what feedparser read


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags dropped, entities decoded, whitespace tidied."""
    if "<" not in markup and "&" not in markup:
        return _tidy(markup)
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return _tidy("".join(parser.parts))


def _tidy(text: str) -> str:
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", text)).strip()


def _detail_text(detail: Mapping[str, Any] | None, fallback: str = "") -> str:
    if not detail:
        return _tidy(fallback) if "<" not in fallback else html_to_text(fallback)
    value = detail.get("value") or ""
    if "html" in (detail.get("type") or ""):
        return html_to_text(value)
    return _tidy(value)


def _aware(struct: Any) -> datetime | None:
    if not struct:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _problem(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        return f"XML error line {line()}: {exc.getMessage()}"  # type: ignore[attr-defined]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _ttl(feed: Mapping[str, Any]) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60  # RSS <ttl> is in minutes
    period = _UPDATE_PERIOD.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    freq = str(feed.get("sy_updatefrequency") or "1").strip()
    return period // max(1, int(freq)) if freq.isdigit() else period


def _convert_entry(entry: Mapping[str, Any], base: str) -> FeedEntry | None:
    link = entry.get("link") or None
    url = urljoin(base, link) if link else None
    title = _detail_text(entry.get("title_detail"), entry.get("title") or "")
    summary = _detail_text(entry.get("summary_detail"), entry.get("summary") or "")
    contents = [_detail_text(c) for c in entry.get("content") or ()]
    content = max([*contents, summary], key=len)
    if not (entry.get("id") or url or title or content):
        return None
    key = entry.get("id") or url or _hash_key(title, summary)
    # dict.get: FeedParserDict.get("updated_parsed") warns when it falls back to published
    published = _aware(dict.get(entry, "published_parsed")) or _aware(
        dict.get(entry, "updated_parsed")
    )
    author = entry.get("author") or None
    return FeedEntry(key, url, title, summary, content, published, author)


def _hash_key(title: str, summary: str) -> str:
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def _html_problem(content: bytes, ctype: str) -> str | None:
    if "html" in ctype and "xml" not in ctype:
        return f"not a feed: {ctype}"
    if _HTML_START.match(content[:4096]):
        return f"not a feed: text/html (served as {ctype or 'no content type'})"
    return None


def parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None) -> ParsedFeed:
    """Parse a feed body; ``headers`` are the HTTP response headers (they carry the charset)."""
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    ctype = lowered.get("content-type", "").split(";")[0].strip().lower()
    if not content.strip():
        raise ParseError("empty document", url=url)
    if _looks_like_json(content, ctype):
        return _parse_json_feed(content, url=url)
    parsed = feedparser.parse(content, response_headers=lowered)
    problem = _problem(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    if not parsed.get("version") and not parsed.get("entries"):
        raise ParseError(
            _html_problem(content, ctype) or f"not a feed: {problem or ctype or 'unknown format'}",
            url=url,
        )
    if problem:
        logger.warning("feed %s: %s", url, problem)
    feed = parsed.get("feed") or {}
    base = feed.get("link") or url
    raw_entries = parsed.get("entries") or ()
    converted = [_convert_entry(raw, urljoin(url, base)) for raw in raw_entries]
    entries = tuple(e for e in converted if e is not None)
    if len(entries) < len(raw_entries):
        logger.warning("feed %s: skipped %d empty entries", url, len(raw_entries) - len(entries))
    title = _detail_text(feed.get("title_detail"), feed.get("title") or "")
    link = urljoin(url, feed["link"]) if feed.get("link") else None
    skipped = len(raw_entries) - len(entries)
    return ParsedFeed(title, link, entries, problem, _ttl(feed), skipped)


def _looks_like_json(content: bytes, ctype: str) -> bool:
    head = content[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") or (ctype.endswith("json") and not head.startswith(b"<"))


def _parse_json_feed(content: bytes, *, url: str) -> ParsedFeed:
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"JSON error: {exc}", url=url) from None
    if not isinstance(doc, dict) or "jsonfeed.org" not in str(doc.get("version", "")):
        raise ParseError("not a feed: JSON without a JSON Feed version", url=url)
    items = doc.get("items") if isinstance(doc.get("items"), list) else []
    converted = [_convert_json_item(i, url) if isinstance(i, dict) else None for i in items]
    entries = [e for e in converted if e is not None]
    if len(entries) < len(items):
        logger.warning("feed %s: skipped %d broken items", url, len(items) - len(entries))
    home = doc.get("home_page_url")
    return ParsedFeed(
        title=str(doc.get("title") or ""),
        link=urljoin(url, home) if isinstance(home, str) else None,
        entries=tuple(entries),
        problem=None,
        ttl=None,
        skipped=len(items) - len(entries),
    )


def _convert_json_item(item: Mapping[str, Any], base: str) -> FeedEntry | None:
    link = item.get("url") or item.get("external_url")
    url = urljoin(base, link) if isinstance(link, str) and link else None
    title = html_to_text(str(item.get("title") or ""))
    summary = html_to_text(str(item.get("summary") or ""))
    text = str(item.get("content_text") or "") or html_to_text(str(item.get("content_html") or ""))
    content = max([_tidy(text), summary], key=len)
    raw_id = item.get("id")
    if raw_id in (None, "") and not (url or title or content):
        return None
    key = str(raw_id) if raw_id not in (None, "") else url or _hash_key(title, summary)
    published = _iso_date(item.get("date_published")) or _iso_date(item.get("date_modified"))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    return FeedEntry(key, url, title, summary, content, published, ", ".join(names) or None)


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return _aware(_parse_date(value))  # RFC 822 and other shapes
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
