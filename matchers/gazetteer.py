"""A small multilingual gazetteer: the region's places, actors and event words as concepts.

Reports of one event in English, Arabic and Russian share few spellings: Palmyra is "Tadmur",
"تدمر" and "Пальмира"; Daesh is ISIS. Transliteration keys (`matchers.crossscript`) catch names
spelled alike, not names that differ, nor common words ("drone", "مسيرة", "беспилотник"). Here each
concept lists its spellings (`gazetteer.toml`, package data) and `concepts` maps a text to the
concept ids it mentions, so every language yields the same story term. Matching is on folded words:
case, accents, Arabic hamza seats, ta marbuta and harakat, the Arabic article and clinging
prepositions; a spelling ending in "*" is a stem (Russian and Arabic endings); an all-capitals
Latin spelling ("IS", "US") matches only capitals, so the words "is" and "us" are not concepts.
Pure: text in, concepts out.
"""

from __future__ import annotations

import itertools
import re
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["ConceptHits", "Gazetteer", "broad_concepts", "concepts", "concepts_of_words", "fold",
           "folds_by_word", "load_gazetteer"]

_MAX_ENDING = 3  # letters a stem may be followed by (case endings, Arabic suffixes)
_MIN_STEM = 3
_MARKS = re.compile(r"[\u0300-\u036f\u064b-\u065f\u0670\u0640]")  # accents, harakat, tatweel
# Letter variants, replaced one by one: str.translate with a non-ASCII table costs ~40 ns a
# character, twenty times these replace() scans (no target is itself a source: same result).
_FOLD = tuple(zip("ىةیأإآؤئ", "يهيااايي", strict=True))
_TOKEN = re.compile(r"\w+")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_CLITIC = "وفبكل"  # one-letter prefixes that cling to an Arabic word: wa-, fa-, bi-, ka-, li-


# The characters up to U+06FF, and general punctuation, but for combining marks (accents, Hebrew
# points, harakat): NFKD reorders marks only within one such character's decomposition (each
# starts with a base), and the non-word ones fold to non-word characters. In a text of these
# alone, the words of fold(text) are its words folded one by one, when each folds to one word
# (tests/test_storyterms_fastpaths.py checks the ranges against the Unicode table).
_NOT_BY_WORD = re.compile(
    "[^\x00-\u02ff\u0370-\u0482\u0488-\u0590\u05be\u05c0\u05c3\u05c6\u05c8-\u060f"
    "\u061b-\u064a\u0660-\u066f\u0671-\u06d5\u06dd\u06de\u06e5\u06e6\u06e9\u06ee-\u06ff"
    "\u2000-\u206f]")


def folds_by_word(text: str) -> bool:
    """Whether fold(text)'s words are text's words folded one by one (when each folds to one
    word), decided from the characters the text holds."""
    return _NOT_BY_WORD.search(text) is None


def fold(text: str) -> str:
    """Accents, harakat, tatweel and Arabic letter variants removed; case kept."""
    text = _MARKS.sub("", unicodedata.normalize("NFKD", text))
    for old, new in _FOLD:
        text = text.replace(old, new)
    return text


def _strip_article(word: str) -> str:
    if len(word) > 3 and word.startswith(("ال", "لل")):
        return word[2:]
    return word


def _variants(word: str) -> tuple[str, ...]:
    """A folded word and, for Arabic, the word without its clitic prefix and article."""
    if not _ARABIC.match(word):
        return (word,)
    forms = [word]
    if len(word) > 3 and word[0] in _CLITIC:
        forms.append(word[1:])
        if len(word) > 4 and word[0] in "وف" and word[1] in "بكل":  # wa-bi-, fa-li-
            forms.append(word[2:])
    forms += [s for f in list(forms) if (s := _strip_article(f)) != f]
    return tuple(dict.fromkeys(forms))


@dataclass(frozen=True)
class _Part:
    text: str
    stem: bool
    exact_case: bool

    def matches(self, raw: str, forms: tuple[str, ...]) -> bool:
        if self.exact_case:
            return raw == self.text
        if not self.stem:
            return self.text in forms
        return any(f.startswith(self.text) and len(f) - len(self.text) <= _MAX_ENDING
                   for f in forms)


@dataclass(frozen=True)
class ConceptHits:
    """Concepts a text mentions: how often, where first (word index), and the words matched."""

    counts: dict[str, int]
    first: dict[str, int]
    words: frozenset[str]  # folded, lower-cased words that belong to a concept


def _part(spelling: str) -> _Part:
    bare = spelling.rstrip("*")
    exact = bare.isascii() and bare.isupper()
    text = bare if exact else _strip_article(fold(bare).casefold())
    return _Part(text, spelling.endswith("*") and len(text) >= _MIN_STEM, exact)


