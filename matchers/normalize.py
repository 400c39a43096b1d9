"""Text normalisation for matching, with an offset map back to the original string.

Two forms are produced:

* the *folded* form: NFKC, lower case, dash/apostrophe/space variants unified, Latin accents
  stripped, Arabic diacritics and tatweel removed, alef/yaa/taa-marbuta/hamza/kaf variants
  unified, Eastern Arabic digits turned into ASCII digits, zero-width characters dropped;
* the *romanised* form: the folded form passed through ``anyascii`` so that scripts nobody wrote
  patterns for (Greek, Devanagari, ...) can still be matched with Latin patterns.

Speed matters (a 5 KB article must cost well under a millisecond), so the folded form is built
from ``str.lower()`` plus a regex pass over only the characters that need special treatment; the
offset map is a short list of breakpoints, not one entry per character.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from functools import cache
from itertools import accumulate
from pathlib import Path

from anyascii import anyascii

__all__ = [
    "TABLE_FILE",
    "WORD_END",
    "WORD_START",
    "Folder",
    "Normalized",
    "fold_char",
    "special_table",
]

# Word boundaries as lookarounds: `\w` is Unicode-aware, so these work for Arabic and Cyrillic
# letters; unlike `\b` they are used only where a pattern wants them (inflected endings and
# attached Arabic prefixes are spelled out in the patterns instead).
WORD_START = r"(?<!\w)"
WORD_END = r"(?!\w)"

_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2e3a\u2e3b\ufe58\ufe63\uff0d\u05be\u1806"
_APOSTROPHES = "\u2018\u2019\u201a\u201b\u02bc\u02bb\u02bd\u02be\u02bf\u0060\u00b4\u2032\u055a"
_QUOTES = "\u201c\u201d\u201e\u201f\u00ab\u00bb\u2039\u203a\u300c\u300d"
_DELETE = (
    "\u00ad\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u202a\u202b\u202c\u202d\u202e"
    "\u0640"  # Arabic tatweel
)
_ARABIC_MARKS = [(0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06ED), (0x08D3, 0x08FF)]
_ARABIC_MAP = {
    "\u0623": "\u0627", "\u0625": "\u0627", "\u0622": "\u0627", "\u0671": "\u0627",  # alefs
    "\u0672": "\u0627", "\u0673": "\u0627",
    "\u0649": "\u064a", "\u06cc": "\u064a", "\u06d0": "\u064a",  # alef maqsura, Farsi yeh
    "\u0626": "\u064a",  # yeh with hamza
    "\u0624": "\u0648",  # waw with hamza
    "\u0629": "\u0647",  # taa marbuta -> haa
    "\u06a9": "\u0643", "\u06aa": "\u0643",  # keheh -> kaf
    "\u06c1": "\u0647", "\u06d5": "\u0647",
}
_FIXED = {
    **{c: "-" for c in _DASHES},
    **{c: "'" for c in _APOSTROPHES},
    **{c: '"' for c in _QUOTES},
    **{c: "" for c in _DELETE},
    **_ARABIC_MAP,
}
_LATIN_RANGES = [(0x00C0, 0x024F), (0x1E00, 0x1EFF)]


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Me")


def _fold_simple(ch: str) -> str:
    """Fold one already-NFKC character (without looking at NFKC again)."""
    if ch in _FIXED:
        return _FIXED[ch]
    cp = ord(ch)
    if any(lo <= cp <= hi for lo, hi in _ARABIC_MARKS) or _is_mark(ch):
        return ""
    if 0x0660 <= cp <= 0x0669 or 0x06F0 <= cp <= 0x06F9:
        return str(cp & 0xF)  # Arabic-Indic and Persian digits
    if unicodedata.category(ch) == "Zs" or ch in "\t\r\x0b\x0c":
        return " "
    if ch in "\u0451\u0401":
        return "\u0435"  # ё -> е
    if any(lo <= cp <= hi for lo, hi in _LATIN_RANGES):
        base = unicodedata.normalize("NFD", ch)
        ch = "".join(c for c in base if not _is_mark(c)) or ch
    return ch.casefold()


def fold_char(ch: str) -> str:
    """Return the folded form of one original character (may be empty or several characters)."""
    return "".join(_fold_simple(c) for c in unicodedata.normalize("NFKC", ch))


def special_table() -> dict[str, str]:
    """Characters whose folded form differs from ``ch.lower()`` (the fast path), computed."""
    table: dict[str, str] = {}
    for cp in range(0x30000):
        if 0xD800 <= cp < 0xE000:
            continue
        ch = chr(cp)
        folded = fold_char(ch)
        if folded != ch.lower() or len(ch.lower()) != 1:
            table[ch] = folded
    return table


@cache
def _not_plain_ascii() -> re.Pattern[str]:
    """Runs of characters that are not ASCII romanising to their own lower case."""
    plain = [chr(cp) for cp in range(128)
             if anyascii(fold_char(chr(cp))).lower() == chr(cp).lower()]
    return re.compile("[^" + "".join(re.escape(c) for c in plain) + "]+")


@cache
def _plain_split() -> re.Pattern[str]:
    """`_not_plain_ascii` as a group, for `split`."""
    return re.compile("(" + _not_plain_ascii().pattern + ")")


def _char_class(chars: list[str]) -> str:
    """A compact regex class (ranges, not thousands of single characters: those scan slowly)."""
    cps = sorted(ord(c) for c in chars)
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "[" + "".join(parts) + "]"


class Normalized:
    """A normalised string plus a map from its offsets back to the original string.

    A romanised form maps its offsets run by run (`_RunMap`): most texts in other scripts never
    map one, and those that do map a few."""

    __slots__ = ("_map", "_runs", "original", "text")

    def __init__(self, original: str, text: str, breaks: list[int] | None = None,
                 deltas: list[int] | None = None, runs: _RunMap | None = None) -> None:
        self.original = original
        self.text = text
        self._map: tuple[list[int], list[int]] | None = None if runs is not None else (
            breaks if breaks is not None else [], deltas if deltas is not None else [])
        self._runs = runs

    def _offsets(self) -> tuple[list[int], list[int]]:
        if self._map is None:
            assert self._runs is not None
            self._map = self._runs.flat()
        return self._map

    @property
    def _breaks(self) -> list[int]:
        return self._offsets()[0]

    @property
    def _deltas(self) -> list[int]:
        return self._offsets()[1]

    @property
    def identity(self) -> bool:
        """True when offsets in `text` equal offsets in `original`."""
        if self._runs is not None:
            return self._runs.plain and len(self.text) == len(self.original)
        return not self._offsets()[0] and len(self.text) == len(self.original)

    def to_original(self, pos: int) -> int:
        if self._runs is not None:
            return self._runs.to_original(pos)
        breaks, deltas = self._offsets()
        i = bisect_right(breaks, pos) - 1
        return pos + (deltas[i] if i >= 0 else 0)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalised [start, end) span to the original string."""
        if end <= start:
            o = self.to_original(start)
            return o, o
        return self.to_original(start), self.to_original(end - 1) + 1

    def __repr__(self) -> str:
        return f"Normalized(original={self.original!r}, text={self.text!r})"


