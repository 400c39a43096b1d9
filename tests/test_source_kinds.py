"""pages, sitemaps, search, telegram_channel, backoff, robots and discover."""

from __future__ import annotations

import base64
import gzip
import random
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from watchers.backoff import next_delay
from watchers.discover import discover
from watchers.errors import BlockedError, ParseError
from watchers.fetch import Fetcher
from watchers.pages import find_article_links
from watchers.robots import RobotsCache
from watchers.search import search_url, unwrap
from watchers.sitemaps import parse_sitemap
from watchers.telegram_channel import parse_channel_preview

try:
    from tests.loopback import LoopbackServer
except ModuleNotFoundError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from loopback import LoopbackServer  # type: ignore[no-redef]

BASE = "http://127.0.0.1:9/world/"


def test_find_article_links_keeps_same_site_articles():
    html = """<html><body>
    <a href="/2026/03/05/convoy-reaches-outpost">a</a><a href="/tag/syria">tag</a>
    <a href="http://127.0.0.2:9/2026/03/01/other-site-story-here">other</a>
    <a href="/news/world/12345678">id</a><a href="/about">about</a>
    <a href="/world/desert-garrison-hosts-new-patrol-unit.html">slug</a>
    <a href="mailto:desk@example.org">mail</a><a href="/2026/03/05/convoy-reaches-outpost#c">dup</a>
    <a href="/img/a-b-c-d.jpg">img</a></body></html>"""
    assert find_article_links(html, base_url=BASE) == [
        "http://127.0.0.1:9/2026/03/05/convoy-reaches-outpost",
        "http://127.0.0.1:9/news/world/12345678",
        "http://127.0.0.1:9/world/desert-garrison-hosts-new-patrol-unit.html",
    ]


NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><loc>http://127.0.0.1:9/a/1</loc><lastmod>2026-03-01</lastmod>
<news:news><news:publication_date>2026-03-02T10:00:00+02:00</news:publication_date>
<news:title>Outpost story</news:title></news:news></url>
<url><loc>http://127.0.0.1:9/a/2</loc><lastmod>2026-03-03T00:00:00Z</lastmod></url>
<url><loc>javascript:alert(1)</loc></url>
</urlset>"""


def test_news_sitemap_and_gzip():
    for body in (NEWS_SITEMAP, gzip.compress(NEWS_SITEMAP)):
        pages, children = parse_sitemap(body, url="http://127.0.0.1:9/sitemap.xml")
        assert children == [] and [p.url for p in pages] == [
            "http://127.0.0.1:9/a/1",
            "http://127.0.0.1:9/a/2",
        ]
        assert pages[0].lastmod == datetime(2026, 3, 2, 8, tzinfo=UTC)
        assert pages[0].title == "Outpost story" and pages[1].title is None


def test_sitemap_index_and_errors():
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
    <sitemap><loc>/news-sitemap.xml</loc></sitemap></sitemapindex>"""
    assert parse_sitemap(index, url="http://127.0.0.1:9/s.xml") == (
        [],
        ["http://127.0.0.1:9/news-sitemap.xml"],
    )
    with pytest.raises(ParseError, match="not a sitemap: <rss>"):
        parse_sitemap(b"<rss version='2.0'/>", url="http://127.0.0.1:9/s.xml")


@pytest.mark.parametrize(
    ("engine", "host", "expected"),
    [
        ("google-news", "news.google.com", {"hl": "ar", "gl": "SY", "ceid": "SY:ar"}),
        ("gdelt", "api.gdeltproject.org", {"mode": "artlist", "format": "rss"}),
        ("bing-news", "www.bing.com", {"format": "rss", "mkt": "ar-SY"}),
    ],
)
def test_search_urls(engine, host, expected):
    url = search_url(engine, "التنف", lang="ar", region="sy")
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert parts.hostname == host and expected.items() <= query.items()
    assert "التنف" in (query.get("q") or query.get("query"))


def test_unknown_engine():
    with pytest.raises(ValueError, match="unknown search engine"):
        search_url("altavista", "x", lang="en", region="us")


