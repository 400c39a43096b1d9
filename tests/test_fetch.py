"""Fetcher against a loopback server: normal fetches, conditional GET and the fault suite."""

from __future__ import annotations

import asyncio
import gzip
import sys
import zlib
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import urlsplit

import brotli
import pytest

from watchers.errors import BlockedError, FetchError, WatchError
from watchers.fetch import USER_AGENT, Fetcher, check_public_url, parse_retry_after

try:
    from tests.loopback import FIXTURES, LoopbackServer
except ModuleNotFoundError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from loopback import FIXTURES, LoopbackServer  # type: ignore[no-redef]

GUARDIAN = "feeds/rss-parser/input/guardian.rss"
TIMEOUT = 0.5


@pytest.fixture(scope="module")
def server():
    # Build the gzip bomb before any timed fetch: compressing 100 MB takes longer than TIMEOUT
    # on a loaded machine, and the test is about the client's cap, not the server's speed.
    loopback_module = sys.modules[LoopbackServer.__module__]
    loopback_module._gzip_bomb(100)
    with LoopbackServer() as srv:
        yield srv


@pytest.fixture
async def fetcher():
    async with Fetcher(timeout=TIMEOUT) as f:
        yield f


async def test_fetch_returns_body_headers_and_validators(server, fetcher):
    result = await fetcher.fetch(server.url_for(GUARDIAN))
    assert result.status == 200
    assert result.content == (FIXTURES / GUARDIAN).read_bytes()
    assert result.headers["content-type"] == "application/rss+xml"
    assert result.etag and result.last_modified
    assert not result.not_modified
    assert result.url == server.url_for(GUARDIAN)
    sent = [h for path, h in server.requests if path == "/" + GUARDIAN][-1]
    assert sent["User-Agent"] == USER_AGENT


async def test_conditional_get_gives_not_modified(server, fetcher):
    url = server.url_for(GUARDIAN)
    first = await fetcher.fetch(url)
    by_etag = await fetcher.fetch(url, etag=first.etag)
    by_date = await fetcher.fetch(url, last_modified=first.last_modified)
    for result in (by_etag, by_date):
        assert result.status == 304 and result.not_modified and result.content == b""
    changed = await fetcher.fetch(url, etag='"something-else"')
    assert changed.status == 200 and changed.content == first.content


async def test_quoted_file_names_are_served(server, fetcher):
    name = next(p for p in (FIXTURES / "html/trafilatura").iterdir() if " " in p.name)
    result = await fetcher.fetch(server.url_for(str(name.relative_to(FIXTURES))))
    assert result.content == name.read_bytes()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate", "br"])
async def test_compressed_bodies_are_decoded(server, fetcher, coding):
    body = b"<rss version='2.0'><channel><title>compressed</title></channel></rss>" * 50
    encoded = {
        "gzip": gzip.compress(body),
        "deflate": zlib.compress(body),
        "raw-deflate": zlib.compress(body)[2:-4],
        "br": brotli.compress(body),
    }[coding]
    header = "deflate" if coding == "raw-deflate" else coding
    url = server.add(f"enc/{coding}", encoded, "text/xml", {"Content-Encoding": header})
    assert (await fetcher.fetch(url)).content == body


async def test_gzip_fixture_named_xml_is_decoded(server, fetcher):
    path = "feeds/node-feedparser/compressed.xml"
    result = await fetcher.fetch(server.url_for(path))
    assert result.content == gzip.decompress((FIXTURES / path).read_bytes())


FAULTS = [
    ("_fault/status/500", "HTTP 500"),
    ("_fault/status/404", "HTTP 404"),
    ("_fault/status/503?retry_after=30", "HTTP 503"),
    ("_fault/hang", f"timeout after {TIMEOUT:g} s"),
    ("_fault/drip?interval=0.02", f"timeout after {TIMEOUT:g} s"),
    ("_fault/truncated", "truncated body (connection closed early)"),
    ("_fault/big?mb=50", "body over 10 MB"),
    ("_fault/big?mb=50&chunked=1", "body over 10 MB"),
    ("_fault/gzipbomb?mb=100", "body over 10 MB"),
    ("_fault/redirect-loop", "redirect loop"),
    ("_fault/redirect/9?to=/" + GUARDIAN, "too many redirects (over 5)"),
]


@pytest.mark.parametrize(("path", "message"), FAULTS)
async def test_fault_gives_specific_error(server, fetcher, path, message):
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(server.url_for(path))
    assert str(caught.value) == message
    assert caught.value.url == server.url_for(path)


async def test_faults_leave_other_urls_unaffected(server):
    async with Fetcher(timeout=TIMEOUT, concurrency=4, per_host=4) as fetcher:
        paths = [p for p, _ in FAULTS] + [GUARDIAN] * 3
        results = await asyncio.gather(
            *(fetcher.fetch(server.url_for(p)) for p in paths), return_exceptions=True
        )
    by_path = dict(zip(paths, results, strict=False))
    for (path, message), result in zip(FAULTS, results, strict=False):
        assert isinstance(result, FetchError) and str(result) == message, path
    good = results[len(FAULTS) :]
    assert all(r.content == (FIXTURES / GUARDIAN).read_bytes() for r in good)
    assert by_path[GUARDIAN].status == 200


