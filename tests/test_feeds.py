"""parse_feed: hand-written feeds, then every shared fixture feed served over loopback."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser
import pytest

from tests.conftest import fetch_fixtures
from tests.loopback import FIXTURES
from watchers.dates import parse_date
from watchers.errors import ParseError
from watchers.feedmodel import drop_controls
from watchers.feeds import FeedEntry, ParsedFeed, html_to_text, parse_feed
from watchers.fetch import FetchResult

URL = "http://127.0.0.1:9/feed.xml"

RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Desert Wire</title><link>http://127.0.0.1:9/</link><ttl>30</ttl>
<item><guid>post-1</guid><title>Convoy reaches the garrison</title><link>/news/1</link>
<description>&lt;p&gt;A short &lt;b&gt;teaser&lt;/b&gt;.&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>The longer body of the story.</p><p>Second paragraph &amp; more.</p>]]>
</content:encoded><pubDate>Tue, 03 Mar 2026 10:15:00 +0300</pubDate>
<author>desk@example.org</author>
</item>
<item><title>No id, no link</title><description>Only words here.</description></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom desk</title>
<link href="http://127.0.0.1:9/atom"/><id>urn:feed</id><updated>2026-03-01T00:00:00Z</updated>
<entry><id>urn:entry:1</id><title type="html">Patrol &lt;em&gt;near&lt;/em&gt; the zone</title>
<link href="http://127.0.0.1:9/a/1"/><updated>2026-03-02T08:00:00+02:00</updated>
<summary>Patrols were seen near the border.</summary>
<content type="html">&lt;p&gt;Patrols were seen near the border crossing on Monday.&lt;/p&gt;
</content>
</entry></feed>"""


def test_rss_entries_become_plain_dataclasses():
    feed = parse_feed(RSS, url=URL, headers={"Content-Type": "application/rss+xml"})
    assert isinstance(feed, ParsedFeed) and feed.title == "Desert Wire" and feed.problem is None
    assert feed.ttl == 1800 and feed.link == "http://127.0.0.1:9/"
    first, second = feed.entries
    assert isinstance(first, FeedEntry)
    assert first.key == "post-1" and first.url == "http://127.0.0.1:9/news/1"
    assert first.summary == "A short teaser."
    assert first.content == "The longer body of the story.\nSecond paragraph & more."
    assert first.published == datetime(2026, 3, 3, 7, 15, tzinfo=UTC)
    assert first.author == "desk@example.org"
    expected_key = "sha1:" + hashlib.sha1(b"No id, no link\nOnly words here.").hexdigest()
    assert second.key == expected_key and second.url is None and second.published is None


def test_atom_entry():
    (entry,) = parse_feed(ATOM, url=URL).entries
    assert entry.title == "Patrol near the zone"
    assert entry.content == "Patrols were seen near the border crossing on Monday."
    assert entry.published == datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def test_sy_update_period_gives_ttl():
    body = RSS.replace(b"<ttl>30</ttl>", b"").replace(
        b"<channel>",
        b'<channel xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">'
        b"<sy:updatePeriod>daily</sy:updatePeriod><sy:updateFrequency>4</sy:updateFrequency>",
    )
    assert parse_feed(body, url=URL).ttl == 21600


def test_header_charset_decodes_undeclared_bytes():
    body = "<rss version='2.0'><channel><title>Сводка дня</title></channel></rss>".encode("koi8-r")
    feed = parse_feed(body, url=URL, headers={"content-type": "text/xml; charset=koi8-r"})
    assert feed.title == "Сводка дня"


def test_json_feed():
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "JSON desk",
        "home_page_url": "http://127.0.0.1:9/",
        "items": [
            {
                "id": "7",
                "url": "/j/7",
                "title": "Item",
                "content_html": "<p>Body <i>text</i></p>",
                "date_published": "2026-03-04T05:06:07+01:00",
                "authors": [{"name": "Desk"}],
            },
            {"id": ""},
            "not an item",
        ],
    }
    feed = parse_feed(
        json.dumps(doc).encode(), url=URL, headers={"content-type": "application/json"}
    )
    (entry,) = feed.entries
    assert (entry.key, entry.url, entry.content) == ("7", "http://127.0.0.1:9/j/7", "Body text")
    assert entry.published == datetime(2026, 3, 4, 4, 6, 7, tzinfo=UTC) and entry.author == "Desk"
    assert feed.skipped == 2


