"""Cleaning text for alerts: one printable line, no stray bidi controls, right-to-left
isolation, safe URLs and UTC times; pure functions.

Package-internal (used by bot/alerts/render.py and bot/alerts/textfit.py): nothing public.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime

__all__: list[str] = []

_RLI, _PDI = "\u2067", "\u2069"  # right-to-left isolate: Arabic keeps its order beside Latin
_ELLIPSIS = "…"
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_WS = re.compile(r"\s+")


def _segments(sentence: str, terms: tuple[tuple[int, int], ...]
              ) -> tuple[tuple[str, bool], ...]:
    """Split the sentence at the (merged, clipped) term offsets, then clean each piece."""
    spans: list[list[int]] = []
    for start, end in sorted(terms):
        start, end = max(start, 0), min(end, len(sentence))
        if start >= end:
            continue
        if spans and start <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], end)
        else:
            spans.append([start, end])
    pieces: list[tuple[str, bool]] = []
    position = 0
    for start, end in spans:
        pieces += [(sentence[position:start], False), (sentence[start:end], True)]
        position = end
    pieces.append((sentence[position:], False))
    cleaned = [(_clean(text, strip=False), bold) for text, bold in pieces]
    if cleaned:
        cleaned[0] = (cleaned[0][0].lstrip(), cleaned[0][1])
        cleaned[-1] = (cleaned[-1][0].rstrip(), cleaned[-1][1])
    return tuple(piece for piece in cleaned if piece[0])


def _clean(text: str | None, *, strip: bool = True) -> str:
    """One line of printable text: no control, surrogate or stray bidi characters."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in text or ""
        if ch.isspace() or (unicodedata.category(ch) not in ("Cc", "Cs")
                            and ch not in _BIDI_CONTROLS)
    )
    kept = _WS.sub(" ", kept)
    return kept.strip() if strip else kept


def _isolate(rendered: str, plain: str) -> str:
    return f"{_RLI}{rendered}{_PDI}" if _is_rtl(plain) else rendered


def _is_rtl(text: str) -> bool:
    """Mostly right-to-left letters (an Arabic sentence may open with a Latin acronym)."""
    balance = 0
    for ch in text:
        direction = unicodedata.bidirectional(ch)
        balance += (direction in ("R", "AL")) - (direction == "L")
    return balance > 0


def _has_term(segments: tuple[tuple[str, bool], ...]) -> bool:
    return any(bold for _, bold in segments)


def _joined(segments: tuple[tuple[str, bool], ...]) -> str:
    return "".join(text for text, _ in segments)


def _safe_url(url: str | None) -> str:
    # a NUL ends a tag for Telegram ("Unclosed start tag"), a lone surrogate cannot be sent:
    # control, surrogate and bidi characters are dropped from the URL before it is checked
    url = "".join(ch for ch in url or "" if ch.isspace() or (
        unicodedata.category(ch) not in ("Cc", "Cs") and ch not in _BIDI_CONTROLS)).strip()
    return url if re.match(r"(?i)^(https?|tg)://\S+$", url) else ""


def _utc(moment: datetime) -> datetime:
    # naive datetimes are taken as UTC rather than failing an alert over metadata
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)

