"""Context words in many languages: "base", "military", "border", "Syria", "US", ...

A name found by its skeleton (matchers/names.py) counts only with such a word near it, in the
text's own language. The words come from two data files: ``lexicon.toml`` (general vocabulary,
~50 languages) and ``countries.json`` (CLDR's names of Syria, Iraq, Jordan and the United States
in every locale babel ships; regenerate with scripts/gen_countries.py). Everything is folded
like the text (matchers/normalize.py) and put in one Aho-Corasick automaton, which runs only over
the short windows around candidate names. Pure: window in, labels out.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import ahocorasick

from matchers.normalize import Folder

__all__ = ["GATE", "MILITARY", "ContextLexicon", "load_lexicon"]

_DIR = Path(__file__).parent
MILITARY = frozenset({"base", "military", "border", "camp", "garrison", "troops"})
GATE = MILITARY | {"Syria", "Iraq", "Jordan", "US"}  # the words that confirm a name
_STEM_MIN = 5  # words this long also match longer words (inflections): "militar" ~ "militaire"
_SHORT = 3  # words this short count only when the text's language is known to be theirs ...
_COMMON = 5  # ... unless this many languages share them ("km")
_CLITIC = {"arabic": "وفبلكال", "hebrew": "בהוכלמש"}  # particles written attached to a word
_VOWELS = set("aeiouyаеиоуыэюяіїєαεηιουω")


def _script(ch: str) -> str:
    cp = ord(ch)
    if 0x0590 <= cp <= 0x05FF:
        return "hebrew"
    if 0x0600 <= cp <= 0x06FF or 0x0750 <= cp <= 0x08FF or 0xFB50 <= cp <= 0xFEFF:
        return "arabic"
    if 0x0E00 <= cp <= 0x0EFF or 0x1000 <= cp <= 0x109F or 0x1780 <= cp <= 0x17FF:
        return "nospace"  # Thai, Lao, Myanmar, Khmer
    if 0x3040 <= cp <= 0x30FF or 0x3400 <= cp <= 0x9FFF or 0xAC00 <= cp <= 0xD7AF:
        return "nospace"  # kana, Han, Hangul (Korean particles attach to the word)
    return "other"


@dataclass(frozen=True)
class _Entry:
    label: str
    languages: frozenset[str]
    stem: bool  # also matches as the start of a longer word
    acronym: str | None  # the spelling the original text must show (case-sensitive)
    script: str


def _bare_table() -> dict[int, str]:
    """Precomposed letters -> their base letter (Greek and other accents the folded form
    keeps); one character for one, so offsets stay valid."""
    table: dict[int, str] = {}
    for cp in range(0x370, 0x3000):
        base = unicodedata.normalize("NFD", chr(cp))
        if len(base) > 1 and all(unicodedata.category(c).startswith("M") for c in base[1:]):
            table[cp] = base[0]
    return table


def _stem(word: str) -> str:
    """Drop final vowels of a long word so inflected forms share it ("сирия" -> "сири")."""
    stem = word
    while len(stem) > 4 and stem[-1] in _VOWELS:
        stem = stem[:-1]
    return stem


class ContextLexicon:
    """Folded context words of every language; `labels` finds those in one window."""

    def __init__(self, words: Iterable[tuple[str, str, str]], folder: Folder) -> None:
        self._folder = folder
        self._bare = _bare_table()
        entries: dict[str, list[_Entry]] = {}
        for language, label, word in words:
            acronym = word if word.isupper() and any(c.isalpha() for c in word) else None
            folded = folder.fold(word).text.translate(self._bare).strip()
            if not folded:
                continue
            stem = len(folded) >= _STEM_MIN and acronym is None
            key = _stem(folded) if stem else folded
            entry = _Entry(label, frozenset({language}), stem, acronym, _script(key[0]))
            entries.setdefault(key, []).append(entry)
        self._common = {key for key, found in entries.items()
                        if len({lang for e in found for lang in e.languages}) >= _COMMON}
        self._automaton = ahocorasick.Automaton()
        for key, found in entries.items():
            self._automaton.add_word(key, (key, tuple(found)))
        self._automaton.make_automaton()
        self.languages = frozenset(lang for es in entries.values() for e in es
                                   for lang in e.languages)

    def labels(self, window: str, language: str | None = None) -> set[str]:
        """Labels of the context words in `window` (original text), in `language` if known."""
        norm = self._folder.fold(window)
        text = norm.text.translate(self._bare)
        primary = language.replace("_", "-").split("-")[0].lower() if language else None
        known = primary if primary in self.languages else None  # "en-US" -> "en"
        out: set[str] = set()
        for end, (key, entries) in self._automaton.iter(text):
            start = end - len(key) + 1
            for e in entries:
                if e.label in out or (known and known not in e.languages):
                    continue
                if known is None and len(key) <= _SHORT and not e.acronym and key < "\u0590" \
                        and key not in self._common:
                    continue
                if _bounded(text, start, end + 1, e) and _case_ok(norm, start, end + 1, e):
                    out.add(e.label)
        return out


def _bounded(text: str, start: int, end: int, e: _Entry) -> bool:
    """The match is a word (or a word's start, for stems; after attached particles)."""
    if e.script == "nospace":
        return True
    i = start
    clitics = _CLITIC.get(e.script, "")
    while clitics and i > 0 and text[i - 1] in clitics and start - i < 3:
        i -= 1
    if i > 0 and text[i - 1].isalnum():
        return False
    return e.stem or end >= len(text) or not text[end].isalnum()


def _case_ok(norm: object, start: int, end: int, e: _Entry) -> bool:
    if e.acronym is None:
        return True
    lo, hi = norm.span(start, end)  # type: ignore[attr-defined]
    return norm.original[lo:hi] == e.acronym  # type: ignore[attr-defined]


def _words(lexicon: dict[str, dict[str, list[str]]],
           countries: dict[str, dict[str, list[str]]]) -> list[tuple[str, str, str]]:
    out = [(lang, "US" if label == "us" else label, w) for lang, concepts in lexicon.items()
           for label, ws in concepts.items() for w in ws]
    out += [(lang, label, w) for lang, names in countries.items()
            for label, ws in names.items() for w in ws]
    return out


def load_lexicon(folder: Folder, lexicon_path: str | Path | None = None,
                 countries_path: str | Path | None = None) -> ContextLexicon:
    """The package's lexicon.toml and countries.json, folded and compiled (~10 ms)."""
    with open(lexicon_path or _DIR / "lexicon.toml", "rb") as fh:
        lexicon = tomllib.load(fh)
    countries = json.loads(Path(countries_path or _DIR / "countries.json").read_text("utf-8"))
    return ContextLexicon(_words(lexicon, countries), folder)
