"""Name keys that meet across scripts: "Rukban", "Рукбан" and "الركبان" all give `rkbn`.

Reports of one event in Arabic, Russian and English share little but their names. A name is
transliterated to ASCII (anyascii), then reduced to a consonant skeleton with the letters that
transliterations disagree on dropped or folded together: vowels, w/y/h (Arabic long vowels and
the h of kh/sh/gh/th), v and w, j (Jordan, Иордания, الأردن), p~b (Arabic has no p), q~c~k.
The Arabic article and its clinging prepositions are dropped first ("al-", "wal-", "bil-").
Short skeletons are too common to tell names apart and are not keys. Pure: word in, key out.
"""

from __future__ import annotations

import re

from anyascii import anyascii

__all__ = ["MIN_KEY", "is_latin", "name_key"]

MIN_KEY = 3  # shorter skeletons ("ms", "sd") are shared by too many unrelated names
_ARTICLE = re.compile(r"^(?:[وفبك]?ال|لل)(?=\w{2})")
_DIGRAPHS = (("kh", "h"), ("sh", "s"), ("ch", "s"), ("gh", "g"), ("th", "t"), ("dh", "d"),
             ("zh", "j"), ("ts", "s"))
_LETTERS = str.maketrans({"q": "k", "c": "k", "v": "", "w": "", "p": "b", "x": "ks", "z": "s",
                          "j": ""})
_DROP = re.compile(r"[^a-z]|[aeiouyh]")
_REPEAT = re.compile(r"(.)\1+")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f'’-]+")


def is_latin(word: str) -> bool:
    return bool(_LATIN.fullmatch(word))


def name_key(word: str) -> str | None:
    """The cross-script key of one name (a single word), or None when it is too short."""
    ascii_word = anyascii(_ARTICLE.sub("", word)).lower()
    for digraph, letter in _DIGRAPHS:
        ascii_word = ascii_word.replace(digraph, letter)
    skeleton = _REPEAT.sub(r"\1", _DROP.sub("", ascii_word.translate(_LETTERS)))
    return skeleton if len(skeleton) >= MIN_KEY else None
