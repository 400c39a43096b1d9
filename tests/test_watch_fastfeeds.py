"""The lxml fast path reads feeds exactly as the feedparser path does, or declines.

Every shared fixture feed is served over loopback and parsed both ways; hand-written feeds
pin down the feedparser rules the fast path copies (guid as link, first title wins, a second
summary becomes content, content copied to summary, Atom person names).
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime

import pytest

from tests.conftest import fetch_fixtures
from tests.loopback import FIXTURES
from watchers.errors import ParseError
from watchers.feedfast import parse_fast
from watchers.feeds import parse_feed
from watchers.fetch import FetchResult

URL = "http://127.0.0.1:9/feed.xml"
XML = {"content-type": "application/rss+xml"}
_ROWS = [json.loads(line) for line in (FIXTURES / "MANIFEST.jsonl").open()]
FEEDS = sorted(r["path"] for r in _ROWS if r["kind"] == "feed")
WELLFORMED = {r["path"] for r in _ROWS if r["kind"] == "feed" and r.get("xml_wellformed")}
# Well-formed feeds the fast path must take (it declines DOCTYPEs, xml:base, XHTML content,
# media:group and encodings feedparser overrides; those go to feedparser).
MIN_FAST = 45


@pytest.fixture(scope="module")
def served() -> dict[str, FetchResult]:
    return fetch_fixtures(FEEDS)


def _both(result: FetchResult):
    headers = {k.lower(): v for k, v in result.headers.items()}
    fast = parse_fast(result.content, url=result.url, headers=headers)
    try:
        slow = parse_feed(result.content, url=result.url, headers=headers, fast=False)
    except ParseError as exc:
        slow = exc
    return fast, slow


@pytest.fixture(scope="module")
def both(served):
    """Each fixture feed parsed on both paths: (fast path or None, feedparser path or error)."""
    return {path: _both(served[path]) for path in FEEDS}


def test_every_fixture_feed_reads_the_same_on_both_paths(both):
    taken = []
    for path in FEEDS:
        fast, slow = both[path]
        if fast is None:
            continue
        assert not isinstance(slow, ParseError), path  # nothing feedparser rejects is taken
        assert fast == slow, path
        assert fast.problem is None, path
        taken.append(path)
    assert len(taken) >= MIN_FAST, len(taken)
    assert len([p for p in taken if p in WELLFORMED]) >= MIN_FAST - 5


def test_broken_fixture_feeds_are_left_to_feedparser_and_reported(both):
    broken = []
    for path in FEEDS:
        fast, slow = both[path]
        if isinstance(slow, ParseError):  # nothing recoverable: a one-line error
            assert fast is None and str(slow) and "\n" not in str(slow), path
            broken.append(path)
        elif slow.problem:  # recovered, with the problem reported
            assert fast is None, path
            broken.append(path)
    assert len(broken) >= 30  # the malformed and mis-encoded fixtures


def _same(body: bytes, headers: dict[str, str] | None = None):
    headers = headers or XML
    fast = parse_fast(body, url=URL, headers=headers)
    assert fast is not None, "the fast path declined"
    assert fast == parse_feed(body, url=URL, headers=headers, fast=False)
    return fast


def _rss(items: str, channel: str = "<title>Desk</title><link>http://127.0.0.1:9/</link>",
         ns: str = "") -> bytes:
    return (f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {ns}><channel>'
            f"{channel}{items}</channel></rss>").encode()


def test_guid_is_the_link_unless_marked_or_a_link_follows():
    feed = _same(_rss(
        "<item><guid>http://127.0.0.1:9/a</guid><title>A</title></item>"
        '<item><guid isPermaLink="false">id-b</guid><title>B</title></item>'
        "<item><guid>http://127.0.0.1:9/c</guid><link>http://127.0.0.1:9/c2</link></item>"
    ))
    assert [e.url for e in feed.entries] == [
        "http://127.0.0.1:9/a", None, "http://127.0.0.1:9/c2"]
    assert feed.entries[1].key == "id-b"


def test_first_non_empty_title_wins_and_html_looking_titles_are_text():
    feed = _same(_rss(
        "<item><title>First &lt;b&gt;bold&lt;/b&gt;</title>"
        "<dc:title>Second</dc:title><link>http://127.0.0.1:9/x</link></item>"
        "<item><title></title><dc:title>Fallback title</dc:title></item>",
        ns='xmlns:dc="http://purl.org/dc/elements/1.1/"',
    ))
    assert [e.title for e in feed.entries] == ["First bold", "Fallback title"]


def test_second_summary_is_content_and_content_fills_summary():
    feed = _same(_rss(
        "<item><title>T</title><description>Short teaser.</description>"
        "<itunes:summary>A much longer account of the patrol near the border.</itunes:summary>"
        "</item><item><title>U</title>"
        "<content:encoded><![CDATA[<p>Body only.</p>]]></content:encoded></item>",
        ns='xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
           'xmlns:content="http://purl.org/rss/1.0/modules/content/"',
    ))
    first, second = feed.entries
    assert first.summary == "Short teaser."
    assert first.content == "A much longer account of the patrol near the border."
    assert second.summary == "Body only." == second.content


def test_atom_people_links_and_urn_ids():
    body = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title type="html">Desk &amp;amp; co</title>
<id>urn:uuid:feed</id><link rel="self" href="http://127.0.0.1:9/atom"/>
<entry><id>urn:uuid:1</id><title>One</title>
<author><name>Rami</name><email>rami@example.org</email></author>
<link rel="alternate" type="text/html" href="http://127.0.0.1:9/one"/>
<link rel="enclosure" href="http://127.0.0.1:9/one.mp3"/>
<updated>2026-03-02T08:00:00+02:00</updated></entry>
<entry><id>urn:uuid:2</id><title>Two</title><author><name>Lina</name></author>
<summary type="html">&lt;p&gt;Seen &lt;b&gt;near&lt;/b&gt; the zone&lt;/p&gt;</summary></entry>
</feed>"""
    feed = _same(body, {"content-type": "application/atom+xml"})
    assert feed.title == "Desk & co" and feed.link == "urn:uuid:feed"
    one, two = feed.entries
    assert (one.url, one.author) == ("http://127.0.0.1:9/one", "Rami (rami@example.org)")
    assert (two.url, two.author, two.summary) == ("urn:uuid:2", "Lina", "Seen near the zone")


