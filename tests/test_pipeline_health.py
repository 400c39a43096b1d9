"""Source health in the pipeline: counts, 304s, disabling, admin notices, quiet sources, hints."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bot.pipeline as pipeline_module
from bot.pipeline import DISABLE_AFTER, Pipeline
from bot.reports.check import source_rows
from bot.settings import Settings, Source
from tests.conftest import open_pipeline, rss

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@contextlib.asynccontextmanager
async def pipeline_for(tmp_path: Path, clock: Clock, *sources: Source
                       ) -> AsyncIterator[Pipeline]:
    async with open_pipeline(tmp_path, sources, clock=clock) as pipeline:
        yield pipeline


def old_items(n: int) -> list[dict]:
    """Entries too old for the backfill window: counted, never fetched."""
    return [{"title": f"Old item {i}", "link": f"http://127.0.0.1:9/old/{i}",
             "published": T0 - timedelta(days=30 + i)} for i in range(n)]


EMPTY_ITEM = "<item><description></description></item>"


async def test_feed_counts_what_feedparser_reads_and_304_keeps_it(tmp_path, site):
    body = rss(old_items(3)).replace("</channel>", EMPTY_ITEM + "</channel>")
    feed = site.add("feed.xml", body, "application/rss+xml")
    source = Source("feed", feed)
    clock = Clock(T0)
    async with pipeline_for(tmp_path, clock, source) as pipeline:
        first = (await pipeline.poll_all([source]))[0]
        assert (first.entries, first.new, first.processed) == (4, 3, 0)
        second = await pipeline.poll(source, force=True)
        state = pipeline.archive.sources.get("feed")
    assert site.requests[-1][0] == "/feed.xml"
    assert second.ok and second.entries == 4
    assert (state.status, state.entries, state.new, state.last_error) == ("ok", 4, 0, None)


async def test_disabled_after_failures_with_one_notice_and_reenabled(tmp_path, site):
    url = site.url_for("later.xml")  # 404 until it is added
    source = Source("flaky", url)
    clock = Clock(T0)
    async with pipeline_for(tmp_path, clock, source) as pipeline:
        store = pipeline.archive.sources
        for _ in range(DISABLE_AFTER + 2):
            report = (await pipeline.poll_all([source], force=True))[0]
        assert not report.ok and report.error == "HTTP 404"
        state = store.get("flaky")
        assert (state.status, state.consecutive_failures) == ("disabled", DISABLE_AFTER + 2)
        notices = store.pending_admin_notices()
        assert [(n.kind, n.source) for n in notices] == [("disabled", "flaky")]
        assert "HTTP 404" in notices[0].message
        # the daemon's scheduled poll honours the back-off: no request before next_attempt
        before = len(site.requests)
        assert (await pipeline.poll(source)).skipped and len(site.requests) == before
        site.add("later.xml", rss(old_items(1)), "application/rss+xml")
        clock.now = datetime.fromisoformat(state.next_attempt) + timedelta(seconds=1)
        assert (await pipeline.poll(source)).ok
        assert store.get("flaky").status == "ok"
        store.mark_notice_sent(notices[0].id, now=clock())
        assert store.pending_admin_notices() == []


async def test_quiet_source_is_flagged_and_noticed_once(tmp_path, site):
    feed = site.add("feed.xml", rss(old_items(2)), "application/rss+xml")
    source = Source("slowing", feed)
    clock = Clock(T0)
    async with pipeline_for(tmp_path, clock, source) as pipeline:
        store = pipeline.archive.sources
        await pipeline.poll_all([source])  # its entries arrive at T0
        for hour in range(1, 5):  # a source that yields something every hour
            store.record_success("slowing", now=T0 + timedelta(hours=hour), etag=None,
                                 last_modified=None, body_hash=None, entries=2, new=1)
        assert store.median_gap("slowing") == timedelta(hours=1)
        clock.now = T0 + timedelta(hours=4 + 4)  # 4 h silent: not yet quiet
        await pipeline.poll(source, force=True)
        assert not store.is_quiet("slowing", clock.now)
        assert store.pending_admin_notices() == []
        clock.now = T0 + timedelta(hours=4 + 6)
        await pipeline.poll(source, force=True)  # 304: still nothing new
        await pipeline.poll(source, force=True)
        assert [n.kind for n in store.pending_admin_notices()] == ["quiet"]
    rows = source_rows(Settings(sources=(source,), db_path=tmp_path / "a.db"), now=clock.now)
    assert rows[0]["quiet"] is True and rows[0]["status"] == "ok"
    later = source_rows(Settings(sources=(source,), db_path=tmp_path / "a.db"),
                        now=T0 + timedelta(hours=5))
    assert later[0]["quiet"] is False


async def test_cache_hints_lengthen_the_next_interval(tmp_path, site):
    feed = site.add("feed.xml", rss(old_items(1)), "application/rss+xml",
                    headers={"Cache-Control": "public, max-age=3600"})
    short = site.add("short.xml", rss(old_items(1)), "application/rss+xml",
                     headers={"Cache-Control": "max-age=30"})
    hinted, plain = Source("hinted", feed, interval=600), Source("plain", short, interval=600)
    clock = Clock(T0)
    async with pipeline_for(tmp_path, clock, hinted, plain) as pipeline:
        await pipeline.poll_all([hinted, plain])
        state = pipeline.archive.sources.get("hinted")
        assert state.next_attempt == (T0 + timedelta(hours=1)).isoformat()
        assert pipeline.archive.sources.get("plain").next_attempt is None
        clock.now = T0 + timedelta(minutes=30)
        assert not pipeline.due(hinted) and pipeline.due(plain)


async def test_poll_all_commits_sources_in_batches_and_a_single_poll_at_once(
        tmp_path, site, monkeypatch):
    monkeypatch.setattr(pipeline_module, "SUCCESS_BATCH", 2)
    sources = [Source(f"b{i}", site.add(f"b{i}.xml", rss(old_items(2)), "application/rss+xml"))
               for i in range(5)]
    clock = Clock(T0)
    async with pipeline_for(tmp_path, clock, *sources) as pipeline:
        store = pipeline.archive.sources
        batches: list[list[str]] = []
        record = store.record_successes

        def spy(successes):
            batches.append([s.name for s in successes])
            record(successes)

        monkeypatch.setattr(store, "record_successes", spy)
        store.sync(sources)
        assert not store.get("b0").has_seen  # nothing to look up on its first poll
        reports = await pipeline.poll_all(sources)
        assert all(store.get(s.name).has_seen for s in sources)
        assert [len(b) for b in batches] == [2, 2, 1]
        assert sorted(n for b in batches for n in b) == [s.name for s in sources]
        assert all(r.ok and r.new == 2 and r.processed == 0 for r in reports)
        # committed: another connection sees every source's state and its old entries as seen
        other = sqlite3.connect(tmp_path / "a.db")
        try:
            rows = other.execute("select name, status, entries from sources order by name")
            assert rows.fetchall() == [(s.name, "ok", 2) for s in sources]
            assert other.execute("select count(*) from seen").fetchone() == (10,)
        finally:
            other.close()
        clock.now += timedelta(hours=1)
        await pipeline.poll(sources[0], force=True)  # alone: committed at once
        assert batches[-1] == ["b0"]
