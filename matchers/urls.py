"""URL canonicalisation: one address per article, whatever tracking, mirror or wrapper it came in.

`canonical_url` is for comparing, not for fetching: it drops what never changes the article
(fragments, tracking parameters, AMP and mobile variants, default ports, trailing slashes, the
scheme's http/https difference) and unwraps redirect wrappers first. Pure string work, no network.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

__all__ = ["canonical_url", "pick_canonical", "unwrap_redirect"]

_TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "ga_", "__hs", "_hs", "oly_", "vero_")
_TRACKING = frozenset(
    """
    fbclid gclid gclsrc dclid yclid msclkid twclid igshid mc_cid mc_eid ref ref_src ref_url referrer
    cmpid ito itm_source itm_medium itm_campaign ocid smid smtyp rss ncid spm s_cid wt.mc_id
    __twitter_impression _ga _gl guccounter
    guce_referrer guce_referrer_sig amp outputtype output m mobile
    """.split()
)
_MOBILE_HOST = re.compile(r"^(?:m|mobile|amp|www)\.")
_AMP_PATH = re.compile(r"(?:^|/)amp(?:/|$)|(?:\.amp)(?=\.html?$|$)")
_SLASHES = re.compile(r"/{2,}")
_INDEX_PAGE = re.compile(r"/index\.(?:html?|php)$")
_WRAPPER_PARAMS = ("url", "u", "q", "target", "dest", "destination", "redirect", "link")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _target_from_query(query: str) -> str | None:
    params = dict(parse_qsl(query, keep_blank_values=False))
    for name in _WRAPPER_PARAMS:
        value = params.get(name, "")
        if value.startswith(("http://", "https://")):
            return value
    return None


def _google_news_target(path: str) -> str | None:
    """Old Google News article ids embed the target in base64 (newer ones cannot be decoded)."""
    match = re.search(r"/(?:rss/)?articles/([A-Za-z0-9_-]+)", path)
    if not match:
        return None
    token = match.group(1)
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    found = re.search(rb"https?://[\x21-\x7e]+", raw)
    if not found:
        return None
    return found.group(0).split(b"\xd2")[0].decode("ascii", errors="ignore") or None


def unwrap_redirect(url: str) -> str:
    """Follow redirect wrappers we can decode offline (Google Alerts/News, Bing, feedproxy...)."""
    for _ in range(5):  # wrappers can nest; a bound keeps a loop of wrappers finite
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
        target = None
        if host.endswith("news.google.com"):
            target = _google_news_target(parts.path) or _target_from_query(parts.query)
        elif "google." in host and parts.path in ("/url", "/amp/s"):
            target = _target_from_query(parts.query)
        elif host.endswith("bing.com") and "apiclick" in parts.path:
            target = _target_from_query(parts.query)
        elif host.endswith(("feedproxy.google.com", "feeds.feedburner.com")):
            target = _feedproxy_target(parts.path)
        elif parts.query:
            target = _target_from_query(parts.query) if _looks_like_wrapper(parts.path) else None
        if not target:
            return url
        url = target
    return url


def _feedproxy_target(path: str) -> str | None:
    # feedproxy.google.com/~r/feed/~3/id/https%3A%2F%2F... : the tail is sometimes the target.
    match = re.search(r"/~3/[^/]+/(.+)$", path)
    if match:
        tail = unquote(match.group(1))
        if tail.startswith(("http://", "https://")):
            return tail
    return None


def _looks_like_wrapper(path: str) -> bool:
    return bool(re.search(r"(?:redirect|get_url|out|click|go|link|/mt/?$)", path, re.IGNORECASE))


def _clean_query(query: str) -> str:
    if not query:
        return ""
    kept = [
        (k, v)
        for k, v in parse_qsl(query, keep_blank_values=True)
        if k.lower() not in _TRACKING and not k.lower().startswith(_TRACKING_PREFIXES)
    ]
    return urlencode(sorted(kept))


def _clean_path(path: str) -> str:
    path = _AMP_PATH.sub("/", path)
    path = _SLASHES.sub("/", path)
    path = _INDEX_PAGE.sub("/", path)
    return path.rstrip("/") or "/"


def canonical_url(url: str) -> str:
    """A comparison key for an article URL: equal keys mean the same article.

    A key is its own key (one pass can leave work for the next: "/index.php/" loses its slash,
    then its "index.php"), so keys made live and keys read back from the archive agree.
    """
    key = _canonical_once(url)
    if key == url:  # already a key (most addresses are): a second pass would change nothing
        return key
    for _ in range(_MAX_PASSES):
        again = _canonical_once(key)
        if again == key:
            break
        key = again
    return key


_MAX_PASSES = 8  # each pass only removes; a bound keeps a hostile URL's cost finite


def _canonical_once(url: str) -> str:
    url = unwrap_redirect(url)
    parts = urlsplit(url.strip())
    if not parts.scheme or not parts.netloc:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    host = _MOBILE_HOST.sub("", host)
    netloc = host
    if parts.port and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc = f"{host}:{parts.port}"
    # http and https serve the same article; keep one form so they compare equal.
    scheme = "https" if scheme in _DEFAULT_PORTS else scheme
    return urlunsplit((scheme, netloc, _clean_path(parts.path), _clean_query(parts.query), ""))


def pick_canonical(page_url: str, candidates: Iterable[str | None]) -> str:
    """Prefer the page's own rel=canonical / og:url (given in that order) over the fetched URL."""
    base = urlsplit(page_url)
    for candidate in candidates:
        if not candidate or not candidate.strip():
            continue
        candidate = candidate.strip()
        if candidate.startswith("//"):
            candidate = f"{base.scheme}:{candidate}"
        elif candidate.startswith("/"):
            candidate = urlunsplit((base.scheme, base.netloc, candidate, "", ""))
        if urlsplit(candidate).scheme in _DEFAULT_PORTS:
            return canonical_url(candidate)
    return canonical_url(page_url)
