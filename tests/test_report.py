"""Coverage report: counts per period/topic/language, the PNG, the CLI and /report over PTB."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from telegram import Bot
from telegram.error import BadRequest

from bot.reports.coverage import (
    CoverageRow,
    archive_coverage,
    count_coverage,
    coverage_rows,
    parse_moment,
    summary_text,
)
from bot.reports.plot import render_png
from bot.settings import Secret, Settings
from bot.telegram.commands import build_application, start_bot, stop_bot
from storage.archive import Archive, ArticleRecord
from tests.conftest import run_cli

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)
TANF, MAT, ZONE = "al-tanf", "maghawir-al-thawra", "55km-zone"


def when(day: str) -> datetime:
    return datetime.fromisoformat(day + "T09:30:00+00:00")


# (id, published, topics, language, outlet, relevant, origin)
ROWS = [
    ("r1", "2026-03-02", (TANF,), "en", "Desert Courier", True, "feed"),  # Monday, week 10
    ("r2", "2026-03-04", (TANF, ZONE), "ar", "صحيفة البادية", True, "feed"),
    ("r3", "2026-03-05", (MAT,), "ar", "صحيفة البادية", True, "feed"),
    ("r4", "2026-03-17", (ZONE,), "en", "Desert Courier", True, "feed"),  # week 12; 11 is empty
    ("r5", "2026-03-18", (TANF,), "ru", "Steppe Wire", True, "feed"),
    ("x1", "2026-03-03", (TANF,), "en", "Desert Courier", False, "feed"),  # not relevant
    ("x2", "2026-03-03", (TANF,), "en", "Shipped seed", True, "seed"),  # a seed text
]


def build(path: Path) -> Path:
    archive = Archive.open(path)
    for rid, day, topics, lang, outlet, relevant, origin in ROWS:
        archive.add_article(ArticleRecord(
            id=rid, title=f"Report {rid}", text=f"A report numbered {rid} about the garrison.",
            published=when(day).isoformat(), topics=topics, language=lang, outlet=outlet,
            relevant=relevant, origin=origin))
    archive.add_article(ArticleRecord(  # no publication date: undated, not in May
        id="r6", title="Undated", text="An undated report.", fetched_at="2026-05-19T10:00:00+00:00",
        topics=(TANF,), language="en", outlet="Steppe Wire", relevant=True))
    archive.close()
    return path


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR"
    assert data.endswith(b"IEND\xaeB`\x82")
    return struct.unpack(">II", data[16:24])


def test_counts_per_week_fill_quiet_weeks_and_count_each_topic():
    rows = [CoverageRow(when(day), topics, lang, outlet)
            for _, day, topics, lang, outlet, relevant, origin in ROWS if relevant
            and origin != "seed"]
    cov = count_coverage(rows, by="week")
    assert cov.periods == (date(2026, 3, 2), date(2026, 3, 9), date(2026, 3, 16))
    assert cov.topics == {TANF: (2, 0, 1), ZONE: (1, 0, 1), MAT: (1, 0, 0)}
    assert cov.languages == {"ar": (2, 0, 0), "en": (1, 0, 1), "ru": (0, 0, 1)}
    assert cov.outlets == (("Desert Courier", 2), ("صحيفة البادية", 2), ("Steppe Wire", 1))
    assert cov.total == 5
    months = count_coverage(rows, by="month")
    assert months.periods == (date(2026, 3, 1),) and months.languages["ar"] == (2,)
    assert len(count_coverage(rows, by="day").periods) == 17  # 2 to 18 March


def test_archive_rows_leave_out_seeds_and_irrelevant_and_honour_the_dates(tmp_path):
    archive = Archive.open(build(tmp_path / "a.db"))
    try:
        ids = sorted(r.outlet or "" for r in coverage_rows(archive))
        assert len(ids) == 6 and "Shipped seed" not in ids
        cov = archive_coverage(archive, since="2026-03-04", until="2026-03-17", by="day")
        assert cov.total == 3  # r2, r3 and r4: --until takes the whole day
        assert cov.periods[0] == date(2026, 3, 4) and cov.periods[-1] == date(2026, 3, 17)
        with pytest.raises(ValueError, match="period"):
            archive_coverage(archive, by="year")
    finally:
        archive.close()
    assert parse_moment("2026-03-04T10:00:00+02:00") == datetime(2026, 3, 4, 8, tzinfo=UTC)
    with pytest.raises(ValueError, match="ISO"):
        parse_moment("last tuesday")


def test_png_is_drawn_for_data_and_for_nothing():
    rows = [CoverageRow(when(day), topics, lang, outlet)
            for _, day, topics, lang, outlet, *_ in ROWS]
    png = render_png(count_coverage(rows, by="week"))  # Arabic outlet names raise no warning
    assert png_size(png) == (1000, 1100)
    assert 20_000 < len(png) < 1_000_000
    empty = count_coverage([], by="week")
    assert png_size(render_png(empty)) == (1000, 1100)
    assert summary_text(empty) == "No relevant reports in this range."


def test_cli_report_prints_counts_and_writes_the_png(tmp_path):
    db = build(tmp_path / "a.db")
    out = tmp_path / "coverage.png"
    result = run_cli(["--db", str(db), "report", "--plot", str(out), "--by", "month"], {})
    assert result.returncode == 0, result.stderr
    assert png_size(out.read_bytes()) == (1000, 1100)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("6 relevant reports, 2026-03 to 2026-03 (1 months, 1 undated)")
    assert "Topics: al-Tanf 4, 55-km zone 2, Maghawir al-Thawra 1" in lines
    assert "Languages: en 3, ar 2, ru 1" in lines
    assert any(line.split() == ["Desert", "Courier", "2"] for line in lines)
    bad = run_cli(["--db", str(db), "report", "--since", "soon"], {})
    assert bad.returncode != 0 and "not an ISO date" in bad.stderr
    assert "Traceback" not in bad.stderr


async def test_report_command_sends_the_chart_as_a_photo(tmp_path, fake_telegram):
    db = build(tmp_path / "a.db")
    archive = Archive.open(db)
    settings = Settings(sources=(), db_path=db, token=Secret(fake_telegram.token),
                        api_base=fake_telegram.base_url)
    app = build_application(settings, archive, clock=lambda: NOW)
    await start_bot(app, poll_timeout=1)
    try:
        fake_telegram.push_message("/report month", chat_id=1001)
        assert await fake_telegram.wait_for_async(lambda f: bool(f.messages(1001)))
        fake_telegram.push_message("/report year", chat_id=1001)
        assert await fake_telegram.wait_for_async(lambda f: len(f.messages(1001)) == 2)
    finally:
        await stop_bot(app)
        archive.close()
    photo, usage = fake_telegram.messages(1001)
    assert photo.photo is not None and png_size(photo.photo) == (1000, 1100)
    assert photo.plain_text.startswith("Coverage\n6 relevant reports")
    assert [e.type for e in photo.entities] == ["bold"]
    assert usage.photo is None and usage.plain_text == "Usage: /report [day|week|month]"


async def test_fake_send_photo_checks_like_the_bot_api(fake_telegram):
    png = render_png(count_coverage([CoverageRow(NOW, (TANF,), "en", "X")]))
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        sent = await bot.send_photo(1001, png, caption="<i>ok</i> &amp; fine", parse_mode="HTML")
        assert (sent.photo[-1].width, sent.photo[-1].height) == (1000, 1100)
        assert sent.caption == "ok & fine" and sent.caption_entities[0].type == "italic"
        again = await bot.send_photo(1001, sent.photo[-1].file_id)  # re-send by file_id
        assert fake_telegram.messages(1001)[1].photo == png  # byte-exact through multipart
        assert again.caption is None
        for kwargs, error in [
            ({"photo": b"GIF89a not a png"}, "IMAGE_PROCESS_FAILED"),
            ({"photo": png, "caption": "x" * 1025}, "caption is too long"),
            ({"photo": png, "caption": "<b>bold", "parse_mode": "HTML"}, "can't parse entities"),
            ({"photo": "AgACunknown"}, "wrong file identifier"),
        ]:
            with pytest.raises(BadRequest, match="(?i)" + error):  # PTB recases the text
                await bot.send_photo(1001, **kwargs)
    assert len(fake_telegram.messages(1001)) == 2


def test_undated_reports_have_their_own_bucket_not_the_current_period():
    rows = [CoverageRow(when("2026-03-02"), (TANF,), "en", "A"),
            CoverageRow(None, (TANF, ZONE), "ar", "B"), CoverageRow(None, (MAT,), None, "B")]
    cov = count_coverage(rows, by="month")
    assert cov.periods == (date(2026, 3, 1),) and cov.total == 3 and cov.undated == 2
    assert cov.topics == {TANF: (1,)} and cov.languages == {"en": (1,)}
    assert cov.undated_topics == {MAT: 1, TANF: 1, ZONE: 1}
    assert cov.undated_languages == {"ar": 1, "unknown": 1}
    text = summary_text(cov)
    assert text.startswith("3 relevant reports, 2026-03 to 2026-03 (1 months, 2 undated)")
    assert "Topics: al-tanf 2, 55km-zone 1, maghawir-al-thawra 1" in text
    assert "Languages: ar 1, en 1, unknown 1" in text
    assert png_size(render_png(cov)) == (1000, 1100)
    only = count_coverage(rows[1:], by="week")
    assert only.periods == () and summary_text(only).startswith("2 relevant reports, all undated")
    assert png_size(render_png(only)) == (1000, 1100)


def test_a_date_range_leaves_undated_reports_out(tmp_path):
    archive = Archive.open(build(tmp_path / "a.db"))
    try:
        assert archive_coverage(archive, by="month").undated == 1
        assert archive_coverage(archive, since="2026-01-01", by="month").undated == 0
    finally:
        archive.close()