@pytest.mark.parametrize(
    ("body", "ctype", "message"),
    [
        (b"", "application/rss+xml", "empty document"),
        (
            b"<!DOCTYPE html><html><body><p>Hi</p></body></html>",
            "text/html",
            "not a feed: text/html",
        ),
        (
            b"<html><body>moved</body></html>",
            "application/rss+xml",
            "not a feed: text/html (served as application/rss+xml)",
        ),
        (bytes(range(256)) * 20, "application/octet-stream", "not a feed: "),
        (b'{"items": []}', "application/json", "not a feed: JSON without a JSON Feed version"),
        (b"{not json", "application/json", "JSON error: "),
    ],
)
def test_unparseable_bodies_raise_parse_error(body, ctype, message):
    with pytest.raises(ParseError) as caught:
        parse_feed(body, url=URL, headers={"Content-Type": ctype})
    assert str(caught.value).startswith(message) and caught.value.url == URL
    assert "\n" not in str(caught.value)


def test_broken_xml_reports_line_and_keeps_entries():
    body = RSS.replace(b"</title><link>/news/1", b"</titel><link>/news/1")
    feed = parse_feed(body, url=URL)
    assert feed.problem is not None and feed.problem.startswith("XML error line 4: ")
    assert feed.entries


def test_html_to_text_drops_scripts_and_keeps_paragraphs():
    assert html_to_text("<p>One&nbsp;two</p><script>x()</script><p>three</p>") == "One two\nthree"


# -- every shared fixture feed, served over loopback ------------------------------------------


def _fixture_feeds() -> list[str]:
    rows = [json.loads(line) for line in (FIXTURES / "MANIFEST.jsonl").open()]
    return sorted(r["path"] for r in rows if r["kind"] in ("feed", "feed-json", "not-a-feed-html"))


FEED_PATHS = _fixture_feeds()


@pytest.fixture(scope="module")
def served() -> dict[str, FetchResult]:
    return fetch_fixtures(FEED_PATHS)


def _expected_key(entry: dict, base: str) -> str | None:
    link = urljoin(base, entry["link"]) if entry.get("link") else None
    return entry.get("id") or link


def test_fixture_set_is_complete():
    assert len(FEED_PATHS) == 100


@pytest.mark.parametrize("path", FEED_PATHS)
def test_fixture_feed_matches_feedparser(served, path):
    result = served[path]
    direct = feedparser.parse(result.content, response_headers=dict(result.headers))
    try:
        feed = parse_feed(result.content, url=result.url, headers=result.headers)
    except ParseError as exc:  # only for bodies feedparser cannot read either
        assert not direct.get("version") and not direct.entries and str(exc).startswith("not a")
        return
    if path.endswith(".json"):
        items = json.loads(result.content)["items"]
        assert [e.key for e in feed.entries] == [str(i["id"]) for i in items]
        return
    assert (feed.problem is not None) == bool(direct.bozo)
    base = urljoin(result.url, direct.feed.get("link") or result.url)
    wanted = [
        e
        for e in direct.entries
        if e.get("id") or e.get("link") or e.get("title") or e.get("summary") or e.get("content")
    ]
    assert len(feed.entries) + feed.skipped == len(direct.entries)
    assert len(feed.entries) == len(wanted)
    for ours, theirs in zip(feed.entries, wanted, strict=True):
        assert ours.key == (_expected_key(theirs, base) or ours.key)
        assert ours.url == (urljoin(base, theirs["link"]) if theirs.get("link") else None)
        when = dict.get(theirs, "published_parsed") or dict.get(theirs, "updated_parsed")
        if when:
            assert ours.published.timetuple()[:6] == tuple(when)[:6]
        else:  # a date feedparser cannot read ("mer, 16 nov 2022 ..."): watchers.dates does
            raw = [dict.get(theirs, "published"), dict.get(theirs, "updated")]
            assert ours.published == next(filter(None, map(parse_date, raw)), None)
        if theirs.get("title_detail", {}).get("type") == "text/plain":
            title = drop_controls(theirs["title"])  # we drop control characters at the boundary
            assert ours.title == " ".join(title.split()) or "\n" in title


def test_struct_times_become_the_same_aware_datetimes_as_through_timegm():
    import calendar
    import random

    from watchers.feedmodel import aware

    def reference(struct):
        try:
            return datetime.fromtimestamp(calendar.timegm(struct), tz=UTC)
        except (OverflowError, ValueError, TypeError):
            return None

    rng = random.Random(11)
    structs = [(2026, 11, 1, 23, 59, 60, 0, 1, 0), (2026, 2, 30, 0, 0, 0, 0, 1, 0),
               (1901, 1, 1, 0, 0, 0, 0, 1, 0), (8999, 12, 31, 24, 0, 0, 0, 1, 0)]
    structs += [(rng.randint(1890, 9010), rng.randint(0, 13), rng.randint(0, 32),
                 rng.randint(0, 25), rng.randint(0, 61), rng.randint(0, 62), 0, 1, 0)
                for _ in range(3000)]
    for struct in structs:
        assert aware(struct) == reference(struct), struct
    assert aware(None) is None and aware((2026, 11, 1, 10, 0, 0, 0, 1, 0)) == datetime(
        2026, 11, 1, 10, tzinfo=UTC)
