"""Consonant skeletons of words in any script, and the literals that find them.

A word is romanised (anyascii), then reduced to a skeleton: letters transliterations disagree on
are folded together (ph/f, th/t, gh/g/q, w/v/ou, c/k) and vowels, h, doubled letters and
non-letters dropped: "Tanf", "التنف", "טנף", "तनफ़", "Τανφ", "タンフ", "坦夫" -> "(l)tnf".
`literals` spells a skeleton's first three consonants every common way, with the vowels between
them, in Latin (and romanised) text and in the Arabic and Cyrillic alphabets, which the matcher
searches unromanised: "tanf", "tenef", "tnph", "танф", "تنف", ...
"""

from __future__ import annotations

import itertools
import re

from anyascii import anyascii

from matchers.normalize import fold_char

__all__ = ["literals", "native_letters", "romanise", "skeleton"]

_DIGRAPHS = (("ph", "f"), ("th", "t"), ("gh", "g"), ("kh", "h"), ("sh", "s"), ("dh", "d"),
             ("ou", "w"), ("oy", "w"), ("ck", "k"))
_LETTERS = str.maketrans({"v": "w", "q": "g", "c": "k", "z": "s"})
_DROP = re.compile(r"[^a-z]|[aeiouyh]")
_REPEAT = re.compile(r"(.)\1+")
# How each consonant of a skeleton is spelled in romanised or folded text (for the literals).
_SPELLINGS = {"t": ("t", "th"), "n": ("n", "nn"), "f": ("f", "ph", "p"), "m": ("m",),
              "g": ("g", "gh", "q"), "w": ("w", "v", "u", "ou", "oy")}
_FILLERS = ("", *"aeiouy'", "'a", "'e")  # what may stand between two consonants (T'anf)
# Letters of scripts the matcher does not romanise (texts in them are searched folded).
_NATIVE = {"cyrillic": (0x0430, 0x045F), "arabic": (0x0621, 0x064A)}
_APOS_RE = re.compile(r"['`]")
_VOWELISH = re.compile(r"[aeiouy'\"]*")


_NO_F = re.compile("[\u10a0-\u10ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")


def romanise(word: str) -> str:
    """One word in Latin letters, lower case. Georgian and Korean have no f and write a
    foreign one with their p ("ტანფი", "탄프" -> "t'anfi", "tanfeu")."""
    roman = anyascii(word).lower()
    return roman.replace("p", "f") if _NO_F.search(word) else roman


def skeleton(word: str) -> str:
    """The consonant skeleton of one word in any script ("Maghaweir" -> "mgwr")."""
    s = _APOS_RE.sub("", romanise(word))
    for digraph, letter in _DIGRAPHS:
        s = s.replace(digraph, letter)
    return _REPEAT.sub(r"\1", _DROP.sub("", s.translate(_LETTERS)))


def native_letters() -> dict[str, dict[str, list[str]]]:
    """Per script, the letters whose skeleton is each consonant, and those that are vowels."""
    out: dict[str, dict[str, list[str]]] = {}
    for script, (lo, hi) in _NATIVE.items():
        classes: dict[str, list[str]] = {}
        for cp in range(lo, hi + 1):
            ch = chr(cp)
            if fold_char(ch) != ch:
                continue  # the literals are searched in the folded text
            roman = anyascii(ch).lower()
            if roman == "q":
                continue  # Arabic q (ق) is its own sound in native spellings: not a literal
            if _VOWELISH.fullmatch(roman):
                classes.setdefault("", []).append(ch)
            elif roman.isalpha() and skeleton(ch):
                classes.setdefault(skeleton(ch), []).append(ch)
        out[script] = classes
    return out


def literals(first: str, native: dict[str, dict[str, list[str]]]) -> tuple[str, ...]:
    """Spellings of the first three consonants of a skeleton, with vowels between them."""
    head = first[:3]
    out: set[str] = set()
    for letters in itertools.product(*(_SPELLINGS.get(c, (c,)) for c in head)):
        for fill in itertools.product(_FILLERS, repeat=len(letters) - 1):
            out.add(letters[0] + "".join(f + c for f, c in zip(fill, letters[1:], strict=True)))
    for classes in native.values():
        vowels = ["", *classes.get("", [])]
        for letters in itertools.product(*(classes.get(c, []) for c in head)):
            for fill in itertools.product(vowels, repeat=len(letters) - 1):
                out.add(letters[0] + "".join(f + c for f, c in zip(fill, letters[1:],
                                                                   strict=True)))
    return tuple(sorted(out))
