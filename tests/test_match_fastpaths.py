"""The relevance matcher's fast paths decide exactly as the code they replaced.

`Folder.fold` splits once, `Folder.romanise` maps offsets run by run, `LiteralIndex` uses
ahocorasick_rs's DFA, `Scan` searches a pattern's body before its lookbehind, `_find` looks only
at aliases whose literals occur, context terms skip labels already found and hits of one
sentence share it. The references below are the former code; they are compared on the corpus
and on thousands of random and mutated strings in many scripts.
"""

from __future__ import annotations

import json
import random
import re
import tomllib
from functools import cache

import pytest
from anyascii import anyascii

from matchers.hits import Hit, MatchResult, Raw, Span, dedupe
from matchers.literals import LiteralIndex, Spots, ahocorasick_rs
from matchers.normalize import Folder, Normalized, _Anchors, _not_plain_ascii, fold_char
from matchers.relevance import _DEFAULT_PATH, Matcher, _near_any, load_matcher
from matchers.scan import SCRIPTS, Scan, needed_script
from matchers.scoring import gate, score_parts
from matchers.sentences import sentence_at, sentence_ends
from matchers.topicdefs import Alias, TermSet
from tests.conftest import SHARED


def _corpus() -> list[dict[str, str]]:
    path = SHARED / "corpus" / "dev.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


# Pieces random strings are made of: every script the matcher reads or romanises, the
# characters folding treats specially, and the words the topics are made of.
_POOLS = [
    "abcdefghijklmnopqrstuvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " .,;:!?'\"()-\n\t",
    "\u2018\u2019\u201c\u201d\u2013\u2014\u00ab\u00bb\u00ad\u200b\u200c\u200d\u2060\ufeff\u0640",
    "\u00e0\u00e9\u00ee\u00f5\u00fc\u00e7\u0131\u0130\u015f\u011f\u1ebf\u00df\ufb01\u2460\u00bd",
    "\u0627\u0644\u062a\u0646\u0641\u0642\u0627\u0639\u062f\u0629\u0623\u0625\u0649\u064b\u064e"
    "\u0651\u0660\u0665\u06cc\u06a9\u0645\u063a\u0648\u064a\u0631",
    "\u0430\u0431\u0432\u0433\u0434\u0435\u0451\u0442\u043d\u0444\u0410\u0422\u0424\u0438\u0439",
    "\u03b1\u03b2\u03b3\u03c4\u03bd\u03c6\u03a3\u03c3\u03c2\u03ac\u0398",
    "\u05d8\u05e0\u05e3\u05d0\u05dc\u05be",
    "\u6771\u4eac\u5766\u592b\u30bf\u30f3\u30d5\u3042\uac00\ud55c",
    "\u0924\u0928\u092b\u093c\u0e44\u0e17\u0e22\u1019\u103a\u10e2",
    "\U0001f600\U0001d400\U00010400\u0300\u0301\u20ac",
]
_WORDS = [
    "al-Tanf", "Tanf", "TANF", "At-Tanf", "al Tanf", "altanf", "Tanf's", "tanf(", "Al-Tanaf",
    "\u0627\u0644\u062a\u0646\u0641",
    "\u0642\u0627\u0639\u062f\u0629 \u0627\u0644\u062a\u0646\u0641",
    "\u0410\u0442-\u0422\u0430\u043d\u0444", "\u0422\u0430\u043d\u0444\u0435",
    "\u03a4\u03b1\u03bd\u03c6",
    "\u05d8\u05e0\u05e3", "\u5766\u592b", "\u30bf\u30f3\u30d5", "\u0924\u0928\u092b\u093c",
    "Maghawir al-Thawra", "Mughawir al Thowra",
    "\u0645\u063a\u0627\u0648\u064a\u0631 \u0627\u0644\u062b\u0648\u0631\u0629",
    "\u041c\u0430\u0433\u0430\u0432\u0438\u0440 \u0430\u0441-\u0421\u0430\u0443\u0440\u0430", "MaT",
    "SFA", "NSyA", "Revolutionary Commando Army", "New Syrian Army", "55 km", "55-kilometre zone",
    "55km", "fifty-five kilometers", "34 miles", "deconfliction zone", "exclusion zone",
    "\u0645\u0646\u0637\u0642\u0629 55 \u0643\u0645", "55 \u043a\u043c \u0437\u043e\u043d\u0430",
    "zona de 55 km", "Syria", "\u0633\u0648\u0631\u064a\u0627", "\u0421\u0438\u0440\u0438\u044f",
    "US-led coalition", "U.S. forces", "American troops", "base", "military", "garrison",
    "border", "Jordan", "Iraq", "Rukban", "ISIS", "Palmyra", "Deir ez-Zor", "rebels", "militia",
    "welfare", "benefits", "needy families", "block grant", "cash assistance", "Medicaid", "SNAP",
    "state agencies", "eligibility", "precise_math", "troops", "camp",
    "\u0642\u0627\u0639\u062f\u0629",
    "\u0432\u043e\u0435\u043d\u043d\u0430\u044f \u0431\u0430\u0437\u0430", "Stanford", "tenef",
]


