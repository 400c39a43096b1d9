"""A text's words, the runs `\\w+` finds, split fast when the text is ASCII.

`re.findall(r"\\w+", text)` costs ~0.1 ms on a 5 KB article; on ASCII text, where `\\w` is
[A-Za-z0-9_], mapping every other character to a space (str.translate has an ASCII fast path)
and splitting on spaces gives the same words in a quarter of that. Most English reports carry a
few non-ASCII characters that are no word characters (curly quotes, dashes): those become spaces
first. Pure: text in, words out.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["PUNCTUATION", "ascii_text", "ascii_words", "is_word_char", "split_ascii",
           "whole_word_starts", "words"]

_WORD_RE = re.compile(r"\w+")
_GAPS = {c: " " for c in range(128) if not _WORD_RE.match(chr(c))}
# Non-ASCII characters of English reports that are no word characters, fold to themselves
# (`gazetteer.fold`, casefold, NFKC) and never split in two: a text that has no other
# non-ASCII character is split as ASCII (tests/test_storyterms_fastpaths.py checks them).
PUNCTUATION = "“”‘’–—•„«»·"


def ascii_text(text: str, stand_in: str = " ") -> str | None:
    """`text` with each `PUNCTUATION` character replaced by `stand_in` (an ASCII character that
    is no word character), when that leaves it ASCII; else None."""
    if not text.isascii():
        for mark in PUNCTUATION:
            if mark in text:
                text = text.replace(mark, stand_in)
                if text.isascii():
                    break
        else:
            return None
    return text


def split_ascii(text: str) -> list[str]:
    """The words of an ASCII text."""
    return text.translate(_GAPS).split()


def ascii_words(text: str) -> list[str] | None:
    """The words of a text that is ASCII but for `PUNCTUATION`, or None for any other text."""
    found = ascii_text(text)
    return None if found is None else split_ascii(found)


def words(text: str) -> list[str]:
    """The `\\w+` runs of a text, in order: `re.findall(r"\\w+", text)`."""
    found = ascii_words(text)
    return _WORD_RE.findall(text) if found is None else found


def is_word_char(char: str) -> bool:
    """Whether `\\w` matches the character."""
    return char.isalnum() or char == "_"


def whole_word_starts(text: str, word: str) -> Iterator[int]:
    """Where `word` (word characters only) stands in `text` as a whole word, left to right: a
    few str.find calls, where a pattern would look at every character."""
    at = text.find(word)
    while at >= 0:
        end = at + len(word)
        before = text[at - 1] if at else " "
        after = text[end] if end < len(text) else " "
        if not (before.isalnum() or before == "_" or after.isalnum() or after == "_"):
            yield at  # (`is_word_char` written out: this runs for every occurrence)
        at = text.find(word, at + 1)
