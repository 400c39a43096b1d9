"""Parse feed bytes (RSS 0.9x/1.0/2.0, Atom, JSON Feed) into our own frozen dataclasses.

Well-formed RSS 2.0 / RSS 1.0 / Atom 1.0 go through the lxml fast path (`watchers.feedfast`,
about 20x cheaper); anything it is not sure to read exactly as feedparser would falls back
to feedparser, which also recovers what it can from malformed feeds.

Bad-input policy: a survivable problem (feedparser "bozo") is kept in ``ParsedFeed.problem``
and logged; an entry with nothing in it is skipped with a warning; nothing parseable (an
empty body, an HTML page, binary data) raises :class:`ParseError`.
"""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser
from feedparser.datetimes import _parse_date  # RFC 822 and the other date shapes

from watchers.dates import parse_date
from watchers.entities import defuse_entities
from watchers.errors import ParseError
from watchers.feedfast import parse_fast
from watchers.feedmodel import (
    MAX_TEXT_CHARS,
    MAX_TITLE_CHARS,
    FeedEntry,
    ParsedFeed,
    aware,
    build_feed,
    capped,
    drop_controls,
    hash_key,
    html_to_text,
    tidy,
)

__all__ = ["FeedEntry", "ParsedFeed", "html_to_text", "parse_feed"]

logger = logging.getLogger(__name__)

_HTML_START = re.compile(rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body)\b", re.I | re.S)


def _problem(exc: BaseException | None) -> str | None:
    if exc is None:
        return None
    line = getattr(exc, "getLineNumber", None)
    if callable(line):
        return f"XML error line {line()}: {exc.getMessage()}"  # type: ignore[attr-defined]
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _html_problem(content: bytes, ctype: str) -> str | None:
    if "html" in ctype and "xml" not in ctype:
        return f"not a feed: {ctype}"
    if _HTML_START.match(content[:4096]):
        return f"not a feed: text/html (served as {ctype or 'no content type'})"
    return None


def parse_feed(content: bytes, *, url: str, headers: Mapping[str, str] | None = None,
               fast: bool = True, brief_before: datetime | None = None) -> ParsedFeed:
    """Parse a feed body; ``headers`` are the HTTP response headers (they carry the charset).

    ``fast=False`` skips the lxml fast path (the equivalence tests compare both).
    With ``brief_before`` (a first poll's backfill cutoff), RSS/Atom entries published before
    it that have an id or link are brief: key, url and published only, the text fields empty
    and no author -- they are only recorded as seen, so their text is not converted.
    """
    lowered = {k.lower(): v for k, v in (headers or {}).items()}
    ctype = lowered.get("content-type", "").split(";")[0].strip().lower()
    if not content.strip():
        raise ParseError("empty document", url=url)
    if _looks_like_json(content, ctype):
        return _parse_json_feed(content, url=url)
    if fast:
        parsed_fast = parse_fast(content, url=url, headers=lowered, brief_before=brief_before)
        if parsed_fast is not None:
            return parsed_fast
    content, defused = defuse_entities(content)  # feedparser's loose parser has no limit
    # BytesIO: feedparser treats a bytes argument that names a file or URL as one to open
    parsed = feedparser.parse(io.BytesIO(content), response_headers=lowered)
    problem = _problem(parsed.get("bozo_exception")) if parsed.get("bozo") else None
    problem = "; ".join(p for p in (defused, problem) if p) or None
    if not parsed.get("version") and not parsed.get("entries"):
        raise ParseError(
            _html_problem(content, ctype) or f"not a feed: {problem or ctype or 'unknown format'}",
            url=url,
        )
    if problem:
        logger.warning("feed %s: %s", url, problem)
    return build_feed(parsed.get("feed") or {}, parsed.get("entries") or (), url=url,
                      problem=problem, brief_before=brief_before)


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
    title = capped(html_to_text(_field(item, "title")), MAX_TITLE_CHARS)
    summary = capped(html_to_text(_field(item, "summary")))
    text = _field(item, "content_text") or html_to_text(_field(item, "content_html"))
    content = max([capped(tidy(text)), summary], key=len)
    raw_id = item.get("id")
    if raw_id in (None, "") and not (url or title or content):
        return None
    key = str(raw_id) if raw_id not in (None, "") else url or hash_key(title, summary)
    published = _iso_date(item.get("date_published")) or _iso_date(item.get("date_modified"))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    names = [str(a.get("name")) for a in authors if isinstance(a, dict) and a.get("name")]
    author = drop_controls(", ".join(names))[:MAX_TITLE_CHARS] or None
    return FeedEntry(key, url, title, summary, content, published, author)


def _field(item: Mapping[str, Any], name: str) -> str:
    """A text field, its markup cut to a bound first (see `feedmodel.capped`)."""
    return str(item.get(name) or "")[:4 * MAX_TEXT_CHARS]


def _iso_date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return aware(_parse_date(value)) or parse_date(value)  # RFC 822 and other shapes
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
