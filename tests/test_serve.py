"""`tanfwatch serve` in a real headless Chromium: search, canned queries, live writes (WAL)."""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from bot.serve.datasette import hide_columns, load_metadata
from bot.serve.private import PRIVATE_COLUMNS, PRIVATE_TABLES, private_authorizer
from matchers.registry import builtin_registry
from storage.archive import Archive, ArticleRecord
from tests.conftest import ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--no-first-run"]
NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
ARABIC_TITLE = "قافلة تصل إلى قاعدة التنف"
PRIVATE_CHAT = "-100987654321"  # a subscriber's chat id
PRIVATE_USER = 555666777  # a Telegram user id (voted, added a source)


def record(i: int, title: str, text: str, *, language: str = "en",
           outlet: str = "Desert Courier") -> ArticleRecord:
    return ArticleRecord(
        id=f"art{i:013d}", title=title, text=text, language=language, outlet=outlet,
        url=f"https://news.example.org/{i}", relevant=True, topics=("al-tanf",),
        published=f"2026-03-0{i}T08:00:00+00:00", story="art0000000000001",
        signature=b"\x01" * 32)


ARTICLES = [
    record(1, "Supply convoy reaches the al-Tanf garrison",
           "A supply convoy of twelve trucks reached the garrison on Tuesday morning."),
    record(2, ARABIC_TITLE, "وصلت قافلة إمدادات إلى القاعدة صباح الثلاثاء.", language="ar",
           outlet="صحيفة البادية"),
    record(3, "Drone sighted over the deconfliction zone",
           "Residents reported a drone circling the 55-kilometre zone at dusk."),
]


@pytest.fixture
def archive_path(tmp_path: Path) -> Path:
    path = tmp_path / "tanfwatch.db"
    archive = Archive.open(path)
    for article in ARTICLES:
        archive.add_article(article, alert_chats=["-100200"], now=NOW)
    sent = archive.outbox.pending()[0]  # the convoy's alert was sent; the others wait
    archive.outbox.mark_sent(sent.id, 77, now=NOW)
    # what the bot's users leave: a subscription, a vote, a source they added
    archive.chats.subscribe(PRIVATE_CHAT, ["al-tanf"], now=NOW)
    archive.chats.vote(ARTICLES[0].id, PRIVATE_USER, True, chat_id=PRIVATE_CHAT, now=NOW)
    archive.chats.add_source("user-feed", "https://feeds.example.org/rss", added_by=PRIVATE_USER,
                             now=NOW)
    archive.close()
    return path


