"""How feedparser turns one XML element into a stored value, copied for the lxml fast path.

Each function reproduces one of feedparser's steps for the fields we read: element names as
feedparser dispatches them, attribute normalisation, text stripping, URI joining, the HTML
guess for untyped RSS text, the sanitiser when markup needs it, and the final clean-ups.
Anything these do not model raises :class:`Decline` (the caller falls back to feedparser).
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.datetimes import _parse_date
from feedparser.mixin import _cp1252, _FeedParserMixin
from feedparser.sanitizer import _HTMLSanitizer, _sanitize_html
from feedparser.urls import _urljoin
from lxml import etree

__all__ = [
    "HTML_TYPES", "KNOWN_KEYS", "Decline", "attributes", "check_detail", "detail", "element_key",
    "finish", "has_handler", "join_uri", "parse_date", "raw_text", "read_author", "read_date",
    "read_guid", "read_link", "uri_text",
]

_NAMESPACES = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
HTML_TYPES = frozenset(_FeedParserMixin.html_types)
_ACCEPTABLE = frozenset(_HTMLSanitizer.acceptable_elements)
_TAG = re.compile(r"</?([A-Za-z][^\s/>]*)")
_LINK_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_AUTHOR_PARTS = frozenset({"name", "email", "uri"})
# element_key of a tag (Clark notation) whose key does not depend on the document's prefixes
# (looked up inline by the fast path's entry loop)
KNOWN_KEYS: dict[str, str] = {}
_KEYS_MAX = 4096  # tag names come from the feeds: bounded
_MONTHS = {m: i for i, m in enumerate(
    "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(), start=1)}
# The usual RSS date, "Mon, 02 Nov 2026 10:00:00 GMT" (or +hhmm). feedparser's w3dtf handler,
# tried first, rejects this shape, so its RFC 822 handler decides: computed here the same way.
_RFC822 = re.compile(r"(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), )?(\d{1,2}) "
                     r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{4}) "
                     r"(\d\d):(\d\d):(\d\d) (GMT|UTC?|Z|[+-]\d{4})")


class Decline(Exception):
    """Not for the fast path: feedparser must read this feed."""


def element_key(el: Any) -> str:
    """The element name feedparser dispatches on: known prefix + lower-cased local name."""
    tag = el.tag
    key = KNOWN_KEYS.get(tag)
    if key is not None:
        return key
    if tag[0] != "{":
        key = tag.lower()  # no namespace: feedparser's prefix for it is ""
    else:
        uri, _, local = tag[1:].partition("}")
        low = uri.lower()
        if "backend.userland.com/rss" in low:
            low = "http://backend.userland.com/rss"
        prefix = _NAMESPACES.get(low)
        if prefix is None:  # an unknown namespace: the document's own prefix, not cached
            prefix = el.prefix
            return f"{prefix}:{local}".lower() if prefix else local.lower()
        key = f"{prefix}:{local}".lower() if prefix else local.lower()
    if len(KNOWN_KEYS) < _KEYS_MAX:
        KNOWN_KEYS[tag] = key
    return key


def attributes(el: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in el.items():
        local = name.rsplit("}", 1)[-1].lower()
        out[local] = value.lower() if local in ("rel", "type") else value
    return out


def has_handler(key: str) -> bool:
    name = key.replace(":", "_")
    return hasattr(_FeedParserMixin, "_start_" + name) or hasattr(_FeedParserMixin, "_end_" + name)


def raw_text(el: Any) -> str:
    if len(el):
        raise Decline  # children inside a text element: feedparser's markup handling
    return (el.text or "").strip()


def finish(value: str) -> str:
    """feedparser's last steps on every stored string (strict parser: encoding utf-8)."""
    if value.isascii():
        return value  # both steps below only touch non-ASCII text
    try:
        value = value.encode("iso-8859-1").decode("utf-8")  # undo double-encoded UTF-8
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return value.translate(_cp1252)


