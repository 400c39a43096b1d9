"""What the relevance matcher returns (`Hit`, `MatchResult`) and the raw hits it builds them
from: alias hits, their overlaps resolved, their sentences looked up last."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, NamedTuple

from matchers.sentences import sentence_ends, sentence_span
from matchers.topicdefs import Alias

__all__ = ["Hit", "MatchResult", "Raw", "Span", "dedupe", "with_sentences"]


@dataclass(frozen=True)
class Hit:
    topic: str
    term: str
    found: str
    field: str
    start: int
    end: int
    sentence: str


@dataclass(frozen=True)
class MatchResult:
    relevant: bool
    score: float
    topics: tuple[str, ...]
    hits: tuple[Hit, ...]
    parts: tuple[tuple[str, float], ...]
    reasons: tuple[str, ...]

    def key_sentence(self) -> str | None:
        """The sentence of the strongest text hit (earliest first), else the title's."""
        text_hits = [h for h in self.hits if h.field == "text"]
        best = text_hits[0] if text_hits else (self.hits[0] if self.hits else None)
        return best.sentence if best else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "relevant": self.relevant,
            "score": self.score,
            "topics": list(self.topics),
            "hits": [asdict(h) for h in self.hits],
            "parts": [list(p) for p in self.parts],
            "reasons": list(self.reasons),
            "key_sentence": self.key_sentence(),
        }


class Span(NamedTuple):
    """A hit before its sentence is known (cheaper to build than a frozen dataclass)."""

    topic: str
    term: str
    found: str
    field: str
    start: int
    end: int


class Raw(NamedTuple):
    alias: Alias
    hit: Span


def with_sentences(hits: list[Span], fields: dict[str, str]) -> tuple[Hit, ...]:
    bounds = {f: sentence_ends(s) for f, s in fields.items() if any(h.field == f for h in hits)}
    cut: dict[tuple[str, int, int], str] = {}  # hits in one sentence share it
    out = []
    for h in hits:
        s = fields[h.field]
        left, right = sentence_span(s, bounds[h.field], h.start, h.end)
        sentence = cut.get((h.field, left, right))
        if sentence is None:
            sentence = cut[h.field, left, right] = " ".join(s[left:right].split())
        out.append(Hit(h.topic, h.term, h.found, h.field, h.start, h.end, sentence))
    return tuple(out)


def dedupe(raws: list[Raw]) -> list[Raw]:
    """Keep the strongest hit where hits of one topic overlap ("al Tanf" holds bare "Tanf")."""
    ordered = sorted(raws, key=lambda r: (r.hit.field, r.hit.topic, r.hit.start))
    kept: list[Raw] = []
    cluster_end = -1
    for r in ordered:
        h = r.hit
        last = kept[-1].hit if kept else None
        if last and (last.field, last.topic) == (h.field, h.topic) and h.start < cluster_end:
            cluster_end = max(cluster_end, h.end)
            if (r.alias.weight, h.end - h.start) > (kept[-1].alias.weight, last.end - last.start):
                kept[-1] = r
            continue
        kept.append(r)
        cluster_end = h.end
    return sorted(kept, key=lambda r: (r.hit.field != "title", r.hit.start))
