"""Where literal substrings occur in a text: the prefilter that every topic pattern runs behind.

Aliases and terms name *literals* (substrings each of their matches contains); patterns run only
in windows around the literals' occurrences, because regexes with a leading lookbehind scan
slowly in Python's `re`. Finding ~160 literals is the main cost of matching, so:

* with ``ahocorasick_rs`` installed, one pass of its Aho-Corasick DFA finds all of them at once
  (about four times faster than ``pyahocorasick``, whose pass is the next choice);
* without it, each distinct literal is searched once, with `bytes.find` in a one-byte-per-character
  projection of the text (characters a codec lacks become "?", so byte offsets are character
  offsets): about twice as fast as `str.find` on text that holds Arabic or Cyrillic.

Both give the same positions.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

try:
    import ahocorasick
except ImportError:  # optional accelerator
    ahocorasick = None
try:
    import ahocorasick_rs
except ImportError:  # optional accelerator, the faster one
    ahocorasick_rs = None

__all__ = ["WINDOW_AHEAD", "WINDOW_BACK", "LiteralIndex", "Spots"]

# Default window: from 80 characters before a literal's start to 100 after it (an alias's
# `reach` narrows this when its matches are known to be short).
WINDOW_BACK = 80
WINDOW_AHEAD = 100
# One-byte codecs for the fallback search: Latin, Cyrillic, Arabic literals (others: str.find).
PROJECTIONS = ("ascii", "cp1251", "cp1256")


def _projection_table(literals: Iterable[str]) -> dict[str, tuple[int, bytes]]:
    """Each literal's projection (an index into `PROJECTIONS`) and its bytes there."""
    table: dict[str, tuple[int, bytes]] = {}
    for lit in literals:
        for i, codec in enumerate(PROJECTIONS):
            try:
                table[lit] = (i, lit.encode(codec))
                break
            except UnicodeEncodeError:
                continue
    return table


def _merge(spots: list[int], length: int, reach: tuple[int, int]) -> Iterator[tuple[int, int]]:
    """Windows around the sorted spots, overlapping ones merged; lazy, so `any()` stops early."""
    back, ahead = reach
    cur_lo = cur_hi = -1
    for i in spots:
        lo, hi = max(0, i - back), min(length, i + ahead)
        if cur_hi >= 0 and lo <= cur_hi:
            cur_hi = hi
            continue
        if cur_hi >= 0:
            yield cur_lo, cur_hi
        cur_lo, cur_hi = lo, hi
    if cur_hi >= 0:
        yield cur_lo, cur_hi


