"""Dates in story terms: "April 14", "14 апреля", "14 نيسان" are one term, date:apr-14, in every
language (with its year also date:2020-04-14). `date_matches` finds them in a case-folded text,
`date_terms` names them. Pure: text in, matches and terms out.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from matchers.textwords import is_word_char, whole_word_starts

__all__ = ["date_matches", "date_terms"]

_MONTHS = (
    "january february march april may june july august september october november december"
).split()
# Month names of the corpus' other languages (Russian genitive, Arabic MSA and Levantine), so a
# date is the same term in every language: "14 апреля" and "14 April" are both date:apr-14.
_FOREIGN_MONTHS = {
    name: i
    for names in (
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre",
        "gennaio febbraio marzo aprile maggio giugno luglio agosto settembre ottobre novembre "
        "dicembre",
        "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
        "января февраля марта апреля мая июня июля августа сентября октября ноября декабря",
        "يناير فبراير مارس أبريل مايو يونيو يوليو أغسطس سبتمبر أكتوبر نوفمبر ديسمبر",
        "كانون_الثاني شباط آذار نيسان أيار حزيران تموز آب أيلول تشرين_الأول تشرين_الثاني "
        "كانون_الأول",
    )
    for i, name in enumerate(names.split(), 1)
} | {"ابريل": 4, "اكتوبر": 10, "اغسطس": 8, "setiembre": 9, "fevrier": 2, "aout": 8,
     "decembre": 12}
_FOREIGN_RE = "|".join(
    sorted((n.replace("_", r"\s+") for n in _FOREIGN_MONTHS), key=len, reverse=True))
_ENGLISH_RE = (r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?")
_MONTH_RE = rf"(?:{_FOREIGN_RE}|{_ENGLISH_RE})"
# A date starts with a digit or a month's first letter: that guard lets the engine skip other
# words without trying each of the ~80 month names there (same matches, half the time)
_DATE_START = "".join(sorted({n[0] for n in _FOREIGN_MONTHS} | {m[0] for m in _MONTHS}))
_DATE_RE = re.compile(
    rf"\b(?=[\d{re.escape(_DATE_START)}])(?:(\d{{1,2}})(?:st|nd|rd|th|er)?\s+(?:de\s+)?({_MONTH_RE})\b"
    rf"|({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b)"
    r"(?:,?\s+(?:de\s+)?(\d{4})\b)?"
)
# Every word a month name of the pattern can be: in every date the month name is whole words
# (white space or a word boundary before and after it)
_ENGLISH_WORDS = ("jan january feb february mar march apr april may jun june jul july aug august "
                  "sep sept september oct october nov november dec december").split()
_MONTH_WORDS = frozenset(_ENGLISH_WORDS) | {w for n in _FOREIGN_MONTHS for w in n.split("_")}
_DAY_WORD = 4  # characters of the longest word before the month in a date: "14th"; "de"


def _month_number(name: str) -> int | None:
    name = re.sub(r"\s+", "_", name)
    if name in _FOREIGN_MONTHS:
        return _FOREIGN_MONTHS[name]
    return next((i for i, m in enumerate(_MONTHS, 1) if name.startswith(m[:3])), None)


def date_terms(match: re.Match[str]) -> list[str]:
    """date:apr-14 for any language, plus date:2020-04-14 when the year is given."""
    day = int(match.group(1) or match.group(4))
    month = _month_number(match.group(2) or match.group(3))
    if month is None or not 1 <= day <= 31:
        return []
    terms = [f"date:{_MONTHS[month - 1][:3]}-{day}"]
    year = match.group(5)
    if year and 1990 <= int(year) <= 2100:
        terms.append(f"date:{int(year):04d}-{month:02d}-{day:02d}")
    return terms


def _short_word_before(text: str, at: int) -> int:
    """Where the word before `at` starts when only white space parts them and it is short
    enough to start a date before its month (a day, "14th", or "de"), else -1."""
    end = at
    while end and text[end - 1].isspace():
        end -= 1
    start = end
    while start and end - start <= _DAY_WORD and is_word_char(text[start - 1]):
        start -= 1
    return start if start < end < at and end - start <= _DAY_WORD else -1


def _starts(folded: str, months: list[str]) -> set[int]:
    """Where a date may start: at each whole word that is a month name ("april 14") and at the
    one or two words before it ("14 april", "14 de abril")."""
    starts: set[int] = set()
    for month in months:
        for at in whole_word_starts(folded, month):
            starts.add(at)
            before = _short_word_before(folded, at)
            if before >= 0:
                starts.add(before)
                if (earlier := _short_word_before(folded, before)) >= 0:
                    starts.add(earlier)
    return starts


def date_matches(folded: str, words: Collection[str] | None = None) -> list[re.Match[str]]:
    """The dates of a case-folded text, left to right. Given the text's words, only the places a
    date may start at are tried (every date has a month name), not every word of the text: the
    same matches as the pattern's scan, at the same places, for a fifth of the time."""
    if words is None:
        return list(_DATE_RE.finditer(folded))
    months = [m for m in _MONTH_WORDS if m in words]
    if not months:
        return []
    found: list[re.Match[str]] = []
    end = 0
    for start in sorted(_starts(folded, months)):
        if start >= end and (match := _DATE_RE.match(folded, start)):
            found.append(match)  # the scan goes on after a match, as finditer's does
            end = match.end()
    return found