class _Anchors:
    """Collects offset breakpoints while a normalised string is being built."""

    def __init__(self) -> None:
        self.breaks: list[int] = []
        self.deltas: list[int] = []
        self.delta = 0

    def _put(self, npos: int, delta: int) -> None:
        if self.breaks and self.breaks[-1] == npos:
            self.deltas[-1] = delta
        else:
            self.breaks.append(npos)
            self.deltas.append(delta)

    def add(self, opos: int, out_len: int) -> None:
        npos = opos - self.delta
        for j in range(out_len):  # every output char of an expansion maps to the source char
            self._put(npos + j, opos - (npos + j))
        self.delta += 1 - out_len
        self._put(npos + out_len, self.delta)

    def replay(self, opos: int, run: _Anchors | _RunAnchors) -> None:
        """Add the breakpoints `run` (a fresh `_Anchors` fed one run of text from offset 0)
        collected, for that run starting at `opos`: what `add` would give char by char."""
        if not run.breaks:
            return
        base_n, base_d = opos - self.delta, self.delta
        skip = 0
        if self.breaks and self.breaks[-1] == base_n + run.breaks[0]:
            self.deltas[-1] = base_d + run.deltas[0]
            skip = 1
        self.breaks += [base_n + b for b in run.breaks[skip:]]
        self.deltas += [base_d + d for d in run.deltas[skip:]]
        self.delta += run.delta


class _RunAnchors:
    """A romanised run's breakpoints (`_Anchors` fed its characters from offset 0), made from
    each character's romanised length when first asked for: most runs are never mapped back."""

    __slots__ = ("_lengths", "_made", "changed")

    def __init__(self, lengths: list[int]) -> None:
        self._lengths = lengths
        self.changed = lengths.count(1) != len(lengths)  # some character is not one character
        self._made: _Anchors | None = None

    def _anchors(self) -> _Anchors:
        if self._made is None:
            made = _Anchors()
            if self.changed:
                for k, n in enumerate(self._lengths):
                    if n != 1:
                        made.add(k, n)
            self._made = made
        return self._made

    @property
    def breaks(self) -> list[int]:
        return self._anchors().breaks

    @property
    def deltas(self) -> list[int]:
        return self._anchors().deltas

    @property
    def delta(self) -> int:
        return self._anchors().delta


