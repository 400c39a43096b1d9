"""What a parsed feed becomes: our frozen dataclasses, and the one conversion into them.

Both feed parsers (feedparser in `watchers.feeds`, the lxml fast path in `watchers.feedfast`)
produce feedparser-shaped dicts; :func:`build_feed` turns those into a :class:`ParsedFeed`,
so the two paths cannot drift apart in how fields are chosen and cleaned.
"""

from __future__ import annotations

import calendar
import hashlib
import logging
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from watchers.dates import parse_date

__all__ = [
    "MAX_TEXT_CHARS", "MAX_TITLE_CHARS", "FeedEntry", "ParsedFeed", "aware", "build_feed",
    "capped", "drop_controls", "entry_published", "hash_key", "html_to_text", "is_brief", "tidy",
]

logger = logging.getLogger(__name__)

_BLOCK_TAGS = frozenset(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 blockquote pre tr table section article header "
    "footer figure figcaption hr dd dt".split()
)
_SKIP_TAGS = frozenset({"script", "style", "noscript", "template"})
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")
# C0 controls but tab, newline and the whitespace _SPACES turns into spaces; DEL; C1 controls.
# A NUL in an archived title breaks FTS snippets and Telegram's HTML parser.
_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]+")
# Per-entry text caps: a feed's text is a teaser or one article, never megabytes. The markup
# is cut first (bounding the HTML-to-text work), the text after.
MAX_TITLE_CHARS = 2_000
MAX_TEXT_CHARS = 200_000
_MAX_MARKUP_CHARS = 4 * MAX_TEXT_CHARS
_BLANK_LINES = re.compile(r"\s*\n\s*")
# An absolute http(s) URL that urljoin would return unchanged (no params, empty query or
# fragment, brackets, controls or spaces): joining it is skipped, it costs ~15 us an entry.
_PLAIN_URL = re.compile(r"https?://[^\x00-\x20/?#;\[\]\\]+(/[^\x00-\x20?#;\\]*)?"
                        r"(\?[^\x00-\x20#\\]+)?(#[^\x00-\x20\\]+)?")
_UPDATE_PERIOD = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


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
    skipped: int = 0  # empty entries dropped; len(entries) + skipped == what the parser read


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
        return tidy(markup)
    parser = _TextExtractor()
    parser.feed(markup)
    parser.close()
    return tidy("".join(parser.parts))


def tidy(text: str) -> str:
    """Whitespace collapsed, control characters (NUL...) dropped, ends stripped."""
    if text.isprintable() and "  " not in text:
        # the common case: no tab, newline or no-break space, nothing for the substitutions
        return text.strip()
    return _BLANK_LINES.sub("\n", _SPACES.sub(" ", _CONTROLS.sub("", text))).strip()


def drop_controls(text: str) -> str:
    """``text`` without control characters other than whitespace (NUL, DEL, C1...)."""
    return _CONTROLS.sub("", text)


def capped(text: str, limit: int = MAX_TEXT_CHARS) -> str:
    """``text`` cut to ``limit`` characters (a hostile feed's megabyte entry)."""
    return text if len(text) <= limit else text[:limit].rstrip()


def _detail_text(detail: Mapping[str, Any] | None, fallback: str = "",
                 limit: int = MAX_TEXT_CHARS) -> str:
    if not detail:
        fallback = fallback[:_MAX_MARKUP_CHARS]
        return capped(tidy(fallback) if "<" not in fallback else html_to_text(fallback), limit)
    value = (detail.get("value") or "")[:_MAX_MARKUP_CHARS]
    if "html" in (detail.get("type") or ""):
        return capped(html_to_text(value), limit)
    return capped(tidy(value), limit)


def _title_text(item: Mapping[str, Any]) -> str:
    title = item.get("title") or ""
    detail = item.get("title_detail")
    if detail and detail.get("value") != title:
        # feedparser overwrites title_detail with a nested <image><title>, not title
        detail = {**detail, "value": title}
    return _detail_text(detail, title, MAX_TITLE_CHARS)


