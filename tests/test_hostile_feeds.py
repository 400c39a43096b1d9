"""Hostile and broken feeds (issue 12): entity bombs, megabyte entries, control characters,
and titles feedparser overwrites. Each is read on both parser paths and through the pipeline."""

from __future__ import annotations

import json
import tracemalloc
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.settings import Source
from tests.articles import TANF_DRONE
from tests.conftest import open_pipeline
from watchers.entities import MAX_EXPANSION, defuse_entities
from watchers.feedmodel import MAX_TEXT_CHARS, MAX_TITLE_CHARS
from watchers.feeds import parse_feed

NOW = datetime.now(UTC).replace(microsecond=0)
C0 = "".join(chr(c) for c in [*range(0, 9), *range(14, 32), 0x7F])
CONTROLS = C0 + "".join(map(chr, range(0x80, 0xA0)))  # feedparser maps C1 to windows-1252


def entity_bomb(*, value_chars: int = 100_000, uses: int = 1_000) -> bytes:
    """About 105 KB: one big internal-subset entity referenced ``uses`` times."""
    refs = "&big;" * uses
    when = format_datetime(NOW - timedelta(hours=1))
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE rss [\n'
            f'<!ENTITY big "{"A" * value_chars}">\n]>\n'
            f'<rss version="2.0"><channel><title>Bomb</title><link>http://127.0.0.1/</link>'
            f"<item><title>Drones near al-Tanf</title><link>http://127.0.0.1:9/none</link>"
            f"<pubDate>{when}</pubDate><description>{refs}</description></item>"
            f"</channel></rss>").encode()


@pytest.mark.parametrize("fast", [True, False])
def test_an_entity_bomb_does_not_become_a_100_mb_article(fast):
    doc = entity_bomb()
    assert 100_000 < len(doc) < 110_000
    tracemalloc.start()
    try:
        feed = parse_feed(doc, url="http://127.0.0.1/feed", fast=fast)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000, f"parsing used {peak / 1e6:.0f} MB"
    [entry] = feed.entries
    assert entry.title == "Drones near al-Tanf"
    assert len(entry.content) < 10_000 and len(entry.summary) < 10_000
    assert feed.problem and "DTD entities would add 100 MB" in feed.problem


def test_small_entities_still_expand():
    doc = entity_bomb(value_chars=20, uses=3)
    [entry] = parse_feed(doc, url="http://127.0.0.1/feed").entries
    assert entry.summary == "A" * 60
    assert defuse_entities(doc) == (doc, None)


@pytest.mark.parametrize("declaration", [
    # nested: ten levels of ten references (a billion laughs)
    '<!ENTITY l0 "lol">' + "".join(f'\n<!ENTITY l{i} "{f"&l{i - 1};" * 10}">'
                                   for i in range(1, 10)),
    '<!ENTITY % p "x">',  # parameter entities can declare more entities: never expanded
    '<!ENTITY a "&b;">\n<!ENTITY b "&a;">',  # a cycle
])
def test_nested_parameter_and_cyclic_entities_are_refused(declaration):
    doc = (f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{declaration}\n]>\n<rss version="2.0">'
           "<channel><item><title>t</title><description>&l9;&a;</description></item>"
           "</channel></rss>").encode()
    defused, problem = defuse_entities(doc)
    assert problem and "not expanded" in problem and b"<!ENTITY" not in defused
    [entry] = parse_feed(doc, url="http://127.0.0.1/feed").entries
    assert len(entry.summary) < 1000


def test_a_utf16_entity_bomb_is_defused_too():
    doc = entity_bomb().decode().replace('encoding="utf-8"', 'encoding="utf-16"')
    defused, problem = defuse_entities(doc.encode("utf-16"))
    assert problem and b"<\0!\0E\0N\0T" not in defused and len(defused) < 2 * len(doc) + 2
    assert MAX_EXPANSION < 100_000 * 1_000


@pytest.mark.parametrize("fast", [True, False])
def test_each_entry_text_is_capped(fast):
    big = "Al-Tanf garrison report. " * 400_000  # 10 MB of text in one entry
    doc = (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
           f"<item><title>{'T' * 50_000}</title><link>http://127.0.0.1/a</link>"
           f"<description>{big}</description></item></channel></rss>").encode()
    [entry] = parse_feed(doc, url="http://127.0.0.1/feed", fast=fast).entries
    assert len(entry.title) == MAX_TITLE_CHARS
    assert len(entry.summary) <= MAX_TEXT_CHARS and len(entry.content) <= MAX_TEXT_CHARS
    assert entry.content.startswith("Al-Tanf garrison report.")