async def test_retry_after_is_parsed_from_seconds_and_dates(server, fetcher):
    with pytest.raises(FetchError) as seconds:
        await fetcher.fetch(server.url_for("_fault/status/503?retry_after=30"))
    assert (seconds.value.status, seconds.value.retry_after) == (503, 30.0)
    with pytest.raises(FetchError) as date:
        await fetcher.fetch(server.url_for("_fault/status/429?retry_after=date"))
    assert date.value.status == 429 and 60 < date.value.retry_after <= 120
    with pytest.raises(FetchError) as plain:
        await fetcher.fetch(server.url_for("_fault/status/500?retry_after=30"))
    assert plain.value.retry_after is None


def test_parse_retry_after_forms():
    now = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after("120", now=now) == 120.0
    later, earlier = now + timedelta(minutes=2), now - timedelta(minutes=2)
    assert parse_retry_after(format_datetime(later, usegmt=True), now=now) == 120
    assert parse_retry_after(format_datetime(earlier, usegmt=True), now=now) == 0
    assert parse_retry_after("soon", now=now) is None
    assert parse_retry_after(None) is None


async def test_redirects_are_followed_to_the_final_url(server, fetcher):
    result = await fetcher.fetch(server.url_for("_fault/redirect/3?to=/" + GUARDIAN))
    assert result.url == server.url_for(GUARDIAN)
    assert result.content == (FIXTURES / GUARDIAN).read_bytes()


async def test_connection_refused_is_a_clean_message(fetcher):
    with LoopbackServer(host="127.0.0.9") as closed:
        url = closed.url_for("feed.xml")
    with pytest.raises(FetchError) as caught:
        await fetcher.fetch(url)
    assert str(caught.value).startswith("connection failed: ")
    assert "\n" not in str(caught.value)


async def test_custom_size_cap(server):
    async with Fetcher(max_bytes=1000) as fetcher:
        with pytest.raises(FetchError, match=r"^body over 0.001 MB$"):
            await fetcher.fetch(server.url_for(GUARDIAN))


async def test_binary_and_wrong_content_types_are_fetched_as_bytes(server, fetcher):
    binary = await fetcher.fetch(server.url_for("_fault/binary"))
    assert binary.status == 200 and len(binary.content) > 10_000
    wrong = await fetcher.fetch(server.url_for(GUARDIAN + "?ctype=image/png"))
    assert wrong.headers["content-type"] == "image/png"


async def test_per_host_and_global_limits():
    with LoopbackServer(host="127.0.0.2") as server:  # its own server: no hanging faults
        async with Fetcher(per_host=2, concurrency=16) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url_for("_fault/slow")) for _ in range(8)))
        assert server.max_active == 2
        server.max_active = 0
        async with Fetcher(per_host=10, concurrency=3) as fetcher:
            await asyncio.gather(*(fetcher.fetch(server.url_for("_fault/slow")) for _ in range(8)))
        assert server.max_active == 3


async def test_requests_to_one_host_are_spaced_by_its_delay(server, monkeypatch):
    waits: list[float] = []
    real_sleep = asyncio.sleep

    async def recorded_sleep(delay: float, *args, **kwargs):
        if delay >= 1:  # the host gate's waits; recorded, not slept
            waits.append(delay)
            delay = 0
        return await real_sleep(delay, *args, **kwargs)

    monkeypatch.setattr(asyncio, "sleep", recorded_sleep)
    async with Fetcher(per_host=4, host_delay=30.0, host_delays={"127.0.0.3": 0.0}) as fetcher:
        with LoopbackServer(host="127.0.0.3") as other:
            await asyncio.gather(*(fetcher.fetch(server.url_for(GUARDIAN)) for _ in range(3)),
                                 *(fetcher.fetch(other.url_for(GUARDIAN)) for _ in range(3)))
    # the second and third requests to the first host wait 30 s and 60 s; the other host
    # (delay 0) never waits
    assert [round(w / 30) for w in sorted(waits)] == [1, 2]


async def test_guard_sees_every_redirect_hop(server):
    seen = []

    def guard(url: str) -> None:
        seen.append(url)
        if urlsplit(url).path.endswith(GUARDIAN):
            raise BlockedError("refused by test guard", url=url)

    async with Fetcher(guard=guard) as fetcher:
        with pytest.raises(BlockedError, match="refused by test guard"):
            await fetcher.fetch(server.url_for("_fault/redirect/2?to=/" + GUARDIAN))
    assert len(seen) == 3


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/feed",
        "http://localhost:8080/feed",
        "http://10.1.2.3/",
        "http://192.168.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://100.64.0.1/",
        "ftp://example.org/feed",
        "file:///etc/passwd",
    ],
)
async def test_check_public_url_refuses_private_targets(url):
    with pytest.raises(BlockedError) as caught:
        await check_public_url(url)
    assert isinstance(caught.value, WatchError) and caught.value.url == url


async def test_check_public_url_accepts_public_literal():
    assert await check_public_url("https://93.184.215.14/feed.xml") is None


async def test_async_guard_blocks_loopback_fetch(server):
    async with Fetcher(guard=check_public_url) as fetcher:
        with pytest.raises(BlockedError, match="non-public address 127.0.0.1"):
            await fetcher.fetch(server.url_for(GUARDIAN))