def _random_text(rng: random.Random, size: int) -> str:
    out: list[str] = []
    while sum(map(len, out)) < size:
        if rng.random() < 0.3:
            out.append(rng.choice(_WORDS))
        else:
            pool = rng.choice(_POOLS)
            out.append("".join(rng.choice(pool) for _ in range(rng.randint(1, 12))))
        if rng.random() < 0.5:
            out.append(rng.choice(" \n.,"))
    return "".join(out)


def _mutated(rng: random.Random, text: str) -> str:
    for _ in range(rng.randint(1, 6)):
        at = rng.randint(0, len(text))
        cut = rng.randint(0, 20) if rng.random() < 0.3 else 0
        text = text[:at] + _random_text(rng, rng.randint(1, 40)) + text[at + cut:]
    return text


@cache
def _strings() -> tuple[str, ...]:
    rng = random.Random(17)
    corpus = [r["text"] for r in _corpus()] + [r.get("title", "") for r in _corpus()]
    short = [_random_text(rng, rng.choice((5, 40, 200, 900))) for _ in range(1500)]
    mutated = [_mutated(rng, rng.choice(corpus)) for _ in range(300)]
    return (*short, *mutated)


# --- the former code ---------------------------------------------------------------------

def _reference_fold(folder: Folder, text: str) -> Normalized:
    special = re.compile(folder._special.pattern[1:-1])  # (without the group split needs)
    pieces: list[str] = []
    anchors = _Anchors()
    last = 0
    for m in special.finditer(text):
        pos = m.start()
        ch = text[pos]
        rep = folder._table.get(ch)
        if rep is None:
            rep = ch.lower()
        pieces.append(text[last:pos])
        pieces.append(rep)
        if len(rep) != 1:
            anchors.add(pos, len(rep))
        last = pos + 1
    if not pieces:
        return Normalized(text, text.lower())
    pieces.append(text[last:])
    return Normalized(text, "".join(pieces).lower(), anchors.breaks, anchors.deltas)


def _reference_romanise(text: str) -> Normalized:
    pieces: list[str] = []
    anchors = _Anchors()
    last = 0
    for m in _not_plain_ascii().finditer(text):
        pieces.append(text[last:m.start()].lower())
        for pos in range(m.start(), m.end()):
            rep = anyascii(fold_char(text[pos])).lower()
            pieces.append(rep)
            if len(rep) != 1:
                anchors.add(pos, len(rep))
        last = m.end()
    pieces.append(text[last:].lower())
    return Normalized(text, "".join(pieces), anchors.breaks, anchors.deltas)


def _reference_found(terms: TermSet, spots: Spots) -> list[str]:
    text = spots.text
    occurring = spots.found if spots.complete else None
    found = [t.label for t in terms.terms
             if (occurring is None or any(lit in occurring for lit in t.literals))
             and any(t.pattern.search(text, lo, hi)
                     for lo, hi in spots.iter_windows(t.literals, reach=t.reach or terms.reach))]
    return list(dict.fromkeys(found))