def test_unwrap_redirect_links():
    target = "https://news.example.org/2026/03/05/story"
    bing = (
        "http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid=1"
        "&url=https%3a%2f%2fnews.example.org%2f2026%2f03%2f05%2fstory&c=1"
    )
    assert unwrap(bing) == target
    assert unwrap("https://www.google.com/url?q=" + target) == target
    payload = b"\x08\x13\x22" + bytes([len(target)]) + target.encode() + b"\xd2\x01\x00"
    token = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    assert unwrap(f"https://news.google.com/rss/articles/{token}?oc=5") == target
    assert unwrap(target) == target


TELEGRAM = """<html><body>
<div class="tgme_widget_message_wrap"><div class="tgme_widget_message js-widget_message"
 data-post="desertdesk/41">
 <div class="tgme_widget_message_owner_name"><span>Desert Desk</span></div>
 <a class="tgme_widget_message_reply"><div class="tgme_widget_message_text js-message_text">
 Quoted older post</div></a>
 <div class="tgme_widget_message_text js-message_text" dir="auto">Convoy seen on the road<br/>
 More details <a href="https://example.org">here</a></div>
 <a class="tgme_widget_message_date" href="https://t.me/desertdesk/41">
 <time datetime="2026-03-05T09:30:00+00:00" class="time">09:30</time></a></div></div>
<div class="tgme_widget_message js-widget_message" data-post="desertdesk/42">
 <a class="tgme_widget_message_date" href="https://t.me/desertdesk/42">
 <time class="time">x</time></a>
</div></body></html>"""


def test_parse_channel_preview():
    first, second = parse_channel_preview(TELEGRAM, channel="@desertdesk")
    assert first.key == first.url == "https://t.me/desertdesk/41"
    assert first.content == "Convoy seen on the road\nMore details here"
    assert first.title == "Convoy seen on the road" and first.author == "Desert Desk"
    assert first.published == datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    assert second.url == "https://t.me/desertdesk/42" and second.published is None


def test_backoff_grows_caps_jitters_and_honours_retry_after():
    rng = random.Random(7)
    delays = [next_delay(n, base=60, cap=3600, rng=rng) for n in range(1, 10)]
    assert 30 <= delays[0] <= 60 and all(1800 <= d <= 3600 for d in delays[6:])
    assert len({round(d, 3) for d in delays[6:]}) == 3  # jittered, not lockstep
    assert next_delay(0, base=60, cap=3600, rng=rng) == 0
    assert next_delay(1, base=60, cap=3600, retry_after=7200, rng=rng) == 7200


async def test_robots_cache_and_discover():
    with LoopbackServer(root="/nonexistent") as server:
        server.add("robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
        server.add(
            "feed.xml",
            "<rss version='2.0'><channel><title>F</title>"
            "<item><guid>1</guid><title>t</title></item></channel></rss>",
            "application/rss+xml",
        )
        server.add(
            "home",
            '<html><head><link rel="alternate" type="application/rss+xml" '
            'href="/feed.xml"></head><body><p>Hello</p></body></html>',
        )
        server.add("plain", "<html><body><p>No feed here at all.</p></body></html>")
        server.add("sitemap.xml", NEWS_SITEMAP, "application/xml")
        async with Fetcher() as fetcher:
            robots = RobotsCache(fetcher)
            assert await robots.allowed(server.url_for("news/1"))
            with pytest.raises(BlockedError, match="disallowed by robots.txt"):
                await robots.check(server.url_for("private/1"))
            fetched = [p for p, _ in server.requests if p == "/robots.txt"]
            assert len(fetched) == 1  # cached per host
            assert await discover(server.url_for("feed.xml"), fetcher) == (
                "feed",
                server.url_for("feed.xml"),
            )
            assert await discover(server.url_for("home"), fetcher) == (
                "feed",
                server.url_for("feed.xml"),
            )
            assert await discover(server.url_for("sitemap.xml"), fetcher) == (
                "sitemap",
                server.url_for("sitemap.xml"),
            )
            assert await discover(server.url_for("plain"), fetcher) == (
                "page",
                server.url_for("plain"),
            )
            assert await discover("https://t.me/desertdesk", fetcher) == (
                "telegram",
                "https://t.me/s/desertdesk",
            )