_Entry = tuple[tuple[_Part, ...], str]  # a spelling's words and its concept
# A word's forms, the first one-word spelling matching it (its concept) and the longer spellings
# whose first word matches it: what the left-to-right pass needs of each word, decided once.
_Looked = tuple[tuple[str, ...], str | None, tuple[_Entry, ...]]
_CACHE = 65_536  # words remembered with their candidate spellings (~25 MB at most)
_PAIRS = 65_536  # pairs of words remembered with the longer spellings they start (~13 MB)


class Gazetteer:
    """Spellings indexed by their first word, for a single left-to-right pass over a text."""

    def __init__(self, table: dict[str, list[str]]) -> None:
        self._exact: dict[str, list[_Entry]] = {}
        self._stems: dict[str, list[_Entry]] = {}
        self._seen: dict[str, _Looked] = {}
        self._pairs: dict[tuple[str, str], tuple[_Entry, ...]] = {}
        self._multi: set[str] = set()  # seen words some longer spelling starts at
        self._single: set[str] = set()  # the other seen words that are a spelling alone
        for concept, spellings in table.items():
            for spelling in spellings:
                parts = tuple(_part(w) for w in _TOKEN.findall(spelling.replace("*", "")))
                if not parts:
                    continue
                if spelling.endswith("*"):
                    parts = parts[:-1] + (_part(_TOKEN.findall(spelling)[-1] + "*"),)
                head = parts[0]
                index = self._stems if head.stem else self._exact
                index.setdefault(head.text, []).append((parts, concept))

    def _look(self, raw: str) -> _Looked:
        forms = _variants(raw.casefold())
        starting = [(parts, concept) for parts, concept in self._candidates(raw, forms)
                    if parts[0].matches(raw, forms)]
        single = next((concept for parts, concept in starting if len(parts) == 1), None)
        return forms, single, tuple(e for e in starting if len(e[0]) > 1)

    def _candidates(self, raw: str, forms: tuple[str, ...]) -> list[_Entry]:
        found: list[_Entry] = []
        for form in dict.fromkeys((raw, *forms)):
            found += self._exact.get(form, ())
        for form in forms:
            for size in range(max(_MIN_STEM, len(form) - _MAX_ENDING), len(form) + 1):
                found += self._stems.get(form[:size], ())
        return found

    def _following(self, raw: str, nxt: str, forms: tuple[str, ...], longer: tuple[_Entry, ...]
                   ) -> tuple[_Entry, ...]:
        """The longer spellings starting at `raw` whose second word matches `nxt` (decided once
        per pair of words: most fail there, and pairs recur)."""
        key = (raw, nxt)
        got = self._pairs.get(key)
        if got is None:
            if len(self._pairs) > _PAIRS:
                self._pairs.clear()
            got = self._pairs[key] = tuple(e for e in longer if e[0][1].matches(nxt, forms))
        return got

    def _longer_matches(self, raws: list[str], multi: set[str]
                        ) -> tuple[list[tuple[int, str, int]], set[int]]:
        """Left to right over the words a longer spelling may start at: (word index, concept,
        words covered) of each match, and the indexes of the words covered by longer ones."""
        found: list[tuple[int, str, int]] = []
        covered: set[int] = set()
        free, last, pairs, seen = 0, len(raws) - 1, self._pairs, self._seen
        for i in itertools.compress(itertools.count(), map(multi.__contains__, raws)):
            if i < free:
                continue
            _, best, longer = seen[raws[i]]
            size = 1 if best is not None else 0
            if i < last:
                nexts = pairs.get((raws[i], raws[i + 1]))
                if nexts is None:
                    nexts = self._following(raws[i], raws[i + 1], seen[raws[i + 1]][0], longer)
                for parts, concept in nexts:
                    n = len(parts)  # the longest wins; the first of equally long ones
                    if n > size and i + n <= len(raws) and all(
                            p.matches(raws[i + k], seen[raws[i + k]][0])
                            for k, p in enumerate(parts[2:], 2)):
                        best, size = concept, n
            if best is None:
                continue
            found.append((i, best, size))
            if size > 1:
                covered.update(range(i, i + size))
            free = i + size
        return found, covered

    def match(self, text: str) -> ConceptHits:
        """The concepts of a text; at each word the longest spelling starting there wins."""
        return self.match_words(_TOKEN.findall(fold(text)))

    def match_words(self, raws: list[str], counts: Mapping[str, int] | None = None,
                    at: Mapping[str, int] | None = None) -> ConceptHits:
        """The concepts of a text given as its folded words (`\\w+` runs of `fold(text)`, in
        order). `counts` and `at`, each distinct word's count and first index, when the caller
        has them: then words that are a spelling alone are counted once per distinct word."""
        self._remember(dict.fromkeys(raws) if counts is None else counts)
        # Left to right, a match skips the words it covers. Only a longer spelling covers more
        # than its own word, so the words some longer spelling may start at (`multi`) are
        # walked first (few); every other word that is a spelling by itself (`single`) counts
        # unless a match covers it.
        if counts is None or at is None:
            found, covered = self._longer_matches(raws, self._multi)
            return self._hits_per_word(raws, found, covered)
        starts = set(filter(self._multi.__contains__, counts))
        found, covered = self._longer_matches(raws, starts) if starts else ([], set())
        return self._hits_per_distinct(raws, counts, at, found, covered)

    def _remember(self, distinct: Collection[str]) -> None:
        """Look each new word up once: its forms, its spellings."""
        seen, multi, single = self._seen, self._multi, self._single
        if len(seen) + len(distinct) > _CACHE:  # (never cleared halfway through a text)
            seen.clear()
            multi.clear()
            single.clear()
        for raw in itertools.filterfalse(seen.__contains__, distinct):
            got = seen[raw] = self._look(raw)
            if got[2]:
                multi.add(raw)
            elif got[1] is not None:
                single.add(raw)

    def _hits_per_word(self, raws: list[str], found: list[tuple[int, str, int]],
                       covered: set[int]) -> ConceptHits:
        single = self._single
        looked = list(map(self._seen.__getitem__, raws))  # per word in C: words recur
        at = [i for i in itertools.compress(itertools.count(), map(single.__contains__, raws))
              if i not in covered] if covered else list(
            itertools.compress(itertools.count(), map(single.__contains__, raws)))
        concept_at = [looked[i][1] for i in at]
        counts = Counter(concept_at)
        first = dict(zip(reversed(concept_at), reversed(at), strict=True))  # later writes win
        words = {looked[i][0][0] for i in at}
        return self._with_longer(raws, counts, first, words, found)

    def _hits_per_distinct(self, raws: list[str], counts: Mapping[str, int],
                           at: Mapping[str, int], found: list[tuple[int, str, int]],
                           covered: set[int]) -> ConceptHits:
        """The single-word hits from each distinct word's count and first index, less the
        occurrences longer matches cover (then the first one left is looked for)."""
        seen = self._seen
        n_of = {w: counts[w] for w in filter(self._single.__contains__, counts)}
        first_of = {w: at[w] for w in n_of}
        for k in covered:
            if raws[k] in n_of:
                n_of[raws[k]] -= 1
        for word, pos in first_of.items():
            while pos in covered and n_of[word]:
                pos = raws.index(word, pos + 1)
            first_of[word] = pos
        c_counts: Counter[str | None] = Counter()
        first: dict[str | None, int] = {}
        words = set()
        for word, n in n_of.items():
            if n:
                forms, concept, _ = seen[word]
                c_counts[concept] = c_counts.get(concept, 0) + n  # (no Python default)
                pos = first_of[word]
                if first.get(concept, pos) >= pos:
                    first[concept] = pos
                words.add(forms[0])
        return self._with_longer(raws, c_counts, first, words, found)

    def _with_longer(self, raws: list[str], counts: Counter[str | None],
                     first: dict[str | None, int], words: set[str],
                     found: list[tuple[int, str, int]]) -> ConceptHits:
        """The hits of single words with those of the longer matches added."""
        seen = self._seen
        for i, concept, size in found:
            counts[concept] = counts.get(concept, 0) + 1
            if first.get(concept, i) >= i:
                first[concept] = i
            words.update(seen[raws[k]][0][0] for k in range(i, i + size))
        # (a single word's concept is never None: `single` holds the words that have one)
        return ConceptHits(dict(counts), first, frozenset(words))  # type: ignore[arg-type]


@cache
def _data() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(resources.files("matchers").joinpath("gazetteer.toml").read_text("utf-8"))


@cache
def load_gazetteer() -> Gazetteer:
    """The shipped gazetteer (matchers/gazetteer.toml), read once."""
    table = {concept: spellings for name, section in _data().items() if name != "broad"
             for concept, spellings in section.items()}
    return Gazetteer(table)


@cache
def broad_concepts() -> frozenset[str]:
    """Concepts that never tell one event from another: event words, countries, standing parties."""
    data = _data()
    return frozenset(data["events"]) | frozenset(data["broad"]["ids"])


def concepts(text: str) -> ConceptHits:
    """The concepts the text mentions, by the shipped gazetteer."""
    return load_gazetteer().match(text)


def concepts_of_words(words: list[str], counts: Mapping[str, int] | None = None,
                      at: Mapping[str, int] | None = None) -> ConceptHits:
    """`concepts` of a text given as the words of `fold(text)` (see `Gazetteer.match_words`)."""
    return load_gazetteer().match_words(words, counts, at)