def parse_date(text: str) -> time.struct_time | None:
    """feedparser's _parse_date(text) (a UTC struct_time), cheaper for the common RFC 822 shape."""
    value = read_date(text)
    return value.utctimetuple() if isinstance(value, datetime) else value


def read_date(text: str) -> datetime | time.struct_time | None:
    """:func:`parse_date`, as the aware datetime `feedmodel.aware` would make of it when that
    is a plain conversion (years 1901-8999), saving the round trip; else the struct_time."""
    found = _RFC822.fullmatch(text)
    if found is None:
        return _parse_date(text)
    day, month, year, hour, minute, second, zone = found.groups()
    try:
        stamp = datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute),
                         int(second), tzinfo=UTC)
        if zone[0] in "+-":
            offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:]))
            stamp = stamp - offset if zone[0] == "+" else stamp + offset
        return stamp if 1900 < stamp.year < 9000 else stamp.utctimetuple()
    except (ValueError, OverflowError):  # feedparser's RFC 822 handler gives up: the others try
        return _parse_date(text)


def join_uri(uri: str) -> str:
    """feedparser's _urljoin("", uri): it only collapses slashes after "scheme://"."""
    return _urljoin("", uri) if ":///" in uri else uri


def uri_text(el: Any) -> str:
    return finish(join_uri(raw_text(el)))


def needs_sanitizer(markup: str) -> bool:
    if "<" not in markup:
        return False
    if "<!" in markup or "<?" in markup:
        return True
    return any(tag.lower() not in _ACCEPTABLE for tag in _TAG.findall(markup))


def _content_type(el: Any, default_type: str) -> str:
    attrs = attributes(el)
    if "mode" in attrs or "src" in attrs:
        raise Decline
    ctype = _FeedParserMixin.map_content_type(attrs.get("type", default_type))
    if not ctype.startswith("text/"):
        raise Decline  # base64 or XHTML content
    return ctype


def check_detail(el: Any) -> None:
    """What :func:`detail` declines on (every default type is text/*), without the value."""
    if el.keys():  # no attributes: a text/* default type, nothing to decline on
        _content_type(el, "text/plain")
    if len(el):
        raise Decline


def detail(el: Any, default_type: str, *, atom: bool) -> dict[str, str]:
    ctype = _content_type(el, default_type)
    value = raw_text(el)
    if not atom and ctype == "text/plain" and _FeedParserMixin.looks_like_html(value):
        ctype = "text/html"
    if ctype in HTML_TYPES and needs_sanitizer(value):
        value = _sanitize_html(value, "utf-8", ctype)
    return {"type": ctype, "value": finish(value)}


def read_link(el: Any, target: dict[str, Any], *, entry: bool) -> None:
    attrs = attributes(el)
    if "url" in attrs or "uri" in attrs or len(el):
        raise Decline
    if "href" in attrs:
        rel = attrs.get("rel", "alternate")
        ctype = attrs.get("type", "application/atom+xml" if rel == "self" else "text/html")
        if rel == "alternate" and _FeedParserMixin.map_content_type(ctype) in HTML_TYPES:
            target["link"] = join_uri(attrs["href"])
        return
    value = uri_text(el)
    if entry:
        value = value.replace("&amp;", "&")
    target["link"] = _LINK_ENTITY.sub(r"&\g<1>", value) if "&" in value else value


def read_guid(el: Any, target: dict[str, Any]) -> None:
    is_link = attributes(el).get("ispermalink", "true") == "true"
    value = uri_text(el) if is_link else finish(raw_text(el))
    target["id"] = value
    if is_link:
        target.setdefault("link", value)


def read_author(el: Any) -> str:
    if not len(el):
        return finish(raw_text(el))
    parts: dict[str, str] = {}
    for child in el.iterchildren(tag=etree.Element):
        key = element_key(child)
        if key not in _AUTHOR_PARTS or key in parts:
            raise Decline
        parts[key] = raw_text(child)  # feedparser keeps name/email unprocessed
    name, email = parts.get("name"), parts.get("email")
    if name and email:
        return f"{name} ({email})"
    return name or email or ""
