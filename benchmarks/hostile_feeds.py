"""Hostile feeds and pages against loopback, through the real runtime fetchers: what happened.

    .venv/bin/python benchmarks/hostile_feeds.py

An outlet on 127.0.0.1 serves entity bombs, a 5 MB entry, control characters, a nested Atom
image title, a UTF-8 page with a stray byte, canonical links to another site and to
``javascript:``, gzip and size bombs, and links (direct, redirected, in a sitemap) to an
internal service on 127.0.0.2. Everything is polled once as configured sources; the table
shows each source's outcome and what was archived, then whether the internal service saw a
single request, then the address checks (IPv6 wrappers, DNS rebinding). Peak memory last.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bot.pipeline import Pipeline  # noqa: E402
from bot.settings import Settings, Source  # noqa: E402
from bot.sourcekinds import source_url  # noqa: E402
from matchers.relevance import load_matcher  # noqa: E402
from storage.archive import Archive  # noqa: E402
from storage.known import load_judge  # noqa: E402
from tests.articles import SYRIA_OTHER, TANF_DRONE  # noqa: E402
from tests.conftest import article_html, rss  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402
from tests.test_hostile_feeds import NESTED_IMAGE, control_feed, entity_bomb  # noqa: E402
from tests.test_hostile_pages import arabic_page  # noqa: E402
from tests.test_ssrf import SECRET, Rebinding, internal_server  # noqa: E402
from watchers.addresses import check_public_url  # noqa: E402
from watchers.errors import WatchError  # noqa: E402
from watchers.fetchers import guarded_fetcher, trusted_fetcher  # noqa: E402

NOW = datetime.now(UTC).replace(microsecond=0)
RECENT = NOW - timedelta(hours=1)


def _feed(site: LoopbackServer, name: str, links: list[str]) -> str:
    items = [{"title": f"{name} {i}", "link": u, "summary": "see the link", "published": RECENT}
             for i, u in enumerate(links)]
    return site.add(f"{name}.xml", rss(items), "application/rss+xml")


def build(site: LoopbackServer, internal: LoopbackServer) -> list[Source]:
    secret = internal.url_for("2026/11/internal/secret-rota-page")
    own = site.add("2026/11/drones-target-the-garrison",
                   article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    big = "Al-Tanf garrison report. " * 200_000  # 5 MB in one entry (the body cap is 10 MB)
    pages = {
        "ar/2026/11/stray-byte-page": arabic_page(),
        "2026/11/foreign-canonical": article_html(SYRIA_OTHER["title"], SYRIA_OTHER["paragraphs"],
                                                  canonical="http://127.0.0.2/2026/11/theirs"),
        "2026/11/javascript-canonical": article_html(TANF_DRONE["title"] + " (js)",
                                                     TANF_DRONE["paragraphs"][::-1],
                                                     canonical="javascript:alert(1)"),
    }
    urls = {path: site.add(path, body) for path, body in pages.items()}
    sitemap = site.add("sitemap.xml", (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{own}</loc></url><url><loc>{secret}</loc></url></urlset>"), "application/xml")
    site.add("robots.txt", "", "text/plain")
    feeds = {
        "entity-bomb": site.add("bomb.xml", entity_bomb(), "application/rss+xml"),
        "five-mb-entry": site.add("big.xml", (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>B</title>'
            f"<item><title>big</title><link>http://127.0.0.1:9/x</link>"
            f"<pubDate>{format_datetime(RECENT)}</pubDate><description>{big}"
            "</description></item></channel></rss>").encode(), "application/rss+xml"),
        "controls": site.add("controls.xml", control_feed(), "application/rss+xml"),
        "nested-image-title": site.add("nested.atom", NESTED_IMAGE, "application/atom+xml"),
        "stray-utf8-byte": _feed(site, "ar", [urls["ar/2026/11/stray-byte-page"]]),
        "canonicals": _feed(site, "canon", [urls["2026/11/foreign-canonical"],
                                            urls["2026/11/javascript-canonical"]]),
        "links-to-internal": _feed(site, "ssrf", [own, secret, site.url_for(
            "_fault/redirect/2?to=" + quote(secret, safe=""))]),
        "gzip-bomb": site.url_for("_fault/gzipbomb?mb=200"),
        "size-bomb": site.url_for("_fault/big?mb=50"),
        "binary": site.url_for("_fault/binary"),
    }
    sources = [Source(name, url) for name, url in feeds.items()]
    return [*sources, Source("sitemap-to-internal", sitemap, kind="sitemap")]


async def poll(sources: list[Source], db: Path) -> Archive:
    # a long backfill: the undated and old fixture entries are processed, not only marked seen
    settings = Settings(sources=tuple(sources), db_path=db, backfill_hours=24 * 365 * 10)
    archive = Archive.open(db)
    judge = load_judge(archive, load_matcher(), now=NOW)
    async with trusted_fetcher([source_url(s) for s in sources], timeout=10.0) as fetcher:
        pipeline = Pipeline(settings, archive, fetcher, judge, clock=lambda: NOW)
        started = time.perf_counter()
        reports = await pipeline.poll_all(sources)
        elapsed = time.perf_counter() - started
    print(f"{'source':22} {'outcome':44} {'archived':>8} {'largest':>9}  first title")
    for report in reports:
        rows = archive.db.execute("select title, length(text) from articles where source = ?",
                                  [report.source]).fetchall()
        outcome = "ok" if report.ok else f"refused: {report.error}"
        largest = max((r[1] or 0 for r in rows), default=0)
        title = repr(rows[0][0])[:40] if rows else "-"
        print(f"{report.source:22} {outcome[:44]:44} {len(rows):8} {largest:9}  {title}")
    print(f"poll: {elapsed:.2f} s for {len(sources)} sources")
    return archive


async def address_checks() -> None:
    for host in ("[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::7f00:1]", "[::ffff:7f00:1]"):
        try:
            await check_public_url(f"http://{host}/")
            print(f"{host:22} PASSED the check")
        except WatchError as exc:
            print(f"{host:22} refused: {exc}")
    with LoopbackServer() as target:
        target.add("secret", "internal")
        resolver = Rebinding("93.184.215.14", "127.0.0.1")
        async with guarded_fetcher(resolver=resolver, timeout=5.0) as fetcher:
            try:
                await fetcher.fetch(f"http://localhost:{target.port}/secret")
                print("rebinding name         FETCHED the internal page")
            except WatchError as exc:
                print(f"rebinding name         refused: {exc}; "
                      f"requests seen: {len(target.requests)}")


def main() -> None:
    logging.basicConfig(level=logging.ERROR)  # the table says what the warnings would
    with tempfile.TemporaryDirectory() as tmp, internal_server() as internal, \
            LoopbackServer(Path(tmp)) as site:
        archive = asyncio.run(poll(build(site, internal), Path(tmp) / "a.db"))
        leaked = archive.search("access codes")
        print(f"internal service: {len(internal.requests)} requests; "
              f"its text searchable: {bool(leaked)} ({SECRET[:30]}...)")
        archive.close()
    asyncio.run(address_checks())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()