def test_unsafe_markup_goes_through_feedparser_sanitiser():
    feed = _same(_rss(
        "<item><title>S</title><description>&lt;p&gt;Kept&lt;/p&gt;&lt;script&gt;gone()"
        "&lt;/script&gt;&lt;marquee&gt;also kept&lt;/marquee&gt;</description></item>"
    ))
    assert feed.entries[0].summary == "Kept\nalso kept"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (_rss("<item><title>T</title></item>").replace(
            b"<rss", b'<!DOCTYPE rss [<!ENTITY x "y">]><rss'), XML),
        (_rss('<item xml:base="http://127.0.0.1:9/b/"><link>c</link></item>'), XML),
        (_rss("<item><title>T</title></item>"), {"content-type": "text/plain"}),
        (_rss("<item><title>T</title><media:title>M</media:title></item>",
              ns='xmlns:media="http://search.yahoo.com/mrss/"'), XML),
        (_rss("<item><title>T</title></item>")[:-20], XML),  # truncated: malformed
        (b'<?xml version="1.0"?><feed><entry><title>T</title></entry></feed>', XML),
    ],
    ids=["doctype", "xml-base", "not-xml-content-type", "media-title", "malformed", "no-ns"],
)
def test_unusual_feeds_are_declined(body, headers):
    assert parse_fast(body, url=URL, headers=headers) is None


