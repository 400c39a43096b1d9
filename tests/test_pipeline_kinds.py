"""The pipeline over every source kind on loopback: page, sitemap, search, telegram."""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from urllib.parse import quote

from bot.pipeline import Pipeline
from bot.settings import Settings, Source
from bot.sourcekinds import fetcher_kwargs, source_url
from matchers.relevance import load_matcher
from storage.archive import Archive
from storage.known import load_judge
from tests.articles import SYRIA_OTHER, TANF_DRONE, TANF_FOLLOW_UP
from tests.conftest import open_pipeline, rss
from watchers.feeds import parse_feed
from watchers.fetch import Fetcher

NOW = datetime.now(UTC).replace(microsecond=0)


def dated_article(article: dict, when: datetime | None) -> str:
    """An article page whose date is in its metadata (or absent)."""
    meta = (f'<meta property="article:published_time" content="{when.isoformat()}">'
            if when else "")
    body = "".join(f"<p>{escape(p)}</p>" for p in article["paragraphs"])
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">{meta}'
            f"<title>{escape(article['title'])}</title></head><body>"
            f"<article><h1>{escape(article['title'])}</h1>{body}</article></body></html>")


@contextlib.asynccontextmanager
async def pipeline_for(tmp_path: Path, *sources: Source) -> AsyncIterator[Pipeline]:
    async with open_pipeline(tmp_path, sources, clock=lambda: NOW) as pipeline:
        yield pipeline


def archived_urls(pipeline: Pipeline) -> set[str]:
    rows = pipeline.archive.db.execute("select url from articles where origin != 'seed' "
                                       "or origin is null").fetchall()
    return {r[0] for r in rows}


async def test_page_first_poll_dates_articles_from_their_pages(tmp_path, site):
    site.add("robots.txt", "User-agent: *\nDisallow: /private/\n", "text/plain")
    recent = site.add("news/2026/11/drones-target-the-garrison", dated_article(
        TANF_DRONE, NOW - timedelta(hours=3)))
    old = site.add("news/2026/09/aid-reaches-idlib-camps", dated_article(
        SYRIA_OTHER, NOW - timedelta(days=40)))
    undated = site.add("news/2026/11/undated-story-about-the-camps", dated_article(
        SYRIA_OTHER, None))
    links = ["news/2026/11/drones-target-the-garrison", "news/2026/09/aid-reaches-idlib-camps",
             "news/2026/11/undated-story-about-the-camps", "private/2026/11/a-secret-long-story",
             "tags/syria", "https://elsewhere.example/2026/11/other-site-story"]
    listing = "".join(f'<li><a href="{u if u.startswith("http") else "/" + u}">x</a></li>'
                      for u in links)
    section = site.add("section/syria", f"<html><body><ul>{listing}</ul></body></html>")
    source = Source("section", section, kind="page")
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
        assert report.ok, report.error
        assert (report.entries, report.new, report.processed) == (3, 3, 1)
        assert archived_urls(pipeline) == {recent}
        assert not {p for p, _ in site.requests if p.startswith("/private/")}
        # second poll: only a link never seen before is new, and it is processed undated
        follow = site.add("news/2026/11/pentagon-confirms-interception", dated_article(
            TANF_FOLLOW_UP, None))
        site.add("section/syria", "<html><body><ul>" + listing +
                 '<li><a href="/news/2026/11/pentagon-confirms-interception">y</a></li>'
                 "</ul></body></html>")
        again = await pipeline.poll(source, force=True)
        assert (again.entries, again.new, again.processed) == (4, 1, 1)
        assert archived_urls(pipeline) == {recent, follow}
        assert old not in archived_urls(pipeline) and undated not in archived_urls(pipeline)


async def test_page_disallowed_by_robots_is_an_error(tmp_path, site):
    site.add("robots.txt", "User-agent: *\nDisallow: /\n", "text/plain")
    section = site.add("section", "<html><body></body></html>")
    source = Source("blocked", section, kind="page")
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
    assert not report.ok and "disallowed by robots.txt" in report.error
    assert "/section" not in {p for p, _ in site.requests}