def aware(struct: Any) -> datetime | None:
    """A time.struct_time (UTC, as feedparser gives) as an aware datetime.

    The fast path may store the aware datetime itself (`feedvalues.read_date`): kept as is.
    """
    if not struct:
        return None
    if isinstance(struct, datetime):
        return struct
    try:
        if 1900 < struct[0] < 9000:  # the same value as below, 3x cheaper
            return datetime(*struct[:6], tzinfo=UTC)
    except (ValueError, TypeError):
        pass  # fields out of range: timegm normalises them (second 60 is the next minute)
    try:
        return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def hash_key(title: str, summary: str) -> str:
    return "sha1:" + hashlib.sha1(f"{title}\n{summary}".encode()).hexdigest()


def _ttl(feed: Mapping[str, Any]) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and int(ttl) > 0:
        return int(ttl) * 60  # RSS <ttl> is in minutes
    period = _UPDATE_PERIOD.get(str(feed.get("sy_updateperiod") or "").strip().lower())
    if period is None:
        return None
    freq = str(feed.get("sy_updatefrequency") or "1").strip()
    return period // max(1, int(freq)) if freq.isdigit() else period


def _join(base: str, link: str) -> str:
    return link if _PLAIN_URL.fullmatch(link) else urljoin(base, link)


def entry_published(entry: Mapping[str, Any]) -> datetime | None:
    # dict.get: FeedParserDict.get("updated_parsed") warns when it falls back to published
    return (aware(dict.get(entry, "published_parsed")) or aware(dict.get(entry, "updated_parsed"))
            # a date feedparser cannot read ("12 марта 2023", "2024-12"): the raw text
            or parse_date(dict.get(entry, "published")) or parse_date(dict.get(entry, "updated")))


def is_brief(entry: Mapping[str, Any], brief_before: datetime | None,
             published: datetime | None = None) -> bool:
    """Only recorded as seen: published before ``brief_before`` and keyed by its id or link.

    ``published``: the entry's `entry_published`, when the caller has it already.
    """
    if brief_before is None or not (entry.get("id") or entry.get("link")):
        return False
    published = published or entry_published(entry)
    return published is not None and published < brief_before


def _convert_entry(entry: Mapping[str, Any], base: str,
                   brief_before: datetime | None) -> FeedEntry | None:
    link = entry.get("link") or None
    url = _join(base, link) if link else None
    published = entry_published(entry)
    if is_brief(entry, brief_before, published):  # the text is never read: not converted
        return FeedEntry(entry.get("id") or url or "", url, "", "", "", published, None)
    title = _title_text(entry)
    summary = _detail_text(entry.get("summary_detail"), entry.get("summary") or "")
    contents = [_detail_text(c) for c in entry.get("content") or ()]
    content = max([*contents, summary], key=len)
    if not (entry.get("id") or url or title or content):
        return None
    key = entry.get("id") or url or hash_key(title, summary)
    author = capped(drop_controls(entry.get("author") or ""), MAX_TITLE_CHARS) or None
    return FeedEntry(key, url, title, summary, content, published, author)


def build_feed(
    feed: Mapping[str, Any], raw_entries: Sequence[Mapping[str, Any]], *, url: str,
    problem: str | None, brief_before: datetime | None = None,
) -> ParsedFeed:
    """Our ParsedFeed from feedparser-shaped ``feed`` and ``entries`` dicts.

    Entries published before ``brief_before`` (with an id or link) are brief: key, url and
    published only, text fields empty and no author (see :func:`is_brief`).
    """
    link = _join(url, feed["link"]) if feed.get("link") else None
    base = link or _join(url, url)  # _join: urljoin unless the URL is plain
    converted = [_convert_entry(raw, base, brief_before) for raw in raw_entries]
    entries = tuple(e for e in converted if e is not None)
    skipped = len(raw_entries) - len(entries)
    if skipped:
        logger.warning("feed %s: skipped %d empty entries", url, skipped)
    title = _title_text(feed)
    return ParsedFeed(title, link, entries, problem, _ttl(feed), skipped)