# -- random feeds: any mix of these item children reads the same on both paths, or declines ----
NS = ('xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
      'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
      'xmlns:itunes="http://www.itunes.com/dtds/podcast-1.0.dtd" '
      'xmlns:media="http://search.yahoo.com/mrss/" xmlns:foo="http://127.0.0.1/foo"')
RSS_PARTS = [
    "<title>Plain title</title>", "<title>A &amp; B &lt;b&gt;bold&lt;/b&gt;</title>",
    "<title></title>", "<title><![CDATA[CDATA <i>title</i>]]></title>", "<dc:title>DC</dc:title>",
    "<link>http://127.0.0.1:9/a?x=1&amp;y=2</link>", "<link>/relative/path</link>", "<link></link>",
    '<atom:link rel="alternate" href="http://127.0.0.1:9/alt"/>',
    '<atom:link rel="self" href="http://127.0.0.1:9/self"/>', "<guid>http://127.0.0.1:9/g</guid>",
    '<guid isPermaLink="false">tag:x,1</guid>', '<guid>http:///127.0.0.1:9/slash</guid>',
    "<description>Short text</description>",
    "<description>&lt;p&gt;One &lt;b&gt;b&lt;/b&gt;&lt;/p&gt;&lt;p&gt;two&lt;/p&gt;</description>",
    "<description>&lt;script&gt;x()&lt;/script&gt;seen &lt;font&gt;f&lt;/font&gt;</description>",
    "<description>caf\u00c3\u00a9 and \u0093quotes\u0094</description>",
    "<description>AT&amp;T &amp;copy 2026 &amp;nbsp;x</description>",
    "<content:encoded><![CDATA[<div>Full <em>body</em></div><!-- c -->]]></content:encoded>",
    "<itunes:summary>itunes sum</itunes:summary>", "<summary>RSS summary</summary>",
    "<pubDate>Tue, 03 Mar 2026 10:15:00 +0300</pubDate>", "<pubDate>garbage</pubDate>",
    "<dc:date>2026-02-01T00:00:00+01:00</dc:date>", "<author>desk@example.org (Desk)</author>",
    "<dc:creator>Creator</dc:creator>", "<category>Cat</category>", "<!-- a comment -->",
    '<enclosure url="http://127.0.0.1:9/e.mp3" type="audio/mpeg"/>', "<foo:bar>x</foo:bar>",
    '<media:content url="http://127.0.0.1:9/i.jpg"><media:credit>C</media:credit></media:content>',
    '<media:content url="http://127.0.0.1:9/i"><media:description>D</media:description>'
    "</media:content>", '<source url="http://127.0.0.1:9/s">Src</source>',
]
ATOM_PARTS = [
    "<title>T</title>", '<title type="html">&lt;b&gt;H&lt;/b&gt; &amp;amp; x</title>',
    '<title type="text">a &lt;b&gt; c</title>', "<id>urn:uuid:1</id>", "<id>http://127.0.0.1:9/i</id>",
    '<link href="http://127.0.0.1:9/l"/>', '<link rel="alternate" type="text/html" href="/rel"/>',
    '<link rel="alternate" type="application/pdf" href="http://127.0.0.1:9/p.pdf"/>',
    '<link rel="enclosure" href="http://127.0.0.1:9/e"/>', "<summary>S</summary>",
    '<summary type="html">&lt;p&gt;S h&lt;/p&gt;</summary>', "<content>C text</content>",
    '<content type="html">&lt;p&gt;C h&lt;/p&gt;</content>',
    '<content type="image/png">aGk=</content>',
    "<updated>2026-03-02T08:00:00+02:00</updated>", "<published>2026-03-01T00:00:00Z</published>",
    "<author><name>N</name><email>n@example.org</email></author>",
    "<author><name>O</name></author>",
    "<author><uri>http://127.0.0.1:9/u</uri></author>", "<contributor><name>C</name></contributor>",
]
CHANNEL = ["<title>Chan</title>", "<link>http://127.0.0.1:9/</link>", "<ttl>30</ttl>",
           "<title>Second title</title>", "<image><title>Img</title><url>http://127.0.0.1:9/i</url>"
           "</image>", '<atom:link rel="self" href="http://127.0.0.1:9/feed"/>']