def test_a_json_feed_entry_is_capped():
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "title": "T" * 50_000, "content_text": "x" * 5_000_000}]}).encode()
    [entry] = parse_feed(doc, url="http://127.0.0.1/feed.json").entries
    assert len(entry.title) == MAX_TITLE_CHARS and len(entry.content) == MAX_TEXT_CHARS


def control_feed() -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>F</title>'
            f"<item><title>Drones{C0} near al-Tanf</title><link>http://127.0.0.1/a</link>"
            f"<author>A\x00B</author><pubDate>Mon, 30 Nov 2026 10:00:00 GMT</pubDate>"
            f"<description>Two drones{C0}\tshot down\nat the garrison</description>"
            f"</item></channel></rss>").encode()


@pytest.mark.parametrize("fast", [True, False])
def test_control_characters_are_dropped_from_feed_text(fast):
    [entry] = parse_feed(control_feed(), url="http://127.0.0.1/feed", fast=fast).entries
    assert entry.title == "Drones near al-Tanf"
    assert entry.summary == "Two drones shot down\nat the garrison"
    assert entry.author == "AB"


def test_control_characters_are_dropped_from_json_feeds():
    doc = json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": [
        {"id": "1", "title": f"a{CONTROLS}b", "content_text": "c\x00d",
         "authors": [{"name": "N\x00M"}]}]}).encode()
    [entry] = parse_feed(doc, url="http://127.0.0.1/feed.json").entries
    assert (entry.title, entry.content, entry.author) == ("ab", "cd", "NM")


NESTED_IMAGE = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Feed title</title>
<entry><id>urn:1</id><title>The entry's own title</title>
<image><title>The image's title</title><url>http://127.0.0.1/i.png</url></image>
<link href="http://127.0.0.1/1"/><updated>2026-01-01T00:00:00Z</updated></entry></feed>"""


@pytest.mark.parametrize("fast", [True, False])
def test_a_nested_image_title_does_not_replace_the_entry_title(fast):
    feed = parse_feed(NESTED_IMAGE, url="http://127.0.0.1/feed", fast=fast)
    assert [e.title for e in feed.entries] == ["The entry's own title"]
    assert feed.title == "Feed title"


async def test_hostile_feeds_through_the_pipeline_archive_bounded_clean_text(tmp_path, site):
    bomb = site.add("bomb.xml", entity_bomb(), "application/rss+xml")
    when = format_datetime(NOW - timedelta(hours=1))
    body = " ".join(TANF_DRONE["paragraphs"])
    clean = site.add("controls.xml", (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>C</title>'
        f"<item><title>{TANF_DRONE['title']}\x00\x01</title><link>http://127.0.0.1:9/x</link>"
        f"<pubDate>{when}</pubDate><description>{body}\x00\x1b</description></item>"
        "</channel></rss>").encode(), "application/rss+xml")
    sources = (Source("bomb", bomb), Source("controls", clean))
    async with open_pipeline(tmp_path, sources, clock=lambda: NOW) as pipeline:
        reports = await pipeline.poll_all(sources)
        assert all(r.ok for r in reports), reports
        rows = pipeline.archive.db.execute(
            "select source, title, text from articles where source in ('bomb', 'controls')"
        ).fetchall()
    by_source = {r[0]: r for r in rows}
    assert len(by_source["bomb"][2]) < 10_000
    _, title, text = by_source["controls"]
    assert title == TANF_DRONE["title"] and text == body


def test_control_characters_are_dropped_from_sitemap_titles():
    from watchers.sitemaps import parse_sitemap

    doc = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
           b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url>'
           b"<loc>http://127.0.0.1/2026/11/a</loc><news:news><news:title>al-&#1;Tanf&#27;"
           b"</news:title></news:news></url></urlset>")
    [page], _ = parse_sitemap(doc, url="http://127.0.0.1/sitemap.xml")
    assert page.title == "al-Tanf"
