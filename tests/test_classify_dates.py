"""`tanfwatch classify --db`: every date shape a record gives, and the language of its text."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest

from bot.classify import classify_stream, parse_published
from bot.settings import Settings
from storage.archive import Archive
from tests.articles import TANF_DRONE

TEXT = "\n".join(TANF_DRONE["paragraphs"])
# written for this test: a report in Arabic (no language field in its record)
ARABIC = ("قالت مصادر محلية إن طائرتين مسيرتين أسقطتا قرب قاعدة التنف في البادية السورية، "
          "وإن قوات التحالف رفعت حالة التأهب على طول الحدود مع الأردن والعراق.")
RUSSIAN = ("Местные источники сообщили, что два беспилотника были сбиты у базы Эт-Танф "
           "в сирийской пустыне, а силы коалиции усилили охрану на границе с Иорданией.")

# (date field, archived published)
RECORD_DATES = [
    ("2024-12-06", "2024-12-06T00:00:00+00:00"),
    ("2024-12", "2024-12-15T00:00:00+00:00"),  # a month: its 15th
    ("2017", "2017-07-02T00:00:00+00:00"),
    ("12 March 2023", "2023-03-12T00:00:00+00:00"),
    ("March 12, 2023", "2023-03-12T00:00:00+00:00"),
    ("2023-11-10 (inferred)", "2023-11-10T00:00:00+00:00"),
    ("12 mars 2023", "2023-03-12T00:00:00+00:00"),
    ("junk", None),
    (None, None),
]


def _classify(records: list[dict], db) -> dict[str, dict]:
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    out = io.StringIO()
    assert classify_stream(lines, out, settings=Settings(sources=(), db_path=db)) == []
    archive = Archive.open(db)
    try:
        rows = archive.db.execute(
            "select id, published, language from articles where origin = 'classify'")
        return {rid: {"published": p, "language": lang} for rid, p, lang in rows.fetchall()}
    finally:
        archive.close()


def test_records_are_archived_with_the_date_they_give(tmp_path):
    records = [{"id": f"r{n}", "text": f"{TEXT}\nReport {n}.", "date": date}
               for n, (date, _) in enumerate(RECORD_DATES)]
    stored = _classify(records, tmp_path / "c.db")
    assert [stored[f"r{n}"]["published"] for n in range(len(RECORD_DATES))] == [
        published for _, published in RECORD_DATES]


def test_record_dates_in_the_records_language(tmp_path):
    records = [{"id": "ru", "text": RUSSIAN, "published": "12 марта 2023"},
               {"id": "ar", "text": ARABIC, "date": "١٢ آذار ٢٠٢٣"}]
    stored = _classify(records, tmp_path / "c.db")
    assert stored["ru"] == {"published": "2023-03-12T00:00:00+00:00", "language": "ru"}
    assert stored["ar"] == {"published": "2023-03-12T00:00:00+00:00", "language": "ar"}


def test_a_given_language_wins_over_detection(tmp_path):
    records = [{"id": "a", "text": ARABIC, "language": "other", "language_detail": "ar"},
               {"id": "b", "text": TEXT, "language": "fr"},  # trusted as given
               {"id": "c", "text": RUSSIAN, "language": "other"}]  # "other": detected
    stored = _classify(records, tmp_path / "c.db")
    assert [stored[k]["language"] for k in "abc"] == ["ar", "fr", "ru"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-12-06T10:00:00Z", "2024-12-06T10:00:00+00:00"),
    ("2018-2019 (inferred)", "2019-01-01T00:00:00+00:00"),
    ("2999-01-01", None),  # far in the future: junk
    (12, None),
])
def test_parse_published(value, expected):
    found = parse_published(value, now=datetime(2026, 12, 2, tzinfo=UTC))
    assert (found.isoformat() if found else None) == expected
