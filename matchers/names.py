"""Names in any script, found by their consonant skeleton: al-Tanf -> "tnf", in any spelling.

"Tanf", "al-Tanf", "التنف", "טנף", "तनफ़", "Τανφ", "タンフ" and "坦夫" all give "tnf" (after an
optional article "l"; see `matchers.skeleton`). A name of several words is matched word by word
("mgwr" + "twr"/"swr"/...), with a small edit tolerance for long names only.

Where to look is found cheaply: each name's first consonants, spelled every common way
(`matchers.skeleton.literals`), are literals of the matcher's one Aho-Corasick pass; only around
those spots is the original text tokenised (Han characters one by one) and checked. A
candidate counts only with a context word of the text's own language near it (see
`matchers.context`), and an all-capitals Latin "TANF" (the welfare programme) never counts.
Pure: text in, hits out.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from anyascii import anyascii
from rapidfuzz.distance import Levenshtein

from matchers.context import GATE, ContextLexicon
from matchers.literals import Spots
from matchers.normalize import Normalized, _char_class
from matchers.skeleton import literals, native_letters, romanise, skeleton

__all__ = ["NameDef", "NameFinder", "NameHit", "compile_name"]

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_KANA = "\u3040-\u30ff"
_HIRAGANA, _KATAKANA = "\u3040-\u309f", "\u30a0-\u30ff"
_MARKS = _char_class([chr(c) for c in range(0x300, 0x10000)
                      if unicodedata.category(chr(c)) in ("Mn", "Mc", "Me")])[1:-1]
_APOSTROPHE = "'\u2019\u02bc\u05f3"
_LETTER = f"(?:[^\\W\\d_{_HAN}{_KANA}]|[{_MARKS}])"
_TOKEN = re.compile(f"[{_HAN}]|[{_HIRAGANA}]+|[{_KATAKANA}]+"
                    f"|{_LETTER}+(?:[{_APOSTROPHE}]{_LETTER}+)*")
_ARTICLES = frozenset({"al", "el", "ul", "il", "a", "e", "as", "at", "ath", "ash", "es", "et",
                       "ad", "ar", "an", "az", "l", "'l", "", "'"})
_NOT_LETTER = re.compile(r"[^a-z]")
_SEMITIC = re.compile("[\u0590-\u06ff\u0750-\u08ff]")
_CONTEXT_CHARS = 150  # context words must lie this close to the name
_BEFORE, _AFTER = 16, 48  # the stretch tokenised around a candidate spot (a name fits)


@dataclass(frozen=True)
class NameDef:
    topic: str
    label: str
    weight: float
    words: tuple[tuple[str, ...], ...]  # per word of the name, the skeletons it may have
    tolerance: int  # edits allowed over the whole name (0 for short names)
    ambiguous: bool
    shape: re.Pattern[str] | None  # what the romanised word must look like, vowels included
    # literals that every spelling's folded or romanised form holds
    cores: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class NameHit:
    name: NameDef
    start: int
    end: int
    found: str
    context: frozenset[str]


def compile_name(d: dict[str, Any], native: dict[str, dict[str, list[str]]] | None = None,
                 ) -> NameDef:
    words = tuple(tuple(w) for w in d["words"])
    return NameDef(d["topic"], d["label"], float(d.get("weight", 0.9)), words,
                   int(d.get("tolerance", 0)), bool(d.get("ambiguous", False)),
                   re.compile(d["shape"]) if d.get("shape") else None,
                   literals(words[0][0], native if native is not None else native_letters()))


class NameFinder:
    """Compiled names; `check` decides whether a spot of the text holds one of them."""

    def __init__(self, defs: list[dict[str, Any]], lexicon: ContextLexicon) -> None:
        native = native_letters()
        self.names = tuple(compile_name(d, native) for d in defs)
        self.lexicon = lexicon
        self.literals = frozenset(c for n in self.names for c in n.cores)
        self._literal_set = set(self.literals)
        by_literal: dict[str, list[NameDef]] = {}
        for name in self.names:  # one pass: the literals number in the thousands
            for lit in dict.fromkeys(name.cores):
                by_literal.setdefault(lit, []).append(name)
        self._by_literal = {lit: tuple(names) for lit, names in by_literal.items()}

    def _present(self, spots: Spots, topics: frozenset[str]) -> list[str]:
        """The literals of names of `topics` that occur in the indexed text."""
        literals = self._literal_set
        if spots.complete:  # (the accelerated index lists every literal that occurs)
            present = [lit for lit in spots.found if lit in literals]
        else:
            present = [lit for lit in self.literals if spots.of(lit)]
        return sorted(lit for lit in present
                      if any(n.topic in topics for n in self._by_literal[lit]))

    def find(self, pieces: list[tuple[str, str, Normalized]], spots: Spots,
             covered: dict[str, list[tuple[int, int]]], language: str | None,
             topics: frozenset[str]) -> list[tuple[str, NameHit]]:
        """(field, hit) for names of `topics` around the literals in the joined `pieces`
        (field, form, normalised text: see relevance), except where an alias already matched
        (`covered`: original spans per field)."""
        starts, offset = [], 0
        for _, _, norm in pieces:
            starts.append(offset)
            offset += len(norm.text) + 1
        spans = {f: sorted(v) for f, v in covered.items()}
        seen: set[tuple[str, int]] = set()
        out: list[tuple[str, NameHit]] = []
        for lit in self._present(spots, topics):
            names = [n for n in self._by_literal[lit] if n.topic in topics]
            for pos in spots.of(lit):
                i = bisect_right(starts, pos) - 1
                field, form, norm = pieces[i]
                p = _candidate(spots.text, pos, pos - starts[i], form, norm)
                if p is None or (field, p) in seen or _inside(spans.get(field, ()), p):
                    continue
                seen.add((field, p))
                for name in names:
                    hit = self.check(name, norm.original, p, language)
                    if hit is not None:
                        out.append((field, hit))
                        spans[field] = sorted([*spans.get(field, ()), (hit.start, hit.end)])
        return out

    def check(self, name: NameDef, text: str, pos: int, language: str | None,
              ) -> NameHit | None:
        """The name at original offset `pos` of `text` (a core starts there), with context."""
        if not _starts_word(text, pos):
            return None
        lo, hi = max(0, pos - _BEFORE), min(len(text), pos + _AFTER)
        tokens = [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, lo, hi)]
        at = next((i for i, (a, b, _) in enumerate(tokens) if a <= pos < b), None)
        if at is None:
            return None
        span = _match_at(name, tokens, at)
        if span is None:
            return None
        start, end = span
        window = text[max(0, start - _CONTEXT_CHARS):end + _CONTEXT_CHARS]
        labels = self.lexicon.labels(window, language) & GATE
        if not labels:
            return None
        return NameHit(name, start, end, text[start:end], frozenset(labels))


def _candidate(joined: str, pos: int, local: int, form: str, norm: Normalized) -> int | None:
    """The original offset of a literal found at `pos` of the joined text (`local` in its
    piece), or None when cheap tests rule a name out there."""
    before = joined[pos - 1] if pos else " "
    if form == "folded" and before.isascii() and before.isalpha() and before not in "lt":
        return None  # inside a word ("image", "smuggling")
    p = local if norm.identity else norm.span(local, local + 1)[0]
    head = norm.original[p:p + 4]
    if head.isascii() and head.isupper():
        return None  # "TANF": the welfare programme's acronym
    return p


def _inside(spans: list[tuple[int, int]] | tuple[()], p: int) -> bool:
    """Whether `p` lies in one of the sorted (short) spans, or just before one."""
    i = bisect_right(spans, (p + 8, 1 << 62)) - 1  # the last span starting by p + 8
    while i >= 0 and spans[i][1] > p - 200:  # spans are short: look back a little only
        if p < spans[i][1]:
            return True
        i -= 1
    return False


def _starts_word(text: str, pos: int) -> bool:
    """Cheap first test: a literal inside a word ("image", "smuggling") or in capitals
    ("TANF") is no name; an article or attached particle may stand before it ("altanf")."""
    head = text[pos:pos + 4]
    if head.isascii() and head.isupper():
        return False
    if pos == 0 or not text[pos - 1].isalpha():
        return True
    before = text[pos - 1]
    return before in "lLtT" or not before.isascii() and not "\u00c0" <= before <= "\u052f"


def _word_ok(token: str, wanted: tuple[str, ...], budget: int,
             shape: re.Pattern[str] | None = None) -> int | None:
    """Edits used to read `token` as one of the `wanted` skeletons (article allowed); its
    romanised letters must also fit `shape`, if given."""
    if len(token) >= 3 and token.isupper() and token.isascii():
        return None  # "TANF": the welfare programme's acronym, never the base
    words = {token, *(token.split(cut)[0] for cut in _APOSTROPHE if cut in token)}
    if shape is not None:  # (the cut is for Turkish suffixes after an apostrophe: "Tanf'ın")
        words = {w for w in words if shape.fullmatch(_NOT_LETTER.sub("", romanise(w)))}
    semitic = _SEMITIC.search(token) is not None
    best: int | None = None
    for form in {skeleton(w) for w in words}:
        for variant in _without_article(form, semitic):
            for w in wanted:
                d = Levenshtein.distance(variant, w, score_cutoff=budget)
                if d <= budget and (best is None or d < best):
                    best = d
    return best


def _without_article(form: str, semitic: bool) -> list[str]:
    """The skeleton as written and without an attached article ("ltnf" -> "tnf")."""
    out = [form]
    if semitic and len(form) > 1 and form[0] in "wfbk":
        form = form[1:]
        out.append(form)
    if len(form) > 3 and form[0] == "l":
        out.append(form[1:])
    return out


def _match_at(name: NameDef, tokens: list[tuple[int, int, str]], at: int,
              ) -> tuple[int, int] | None:
    """Offsets of the name if it starts at token `at` (Han names span several characters)."""
    first = name.words[0]
    start, end, word = tokens[at]
    used = _word_ok(word, first, name.tolerance, name.shape)
    j = at
    while used is None and j + 1 < len(tokens) and _is_han(word) and j - at < 3:
        j += 1  # Han: each character is a token; "坦夫" is read as one word
        if tokens[j][0] != end:
            break
        end, word = tokens[j][1], word + tokens[j][2]
        used = _word_ok(word, first, name.tolerance, name.shape)
    if used is None:
        return None
    for wanted in name.words[1:]:
        j, cost = _next_word(tokens, j, end, wanted, name.tolerance - used)
        if cost is None:
            return None
        used += cost
        end = tokens[j][1]
    return start, end


def _next_word(tokens: list[tuple[int, int, str]], j: int, end: int, wanted: tuple[str, ...],
               budget: int) -> tuple[int, int | None]:
    """The next word of a name after token `j`, past one article ("al", "as", "א")."""
    k = j + 1
    if k >= len(tokens) or tokens[k][0] - end > 3:
        return j, None
    if anyascii(tokens[k][2]).lower() in _ARTICLES and k + 1 < len(tokens) \
            and tokens[k + 1][0] - tokens[k][1] <= 3:
        cost = _word_ok(tokens[k + 1][2], wanted, budget)
        if cost is not None:
            return k + 1, cost
    return k, _word_ok(tokens[k][2], wanted, budget)


def _is_han(word: str) -> bool:
    return all("\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in word)