@dataclass
class Spots:
    """Occurrences of literals in one text; each literal is searched at most once."""

    text: str
    table: dict[str, tuple[int, bytes]] = field(default_factory=dict, repr=False)
    found: dict[str, list[int]] = field(default_factory=dict, repr=False)
    complete: bool = False  # True: `found` holds every literal of `table` that occurs
    _projected: dict[int, bytes] = field(default_factory=dict, repr=False)

    def _haystack(self, literal: str) -> tuple[str | bytes, str | bytes]:
        entry = self.table.get(literal)
        if entry is None:
            return self.text, literal
        i, needle = entry
        hay = self._projected.get(i)
        if hay is None:
            hay = self._projected[i] = self.text.encode(PROJECTIONS[i], "replace")
        return hay, needle

    def of(self, literal: str) -> list[int]:
        """Start offsets of every (possibly overlapping) occurrence, ascending."""
        found = self.found.get(literal)
        if found is not None:
            return found
        if self.complete and literal in self.table:
            return []
        found = []
        hay, needle = self._haystack(literal)
        i = hay.find(needle)  # type: ignore[arg-type]
        while i >= 0:
            found.append(i)
            i = hay.find(needle, i + 1)  # type: ignore[arg-type]
        self.found[literal] = found
        return found

    def present(self, literals: Iterable[str], lo: int, hi: int) -> set[str]:
        """Those of `literals` that start somewhere in [lo, hi)."""
        if self.complete:  # only the literals that occur at all need a look
            wanted = set(literals)
            return {lit for lit in self.found if lit in wanted and self.occurs(lit, lo, hi)}
        return {lit for lit in literals if self.occurs(lit, lo, hi)}

    def occurs(self, literal: str, lo: int, hi: int) -> bool:
        """Whether the literal starts somewhere in [lo, hi)."""
        found = self.of(literal)
        i = bisect_left(found, lo)
        return i < len(found) and found[i] < hi

    def iter_windows(self, literals: tuple[str, ...], lo: int = 0, hi: int | None = None,
                     reach: tuple[int, int] = (WINDOW_BACK, WINDOW_AHEAD),
                     ) -> Iterator[tuple[int, int]]:
        """Merged windows around the literals inside [lo, hi), in offsets relative to `lo`."""
        hi = len(self.text) if hi is None else hi
        found = [self.of(lit) for lit in literals]
        if lo == 0 and hi == len(self.text):
            spots = sorted(i for f in found for i in f)
        else:
            spots = sorted(i - lo for f in found for i in f if lo <= i < hi)
        return _merge(spots, hi - lo, reach)

    def windows(self, literals: tuple[str, ...], lo: int = 0, hi: int | None = None,
                reach: tuple[int, int] = (WINDOW_BACK, WINDOW_AHEAD)) -> list[tuple[int, int]]:
        """`iter_windows` as a list (built in one loop: the matcher asks for many)."""
        hi = len(self.text) if hi is None else hi
        spots: list[int] = []
        for lit in literals:
            found = self.of(lit)
            if found:  # (each literal's starts ascend: the ones inside [lo, hi) by bisection)
                spots += found[bisect_left(found, lo):bisect_left(found, hi)]
        if not spots:
            return []
        if len(literals) > 1:
            spots.sort()
        back, ahead, length = reach[0] + lo, reach[1] - lo, hi - lo
        out: list[tuple[int, int]] = []
        first = spots[0]
        cur_lo, cur_hi = max(0, first - back), min(length, first + ahead)
        for i in spots:
            w_lo, w_hi = max(0, i - back), min(length, i + ahead)
            if w_lo <= cur_hi:
                cur_hi = w_hi
                continue
            out.append((cur_lo, cur_hi))
            cur_lo, cur_hi = w_lo, w_hi
        out.append((cur_lo, cur_hi))
        return out


class LiteralIndex:
    """All literals of the topic definitions, compiled once; `spots` indexes one text."""

    def __init__(self, literals: Iterable[str], *, accelerate: bool | str = True) -> None:
        """`accelerate`: True picks the fastest automaton installed; "pyahocorasick" that
        one; False none (each literal is searched when asked for)."""
        self.table = _projection_table(set(literals))
        self._automaton = None
        self._dfa = None
        self._words = tuple(self.table)
        if not accelerate or not self.table:
            return
        if accelerate is True and ahocorasick_rs is not None:
            # overlapping matches of every literal: all occurrences, as the other automaton
            self._dfa = ahocorasick_rs.AhoCorasick(
                self._words, implementation=ahocorasick_rs.Implementation.DFA)
        elif ahocorasick is not None:
            automaton = ahocorasick.Automaton()
            for lit in self.table:
                automaton.add_word(lit, (lit, len(lit) - 1))
            automaton.make_automaton()
            self._automaton = automaton

    @property
    def accelerated(self) -> bool:
        return self._automaton is not None or self._dfa is not None

    def spots(self, text: str) -> Spots:
        if self._dfa is not None:
            words = self._words
            found: dict[str, list[int]] = {}
            # (matches come by end offset, so each literal's starts ascend)
            for i, start, _ in self._dfa.find_matches_as_indexes(text, overlapping=True):
                lit = words[i]
                starts = found.get(lit)
                if starts is None:
                    found[lit] = [start]
                else:
                    starts.append(start)
            return Spots(text, self.table, found, complete=True)
        if self._automaton is None:
            return Spots(text, self.table)
        by_end: defaultdict[str, list[int]] = defaultdict(list)
        for end, (lit, back) in self._automaton.iter(text):
            by_end[lit].append(end - back)
        return Spots(text, self.table, dict(by_end), complete=True)
