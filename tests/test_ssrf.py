"""The address guard (issue 12): IPv6 forms of private addresses, DNS rebinding, and links in
configured feeds that point at internal pages on another host."""

from __future__ import annotations

import functools
import ipaddress
import ssl
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from bot.settings import Source
from tests.articles import TANF_DRONE
from tests.conftest import article_html, open_pipeline, rss
from tests.loopback import LoopbackServer
from watchers.addresses import LinkGuard, check_public_url, is_public
from watchers.errors import BlockedError
from watchers.fetchers import guarded_fetcher, trusted_fetcher

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.mark.parametrize("address", [
    "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
    "64:ff9b:1::a00:1",  # local-use NAT64 of 10.0.0.1
    "2002:7f00:1::",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "::7f00:1",  # IPv4-compatible ::127.0.0.1
    "::a00:1",  # IPv4-compatible ::10.0.0.1
    "::ffff:0:7f00:1",  # IPv4-translated 127.0.0.1
    "::ffff:127.0.0.1",  # IPv4-mapped
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
])
def test_ipv6_forms_of_private_ipv4_addresses_are_not_public(address):
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [
    "64:ff9b::808:808", "2002:808:808::1", "::ffff:8.8.8.8", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_stay_public(address):
    assert is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("host", ["[64:ff9b::7f00:1]", "[2002:7f00:1::]", "[::7f00:1]"])
async def test_check_public_url_refuses_ipv6_wrapped_loopback(host):
    with pytest.raises(BlockedError, match="non-public address"):
        await check_public_url(f"http://{host}/feed")


class Rebinding:
    """A resolver that answers a public address first and a private one afterwards."""

    def __init__(self, first: str, then: str) -> None:
        self.answers = [first, then]
        self.calls: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append(host)
        return [self.answers[min(len(self.calls), 2) - 1]]


async def test_a_rebinding_name_never_reaches_the_private_address():
    with LoopbackServer(host="127.0.0.1") as internal:
        internal.add("secret", "internal admin page")
        resolver = Rebinding("93.184.215.14", "127.0.0.1")
        # "localhost": before pinning, the connection resolved it again (to 127.0.0.1)
        url = f"http://localhost:{internal.port}/secret"
        async with guarded_fetcher(resolver=resolver, timeout=5.0) as fetcher:
            with pytest.raises(BlockedError, match="non-public address 127.0.0.1") as caught:
                await fetcher.fetch(url)
        assert caught.value.url == url
        assert internal.requests == []
        assert resolver.calls == ["localhost", "localhost"]  # the check, then the connection


async def test_the_connection_goes_to_the_checked_address_with_the_host_name_kept():
    with LoopbackServer(host="127.0.0.2") as allowed, LoopbackServer(host="127.0.0.1") as other:
        allowed.add("page", "the page")
        other.add("page", "not this one")

        async def resolver(host: str, port: int) -> list[str]:
            return ["127.0.0.2"]

        def only_127_0_0_2(addr: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
            return str(addr) == "127.0.0.2"

        from watchers.fetch import Fetcher
        from watchers.pinned import pinned_transport

        transport = pinned_transport(resolver=resolver, allow=only_127_0_0_2)
        async with Fetcher(transport=transport, timeout=5.0) as fetcher:
            result = await fetcher.fetch(f"http://news.example:{allowed.port}/page")
        assert result.content == b"the page"
        [(path, headers)] = allowed.requests
        assert headers["Host"] == f"news.example:{allowed.port}" and other.requests == []


SECRET = "Internal wiki: the al-Tanf garrison rota and the Rukban camp access codes, do not share."


def internal_server() -> LoopbackServer:
    """An internal service on another loopback address, with a page worth stealing."""
    server = LoopbackServer(host="127.0.0.2")
    server.add("2026/11/internal/secret-rota-page",
               article_html("Internal rota for the al-Tanf garrison", [SECRET] * 4))
    server.add("robots.txt", "", "text/plain")
    return server


async def test_feed_links_to_another_internal_host_are_not_fetched(tmp_path, site):
    with internal_server() as internal:
        secret_url = internal.url_for("2026/11/internal/secret-rota-page")
        own = site.add("2026/11/drones-target-the-garrison",
                       article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
        hop = site.url_for("_fault/redirect/2?to=" + quote(secret_url, safe=""))
        items = [{"title": TANF_DRONE["title"], "link": own, "published": NOW - timedelta(hours=3)},
                 {"title": "Rota", "link": secret_url, "summary": "see link",
                  "published": NOW - timedelta(hours=2)},
                 {"title": "Rota again", "link": hop, "summary": "see link",
                  "published": NOW - timedelta(hours=1)}]
        feed = site.add("feed.xml", rss(items), "application/rss+xml")
        source = Source("intranet-feed", feed)
        async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
            [report] = await pipeline.poll_all([source])
            assert report.ok and report.processed == 3, report
            texts = [r[0] for r in pipeline.archive.db.execute("select text from articles")]
            hits = pipeline.archive.search("access codes")
        assert internal.requests == []  # not the page, not its robots.txt
        assert not any("access codes" in t for t in texts) and hits == []
        assert any("Two drones were shot down" in t for t in texts)  # its own host: fetched
        assert any(path.startswith("/_fault/redirect/1") for path, _ in site.requests)


async def test_sitemap_links_and_children_on_another_internal_host_are_not_fetched(
        tmp_path, site):
    with internal_server() as internal:
        secret_url = internal.url_for("2026/11/internal/secret-rota-page")
        own = site.add("2026/11/drones-target-the-garrison",
                       article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
        sitemap = site.add("sitemap.xml", (
            '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
            f"<url><loc>{own}</loc></url><url><loc>{secret_url}</loc></url></urlset>"),
            "application/xml")
        index = site.add("index.xml", (
            '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/'
            f'sitemap/0.9"><sitemap><loc>{sitemap}</loc></sitemap><sitemap><loc>'
            f"{internal.url_for('sitemap.xml')}</loc></sitemap></sitemapindex>"),
            "application/xml")
        site.add("robots.txt", "", "text/plain")
        source = Source("intranet-sitemap", index, kind="sitemap")
        async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
            [report] = await pipeline.poll_all([source])
            assert report.ok, report
            urls = {r[0] for r in pipeline.archive.db.execute("select url from articles")}
        assert internal.requests == []
        assert secret_url not in urls


async def test_the_link_guard_allows_the_source_host_and_public_hosts_only():
    async def resolver(host: str, port: int) -> list[str]:
        return {"public.example": ["93.184.215.14"]}.get(host, ["10.0.0.7"])

    guard = LinkGuard("http://intranet.local:8080/feed.xml", resolver=resolver)
    await guard("http://intranet.local:8080/2026/11/story")  # its own host and port
    await guard("https://public.example/2026/11/story")
    for url in ("http://intranet.local:9200/_cat", "http://wiki.local/secret",
                "http://127.0.0.2/", "file:///etc/passwd", "gopher://intranet.local:8080/"):
        with pytest.raises(BlockedError):
            await guard(url)


async def test_a_feed_link_that_rebinds_is_refused_by_the_trusted_fetcher():
    with LoopbackServer(host="127.0.0.1") as server:
        server.add("feed.xml", "<rss/>", "application/rss+xml")
        server.add("secret", "internal")
        home = server.url_for("feed.xml")
        resolver = Rebinding("93.184.215.14", "127.0.0.1")
        async with trusted_fetcher([home], resolver=resolver, timeout=5.0) as fetcher:
            assert (await fetcher.fetch(home)).content == b"<rss/>"  # its own host: by name
            with pytest.raises(BlockedError, match="non-public address 127.0.0.1"):
                await fetcher.fetch(f"http://localhost:{server.port}/secret",
                                    guard=LinkGuard(home, resolver=resolver))
        assert [path for path, _ in server.requests] == ["/feed.xml"]
        assert resolver.calls == ["localhost", "localhost"]


async def test_fetchers_build_their_transport_at_the_first_request_with_one_shared_tls():
    made: list[ssl.SSLContext] = []

    def tls() -> ssl.SSLContext:
        made.append(ssl.create_default_context())
        return made[-1]

    shared = functools.cache(tls)  # as bot.app shares one between its fetchers
    async with trusted_fetcher([], tls=shared), guarded_fetcher(tls=shared):
        pass
    assert made == []  # never used (a run with no sources): no certificates loaded
    with LoopbackServer(host="127.0.0.1") as server:
        server.add("page", "the page")
        url = server.url_for("page")
        async with trusted_fetcher([url], tls=shared, timeout=5.0) as one, \
                trusted_fetcher([url], tls=shared, timeout=5.0) as two:
            assert (await one.fetch(url)).content == b"the page"
            assert (await two.fetch(url)).content == b"the page"
    assert len(made) == 1 and len(server.requests) == 2


async def test_discover_does_not_follow_a_page_feed_link_to_another_internal_host(site):
    from watchers.discover import discover
    from watchers.fetch import Fetcher

    with internal_server() as internal:
        internal.add("feed.xml", rss([]), "application/rss+xml")
        own = site.add("own.xml", rss([]), "application/rss+xml")
        links = "".join(f'<link rel="alternate" type="application/rss+xml" href="{u}">'
                        for u in (internal.url_for("feed.xml"), own))
        page = site.add("index.html", f"<html><head>{links}</head><body>hi</body></html>")
        async with Fetcher() as fetcher:
            assert await discover(page, fetcher) == ("feed", own)
        assert internal.requests == []