FEED = ["<title>F</title>", "<id>urn:f</id>", '<link href="http://127.0.0.1:9/home"/>',
        '<link rel="self" href="http://127.0.0.1:9/self"/>', "<author><name>A</name></author>"]


def _random_feed(rng, atom: bool) -> bytes:
    parts, head = (ATOM_PARTS, FEED) if atom else (RSS_PARTS, CHANNEL)
    items = ["".join(rng.sample(parts, rng.randint(1, 6))) for _ in range(rng.randint(1, 3))]
    top = "".join(rng.sample(head, rng.randint(0, 4)))
    if atom:
        body = "".join(f"<entry>{i}</entry>" for i in items)
        return f'<feed xmlns="http://www.w3.org/2005/Atom">{top}{body}</feed>'.encode()
    body = "".join(f"<item>{i}</item>" for i in items)
    return f'<rss version="2.0" {NS}><channel>{top}{body}</channel></rss>'.encode()


def test_random_feeds_read_the_same_on_both_paths():
    rng = random.Random(5)
    taken = 0
    for n in range(400):
        body = _random_feed(rng, atom=bool(n % 2))
        fast = parse_fast(body, url=URL, headers=XML)
        if fast is not None:
            taken += 1
            assert fast == parse_feed(body, url=URL, headers=XML, fast=False), body
    assert taken > 200


def _published(feed) -> list:
    return sorted(e.published for e in feed.entries if e.published is not None)


def _assert_brief(brief, full, cutoff) -> None:
    """Old entries keep key, url and date only; every other entry reads in full."""
    assert (brief.title, brief.link, brief.ttl, brief.skipped) == (
        full.title, full.link, full.ttl, full.skipped)
    assert len(brief.entries) == len(full.entries)
    for short, whole in zip(brief.entries, full.entries, strict=True):
        assert (short.key, short.url, short.published) == (whole.key, whole.url, whole.published)
        if whole.published is not None and whole.published < cutoff:
            assert (short.title, short.summary, short.content, short.author) == ("", "", "", None)
        else:
            assert short == whole


