"""Pattern scans that skip ahead: the same matches as `re`, found faster.

Most topic patterns open with a lookbehind (``(?<!\\w)tanf``). Python's `re` cannot skip ahead
to a likely start past one, so it tries the whole pattern at every offset. `Scan` searches the
pattern's body (``tanf``: `re` jumps from one "t" to the next), then checks the lookbehind
where the body matched: a match of ``L·B`` at an offset is the lookbehind holding there and a
match of ``B`` there, and the lookbehind sees before the search's start as it does in the whole
pattern. Patterns that might match the empty string, or whose opening lookbehind is not a plain
first element, or whose body `re` could not skip ahead in, are scanned as written.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

try:
    from re import _constants as _sre
    from re import _parser as _sre_parse
except ImportError:  # (another Python's layout: every pattern is scanned as written)
    _sre = _sre_parse = None  # type: ignore[assignment]

__all__ = ["SCRIPTS", "Scan", "needed_script", "scan_of"]

# a leading lookbehind with no group inside: "(?<!\w)", "(?<![\w'-])", "(?<=[a-z])"
_LOOKBEHIND = re.compile(r"\(\?<[!=](?:\[(?:\\.|[^\]\\])*\]|\\.|[^()\[\\])*\)")


def _split(pattern: re.Pattern[str]) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """(lookbehind, body) when `pattern` is one lookbehind followed by a body that never
    matches the empty string; else None."""
    if _sre_parse is None or not isinstance(pattern.pattern, str):
        return None
    source = pattern.pattern
    head = _LOOKBEHIND.match(source)
    if head is None:
        return None
    body = source[head.end():]
    try:
        whole, rest = _sre_parse.parse(source), _sre_parse.parse(body)
    except re.error:
        return None
    first = whole.data[0] if whole.data else None
    if first is None or first[0] not in (_sre.ASSERT, _sre.ASSERT_NOT) or first[1][0] != -1:
        return None  # (a top-level alternation starts with BRANCH: its lookbehind is not first)
    if len(whole.data) != len(rest.data) + 1 or rest.getwidth()[0] < 1 or not _skips(rest):
        return None
    return re.compile(source[:head.end()], pattern.flags), re.compile(body, pattern.flags)


# Scripts a pattern may be known to need a letter of (`needed_script`): a text without one
# cannot hold a match, so the pattern need not run there.
SCRIPTS = {"arabic": (0x0600, 0x06FF), "cyrillic": (0x0400, 0x04FF)}


def needed_script(pattern: re.Pattern[str]) -> str | None:
    """A script of `SCRIPTS` every match of `pattern` holds a character of, if one is sure
    (from the parsed pattern: a required element whose every spelling is of that script)."""
    if _sre_parse is None or not isinstance(pattern.pattern, str) or pattern.flags & re.I:
        return None
    try:
        tree = _sre_parse.parse(pattern.pattern)
    except re.error:
        return None
    for name, (lo, hi) in SCRIPTS.items():
        if _needs(tree.data, lo, hi):
            return name
    return None


def _needs(items: list[tuple[object, object]], lo: int, hi: int) -> bool:
    """Whether every match of the sequence `items` holds a character in [lo, hi]."""
    return any(_item_needs(op, av, lo, hi) for op, av in items)


def _item_needs(op: object, av: object, lo: int, hi: int) -> bool:  # noqa: C901
    if op is _sre.LITERAL:
        return lo <= av <= hi  # type: ignore[operator]
    if op is _sre.IN:
        return all(kind is _sre.LITERAL and lo <= v <= hi  # type: ignore[operator]
                   or kind is _sre.RANGE and lo <= v[0] and v[1] <= hi  # type: ignore[index]
                   for kind, v in av)  # type: ignore[attr-defined]
    if op is _sre.BRANCH:
        return all(_needs(alt.data, lo, hi) for alt in av[1])  # type: ignore[index]
    if op is _sre.SUBPATTERN:
        return _needs(av[-1].data, lo, hi)  # type: ignore[index]
    if op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
        return av[0] >= 1 and _needs(av[2].data, lo, hi)  # type: ignore[index,operator]
    return False  # assertions, anchors, categories, group references: no sure character


def _skips(body: object) -> bool:
    """Whether `re` can skip ahead to the body's possible starts: it opens with a character, a
    class, or alternatives that each open with a character (without the lookbehind that
    rejects most offsets at once, a body tried at every offset is slower)."""
    data = body.data  # type: ignore[attr-defined]
    while data and data[0][0] is _sre.SUBPATTERN:
        data = data[0][1][-1].data
    if not data:
        return False
    op, av = data[0]
    if op in (_sre.LITERAL, _sre.IN):
        return True
    return op is _sre.BRANCH and all(alt.data and alt.data[0][0] is _sre.LITERAL
                                     for alt in av[1])


class Scan:
    """One compiled pattern; `finditer` and `search` give what the pattern's own would.
    `scan_of` gives the pattern itself where a `Scan` would not be faster."""

    __slots__ = ("_behind", "_body", "pattern")

    def __init__(self, pattern: re.Pattern[str]) -> None:
        self.pattern = pattern
        split = _split(pattern)
        self._behind, self._body = split if split is not None else (None, None)

    def finditer(self, text: str, lo: int, hi: int) -> Iterator[re.Match[str]]:
        """Matches in text[lo:hi] (lookbehinds see before `lo`), as `pattern.finditer`;
        each match's span is that of the pattern's own."""
        body, behind = self._body, self._behind
        if body is None or behind is None:
            yield from self.pattern.finditer(text, lo, hi)
            return
        search, holds = body.search, behind.match
        pos = lo
        while (m := search(text, pos, hi)) is not None:
            start = m.start()
            if holds(text, start, hi) is not None:
                yield m
                pos = m.end()  # (never empty)
            else:
                pos = start + 1

    def search(self, text: str, lo: int, hi: int) -> re.Match[str] | None:
        """The first match in text[lo:hi], as `pattern.search`."""
        body, behind = self._body, self._behind
        if body is None or behind is None:
            return self.pattern.search(text, lo, hi)
        search, holds = body.search, behind.match
        while (m := search(text, lo, hi)) is not None:
            if holds(text, m.start(), hi) is not None:
                return m
            lo = m.start() + 1
        return None


def scan_of(pattern: re.Pattern[str]) -> Scan | re.Pattern[str]:
    """A `Scan` of the pattern where it skips ahead, else the pattern (the same methods)."""
    scan = Scan(pattern)
    return scan if scan._body is not None else pattern
