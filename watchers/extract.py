"""Article extraction with trafilatura, from bytes or a string (never from a URL).

Bytes are decoded here rather than by trafilatura so that a wrong ``<meta charset>`` (a
common CMS bug) does not produce mojibake: a BOM wins, then bytes that are valid UTF-8,
then the HTTP header charset, then the ``<meta>`` charset, then statistical detection.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import trafilatura
from courlan import extract_domain
from trafilatura.utils import detect_encoding, load_html

from watchers.dates import parse_date
from watchers.feedmodel import drop_controls
from watchers.language import detect_language
from watchers.pagemeta import PageMeta, page_meta

__all__ = ["Extracted", "decode_html", "extract_article", "same_site_url"]

logger = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40  # below this a page is script-only, a paywall stub or an error page
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?\s*([a-zA-Z0-9_.:-]+)", re.I)
_HTML_LANG = re.compile(
    r"<html\b[^>]*?\blang\s*=\s*[\"']?\s*([a-zA-Z]{2,3})(?:[-_][^\"'\s>]*)?", re.I
)
_META_LANG = re.compile(
    r"<meta[^>]+http-equiv\s*=\s*[\"']?content-language[\"']?[^>]+content\s*=\s*[\"']?([a-zA-Z]{2,3})",
    re.I,
)
_LINK_TAG = re.compile(r"<link\b[^>]*>", re.I)
_META_TAG = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR = re.compile(r"""\b([a-z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_GOOD_PER_BAD = 20  # valid non-ASCII characters needed per invalid sequence
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


@dataclass(frozen=True)
class Extracted:
    title: str | None
    text: str
    published: datetime | None
    language: str | None
    canonical_url: str | None
    site_name: str | None


def _try_decode(data: bytes, charset: str | None) -> str | None:
    if not charset:
        return None
    try:
        return data.decode(codecs.lookup(charset).name)
    except (LookupError, UnicodeDecodeError):
        return None


def _mostly_utf8(data: bytes) -> str | None:
    """UTF-8 with replacement when a few bad bytes sit among many valid sequences.

    A page of UTF-8 with one stray byte is not windows-1252 (the whole page would become
    mojibake); a legacy 8-bit page has almost no valid multi-byte sequences.
    """
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd") - data.count(b"\xef\xbf\xbd")
    good = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    return text if good >= _GOOD_PER_BAD * max(bad, 1) else None


def decode_html(data: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode an HTML body, distrusting declared charsets that the bytes contradict."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    utf8 = _try_decode(data, "utf-8")
    if utf8 is not None:
        return utf8  # valid UTF-8 with non-ASCII bytes is almost never anything else
    utf8 = _mostly_utf8(data)
    if utf8 is not None:
        return utf8
    ctype = next((v for k, v in (headers or {}).items() if k.lower() == "content-type"), "")
    header = _HEADER_CHARSET.search(ctype)
    meta = _META_CHARSET.search(data[:65_536])  # some pages declare it after byte 1024
    for charset in (header and header.group(1), meta and meta.group(1).decode("ascii")):
        text = _try_decode(data, charset)
        if text is not None:
            return text
    for charset in detect_encoding(data):
        text = _try_decode(data, charset)
        if text is not None:
            return text
    return data.decode("windows-1252", errors="replace")


def _language(html: str, headers: Mapping[str, str] | None) -> str | None:
    head = html[:20_000]
    found = _HTML_LANG.search(head) or _META_LANG.search(head)
    if found:
        return found.group(1).lower()
    header = next((v for k, v in (headers or {}).items() if k.lower() == "content-language"), "")
    return header.split(",")[0].strip()[:2].lower() or None


def _attrs(tag: str) -> dict[str, str]:
    return {m[0].lower(): next(v for v in m[1:] if v is not None) for m in _ATTR.findall(tag)}


def _canonical(html: str, url: str) -> str | None:
    """rel=canonical, else og:url, resolved against the page URL."""
    head = html[: max(html.lower().find("</head>"), 0) or 200_000]
    for tag in _LINK_TAG.findall(head):
        attrs = _attrs(tag)
        if "canonical" in attrs.get("rel", "").lower().split() and attrs.get("href", "").strip():
            return urljoin(url, attrs["href"].strip())
    for tag in _META_TAG.findall(head):
        attrs = _attrs(tag)
        if attrs.get("property", "").lower() == "og:url" and attrs.get("content", "").strip():
            return urljoin(url, attrs["content"].strip())
    return None


def _extract(text_html: str, url: str, with_date: bool) -> tuple[Any, PageMeta] | None:
    """trafilatura's text and our metadata from one parse of the page."""
    try:
        tree = load_html(text_html)
        if tree is None:
            return None
        meta = page_meta(tree, url, with_date=with_date)  # before: extraction prunes the tree
        doc = trafilatura.bare_extraction(tree, url=url, include_comments=False)
    except Exception:  # noqa: BLE001 - trafilatura/lxml raise many types on hostile markup
        logger.warning("extract %s: trafilatura failed", url, exc_info=True)
        return None
    return doc, meta


def extract_article(
    html: bytes | str, *, url: str, headers: Mapping[str, str] | None = None,
    detect: bool = True, with_date: bool = True,
) -> Extracted | None:
    """Main text and metadata of an article page, or None when nothing is extractable.

    ``detect``: a page that declares no language gets the language of its text; False
    leaves it None (a pool worker: the ~95 MB language model then stays in the caller).
    ``with_date``: False when the caller has a date already (the feed's): none is looked for."""
    text_html = decode_html(html, headers) if isinstance(html, bytes) else html
    if not text_html.strip():
        return None
    got = _extract(text_html, url, with_date)
    doc, meta = got if got is not None else (None, None)
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if meta is None or len(text) < MIN_TEXT_CHARS:
        logger.info("extract %s: no article text (%d chars)", url, len(text))
        return None
    canonical = _canonical(text_html, url) or meta.url
    # a page that declares no language: the text says which (an Arabic page without `lang`)
    language = _language(text_html, headers) or (detect_language(text) if detect else None)
    return Extracted(
        title=drop_controls(meta.title or "") or None,
        text=drop_controls(text),
        published=parse_date(meta.date, language=language),
        language=language,
        canonical_url=same_site_url(url, urljoin(url, canonical)) if canonical else None,
        site_name=drop_controls(meta.site_name or "") or None,
    )


def _site(url: str) -> str:
    """The registrable domain (public suffix list, private suffixes too), else the host."""
    try:
        domain = extract_domain(url)
    except (ValueError, AttributeError):
        domain = None
    return (domain or urlsplit(url).hostname or "").lower().rstrip(".")


def same_site_url(page_url: str, candidate: str) -> str | None:
    """``candidate`` (a canonical link) if it is http(s) on the page's own site, else None.

    A page may only speak for its own site: a canonical naming another outlet's article
    would make that article "known" before it is ever judged. ``javascript:`` and other
    schemes are never a URL to store.
    """
    parts = urlsplit(candidate)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return candidate if _site(candidate) == _site(page_url) else None
