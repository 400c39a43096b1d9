"""Sentence boundaries and the sentence around a match (for explanations)."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right

__all__ = ["sentence_at", "sentence_ends", "sentence_span"]

# Together these end the same sentences as one `[.!?؟。]+["'»”)\]]*\s+|\s*\n\s*` scan (a run of
# whitespace that holds a newline ends one), but each starts with a rare character, which lets
# `re` skip ahead: several times faster.
_PUNCT_END = re.compile(r"[.!?؟。][.!?؟。]*[\"'»”)\]]*\s+")
_LINE_END = re.compile(r"\n\s*")
_SENTENCE_MAX = 300


def sentence_ends(s: str) -> list[int]:
    """Offsets just after each sentence end in `s`, ascending."""
    ends = {m.end() for m in _PUNCT_END.finditer(s)}
    ends.update(m.end() for m in _LINE_END.finditer(s))
    return sorted(ends)


def sentence_at(s: str, bounds: list[int], start: int, end: int) -> str:
    """The sentence around [start, end), trimmed to about 300 characters."""
    left, right = sentence_span(s, bounds, start, end)
    return " ".join(s[left:right].split())


def sentence_span(s: str, bounds: list[int], start: int, end: int) -> tuple[int, int]:
    """Where `sentence_at` cuts the sentence out of `s`."""
    i = bisect_right(bounds, start)
    left = bounds[i - 1] if i > 0 else 0
    j = bisect_left(bounds, end, i)  # the first end at or after the match
    right = bounds[j] if j < len(bounds) else len(s)
    if right - left > _SENTENCE_MAX:
        left = max(left, start - _SENTENCE_MAX // 2)
        right = min(right, left + _SENTENCE_MAX)
    return left, right
