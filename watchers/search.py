"""Query-based sources: build search-feed URLs and unwrap the engines' redirect links.

Engines: ``google-news`` (Google News RSS search, per language and region), ``gdelt``
(GDELT DOC 2.0 API, ``mode=artlist&format=rss``; at most one request per 5 s: pass
:data:`HOST_DELAYS` to the Fetcher) and ``bing-news`` (Bing News RSS).
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

__all__ = ["ENGINES", "HOST_DELAYS", "search_url", "unwrap"]

ENGINES = ("google-news", "gdelt", "bing-news")
HOST_DELAYS = {"api.gdeltproject.org": 5.0}  # GDELT: one request per 5 seconds
_GDELT_LANGS = {
    "en": "english",
    "ar": "arabic",
    "ru": "russian",
    "fr": "french",
    "de": "german",
    "tr": "turkish",
    "fa": "persian",
    "he": "hebrew",
}
_URL_IN_BYTES = re.compile(rb"https?://[\x21-\x7e]+")


def search_url(engine: str, query: str, *, lang: str, region: str) -> str:
    """The RSS URL that runs ``query`` on ``engine`` for a language and a region (ISO codes)."""
    lang, region = lang.lower(), region.upper()
    if engine == "google-news":
        hl = f"{lang}-{region}" if lang == "en" else lang
        params = {"q": query, "hl": hl, "gl": region, "ceid": f"{region}:{lang}"}
        return "https://news.google.com/rss/search?" + urlencode(params, quote_via=quote)
    if engine == "gdelt":
        name = _GDELT_LANGS.get(lang, lang)
        params = {
            "query": f"{query} sourcelang:{name}",
            "mode": "artlist",
            "format": "rss",
            "maxrecords": "75",
            "sort": "datedesc",
        }
        return "https://api.gdeltproject.org/api/v2/doc/doc?" + urlencode(params, quote_via=quote)
    if engine == "bing-news":
        params = {
            "q": query,
            "format": "rss",
            "setlang": lang,
            "cc": region,
            "mkt": f"{lang}-{region}",
        }
        return "https://www.bing.com/news/search?" + urlencode(params, quote_via=quote)
    raise ValueError(f"unknown search engine {engine!r} (known: {', '.join(ENGINES)})")


def unwrap(url: str) -> str:
    """The target of a search engine's redirect link; ``url`` itself when it is not one."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    query = parse_qs(parts.query)
    if host.endswith("bing.com") and "url" in query:  # /news/apiclick.aspx?...&url=...
        return _http_or(query["url"][0], url)
    if host.endswith("google.com") and parts.path == "/url":
        return _http_or((query.get("url") or query.get("q") or [""])[0], url)
    if host == "news.google.com" and "/articles/" in parts.path:
        return _google_news_article(parts.path.rsplit("/", 1)[-1]) or url
    return url


def _http_or(candidate: str, fallback: str) -> str:
    return candidate if candidate.startswith(("http://", "https://")) else fallback


def _google_news_article(token: str) -> str | None:
    """Older Google News ids are base64 protobuf holding the URL; newer ones need a request."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    found = _URL_IN_BYTES.search(raw)
    if not found:
        return None
    start = found.start()
    length = len(found.group(0))
    if start >= 1 and raw[start - 1] < 0x80:  # protobuf length prefix: one-byte varint
        length = raw[start - 1]
    elif start >= 2 and raw[start - 2] >= 0x80:  # two-byte varint
        length = (raw[start - 2] & 0x7F) | (raw[start - 1] << 7)
    candidate = raw[start : start + length]
    try:
        return candidate.decode("ascii")
    except UnicodeDecodeError:
        return None
