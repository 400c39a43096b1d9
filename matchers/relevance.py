"""Relevance matcher: finds al-Tanf, Maghawir al-Thawra and the 55-km zone and scores the text.

Pure: text in, `MatchResult` out. Topic definitions (aliases, context words, look-alikes, weights,
threshold) are data in ``topics.toml``; `load_matcher` compiles them once.
"""

from __future__ import annotations

import re
import tomllib
from bisect import bisect_right
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from matchers.normalize import Folder, Normalized

__all__ = ["TOPICS", "Hit", "MatchResult", "Matcher", "load_matcher"]

TOPICS = ("al-tanf", "maghawir-al-thawra", "55km-zone")
_DEFAULT_PATH = Path(__file__).with_name("topics.toml")
_SENTENCE_END = re.compile(r"[.!?؟。]+[\"'»”)\]]*\s+|\s*\n\s*")
_SENTENCE_MAX = 300
# Patterns run only near their literals; every match is shorter than these margins.
_WINDOW_BACK = 80
_WINDOW_AHEAD = 100


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


@dataclass(frozen=True)
class _Alias:
    topic: str
    label: str
    weight: float
    literals: tuple[str, ...]
    literals_original: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    forms: frozenset[str]
    case: re.Pattern[str] | None
    not_case: re.Pattern[str] | None
    needs: str | None
    ambiguous: bool


@dataclass(frozen=True)
class _Term:
    label: str
    literals: tuple[str, ...]
    pattern: re.Pattern[str]


@dataclass(frozen=True)
class _TermSet:
    name: str
    terms: tuple[_Term, ...]
    min_terms: int = 1
    penalty: float = 0.0

    def found(self, text: str) -> list[str]:
        """Labels of the terms present (the literal check first: it is much cheaper)."""
        return [t.label for t in self.terms
                if any(t.pattern.search(text, lo, hi) for lo, hi in _windows(text, t.literals))]


@dataclass(frozen=True)
class _Raw:
    alias: _Alias
    hit: Hit


def _compile_alias(d: dict[str, Any]) -> _Alias:
    if d["topic"] not in TOPICS:
        raise ValueError(f"topics.toml: unknown topic {d['topic']!r}")
    case, not_case = d.get("case"), d.get("not_case")
    return _Alias(
        topic=d["topic"],
        label=d["label"],
        weight=float(d.get("weight", 1.0)),
        literals=tuple(d.get("literals", ())),
        literals_original=tuple(d.get("literals_original", ())),
        patterns=tuple(re.compile(p) for p in d["patterns"]),
        forms=frozenset(d.get("forms", ("folded",))),
        case=re.compile(case) if case else None,
        not_case=re.compile(not_case) if not_case else None,
        needs=d.get("needs"),
        ambiguous=bool(d.get("ambiguous", False)),
    )


def _compile_terms(name: str, d: dict[str, Any]) -> _TermSet:
    terms = tuple(_Term(t["label"], tuple(t["literals"]), re.compile(t["pattern"]))
                  for t in d["terms"])
    return _TermSet(name, terms, int(d.get("min_terms", 1)), float(d.get("penalty", 0.0)))


