"""The fault suite through a whole poll cycle on loopback.

Every faulty source fails (or is read with its problem reported) with a specific message on
the source, the cycle comes back (every wait is bounded by the fetcher's timeout), and the
healthy sources polled in the same cycle are unaffected.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.pipeline import Pipeline
from bot.reports.check import source_rows
from bot.settings import Source
from tests import loopback
from tests.conftest import open_pipeline, rss

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
TIMEOUT = 0.5
OLD = [{"title": f"Old report {i}", "link": f"http://127.0.0.1:9/old/{i}",
        "published": NOW - timedelta(days=30 + i)} for i in range(3)]
BROKEN_XML = (  # the mismatched tag is on line 7; feedparser still recovers the items
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0">\n<channel>\n'
    "<title>Broken desk</title>\n<item><title>First</title><link>http://127.0.0.1:9/1</link>"
    "</item>\n<item><title>Second</title><link>http://127.0.0.1:9/2</link></item>\n"
    "<item><title>Third</titel></item>\n</channel>\n</rss>\n"
)
CYRILLIC = rss([{"title": "Сводка с границы", "link": "http://127.0.0.1:9/ru/1",
                 "published": NOW - timedelta(days=40)}]).replace('encoding="utf-8"',
                                                                   'encoding="windows-1251"')
FAILING = {  # source -> (route, the error recorded on it)
    "http-500": ("_fault/status/500", "HTTP 500"),
    "http-503": ("_fault/status/503?retry_after=600", "HTTP 503"),
    "http-429": ("_fault/status/429?retry_after=600", "HTTP 429"),
    "hang": ("_fault/hang", f"timeout after {TIMEOUT:g} s"),
    "slow-drip": ("_fault/drip?interval=0.05", f"timeout after {TIMEOUT:g} s"),
    "truncated": ("_fault/truncated", "truncated body (connection closed early)"),
    "huge": ("_fault/big?mb=50", "body over 10 MB"),
    "gzip-bomb": ("_fault/gzipbomb?mb=100", "body over 10 MB"),
    "redirect-loop": ("_fault/redirect-loop", "redirect loop"),
    "html-page": ("page.html", "not a feed: text/html"),
    "html-as-rss": ("moved.rss", "not a feed: text/html (served as application/rss+xml)"),
    "binary": ("_fault/binary", "not a feed: "),
}


@contextlib.asynccontextmanager
async def pipeline_for(tmp_path: Path, *sources: Source) -> AsyncIterator[Pipeline]:
    async with open_pipeline(tmp_path, sources, clock=lambda: NOW, timeout=TIMEOUT, per_host=4,
                             concurrency=32) as pipeline:
        yield pipeline


def _site(site) -> dict[str, str]:
    site.add("page.html", "<!DOCTYPE html><html><body><p>A front page</p></body></html>")
    site.add("moved.rss", "<html><body>This feed has moved</body></html>",
             "application/rss+xml")
    site.add("broken.xml", BROKEN_XML, "application/rss+xml")
    site.add("cyrillic.xml", CYRILLIC.encode("windows-1251"),
             "application/rss+xml; charset=utf-8")
    site.add("feed-as-html.xml", rss(OLD), "text/html")
    for n in range(3):
        site.add(f"good{n}.xml", rss(OLD, title=f"Good desk {n}"), "application/rss+xml")
    return {name: site.url_for(route) for name, (route, _) in FAILING.items()}


async def test_faults_fail_alone_with_specific_messages(tmp_path, site):
    loopback._gzip_bomb(100)  # built before the timed fetches: the server's cost is not ours
    urls = _site(site)
    good = [Source(name=f"good{n}", url=site.url_for(f"good{n}.xml")) for n in range(3)]
    bad = [Source(name=name, url=url) for name, url in urls.items()]
    sources = [*bad[:6], *good, *bad[6:]]  # healthy sources polled among the faulty ones
    async with pipeline_for(tmp_path, *sources) as pipeline:
        reports = {r.source: r for r in await pipeline.poll_all(sources)}
        rows = {r["name"]: r for r in source_rows(pipeline.settings, now=NOW)}
        states = {s.name: pipeline.archive.sources.get(s.name) for s in sources}
    assert len(reports) == len(sources)
    for name, (_, message) in FAILING.items():
        assert not reports[name].ok and reports[name].error.startswith(message), name
        assert rows[name]["status"] == "error" and rows[name]["last_error"].startswith(message)
        assert rows[name]["consecutive_failures"] == 1 and rows[name]["last_checked"]
    for source in good:
        assert reports[source.name].ok and reports[source.name].entries == len(OLD)
        assert rows[source.name]["status"] == "ok" and rows[source.name]["last_error"] is None
    for name in ("http-503", "http-429"):  # Retry-After is a floor for the next attempt
        wait = datetime.fromisoformat(states[name].next_attempt) - NOW
        assert wait >= timedelta(seconds=600)


async def test_survivable_problems_are_read_and_reported(tmp_path, site):
    _site(site)
    sources = [Source(name="broken-xml", url=site.url_for("broken.xml")),
               Source(name="wrong-charset", url=site.url_for("cyrillic.xml")),
               Source(name="feed-as-html", url=site.url_for("feed-as-html.xml"))]
    async with pipeline_for(tmp_path, *sources) as pipeline:
        reports = {r.source: r for r in await pipeline.poll_all(sources)}
        rows = {r["name"]: r for r in source_rows(pipeline.settings, now=NOW)}
        assert reports["broken-xml"].ok and reports["broken-xml"].entries >= 2
        assert rows["broken-xml"]["status"] == "ok"
        assert rows["broken-xml"]["last_error"].startswith("XML error line 7: ")
        assert reports["wrong-charset"].ok and reports["wrong-charset"].entries == 1
        assert "windows-1251" in rows["wrong-charset"]["last_error"]
        assert reports["feed-as-html"].ok and reports["feed-as-html"].entries == len(OLD)
        assert "text/html" in rows["feed-as-html"]["last_error"]
        again = {r.source: r for r in await pipeline.poll_all(sources, force=True)}
        rows = {r["name"]: r for r in source_rows(pipeline.settings, now=NOW)}
    # unchanged bodies: not parsed again, the count and the problem stay
    assert again["broken-xml"].entries == reports["broken-xml"].entries
    assert rows["broken-xml"]["last_error"].startswith("XML error line 7: ")
