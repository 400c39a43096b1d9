"""The 55-km zone in any language: the number, a word for "km" right after it and a word for
"zone" near it, in the text's own language (words from `matchers.context`): "55 kilometrelik
bölge", "ζώνη 55 χλμ", "55公里区域". Like the zone aliases, a hit still needs context (another
topic or context words) before it counts; see relevance. Pure: text in, spans out.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from matchers.context import ContextLexicon
from matchers.literals import Spots
from matchers.normalize import Normalized

__all__ = ["ZoneDef", "ZoneFinder"]

_UNIT_CHARS = 16  # the word for "km" starts this close after the number
_ZONE_CHARS = 60  # the word for "zone" lies this close to the number
_AFTER_NUMBER = re.compile(r"\W{0,2}\w{1,16}")


@dataclass(frozen=True)
class ZoneDef:
    topic: str
    label: str
    weight: float
    number: str


class ZoneFinder:
    def __init__(self, defs: list[dict[str, Any]], lexicon: ContextLexicon) -> None:
        self.zones = tuple(ZoneDef(d["topic"], d["label"], float(d.get("weight", 0.9)),
                                   str(d["number"])) for d in defs)
        self.lexicon = lexicon
        self.literals = frozenset(z.number for z in self.zones)

    def find(self, pieces: list[tuple[str, str, Normalized]], spots: Spots,
             covered: dict[str, list[tuple[int, int]]], language: str | None,
             topics: frozenset[str] | set[str] | None = None,
             ) -> list[tuple[str, ZoneDef, int, int]]:
        """(field, zone, start, end) in original offsets for zones of `topics` (default all),
        outside the `covered` spans."""
        zones = [z for z in self.zones if topics is None or z.topic in topics]
        starts, offset = [], 0
        for _, _, norm in pieces:
            starts.append(offset)
            offset += len(norm.text) + 1
        out: list[tuple[str, ZoneDef, int, int]] = []
        seen: set[tuple[str, int]] = set()
        for zone in zones:
            for pos in spots.of(zone.number):
                i = bisect_right(starts, pos) - 1
                field, _, norm = pieces[i]
                local = pos - starts[i]
                p = local if norm.identity else norm.span(local, local + 1)[0]
                if (field, p) in seen or any(a <= p < b for a, b in covered.get(field, ())):
                    continue
                seen.add((field, p))
                end = self._check(zone, norm.original, p, language)
                if end is not None:
                    out.append((field, zone, p, end))
        return out

    def _check(self, zone: ZoneDef, text: str, p: int, language: str | None) -> int | None:
        """The end of "55 km" at `p` when a word for "zone" is near, else None."""
        end = p + len(zone.number)
        if p > 0 and (text[p - 1].isdigit() or text[p - 1] in ".,") or \
                end < len(text) and text[end].isdigit():
            return None  # part of another number (155, 5.55)
        if "km" not in self.lexicon.labels(text[end:end + _UNIT_CHARS], language):
            return None
        if "zone" not in self.lexicon.labels(text[max(0, p - _ZONE_CHARS):end + _ZONE_CHARS],
                                             language):
            return None
        unit = _AFTER_NUMBER.match(text, end)
        return unit.end() if unit else end