def _reference_sentences(hits: list[Span], fields: dict[str, str]) -> tuple[Hit, ...]:
    bounds = {f: sentence_ends(s) for f, s in fields.items() if any(h.field == f for h in hits)}
    return tuple(Hit(h.topic, h.term, h.found, h.field, h.start, h.end,
                     sentence_at(fields[h.field], bounds[h.field], h.start, h.end))
                 for h in hits)


class _Reference(Matcher):
    """The matcher as it was: the former folding, pyahocorasick, every alias in every piece,
    patterns as written."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._reference_index = LiteralIndex(self._literals.table, accelerate="pyahocorasick")

    def _collect(self, fields: dict[str, str],
                 ) -> tuple[list[Raw], Spots, list[tuple[str, str, Normalized]]]:
        pieces: list[tuple[str, str, Normalized]] = []
        for field, s in fields.items():
            if not s:
                continue
            pieces.append((field, "folded", _reference_fold(self._folder, s)))
            if self._folder.needs_romanised(s):
                pieces.append((field, "romanised", _reference_romanise(s)))
        spots = self._reference_index.spots("\n".join(norm.text for _, _, norm in pieces))
        raws: list[Raw] = []
        offset = 0
        for field, form, norm in pieces:
            raws += self._find(norm, field, form, spots, offset)
            offset += len(norm.text) + 1
        return dedupe(raws), spots, pieces

    def _find(self, norm: Normalized, field: str, form: str, spots: Spots,
              offset: int) -> list[Raw]:
        out: list[Raw] = []
        text = norm.text
        end = offset + len(text)
        present = spots.present(self._alias_literals, offset, end)
        cache: dict[tuple[tuple[str, ...], tuple[int, int]], list[tuple[int, int]]] = {}
        for alias in self._aliases:
            if form not in alias.forms:
                continue
            if alias.literals_original:
                lowered = tuple(lit.lower() for lit in alias.literals_original)
                if any(low in present and lit in norm.original
                       for low, lit in zip(lowered, alias.literals_original, strict=True)):
                    windows = spots.windows(lowered, offset, end)
                    out += self._find_in(alias, norm, field, windows, alias.patterns)
                continue
            if not alias.literals:
                out += self._find_in(alias, norm, field, [(0, len(text))], alias.patterns)
                continue
            if present.isdisjoint(alias.literals):
                continue
            for literals, patterns in alias.groups:
                if present.isdisjoint(literals):
                    continue
                key = (literals, alias.reach)
                windows = cache.get(key) or cache.setdefault(
                    key, spots.windows(literals, offset, end, alias.reach))
                out += self._find_in(alias, norm, field, windows, patterns)
        return out

    def _find_in(self, alias: Alias, norm: Normalized, field: str,  # type: ignore[override]
                 windows: list[tuple[int, int]], patterns: tuple[re.Pattern[str], ...],
                 ) -> list[Raw]:
        out: list[Raw] = []
        text, size = norm.text, len(norm.text)
        spans = [(m, hi) for lo, hi in windows for pat in patterns
                 for m in pat.finditer(text, lo, hi)]
        for m, hi in spans:
            if m.end() == hi < size:
                continue
            start, end = norm.span(m.start(), m.end())
            found = norm.original[start:end]
            if alias.case and not alias.case.fullmatch(found):
                continue
            if alias.not_case and alias.not_case.search(found):
                continue
            if alias.near and not _near_any(text, m.start(), m.end(), alias.near):
                continue
            out.append(Raw(alias, Span(alias.topic, alias.label, found, field, start, end)))
        return out

    def _decide(self, raws: list[Raw], spots: Spots, fields: dict[str, str],
                language: str | None, beside: set[str]) -> MatchResult:
        reasons: list[str] = []
        context = _reference_found(self._context, spots)
        suppressing = []
        for la in self._lookalikes:
            terms = _reference_found(la, spots)
            if len(terms) >= la.min_terms:
                suppressing.append(la)
                reasons.append(f"{la.name} context: {', '.join(terms)}")
        accepted = gate(raws, context, suppressing, reasons,
                        lambda h: self._near(fields, h, language), self.scoring)
        dropped_any = len(accepted) < len(raws) and suppressing
        penalty = min((la.penalty for la in suppressing), default=0.0) if dropped_any else 0.0
        context += sorted(beside - set(context))
        text_len = len(fields["text"])
        parts = score_parts(accepted, context, text_len, penalty, False, self.scoring)
        score = round(max(0.0, min(1.0, sum(v for _, v in parts))), 3)
        if accepted and self.threshold - self.scoring["named"] <= score < self.threshold \
                and self._named(accepted, fields, language):
            parts = score_parts(accepted, context, text_len, penalty, True, self.scoring)
            score = round(max(0.0, min(1.0, sum(v for _, v in parts))), 3)
        topics = self.registry.order([r.alias.topic for r in accepted])
        hits = _reference_sentences([r.hit for r in accepted], fields)
        if context:
            reasons.append("context: " + ", ".join(context))
        relevant = bool(hits) and score >= self.threshold
        return MatchResult(relevant, score, topics, hits, tuple(parts), tuple(reasons))


@cache
def _matchers() -> tuple[Matcher, Matcher]:
    with open(_DEFAULT_PATH, "rb") as fh:
        config = tomllib.load(fh)
    return load_matcher(), _Reference(config)


# --- the comparisons -----------------------------------------------------------------------

def test_fold_equals_the_former_loop() -> None:
    folder = Folder()
    for text in _strings():
        got, want = folder.fold(text), _reference_fold(folder, text)
        assert (got.text, got._breaks, got._deltas) == (want.text, want._breaks, want._deltas)


def test_romanise_maps_every_offset_as_the_flat_map() -> None:
    folder = Folder()
    texts = [t for t in _strings() if folder.needs_romanised(t)]
    assert len(texts) > 500
    for text in texts:
        got, want = folder.romanise(text), _reference_romanise(text)
        assert got.text == want.text
        assert got.identity == want.identity
        for pos in range(len(got.text) + 2):
            assert got.to_original(pos) == want.to_original(pos), (text, pos)
        assert (got._breaks, got._deltas) == (want._breaks, want._deltas)


@pytest.mark.skipif(ahocorasick_rs is None, reason="ahocorasick_rs not installed")
def test_romanise_equals_the_per_character_loop_also_when_runs_recur() -> None:
    folder = Folder()
    texts = [r["text"] for r in _corpus()] + [
        "Пальмира Пальмира تدمر تدمر — Ωμέγα Ωμέγα 東京 東京",
        "東京\u00ad東京a東b\u200b京 ①\u00bd東京東京 ﬁ東 မြန်မာ 한국어 ไทย",  # deletions, expansions
    ]
    for text in texts + texts:  # the second round is served from the run cache
        got, want = folder.romanise(text), _reference_romanise(text)
        assert (got.text, got._breaks, got._deltas) == (want.text, want._breaks, want._deltas)
        if not re.search(r"[^\x00-\x7f]", text):
            continue
        for pos in range(0, len(got.text), 7):
            assert got.to_original(pos) == want.to_original(pos)


def test_the_dfa_finds_what_pyahocorasick_and_plain_search_find() -> None:
    new, _ = _matchers()
    literals = list(new._literals.table)
    dfa, pyac = LiteralIndex(literals), LiteralIndex(literals, accelerate="pyahocorasick")
    plain = LiteralIndex(literals[::7], accelerate=False)
    for text in _strings():
        folded = new._folder.fold(text).text
        assert dfa.spots(folded).found == pyac.spots(folded).found
        spots = plain.spots(folded)
        for lit in literals[::7]:
            assert dfa.spots(folded).of(lit) == spots.of(lit)


def test_scans_find_what_their_patterns_find() -> None:
    new, _ = _matchers()
    patterns = {p.pattern: p for a in new._aliases for p in a.patterns}
    patterns |= {t.pattern.pattern: t.pattern
                 for ts in (new._context, *new._lookalikes) for t in ts.terms}
    scans = [Scan(p) for p in patterns.values()]
    assert sum(s._body is not None for s in scans) >= 30  # most of them skip ahead
    rng = random.Random(5)
    texts = [new._folder.fold(t).text for t in _strings()[::3]]
    for text in texts:
        for scan in scans:
            lo = rng.randint(0, len(text))
            hi = rng.randint(lo, len(text))
            for a, b in ((0, len(text)), (lo, hi)):
                want = [m.span() for m in scan.pattern.finditer(text, a, b)]
                assert [m.span() for m in scan.finditer(text, a, b)] == want
                first = scan.pattern.search(text, a, b)
                got = scan.search(text, a, b)
                assert (got and got.span()) == (first and first.span())


def test_a_top_level_alternation_keeps_its_lookbehind_to_the_first_branch() -> None:
    scan = Scan(re.compile(r"(?<!\w)welfare|aide sociale"))
    assert scan._body is None  # the lookbehind binds "welfare" only: scanned as written
    assert [m.span() for m in scan.finditer("xaide sociale", 0, 13)] == [(1, 13)]


def test_matches_equal_the_former_matcher_on_corpus_and_random_texts() -> None:
    new, ref = _matchers()
    rows = _corpus()
    assert rows
    cases = [(r["text"], r.get("title", ""), lang) for r in rows
             for lang in (None, r.get("language"))]
    rng = random.Random(3)
    strings = _strings()
    cases += [(text, rng.choice(strings[:200]) if rng.random() < 0.5 else "",
               rng.choice((None, "en", "ar", "ru", "el", "zh")))
              for text in strings]
    relevant = 0
    for text, title, language in cases:
        got = new.match(text, title=title, language=language)
        assert got == ref.match(text, title=title, language=language), (title, text[:200])
        relevant += got.relevant
    assert relevant > 50  # the comparison covers decisions both ways


def test_a_pattern_said_to_need_a_script_matches_only_with_a_letter_of_it() -> None:
    new, _ = _matchers()
    patterns = {p.pattern: p for a in new._aliases for p in a.patterns}
    needing = {src: (p, needed_script(p)) for src, p in patterns.items() if needed_script(p)}
    assert len(needing) >= 10  # the Arabic and Cyrillic spellings
    assert needed_script(re.compile(r"(?<![\w.,])55\s?-?\s?(?:km|км)")) is None  # either script
    assert needed_script(re.compile(r"[мm][ауa]г")) == "cyrillic"  # "г" is always there
    texts = [new._folder.fold(t).text for t in _strings()]
    seen = 0
    for pattern, script in needing.values():
        lo, hi = SCRIPTS[script]
        for text in texts:
            for m in pattern.finditer(text):
                seen += 1
                assert any(lo <= ord(c) <= hi for c in m.group()), (pattern.pattern, m)
    assert seen > 20


def test_windows_equal_the_lazy_merge() -> None:
    rng = random.Random(11)
    literals = ["ab", "b", "abc", "ca", "a", "\u0442\u0430"]
    index = LiteralIndex(literals)
    for _ in range(5000):
        text = "".join(rng.choice("abcx \u0442\u0430") for _ in range(rng.randint(0, 400)))
        spots = index.spots(text)
        chosen = tuple(rng.sample(literals, rng.randint(1, 3)))
        lo = rng.randint(0, len(text))
        hi = rng.randint(lo, len(text))
        reach = (rng.randint(0, 90), rng.randint(1, 110))
        for a, b in ((0, None), (lo, hi)):
            assert spots.windows(chosen, a, b, reach) == list(
                spots.iter_windows(chosen, a, b, reach))
