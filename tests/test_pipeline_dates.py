"""The running pipeline: an undated article is dated by when it was fetched, and a page or
feed item that declares no language gets the language of its text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

from bot.settings import Source
from tests.conftest import open_pipeline

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
# written for this test
ARABIC = [
    "قالت مصادر محلية إن طائرتين مسيرتين أسقطتا قرب قاعدة التنف في البادية السورية صباح اليوم.",
    "وأضافت المصادر أن قوات التحالف رفعت حالة التأهب على طول الحدود مع الأردن والعراق.",
    "ولم تعلن أي جهة مسؤوليتها عن الهجوم حتى الآن، بحسب ما نقلته وسائل إعلام محلية.",
]
TEXT = "Local sources said that two drones were shot down near the base in the desert."
RUSSIAN = ("Местные источники сообщили, что два беспилотника были сбиты у базы в сирийской "
           "пустыне, а силы коалиции усилили охрану на границе с Иорданией и Ираком.")


def _page(paragraphs: list[str]) -> str:  # no lang attribute, no date
    body = "".join(f"<p>{p}</p>" for p in paragraphs * 2)
    return ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>تقرير</title></head>'
            f"<body><article><h1>تقرير</h1>{body}</article></body></html>")


def _feed(items: str) -> str:
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>X</title>'
            f"<link>http://127.0.0.1/</link><description>d</description>{items}</channel></rss>")


@pytest.mark.parametrize("pool", [False, True])  # extraction in the loop's thread or a pool
async def test_undated_articles_are_dated_by_fetch_time_and_get_a_language(tmp_path, site, pool):
    feed = site.add("feed.xml", _feed(""), "application/rss+xml")
    source = Source("wire", feed)
    with ThreadPoolExecutor(1) as executor:
        async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
            pipeline.executor = executor if pool else None
            rows = await _two_polls(pipeline, source, site)
    page = site.url_for("news/undated-report")
    assert rows == [(page, NOW.isoformat(), NOW.isoformat(), "ar"),
                    (None, NOW.isoformat(), NOW.isoformat(), "en"),
                    (None, NOW.isoformat(), NOW.isoformat(), "ru")]


async def _two_polls(pipeline, source: Source, site) -> list[tuple]:
    assert (await pipeline.poll_all([source]))[0].ok  # the first poll: nothing yet
    page = site.add("news/undated-report", _page(ARABIC))
    site.add("feed.xml", _feed(
        f"<item><guid>a</guid><title>تقرير</title><link>{page}</link></item>"
        '<item><guid isPermaLink="false">b</guid><title>Сводка</title>'
        f"<description>{RUSSIAN}</description></item>"
        '<item><guid isPermaLink="false">c</guid><title>Ahead</title>'
        "<pubDate>Fri, 01 Jan 2027 10:00:00 GMT</pubDate>"  # weeks ahead: junk
        f"<description>{TEXT}</description></item>"), "application/rss+xml")
    (report,) = await pipeline.poll_all([source], force=True)
    assert report.ok and report.processed == 3, report
    return pipeline.archive.db.execute(
        "select url, published, fetched_at, language from articles "
        "where origin != 'seed' order by language").fetchall()


async def test_a_sources_configured_language_wins_over_detection(tmp_path, site):
    feed = site.add("feed.xml", _feed(""), "application/rss+xml")
    source = Source("wire", feed, language="uk")
    async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
        languages = {row[3] for row in await _two_polls(pipeline, source, site)}
    assert languages == {"uk"}  # declared by the page > configured > detected from the text
