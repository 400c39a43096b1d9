"""Fitting an alert into Telegram's limit: each field shortened on a word boundary with "…"
(a binary search over kept characters), the matched terms kept in view; pure functions.

Package-internal (used by bot/alerts/render.py): nothing public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from bot.alerts.textclean import _ELLIPSIS, _has_term, _joined

__all__: list[str] = []


@dataclass(frozen=True)
class _Fields:
    """The cleaned strings that may be shortened to fit the limit."""

    sentence: tuple[tuple[str, bool], ...]  # segments, True = a matched term (bold)
    title: str
    story: str
    outlet: str
    url: str


def _fit(fields: _Fields, build: Callable[[_Fields], str], measure: Callable[[str], int],
         limit: int) -> str:
    text = build(fields)
    if measure(text) <= limit:
        return text
    original = fields.sentence
    for name in ("sentence", "title", "story", "outlet", "url"):
        fields = _shrink(fields, name, getattr(fields, name), build, measure, limit)
        if name == "sentence" and _has_term(original) and not _has_term(fields.sentence):
            # the plain prefix lost the matched terms: start the excerpt before them, giving
            # about half of the room left to the context that leads up to them
            spare = limit - measure(build(replace(fields, sentence=())))
            windowed = _window(original, max(spare // 2, 40))
            fields = _shrink(fields, name, windowed, build, measure, limit)
        text = build(fields)
        if measure(text) <= limit:
            return text
    raise ValueError(f"limit {limit} is too small for an alert")


def _shrink(fields: _Fields, name: str, full: object, build: Callable[[_Fields], str],
            measure: Callable[[str], int], limit: int) -> _Fields:
    """The longest cut of one field (a binary search over kept characters) that fits."""
    size = len(_joined(full)) if name == "sentence" else len(full)  # type: ignore[arg-type]
    best = replace(fields, **{name: _cut(name, full, 0)})
    low, high = 1, size
    while low <= high:
        middle = (low + high) // 2
        candidate = replace(fields, **{name: _cut(name, full, middle)})
        if measure(build(candidate)) <= limit:
            best, low = candidate, middle + 1
        else:
            high = middle - 1
    return best


def _cut(name: str, value: object, keep: int) -> object:
    if name == "url":
        return ""  # a cut URL is a broken link: drop it whole
    if name == "sentence":
        return _cut_segments(value, keep)  # type: ignore[arg-type]
    return _cut_words(str(value), keep)


def _cut_words(text: str, keep: int) -> str:
    """At most ``keep`` characters plus "…", cut on a word boundary when one is near."""
    if len(text) <= keep:
        return text
    if keep <= 0:
        return ""
    head = text[:keep]
    space = head.rfind(" ")
    if space >= keep // 2:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + _ELLIPSIS


def _cut_segments(segments: tuple[tuple[str, bool], ...], keep: int
                  ) -> tuple[tuple[str, bool], ...]:
    whole = _joined(segments)
    cut = _cut_words(whole, keep)
    if cut == whole:
        return segments
    remaining = len(cut) - 1 if cut else 0  # characters kept before the "…"
    out: list[tuple[str, bool]] = []
    for text, bold in segments:
        if remaining <= 0:
            break
        out.append((text[:remaining], bold))
        remaining -= len(text)
    return (*out, (_ELLIPSIS, False)) if out else ()


def _window(segments: tuple[tuple[str, bool], ...], context: int
            ) -> tuple[tuple[str, bool], ...]:
    """Start a long sentence shortly before its first matched term, so the term stays in view."""
    lead = 0
    for text, bold in segments:
        if bold:
            break
        lead += len(text)
    else:
        return segments
    whole = _joined(segments)
    start = whole.rfind(" ", 0, max(lead - context, 0))
    if start <= 0:
        return segments
    out: list[tuple[str, bool]] = [(_ELLIPSIS, False)]
    skip = start + 1
    for text, bold in segments:
        if skip < len(text):
            out.append((text[skip:], bold))
        skip = max(skip - len(text), 0)
    return tuple(out)