def test_brief_entries_on_every_fixture_feed(served, both):
    """A first poll's cutoff: the same decisions on both paths, the text of old entries dropped."""
    checked = 0
    for path in FEEDS:
        fast, slow = both[path]
        if isinstance(slow, ParseError) or len(_published(slow)) < 2:
            continue
        dates = _published(slow)
        cutoff = dates[len(dates) // 2]  # some entries on each side
        result = served[path]
        headers = {k.lower(): v for k, v in result.headers.items()}
        brief_fast = parse_fast(result.content, url=result.url, headers=headers,
                                brief_before=cutoff)
        brief_slow = parse_feed(result.content, url=result.url, headers=headers, fast=False,
                                brief_before=cutoff)
        assert (brief_fast is None) == (fast is None), path  # declines do not depend on it
        _assert_brief(brief_slow, slow, cutoff)
        if brief_fast is not None:
            assert brief_fast == brief_slow, path
            checked += 1
    assert checked >= 20, checked  # fast-path fixtures with two or more dated entries


def test_brief_needs_an_id_or_link_and_a_date():
    old = "Mon, 02 Nov 2020 10:00:00 GMT"
    body = _rss(f"<item><guid>g1</guid><title>Kept?</title><pubDate>{old}</pubDate>"
                f"<description>Gone</description><author>x@example.org</author></item>"
                f"<item><title>No key</title><description>Text</description>"
                f"<pubDate>{old}</pubDate></item>"
                f"<item><link>http://127.0.0.1:9/undated</link><title>Undated</title></item>")
    cutoff = datetime(2021, 1, 1, tzinfo=UTC)
    feed = parse_fast(body, url=URL, headers=XML, brief_before=cutoff)
    assert feed == parse_feed(body, url=URL, headers=XML, fast=False, brief_before=cutoff)
    first, hashed, undated = feed.entries
    assert (first.key, first.title, first.content, first.author) == ("g1", "", "", None)
    assert first.published == datetime(2020, 11, 2, 10, tzinfo=UTC)
    assert (hashed.title, hashed.content) == ("No key", "Text")  # its key is their hash
    assert hashed.key == parse_feed(body, url=URL, headers=XML).entries[1].key
    assert undated.title == "Undated"


def test_brief_entries_still_decline_what_feedparser_must_read():
    old = "<pubDate>Mon, 02 Nov 2020 10:00:00 GMT</pubDate>"
    cutoff = datetime(2021, 1, 1, tzinfo=UTC)
    for text in ('<description type="application/xhtml+xml">x</description>',
                 "<title>a<b>c</b></title>",
                 '<content:encoded mode="base64">eA==</content:encoded>'):
        body = _rss(f"<item><guid>g</guid>{old}{text}</item>",
                    ns='xmlns:content="http://purl.org/rss/1.0/modules/content/"')
        assert parse_fast(body, url=URL, headers=XML) is None, text
        assert parse_fast(body, url=URL, headers=XML, brief_before=cutoff) is None, text


def test_random_feeds_read_the_same_on_both_paths_with_a_cutoff():
    rng = random.Random(7)
    cutoff = datetime(2026, 1, 1, tzinfo=UTC)
    taken = 0
    for n in range(200):
        body = _random_feed(rng, atom=bool(n % 2))
        fast = parse_fast(body, url=URL, headers=XML, brief_before=cutoff)
        if fast is not None:
            taken += 1
            slow = parse_feed(body, url=URL, headers=XML, fast=False, brief_before=cutoff)
            assert fast == slow, body
            _assert_brief(slow, parse_feed(body, url=URL, headers=XML, fast=False), cutoff)
    assert taken > 100


def _date_strings(rng: random.Random, n: int) -> list[str]:
    days, months = "Mon Tue Sun".split(), "Jan Feb Oct Dec".split()
    zones = ["GMT", "UT", "UTC", "Z", "+0000", "-0000", "+0530", "-1200", "+2399", "EST"]
    out = ["Mon, 30 Feb 2026 10:00:00 GMT", "01 Jan 0001 00:30:00 +0100",
           "Fri, 31 Dec 9999 23:59:59 -0100", "Sun, 01 Nov 2026 23:59:60 GMT",
           "Sun, 01 Nov 2026 24:00:00 GMT", "2026-11-01T10:00:00Z", "mon, 02 nov 2026 10:00:00 gmt"]
    for _ in range(n):
        day = f"{rng.choice(days)}, " if rng.random() < 0.7 else ""
        out.append(f"{day}{rng.randint(0, 32):0{rng.choice((1, 2))}d} {rng.choice(months)} "
                   f"{rng.choice((1, 1999, 2026, 9999)):04d} {rng.randint(0, 25):02d}:"
                   f"{rng.randint(0, 61):02d}:{rng.randint(0, 61):02d} {rng.choice(zones)}")
    return out


def test_rfc822_dates_read_as_feedparser_reads_them():
    from feedparser.datetimes import _parse_date

    from watchers.feedmodel import aware
    from watchers.feedvalues import parse_date, read_date

    parsed = 0
    for text in _date_strings(random.Random(3), 3000):
        ours, theirs = parse_date(text), _parse_date(text)
        assert ours == theirs, text
        assert aware(read_date(text)) == aware(theirs), text  # the fast path's shortcut
        parsed += ours is not None
    assert parsed > 1500