def urlset(entries: list[tuple[str, datetime]]) -> str:
    urls = "".join(f"<url><loc>{u}</loc><lastmod>{d.isoformat()}</lastmod></url>"
                   for u, d in entries)
    return ('<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"{urls}</urlset>")


async def test_sitemap_index_follows_children_and_uses_lastmod(tmp_path, site):
    recent = site.add("news/drones-target-garrison", dated_article(TANF_DRONE, None))
    old = site.add("news/old-aid-story", dated_article(SYRIA_OTHER, None))
    child = site.add("sitemap-news.xml", urlset([(recent, NOW - timedelta(hours=2)),
                                                 (old, NOW - timedelta(days=30))]),
                     "application/xml")
    index = site.add("sitemap.xml", '<?xml version="1.0"?><sitemapindex xmlns='
                     '"http://www.sitemaps.org/schemas/sitemap/0.9">'
                     f"<sitemap><loc>{child}</loc></sitemap></sitemapindex>", "application/xml")
    source = Source("sitemap", index, kind="sitemap")
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
        assert report.ok, report.error
        assert (report.entries, report.new, report.processed) == (2, 2, 1)
        assert archived_urls(pipeline) == {recent}
        assert "/news/old-aid-story" not in {p for p, _ in site.requests}  # lastmod: too old


async def test_search_source_unwraps_engine_redirects(tmp_path, site):
    page = site.add("story/drones-target-garrison", dated_article(TANF_DRONE, None))
    wrapped = "http://www.bing.com/news/apiclick.aspx?ref=FexRss&url=" + quote(page, safe="")
    feed = site.add("search.rss", rss([{"title": TANF_DRONE["title"], "link": wrapped,
                                        "published": NOW - timedelta(hours=1)}]),
                    "application/rss+xml")
    source = Source("search", feed, kind="search")
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
        assert report.ok and report.processed == 1, report
        assert archived_urls(pipeline) == {page}


def test_search_url_from_query_and_fetcher_delays():
    google = source_url(Source("q", "", kind="search", query="al-Tanf", language="ar"))
    assert google.startswith("https://news.google.com/rss/search?q=al-Tanf")
    assert "gl=SY" in google and "ceid=SY%3Aar" in google
    gdelt = source_url(Source("g", "", kind="search", query="Tanf", engine="gdelt"))
    assert gdelt.startswith("https://api.gdeltproject.org/") and "sourcelang" in gdelt
    assert source_url(Source("t", "https://t.me/desertdesk", kind="telegram")) == (
        "https://t.me/s/desertdesk")
    kwargs = fetcher_kwargs(Settings(sources=(), db_path=Path("x.db"), timeout=7.0))
    assert kwargs["host_delays"] == {"api.gdeltproject.org": 5.0} and kwargs["timeout"] == 7.0


def channel_page(channel: str, posts: list[tuple[int, str, datetime]]) -> str:
    items = "".join(
        f'<div class="tgme_widget_message js-widget_message" data-post="{channel}/{n}">'
        f'<div class="tgme_widget_message_text js-message_text">{escape(text)}</div>'
        f'<a class="tgme_widget_message_date" href="https://t.me/{channel}/{n}">'
        f'<time datetime="{when.isoformat()}">t</time></a></div>'
        for n, text, when in posts)
    return f"<html><body>{items}</body></html>"


async def test_telegram_posts_are_entries_with_their_own_text(tmp_path, site):
    text = " ".join(TANF_DRONE["paragraphs"][:3])
    preview = site.add("s/desertdesk", channel_page("desertdesk", [
        (7, "Weather in the desert is hot today.", NOW - timedelta(days=9)),
        (8, text, NOW - timedelta(hours=1)),
    ]))
    source = Source("tg", preview, kind="telegram")
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
        assert report.ok and (report.entries, report.new, report.processed) == (2, 2, 1)
        row = pipeline.archive.db.execute(
            "select url, text from articles where url like 'https://t.me/%'").fetchone()
    assert row == ("https://t.me/desertdesk/8", text)
    assert not {p for p, _ in site.requests if p.startswith("/desertdesk/")}  # no post fetch


async def test_script_only_and_paywalled_pages_fall_back_to_the_feed_text(tmp_path, site):
    script_only = site.add("live/drones", "<!DOCTYPE html><html><head><title>Live</title>"
                           "<script>window.app.render()</script></head><body><div id='app'>"
                           "</div><noscript>Enable JavaScript.</noscript></body></html>")
    paywalled = site.add("premium/pentagon", dated_article(
        {"title": TANF_FOLLOW_UP["title"], "paragraphs": ["Subscribe to read this story."]},
        None))
    bodies = {script_only: " ".join(TANF_DRONE["paragraphs"]),
              paywalled: " ".join(TANF_FOLLOW_UP["paragraphs"])}
    feed = site.add("desk.rss", rss([
        {"title": TANF_DRONE["title"], "link": script_only, "summary": bodies[script_only],
         "published": NOW - timedelta(hours=2)},
        {"title": TANF_FOLLOW_UP["title"], "link": paywalled, "summary": bodies[paywalled],
         "published": NOW - timedelta(hours=1)},
    ]), "application/rss+xml")
    source = Source("desk", feed)
    async with pipeline_for(tmp_path, source) as pipeline:
        report = (await pipeline.poll_all([source]))[0]
        assert report.ok and report.processed == 2, report
        rows = dict(pipeline.archive.db.execute(
            "select url, text from articles where url in (?, ?)", [script_only, paywalled]))
    assert {"/live/drones", "/premium/pentagon"} <= {p for p, _ in site.requests}  # fetched
    assert rows == bodies  # the pages gave no usable text: the feed's own text was kept


async def test_feeds_and_pages_can_be_parsed_in_an_executor(tmp_path, site):
    page = site.add("story/drones-near-the-base", dated_article(TANF_DRONE, None))
    body = rss([{"title": TANF_DRONE["title"], "link": page,
                 "published": NOW - timedelta(hours=1)}])
    feed = site.add("desk.rss", body, "application/rss+xml")
    parsed = parse_feed(body.encode(), url=feed)
    assert pickle.loads(pickle.dumps(parsed)) == parsed  # a process pool can carry it back
    source = Source("desk", feed)
    settings = Settings(sources=(source,), db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    try:
        judge = load_judge(archive, load_matcher(), now=NOW)
        with ThreadPoolExecutor(1) as pool:
            async with Fetcher() as fetcher:
                pipeline = Pipeline(settings, archive, fetcher, judge, clock=lambda: NOW,
                                    executor=pool)
                report = (await pipeline.poll_all([source]))[0]
        assert report.ok and (report.entries, report.processed) == (1, 1), report
        assert archived_urls(pipeline) == {page}
    finally:
        archive.close()
