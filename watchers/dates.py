"""Reading the publication date a page, feed or record gives, in any common shape.

`read_date` returns a :class:`PubDate`: the period the text names (a moment, a day, a month,
a year or a range of years) and how precise it is, so that story grouping can treat a partial
date as a coarse anchor rather than as an exact day. Missing parts never come from "now":

* ``"2024-12-06T10:00+02:00"`` -> that instant (precision ``time``);
* ``"2024-12-06"``, ``"6 December 2024"``, ``"December 6, 2024"``, ``"6 декабря 2024"``,
  ``"٦ كانون الأول ٢٠٢٤"`` -> the day, anchored at its midnight UTC (precision ``day``);
* ``"2024-12"``, ``"December 2024"`` -> the month, anchored on the 15th (precision ``month``);
* ``"2024"``, ``"2018-2019"`` -> the year(s), anchored mid-period (precision ``year``);
* a ``"(inferred ...)"`` or other parenthesised note is dropped and sets ``inferred``.

Junk (no four-digit year, impossible days, a year before 1900, a date more than two days
after ``now``) gives None. ISO, RFC 822 and English or Arabic written-out dates are read
here in a few microseconds; anything else goes to dateparser (imported on first use),
given the article's language first when it is known.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal

from watchers.language import likely_languages

if TYPE_CHECKING:
    from dateparser.date import DateDataParser

__all__ = ["FUTURE_SLACK", "Precision", "PubDate", "parse_date", "read_date"]

Precision = Literal["time", "day", "month", "year"]
FUTURE_SLACK = timedelta(days=2)  # a clock or zone off by a day is not junk; a week is
_MIN_YEAR = 1900
_MAX_CHARS = 120  # a date field, not an article

_MONTH_WORDS = {
    1: "january jan كانون الثاني يناير", 2: "february feb شباط فبراير",
    3: "march mar اذار مارس", 4: "april apr نيسان ابريل", 5: "may ايار مايو",
    6: "june jun حزيران يونيو يونيه", 7: "july jul تموز يوليو يوليه",
    8: "august aug اب اغسطس", 9: "september sept sep ايلول سبتمبر",
    10: "october oct تشرين الاول اكتوبر", 11: "november nov تشرين الثاني نوفمبر",
    12: "december dec كانون الاول ديسمبر",
}


def _month_names() -> dict[str, int]:
    names: dict[str, int] = {}
    for number, words in _MONTH_WORDS.items():
        parts = words.split()
        arabic = [w for w in parts if not w.isascii()]
        if len(arabic) > 2:  # "كانون الثاني" / "تشرين الاول": the first two words are one name
            names[" ".join(arabic[:2])] = number
            arabic = arabic[2:]
        names.update(dict.fromkeys([w for w in parts if w.isascii()] + arabic, number))
    return names


_MONTHS = _month_names()
# longest first, so "كانون الثاني" is not read as "كانون" nor "march" as "mar"
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_DAY_MONTH_YEAR = re.compile(
    rf"{_WEEKDAY}(?<!\d)(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({_MONTH})\.?,?\s+(\d{{4}})\b")
_MONTH_DAY_YEAR = re.compile(
    rf"{_WEEKDAY}(?<!\w)({_MONTH})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b")
_MONTH_YEAR = re.compile(rf"({_MONTH})\.?,?\s+(\d{{4}})\b")
_ISO = re.compile(r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?)?\s*"
                  r"(?:Z|UTC|GMT|[+-]\d\d(?::?\d\d)?)?", re.I)
_YEAR_MONTH = re.compile(r"(\d{4})[-/.](\d{1,2})")
_YEARS = re.compile(r"(\d{4})(?:\s*[-/–]\s*(\d{4}))?")
_RFC822 = re.compile(r"(?:\w{3}, )?\d{1,2} \w{3} \d{4} \d\d:\d\d(?::\d\d)? \S+")
_NOTE = re.compile(r"\s*[(\[][^)\]]*[)\]]?")
_FOUR_DIGITS = re.compile(r"(?<!\d)\d{4}(?!\d)")
_CLOCK = re.compile(r"\d:\d\d")
_DAY_NUMBER = re.compile(r"(?<![\d:])\d{1,2}(?![\d:])")
# Arabic letters that spellings vary on, folded for matching month names only
_ARABIC_FOLD = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ى": "ي", "،": ","})
_SETTINGS = {
    "PREFER_DAY_OF_MONTH": "first", "PREFER_MONTH_OF_YEAR": "first",
    "RETURN_AS_TIMEZONE_AWARE": True, "TIMEZONE": "UTC", "TO_TIMEZONE": "UTC",
    "REQUIRE_PARTS": ["year"],
    # no "relative-time" ("yesterday" needs a now) and no "no-spaces-time" (reads 8-digit ids)
    "PARSERS": ["custom-formats", "absolute-time"],
}
_COMMON = ("en", "ar", "fr", "ru", "es", "de", "tr", "fa", "pt", "it", "uk", "he", "ku")


@dataclass(frozen=True)
class PubDate:
    """The period a publication date names: [start, end), both aware UTC."""

    start: datetime
    end: datetime
    precision: Precision
    inferred: bool = False

    @property
    def moment(self) -> datetime:
        """One instant to sort and compare by: the time or the day's midnight, as ISO reads
        them; a month's 15th; the middle day of a year or a range of years."""
        if self.precision in ("time", "day"):
            return self.start
        if self.precision == "month":
            return self.start.replace(day=15)
        middle = self.start + (self.end - self.start) / 2
        return middle.replace(hour=0, minute=0, second=0, microsecond=0)

    @property
    def exact(self) -> bool:
        """A day or finer: fit to compare with other reports' days (a month is not)."""
        return self.precision in ("time", "day")

    @property
    def precision_days(self) -> float:
        """How many days the date could be anywhere in: 0 for a time, 1 for a day, 28-31 for
        a month, 365 or more for a year."""
        return (self.end - self.start) / timedelta(days=1)


