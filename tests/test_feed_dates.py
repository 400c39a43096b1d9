"""Feed, sitemap and page dates that feedparser or ISO parsing cannot read: watchers.dates does."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from watchers.extract import extract_article
from watchers.feeds import parse_feed
from watchers.sitemaps import parse_sitemap

URL = "http://127.0.0.1:9/feed.xml"

# (pubDate or dc:date text, the date it names)
FEED_DATES = [
    ("Mon, 02 Nov 2026 10:00:00 GMT", datetime(2026, 11, 2, 10, tzinfo=UTC)),  # feedparser's
    ("mer, 16 nov 2022 00:38:15 +0100", datetime(2022, 11, 15, 23, 38, 15, tzinfo=UTC)),
    ("12 марта 2023", datetime(2023, 3, 12, tzinfo=UTC)),
    ("١٢ آذار ٢٠٢٣", datetime(2023, 3, 12, tzinfo=UTC)),
    ("March 12, 2023", datetime(2023, 3, 12, tzinfo=UTC)),
    # (feedparser reads a W3C month, "2024-12", as its 1st: its reading stands)
    ("not a date", None),
]


def _rss(dates: list[str], element: str) -> bytes:
    items = "".join(f"<item><guid>g{n}</guid><title>T{n}</title><{element}>{d}</{element}>"
                    f"</item>" for n, d in enumerate(dates))
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>X</title>'
            f"<link>http://127.0.0.1:9/</link>{items}</channel></rss>").encode()


@pytest.mark.parametrize("fast", [True, False])  # the lxml fast path and feedparser
@pytest.mark.parametrize("element", ["pubDate", "dc:date"])
def test_feed_entries_keep_dates_feedparser_cannot_read(fast, element):
    body = _rss([text for text, _ in FEED_DATES], element)
    feed = parse_feed(body, url=URL, fast=fast)
    assert [e.published for e in feed.entries] == [when for _, when in FEED_DATES]


def test_json_feed_written_out_date():
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "J",
           "items": [{"id": "1", "content_text": "x", "date_published": "12 марта 2023"}]}
    feed = parse_feed(json.dumps(doc).encode(), url=URL,
                      headers={"Content-Type": "application/feed+json"})
    assert feed.entries[0].published == datetime(2023, 3, 12, tzinfo=UTC)


def test_sitemap_partial_w3c_date():
    body = ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            "<url><loc>http://127.0.0.1:9/a</loc><lastmod>2024-12</lastmod></url></urlset>")
    (entry,), _ = parse_sitemap(body.encode(), url="http://127.0.0.1:9/sitemap.xml")
    assert entry.lastmod == datetime(2024, 12, 15, tzinfo=UTC)


def test_page_without_lang_gets_its_language_and_date():
    paragraphs = "".join(
        f"<p>Абзац {n}: колонна с грузом прошла по пустынной дороге до рассвета и достигла "
        f"заставы, где офицеры пересчитали ящики и расписались в журнале.</p>" for n in range(6))
    html = ('<!DOCTYPE html><html><head><meta charset="utf-8"><title>Колонна</title>'
            '<meta name="date" content="12 марта 2023"></head><body>'
            f"<article><h1>Колонна</h1>{paragraphs}</article></body></html>")
    page = extract_article(html, url="http://127.0.0.1:9/a")
    assert page is not None and page.language == "ru"
    assert page.published == datetime(2023, 3, 12, tzinfo=UTC)