class _RunMap:
    """The offset map of a romanised text, kept as its parts: plain stretches (even places,
    copied) and romanised runs (odd places, each with its own breakpoints from 0). Mapping an
    offset finds its part, then looks in that run's breakpoints: what the one flat map (every
    run's breakpoints replayed, `flat`) gives, without building it."""

    def __init__(self, lengths: list[int], runs: list[tuple[str, _RunAnchors]]) -> None:
        self._lengths = lengths  # of the original parts
        self._runs = runs
        self.plain = not any(anchors.changed for _, anchors in runs)
        self._starts: tuple[list[int], list[int]] | None = None

    def _part_starts(self) -> tuple[list[int], list[int]]:
        """Where each part starts in the romanised and in the original text."""
        if self._starts is None:
            out = [n if k % 2 == 0 else len(self._runs[k // 2][0])
                   for k, n in enumerate(self._lengths)]
            self._starts = [0, *accumulate(out)], [0, *accumulate(self._lengths)]
        return self._starts

    def to_original(self, pos: int) -> int:
        starts, origins = self._part_starts()
        k = max(0, min(bisect_right(starts, pos), len(self._lengths)) - 1)
        local = pos - starts[k]
        if k % 2:
            anchors = self._runs[k // 2][1]
            i = bisect_right(anchors.breaks, local) - 1
            if i >= 0:
                local += anchors.deltas[i]
        return origins[k] + local

    def flat(self) -> tuple[list[int], list[int]]:
        """The breakpoints of the whole text, as one `_Anchors` would collect them."""
        anchors = _Anchors()
        start = 0
        for k, length in enumerate(self._lengths):
            if k % 2:
                anchors.replay(start, self._runs[k // 2][1])  # shifted in one go
            start += length
        return anchors.breaks, anchors.deltas


_RUN_CACHE = 100_000  # romanised runs remembered (bounded: memory stays flat)

TABLE_FILE = Path(__file__).with_name("fold_table.json")


def _shipped_table() -> dict[str, str]:
    """`special_table()` as shipped (scripts/make-fold-table), or computed (~0.3 s) when the
    shipped one was made under another Unicode version."""
    try:
        data = json.loads(TABLE_FILE.read_text("utf-8"))
    except (OSError, ValueError):
        return special_table()
    if data.get("unidata_version") != unicodedata.unidata_version:
        return special_table()
    return data["table"]


class Folder:
    """Builds folded and romanised forms. Create once."""

    def __init__(self) -> None:
        self._table = _shipped_table()
        bmp = [c for c in self._table if ord(c) < 0x10000]
        # Astral characters go into one range: a class with many astral ranges scans slowly.
        # (a group, so `split` keeps the characters)
        self._special = re.compile("(" + _char_class(bmp)[:-1] + "\U00010000-\U0010ffff])")
        self._rom_cache: dict[int, str] = {}
        self._run_cache: dict[str, tuple[str, _RunAnchors]] = {}
        self._other_script = re.compile(
            r"[^\x00-\u02ff\u0300-\u036f\u0400-\u052f\u0600-\u06ff\u0750-\u077f"
            r"\u08a0-\u08ff\u1e00-\u1eff\u2000-\u2bff\u3000-\u303f\ufb50-\ufdff\ufe70-\ufeff]"
        )

    def fold(self, text: str) -> Normalized:
        # one split in C: plain stretches at even places, each special character at odd ones
        parts = self._special.split(text)
        if len(parts) == 1:
            return Normalized(text, text.lower())
        table = self._table
        reps = [table[c] if c in table else c.lower() for c in parts[1::2]]
        parts[1::2] = reps
        anchors = _Anchors()
        changed = [k for k, rep in enumerate(reps) if len(rep) != 1]
        if changed:  # special k stands after k + 1 stretches and k specials
            ends = list(accumulate(len(p) + 1 for p in parts[0::2]))
            for k in changed:
                anchors.add(ends[k] - 1, len(reps[k]))
        return Normalized(text, "".join(parts).lower(), anchors.breaks, anchors.deltas)

    def needs_romanised(self, text: str) -> bool:
        """True when the text holds letters of scripts the native patterns do not cover."""
        return self._other_script.search(text) is not None

    def romanise(self, text: str) -> Normalized:
        """Romanised form with offsets (slow path, only for texts in other scripts)."""
        # runs of ASCII that romanises to its lower case, one character each: copied whole;
        # the other runs (words, mostly) recur, so each is romanised once and its offsets replayed
        parts = _plain_split().split(text)  # plain stretches at even places, runs at odd ones
        runs = self._run_cache
        done = [runs.get(run) or self._romanise_run(run) for run in parts[1::2]]
        lengths = [len(p) for p in parts]
        parts[0::2] = [p.lower() for p in parts[0::2]]
        parts[1::2] = [d[0] for d in done]
        return Normalized(text, "".join(parts), runs=_RunMap(lengths, done))

    def _romanise_run(self, run: str) -> tuple[str, _RunAnchors]:
        """One run romanised, with its offsets from 0; remembered. A run of a script without
        spaces (Chinese) is a whole sentence, seen once: its characters go through
        `str.translate` in C, and its offsets are made only if a hit in it is mapped back."""
        cache = self._rom_cache
        for code in set(map(ord, run)).difference(cache):
            cache[code] = anyascii(fold_char(chr(code))).lower()
        done = (run.translate(cache), _RunAnchors(list(map(len, map(cache.__getitem__,
                                                                       map(ord, run))))))
        runs = self._run_cache
        if len(runs) >= _RUN_CACHE:
            runs.clear()
        runs[run] = done
        return done