def parse_date(value: Any, *, now: datetime | None = None,
               language: str | None = None) -> datetime | None:
    """:func:`read_date`'s anchor moment, or None."""
    found = read_date(value, now=now, language=language)
    return found.moment if found else None


def read_date(value: Any, *, now: datetime | None = None,
              language: str | None = None) -> PubDate | None:
    """The date ``value`` gives, or None for junk (see the module docstring).

    ``now``: dates that start more than :data:`FUTURE_SLACK` after it are junk (no check when
    None). ``language``: the article's language, tried first for written-out dates.
    """
    if not isinstance(value, str) or not value.strip() or len(value) > _MAX_CHARS:
        return None
    text = _ascii_digits(value.strip())
    inferred = "inferred" in text.lower()
    text = _NOTE.sub(" ", text).strip() or text
    found = _fast(text) or _slow(text, language)
    if found is None or not _MIN_YEAR <= found.start.year or (
            now is not None and found.start > now + FUTURE_SLACK):
        return None
    return PubDate(found.start, found.end, found.precision, inferred) if inferred else found


# a shape _fast knows that names no real date ("2023-02-30"): rejected, not passed on
_JUNK = PubDate(datetime.min.replace(tzinfo=UTC), datetime.min.replace(tzinfo=UTC), "day")


def _ascii_digits(text: str) -> str:
    if text.isascii():
        return text
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in text)


def _fast(text: str) -> PubDate | None:
    """ISO, year-month, years, RFC 822 and English/Arabic written-out dates, without dateparser.

    A shape that matches but names an impossible date is junk (None, not a slow retry)."""
    try:
        if _ISO.fullmatch(text):
            return _iso(text)
        if found := _YEAR_MONTH.fullmatch(text):
            return _month(int(found[1]), int(found[2]))
        if found := _YEARS.fullmatch(text):
            return _years(int(found[1]), int(found[2] or found[1]))
        if _RFC822.fullmatch(text):
            return _instant(parsedate_to_datetime(text))
    except (ValueError, TypeError, IndexError, OverflowError):
        return _JUNK
    return _written(text.lower().translate(_ARABIC_FOLD))


