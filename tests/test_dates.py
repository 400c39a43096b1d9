"""watchers.dates: every date shape a page, feed or record gives, and junk that must give None."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from watchers.dates import PubDate, parse_date, read_date

NOW = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# (text, language hint, anchor moment, precision, inferred)
DATES = [
    ("2024-12-06T10:00:00+02:00", None, utc(2024, 12, 6, 8), "time", False),
    ("2024-12-06T10:00:00Z", None, utc(2024, 12, 6, 10), "time", False),
    ("2024-12-06 10:00:00 +0000", None, utc(2024, 12, 6, 10), "time", False),
    ("2024-12-06T10:00:00", None, utc(2024, 12, 6, 10), "time", False),  # naive: UTC
    ("2024-12-06", None, utc(2024, 12, 6), "day", False),
    ("Mon, 02 Nov 2026 10:00:00 GMT", None, utc(2026, 11, 2, 10), "time", False),
    ("Mon, 02 Nov 2026 10:00:00 +0300", None, utc(2026, 11, 2, 7), "time", False),
    # partial: anchored in the middle of the period it names
    ("2024-12", None, utc(2024, 12, 15), "month", False),
    ("2024/02", None, utc(2024, 2, 15), "month", False),
    ("2017", None, utc(2017, 7, 2), "year", False),
    ("2018-2019 (inferred)", None, utc(2019, 1, 1), "year", True),
    ("2022/2023 (inferred)", None, utc(2023, 1, 1), "year", True),
    # written out, English
    ("12 March 2023", None, utc(2023, 3, 12), "day", False),
    ("March 12, 2023", None, utc(2023, 3, 12), "day", False),
    ("Sunday, 12 March 2023", None, utc(2023, 3, 12), "day", False),
    ("Mar. 12, 2023", None, utc(2023, 3, 12), "day", False),
    ("12th of March 2023", None, utc(2023, 3, 12), "day", False),
    ("March 2023", None, utc(2023, 3, 15), "month", False),
    # in the article's language, with or without the hint
    ("12 марта 2023", None, utc(2023, 3, 12), "day", False),
    ("12 марта 2023 г.", "ru", utc(2023, 3, 12), "day", False),
    ("١٢ آذار ٢٠٢٣", None, utc(2023, 3, 12), "day", False),  # Levantine month, Arabic digits
    ("الأحد 12 تشرين الأول 2023", None, utc(2023, 10, 12), "day", False),
    ("15 أكتوبر 2023", "ar", utc(2023, 10, 15), "day", False),
    ("۱۲ مارس ۲۰۲۳", "fa", utc(2023, 3, 12), "day", False),  # Persian digits
    ("12 mars 2023", None, utc(2023, 3, 12), "day", False),
    ("12 mars 2023", "fr", utc(2023, 3, 12), "day", False),
    ("12. März 2023", None, utc(2023, 3, 12), "day", False),
    ("12 Mart 2023", None, utc(2023, 3, 12), "day", False),  # Turkish; Swedish misreads it
    ("Pazartesi, 12 Mart 2023 10:30", "tr", utc(2023, 3, 12, 10, 30), "time", False),
    ("12 березня 2023", None, utc(2023, 3, 12), "day", False),
    ("12 de marzo de 2023", "es", utc(2023, 3, 12), "day", False),
    ("2023年3月12日", None, utc(2023, 3, 12), "day", False),
    ("marzo 2023", "es", utc(2023, 3, 15), "month", False),
    # numeric: the day/month order of the article's language (English: month first)
    ("12/03/2023", "fr", utc(2023, 3, 12), "day", False),
    ("12/03/2023", "en", utc(2023, 12, 3), "day", False),
    ("12/03/2023", None, utc(2023, 12, 3), "day", False),
    ("31/12/2023", None, utc(2023, 12, 31), "day", False),
    ("12.03.2023", "de", utc(2023, 3, 12), "day", False),
    # annotations
    ("2023-11-10 (inferred)", None, utc(2023, 11, 10), "day", True),
    ("2017-01 (inferred)", None, utc(2017, 1, 15), "month", True),
    ("2020 (inferred: Borenkov headed the centre 2020)", None, utc(2020, 7, 2), "year", True),
    ("2020-04-17 (posted 2020-07)", None, utc(2020, 4, 17), "day", False),
    # up to two days ahead of now: a clock or a time zone off, kept
    ("2026-12-04", None, utc(2026, 12, 4), "day", False),
]

JUNK = [
    None, 20240101, "", "   ", "junk", "12", "March", "yesterday", "3 days ago",
    "2023-02-30", "2024-13", "2024-12-06T25:00", "1850", "Omar 12, 2023", "hello 2023 world",
    "2020-2035", "x" * 500,
    "2026-12-05",  # more than two days after now
    "2030-01-01", "Sunday, 12 March 2030",
]


@pytest.mark.parametrize(("text", "language", "moment", "precision", "inferred"), DATES)
def test_reads_every_date_shape(text, language, moment, precision, inferred):
    found = read_date(text, now=NOW, language=language)
    assert found is not None, text
    assert (found.moment, found.precision, found.inferred) == (moment, precision, inferred)
    assert found.start <= found.moment <= found.end and found.moment.tzinfo is UTC
    assert parse_date(text, now=NOW, language=language) == moment


@pytest.mark.parametrize("value", JUNK)
def test_junk_gives_none(value):
    assert read_date(value, now=NOW) is None


def test_precision_is_the_period_the_text_names():
    month = read_date("2024-02")
    assert month == PubDate(utc(2024, 2, 1), utc(2024, 3, 1), "month")
    assert month.precision_days == 29  # a leap February
    assert read_date("2024-02-03").precision_days == 1
    assert read_date("2024-02-03T04:05:06Z").precision_days == 0
    assert read_date("2023").precision_days == 365
    assert read_date("2018-2019").precision_days == 730


def test_without_now_nothing_is_in_the_future():
    assert read_date("2030-01-01") == PubDate(utc(2030, 1, 1), utc(2030, 1, 2), "day")