def _first_line(stream, timeout: float) -> str:
    with selectors.DefaultSelector() as sel:
        sel.register(stream, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError("serve printed nothing")
    return stream.readline()


@contextmanager
def serving(archive_path: Path, *args: str) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env["TANFWATCH_DB"] = str(archive_path)
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--port", "0", *args],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    try:
        line = _first_line(proc.stderr, 30)
        url = line.split(" at ", 1)[1].split()[0]  # http://127.0.0.1:PORT/tanfwatch
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


@pytest.fixture
def served(archive_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    with serving(archive_path) as (url, proc):
        yield url, proc


@pytest.fixture
def browser(tmp_path: Path):
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian chromium is not installed: run scripts/setup as root "
                    "(or apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=CHROMIUM, headless=True,
            args=CHROMIUM_FLAGS)
        try:
            yield context.new_page()
        finally:
            context.close()


def _cells(page, column: str) -> list[str]:
    return [c.strip() for c in page.locator(f"table.rows-and-columns td.col-{column}")
            .all_inner_texts()]


def test_browser_searches_runs_canned_queries_and_sees_live_writes(served, browser,
                                                                   archive_path):
    base, proc = served
    page = browser
    assert page.goto(f"{base}/articles").status == 200
    assert page.locator("h1").inner_text().strip() == "Articles"
    assert "signature" not in _header(page)  # the MinHash BLOB is hidden
    page.fill("input[name=_search]", "convoy")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=convoy**")
    assert _cells(page, "title") == ["Supply convoy reaches the al-Tanf garrison"]

    page.fill("input[name=_search]", "التنف")
    page.press("input[name=_search]", "Enter")
    page.wait_for_url("**_search=**")
    assert _cells(page, "title") == [ARABIC_TITLE]
    page.fill("input[name=_search]", "التَّنْف")  # with harakat: folded like the index
    with page.expect_navigation():  # Datasette redirects to its tidied (here folded) URL
        page.press("input[name=_search]", "Enter")
    assert _cells(page, "title") == [ARABIC_TITLE]

    assert page.goto(f"{base}/latest_alerts").status == 200
    assert _cells(page, "title") == ["Supply convoy reaches the al-Tanf garrison"]
    assert _cells(page, "message_id") == ["77"]

    page.goto(f"{base}/stories_with_articles")
    assert _cells(page, "reports") == ["3"]
    listed = page.locator("table.rows-and-columns td.col-articles").inner_text().split(" • ")
    assert sorted(listed) == sorted(f"{a.outlet}: {a.title}" for a in ARTICLES)

    page.goto(f"{base}/articles?_search=convoy")
    writer = Archive.open(archive_path)  # the bot writing while the page is served (WAL)
    try:
        writer.add_article(record(4, "Second convoy turned back at the zone",
                                  "Another convoy was turned back at the zone's edge."))
        response = page.reload()
        assert response is not None and response.status == 200
        assert sorted(_cells(page, "title")) == ["Second convoy turned back at the zone",
                                                 "Supply convoy reaches the al-Tanf garrison"]
        assert page.locator(".message-error").count() == 0
    finally:
        writer.close()

    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=15)
    assert proc.returncode == 0, stderr


def _header(page) -> list[str]:
    return [h.strip() for h in page.locator("table.rows-and-columns th").all_inner_texts()]


def test_metadata_goes_under_the_database_name_and_names_every_canned_query():
    meta = load_metadata("archive", builtin_registry())
    db = meta["databases"]["archive"]
    assert set(db["queries"]) == {"latest_alerts", "stories_with_articles", "story_articles",
                                  "coverage_by_outlet_and_language"}
    assert db["tables"]["articles"]["columns"]["relevant"]
    assert db["tables"]["seen"]["hidden"] is True


async def test_hidden_columns_are_dropped_unless_the_url_picks_columns():
    seen: list[bytes] = []

    async def app(scope, receive, send):
        seen.append(scope["query_string"])

    wrapped = hide_columns(app, "tanfwatch")
    for path, query in [("/tanfwatch/articles", b""), ("/tanfwatch/articles.json", b"_search=x"),
                        ("/tanfwatch/articles", b"_col=title"), ("/tanfwatch/outbox", b"")]:
        await wrapped({"type": "http", "path": path, "query_string": query}, None, None)
    assert seen == [b"_nocol=signature", b"_search=x&_nocol=signature", b"_col=title",
                    b"_nocol=chat_id"]  # outbox: the chat is private


def _private_values_in(text: str) -> list[str]:
    return [v for v in (PRIVATE_CHAT, str(PRIVATE_USER), "-100200") if v in text]