def _written(text: str) -> PubDate | None:
    try:
        if found := _DAY_MONTH_YEAR.search(text):
            return _day(int(found[3]), _MONTHS[found[2]], int(found[1]))
        if found := _MONTH_DAY_YEAR.search(text):
            return _day(int(found[3]), _MONTHS[found[1]], int(found[2]))
        if found := _MONTH_YEAR.fullmatch(text):
            return _month(int(found[2]), _MONTHS[found[1]])
    except ValueError:
        return _JUNK
    return None


def _iso(text: str) -> PubDate:
    text = re.sub(r"\s*(?:Z|UTC|GMT)$", "+00:00", text, flags=re.I).replace(" +", "+")
    text = text.replace(" -", "-")
    moment = datetime.fromisoformat(text)
    if len(text) == 10:
        return _day(moment.year, moment.month, moment.day)
    return _instant(moment)


def _instant(moment: datetime) -> PubDate:
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return PubDate(moment, moment, "time")


def _day(year: int, month: int, day: int) -> PubDate:
    start = datetime(year, month, day, tzinfo=UTC)
    return PubDate(start, start + timedelta(days=1), "day")


def _month(year: int, month: int) -> PubDate:
    start = datetime(year, month, 1, tzinfo=UTC)
    return PubDate(start, start + timedelta(days=calendar.monthrange(year, month)[1]), "month")


def _years(first: int, last: int) -> PubDate:
    if not 0 <= last - first <= 10:
        raise ValueError("not a range of years")
    return PubDate(datetime(first, 1, 1, tzinfo=UTC), datetime(last + 1, 1, 1, tzinfo=UTC),
                   "year")


def _slow(text: str, language: str | None) -> PubDate | None:
    """dateparser, for the other languages and shapes; only text that holds a year. The
    first language whose reading is plausible wins."""
    if not _FOUR_DIGITS.search(text):
        return None
    for candidate in _candidates(text, language):
        data = _parser(candidate).get_date_data(text)
        if data.date_obj is not None and _plausible(text, data.date_obj, set(data.parts or ())):
            return _period(data.date_obj, set(data.parts or ()))
    return None


def _plausible(text: str, moment: datetime, parts: set[str]) -> bool:
    """Guards against a locale that misreads foreign words: a time of day the text does not
    give, or a day number in the text that the reading dropped."""
    if "year" not in parts:
        return False
    if (moment.hour or moment.minute) and not _CLOCK.search(text):
        return False
    return "day" in parts or not _DAY_NUMBER.search(text)


def _period(moment: datetime, parts: set[str]) -> PubDate:
    if moment.hour or moment.minute or moment.second:
        return _instant(moment)
    if "day" in parts:
        return _day(moment.year, moment.month, moment.day)
    if "month" in parts:
        return _month(moment.year, moment.month)
    return _years(moment.year, moment.year)


def _candidates(text: str, language: str | None) -> tuple[str, ...]:
    """The languages to try, in order: the article's, the likeliest for the date's own words
    (a short text: only a hint), then the common news languages."""
    from dateparser.custom_language_detection.language_mapping import map_languages

    hint = [re.split(r"[-_]", language.lower())[0]] if language else []
    # digits and signs only ("12/03/2023"): the order of day and month is the language's
    # own, and no model can tell it from the string, so only the hint and the common ones
    likely = likely_languages(text, 5) if any(c.isalpha() for c in text) else []
    wanted = [*hint, *likely, *_COMMON]
    return tuple(dict.fromkeys(map_languages(wanted)))


@lru_cache(maxsize=256)  # building a parser loads its locale: once per language
def _parser(language: str) -> DateDataParser:
    from dateparser.date import DateDataParser

    return DateDataParser(locales=[language], settings=_SETTINGS)