def _sentence(s: str, bounds: list[int], start: int, end: int) -> str:
    """The original sentence around [start, end), trimmed to about 300 characters."""
    i = bisect_right(bounds, start)
    left = bounds[i - 1] if i > 0 else 0
    right = next((b for b in bounds[i:] if b >= end), len(s))
    if right - left > _SENTENCE_MAX:
        left = max(left, start - _SENTENCE_MAX // 2)
        right = min(right, left + _SENTENCE_MAX)
    return " ".join(s[left:right].split())


def _windows(text: str, literals: tuple[str, ...]) -> list[tuple[int, int]]:
    """Merged [lo, hi) windows around every occurrence of the literals."""
    spots: list[int] = []
    for lit in literals:
        i = text.find(lit)
        while i >= 0:
            spots.append(i)
            i = text.find(lit, i + 1)
    spots.sort()
    out: list[tuple[int, int]] = []
    for i in spots:
        lo, hi = max(0, i - _WINDOW_BACK), min(len(text), i + _WINDOW_AHEAD)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _with_sentences(hits: list[Hit], fields: dict[str, str]) -> tuple[Hit, ...]:
    bounds = {f: [m.end() for m in _SENTENCE_END.finditer(s)] for f, s in fields.items()
              if any(h.field == f for h in hits)}
    return tuple(
        Hit(h.topic, h.term, h.found, h.field, h.start, h.end,
            _sentence(fields[h.field], bounds[h.field], h.start, h.end))
        for h in hits
    )


def _dedupe(raws: list[_Raw]) -> list[_Raw]:
    """Keep the strongest hit where hits of one topic overlap ("al Tanf" holds bare "Tanf")."""
    ordered = sorted(raws, key=lambda r: (r.hit.field, r.hit.topic, r.hit.start))
    kept: list[_Raw] = []
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


class Matcher:
    """Compiled topic definitions; `match` is pure and cheap."""

    def __init__(self, config: dict[str, Any], threshold: float | None = None) -> None:
        self.scoring: dict[str, float] = {k: float(v) for k, v in config["scoring"].items()}
        self.threshold = float(threshold if threshold is not None else self.scoring["threshold"])
        self._aliases = tuple(_compile_alias(a) for a in config["alias"])
        self._context = _compile_terms("context", config["context"])
        self._lookalikes = tuple(_compile_terms(d["name"], d) for d in config.get("lookalike", ()))
        self._folder = Folder()

    def _find(self, norm: Normalized, field: str, form: str) -> list[_Raw]:
        out: list[_Raw] = []
        text = norm.text
        for alias in self._aliases:
            if form not in alias.forms:
                continue
            if alias.literals_original:
                windows = _windows(norm.original, alias.literals_original)
                if windows and not norm.identity:  # original offsets differ from folded ones
                    windows = [(0, len(text))]
            else:
                windows = _windows(text, alias.literals)
            for lo, hi in windows:
                out += self._find_in(alias, norm, field, lo, hi)
        return out

    def _find_in(self, alias: _Alias, norm: Normalized, field: str, lo: int,
                 hi: int) -> list[_Raw]:
        out: list[_Raw] = []
        for pat in alias.patterns:
            for m in pat.finditer(norm.text, lo, hi):
                if m.end() == hi < len(norm.text):
                    continue  # cut by the window edge; its literal's own window holds it whole
                start, end = norm.span(m.start(), m.end())
                found = norm.original[start:end]
                if alias.case and not alias.case.fullmatch(found):
                    continue
                if alias.not_case and alias.not_case.search(found):
                    continue
                out.append(_Raw(alias, Hit(alias.topic, alias.label, found, field, start, end, "")))
        return out

    def _collect(self, fields: dict[str, str]) -> tuple[list[_Raw], str]:
        raws: list[_Raw] = []
        folded: list[str] = []
        for field, s in fields.items():
            if not s:
                continue
            norm = self._folder.fold(s)
            folded.append(norm.text)
            raws += self._find(norm, field, "folded")
            if self._folder.needs_romanised(s):
                rom = self._folder.romanise(s)
                folded.append(rom.text)
                raws += self._find(rom, field, "romanised")
        return _dedupe(raws), "\n".join(folded)

    def _gate(self, raws: list[_Raw], context: list[str], suppressing: list[_TermSet],
              reasons: list[str]) -> list[_Raw]:
        """Drop ambiguous hits in look-alike context and hits whose `needs` are unmet.

        Ungated hits are accepted first; "context" hits need another accepted hit or enough
        context words; "topic" hits need another accepted hit (of a different alias).
        """
        if suppressing:
            for r in raws:
                if r.alias.ambiguous:
                    reasons.append(f"ignored {r.hit.found!r}: look-alike context")
            raws = [r for r in raws if not r.alias.ambiguous]
        kept = [r for r in raws if r.alias.needs is None]
        enough_context = len(context) >= self.scoring["context_min"]
        for needs in ("context", "topic"):
            accepted = list(kept)
            for r in raws:
                if r.alias.needs != needs:
                    continue
                others = any(k.alias.label != r.alias.label for k in accepted)
                if others or (needs == "context" and enough_context):
                    kept.append(r)
                else:
                    reasons.append(f"ignored {r.hit.found!r} ({r.alias.label}): needs {needs}")
        return sorted(kept, key=lambda r: (r.hit.field != "title", r.hit.start))

    def _mention_weights(self, body: list[_Raw]) -> list[float]:
        """Weights of distinct text mentions: hits of one topic close together count once."""
        gap = self.scoring["same_mention_chars"]
        weights: list[float] = []
        last: dict[str, int] = {}
        for r in sorted(body, key=lambda r: r.hit.start):
            prev = last.get(r.alias.topic)
            if prev is not None and r.hit.start - prev <= gap:
                weights[-1] = max(weights[-1], r.alias.weight)
            else:
                weights.append(r.alias.weight)
            last[r.alias.topic] = r.hit.end
        return weights

    def _score(self, hits: list[_Raw], context: list[str], text_len: int,
               penalty: float) -> list[tuple[str, float]]:
        sc = self.scoring
        parts: list[tuple[str, float]] = []
        title_w = max((r.alias.weight for r in hits if r.hit.field == "title"), default=0.0)
        if title_w:
            parts.append(("title", round(sc["title"] * title_w, 3)))
        body = [r for r in hits if r.hit.field == "text"]
        weights = self._mention_weights(body)
        if weights:
            parts.append(("mention", round(sc["first_mention"] * max(weights), 3)))
        if len(weights) > 1:
            extra = sc["per_mention"] * (sum(weights) - max(weights))
            parts.append(("repeats", round(min(sc["max_mentions"], extra), 3)))
        in_lead = any(r.hit.start < sc["lead_chars"] for r in body)
        if in_lead:
            parts.append(("lead", sc["lead"]))
        n_topics = len({r.alias.topic for r in hits})
        if n_topics > 1:
            parts.append(("topics", round(sc["per_topic"] * (n_topics - 1), 3)))
        if context and hits:
            ctx = min(sc["max_context"], sc["per_context"] * len(context))
            parts.append(("context", round(ctx, 3)))
        is_passing = len(weights) == 1 and not in_lead and not title_w
        if is_passing and text_len >= sc["passing_min_chars"]:
            parts.append(("passing", sc["passing"]))
        if penalty:
            parts.append(("lookalike", penalty))
        return parts

    def match(self, text: str, title: str = "", language: str | None = None) -> MatchResult:
        """Score one article. `language` is accepted for callers; matching covers all scripts."""
        raws, folded = self._collect({"title": title or "", "text": text or ""})
        if not raws:
            return MatchResult(False, 0.0, (), (), (), ("no topic term found",))
        reasons: list[str] = []
        context = self._context.found(folded)
        suppressing = []
        for la in self._lookalikes:
            terms = la.found(folded)
            if len(terms) >= la.min_terms:
                suppressing.append(la)
                reasons.append(f"{la.name} context: {', '.join(terms)}")
        accepted = self._gate(raws, context, suppressing, reasons)
        dropped_any = len(accepted) < len(raws) and suppressing
        penalty = min((la.penalty for la in suppressing), default=0.0) if dropped_any else 0.0
        parts = self._score(accepted, context, len(text or ""), penalty)
        score = round(max(0.0, min(1.0, sum(v for _, v in parts))), 3)
        topics = tuple(t for t in TOPICS if any(r.alias.topic == t for r in accepted))
        fields = {"title": title or "", "text": text or ""}
        hits = _with_sentences([r.hit for r in accepted], fields)
        if context:
            reasons.append("context: " + ", ".join(context))
        relevant = bool(hits) and score >= self.threshold
        return MatchResult(relevant, score, topics, hits, tuple(parts), tuple(reasons))


def load_matcher(path: str | Path | None = None, *, threshold: float | None = None) -> Matcher:
    """Load and compile topic definitions (default: the package's topics.toml)."""
    with open(path or _DEFAULT_PATH, "rb") as fh:
        config = tomllib.load(fh)
    return Matcher(config, threshold)