def test_serve_refuses_private_tables_and_sql_and_keeps_public_ones(served):
    base, _ = served
    assert base.startswith("http://127.0.0.1:")  # loopback unless --host says otherwise
    with httpx.Client(base_url=base.rsplit("/", 1)[0], timeout=30, trust_env=False) as client:
        db = "/" + base.rsplit("/", 1)[1]
        for table in ("chats", "feedback", "bot_state"):
            for path in (f"{db}/{table}", f"{db}/{table}.json", f"{db}/{table}.csv"):
                assert client.get(path).status_code == 403, path
        sql = {"sql": "select chat_id from chats"}
        assert client.get(f"{db}.json", params=sql).status_code == 403
        assert client.get(db, params={"sql": "select 1"}).status_code == 403
        assert client.get(f"{db}/outbox.json", params={"_where": "1=1"}).status_code in (
            400, 403)

        articles = client.get(f"{db}/articles.json", params={"_shape": "array"})
        assert articles.status_code == 200
        assert {a["title"] for a in articles.json()} == {a.title for a in ARTICLES}
        alerts = client.get(f"{db}/latest_alerts.json", params={"_shape": "array"}).json()
        assert [a["message_id"] for a in alerts] == [77]
        # every way of asking for a private column: default, picked, sorted, faceted, filtered
        for path, params in [
            (f"{db}/outbox.json", {}),
            (f"{db}/outbox.json", {"_col": "chat_id"}),
            (f"{db}/outbox.json", {"_sort": "chat_id", "_facet": "chat_id"}),
            (f"{db}/outbox/1.json", {}),
            (f"{db}/outbox.csv", {"_col": "chat_id"}),
            (f"{db}/bot_sources.json", {"_col": "added_by"}),
            (f"{db}/latest_alerts.json", {}),
            ("/-/metadata.json", {}),
        ]:
            response = client.get(path, params=params)
            assert response.status_code == 200, (path, response.text[:300])
            assert _private_values_in(response.text) == [], (path, params)
        outbox = client.get(f"{db}/outbox.json", params={"_shape": "array"}).json()
        assert len(outbox) == 3 and all("chat_id" not in row for row in outbox)
        probe = client.get(f"{db}/outbox.json", params={"chat_id": "-100200", "_shape": "array"})
        assert probe.json() == []  # filtering on a private column tells nothing either
        sources = client.get(f"{db}/bot_sources.json", params={"_shape": "array"}).json()
        assert [(r["name"], r["url"]) for r in sources] == [("user-feed",
                                                             "https://feeds.example.org/rss")]
        assert all("added_by" not in row for row in sources)


def test_allow_sql_runs_queries_but_private_data_still_reads_as_null(archive_path):
    with serving(archive_path, "--allow-sql") as (base, _), \
            httpx.Client(timeout=30, trust_env=False) as client:
        def query(sql: str) -> httpx.Response:
            return client.get(f"{base}.json", params={"sql": sql, "_shape": "array"})

        assert query("select count(*) as n from articles").json() == [{"n": 3}]
        assert query("select chat_id, status from outbox order by id").json() == [
            {"chat_id": None, "status": "sent"}, {"chat_id": None, "status": "pending"},
            {"chat_id": None, "status": "pending"}]
        assert query("select * from chats").json() == [
            {k: None for k in ("chat_id", "topics", "subscribed", "status", "reason",
                               "updated_at", "follow_ups")}]
        joined = query("select f.user_id, f.chat_id, a.title from feedback f "
                       "join articles a on a.id = f.article_id").json()
        assert joined == []  # every column of a private table is NULL, its keys too
        assert query("select user_id, chat_id, vote from feedback").json() == [
            {"user_id": None, "chat_id": None, "vote": None}]
        assert _private_values_in(query("select group_concat(chat_id) from outbox").text) == []
        assert client.get(f"{base}/chats").status_code == 403


def test_the_authorizer_nulls_private_reads_and_refuses_attach(archive_path):
    conn = sqlite3.connect(f"file:{archive_path}?mode=ro", uri=True)
    conn.set_authorizer(private_authorizer(PRIVATE_TABLES, PRIVATE_COLUMNS))
    try:
        assert conn.execute("select chat_id, topics from chats").fetchall() == [(None, None)]
        assert conn.execute("select name, added_by from bot_sources").fetchall() == [
            ("user-feed", None)]
        assert conn.execute("select count(*) from outbox where chat_id = '-100200'"
                            ).fetchone() == (0,)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            conn.execute(f"attach database 'file:{archive_path}?mode=ro' as again")
    finally:
        conn.close()
