"""Hostile and broken article pages (issue 12): stray bytes in UTF-8, control characters,
canonical links that name another site or are not URLs at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.settings import Source
from tests.articles import SYRIA_OTHER, TANF_DRONE
from tests.conftest import article_html, open_pipeline, rss
from tests.loopback import FIXTURES, LoopbackServer
from watchers.extract import decode_html, extract_article, same_site_url

NOW = datetime.now(UTC).replace(microsecond=0)
# Fiction written for this test, in the style of a local news report.
ARABIC_TITLE = "طائرات مسيرة تستهدف قاعدة التنف قرب الحدود السورية الأردنية"
ARABIC = [
    "أعلن التحالف الدولي أن طائرتين مسيرتين أسقطتا يوم الثلاثاء قرب قاعدة التنف في البادية "
    "السورية، من دون وقوع إصابات بين العسكريين.",
    "وتقع القاعدة داخل منطقة الـ55 كيلومتراً قرب معبر التنف الحدودي ومخيم الركبان للنازحين، "
    "وقال متحدث إن فصيل مغاوير الثورة انتشر على محيطها بعد الهجوم.",
    "وأضاف المتحدث أن الهجمات على القاعدة تكررت هذا العام في ريف حمص الشرقي.",
]


def arabic_page(*, stray: bytes = b"\xff") -> bytes:
    page = article_html(ARABIC_TITLE, ARABIC, lang="ar").encode()
    cut = page.index("مسيرتين".encode())
    return page[:cut] + stray + page[cut:]  # one invalid byte in a page that declares UTF-8


def test_a_stray_byte_in_a_utf8_page_does_not_turn_it_into_mojibake():
    page = arabic_page()
    text = decode_html(page, {"Content-Type": "text/html; charset=utf-8"})
    assert "قاعدة التنف" in text and "\ufffd" in text
    extracted = extract_article(page, url="http://127.0.0.1/ar/2026/11/tanf")
    assert extracted is not None and "التنف" in extracted.text


@pytest.mark.parametrize("stray", [b"\xff", b"\xc3", b"\x80\x80\x80\x80"])
def test_up_to_four_bad_bytes_still_decode_as_utf8(stray):
    assert "قاعدة التنف" in decode_html(arabic_page(stray=stray), {})


def test_legacy_8_bit_pages_still_decode_by_their_charset():
    latin = "<p>Préfecture de l'Aude, crédit agricole, café</p>".encode("latin-1")
    assert "Préfecture" in decode_html(latin, {"Content-Type": "text/html; charset=ISO-8859-1"})
    cyr = '<meta charset="windows-1251"><p>Новости района и области</p>'.encode("cp1251")
    assert "Новости района" in decode_html(cyr, {})
    for path in ("html/encoding-edge-cases/miniflux/iso-8859-1-meta-after-1024.html",):
        assert "Café" in decode_html((FIXTURES / path).read_bytes(), {})


async def test_an_arabic_page_with_a_stray_byte_is_judged_relevant(tmp_path, site):
    page = site.add("ar/2026/11/tanf-drones", arabic_page(), "text/html; charset=utf-8")
    feed = site.add("feed.xml", rss([{"title": "خبر", "link": page,
                                      "published": NOW - timedelta(hours=1)}]),
                    "application/rss+xml")
    source = Source("ar", feed, language="ar")
    async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
        [report] = await pipeline.poll_all([source])
        assert report.ok and report.alerts == 1, report
        [(text, relevant)] = pipeline.archive.db.execute(
            "select text, relevant from articles where source = 'ar'").fetchall()
    assert "التنف" in text and relevant == 1


def test_control_characters_are_dropped_from_extracted_text():
    paragraphs = [p.replace(" the ", " the\x00\x01\x1b ", 1) for p in TANF_DRONE["paragraphs"]]
    page = article_html(TANF_DRONE["title"] + "\x00", paragraphs)
    extracted = extract_article(page.encode(), url="http://127.0.0.1/2026/11/tanf")
    assert extracted is not None and "garrison" in extracted.text
    assert not any(c in extracted.text + (extracted.title or "") for c in "\x00\x01\x1b")


@pytest.mark.parametrize(("page", "canonical", "kept"), [
    ("https://www.example.com/a", "https://example.com/a-canonical", True),
    ("https://m.bbc.co.uk/news/1", "https://www.bbc.co.uk/news/1", True),
    ("http://127.0.0.1:8001/a", "http://127.0.0.1:8002/b", True),
    ("https://example.com/a", "https://other.example.org/a", False),
    ("https://one.github.io/a", "https://two.github.io/a", False),  # a private suffix
    ("http://127.0.0.1/a", "http://127.0.0.2/a", False),
    ("https://example.com/a", "javascript:alert(1)", False),
    ("https://example.com/a", "data:text/html,hi", False),
    ("https://example.com/a", "mailto:x@example.com", False),
])
def test_canonical_links_are_trusted_only_on_the_same_site(page, canonical, kept):
    assert same_site_url(page, canonical) == (canonical if kept else None)


@pytest.mark.parametrize("href", ["javascript:alert(1)", "http://127.0.0.2/elsewhere"])
def test_extract_ignores_a_foreign_or_non_http_canonical(href):
    page = article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"], canonical=href)
    extracted = extract_article(page.encode(), url="http://127.0.0.1/2026/11/tanf-drones")
    assert extracted is not None
    assert extracted.canonical_url in (None, "http://127.0.0.1/2026/11/tanf-drones")


async def test_a_foreign_canonical_does_not_hide_the_other_outlets_article(tmp_path, site):
    with LoopbackServer(site.root, host="127.0.0.2") as other:
        victim = other.add("2026/11/drones-target-the-garrison",
                           article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
        other_feed = other.add("feed.xml", rss([{"title": TANF_DRONE["title"], "link": victim,
                                                 "published": NOW - timedelta(hours=1)}]),
                               "application/rss+xml")
        # a page on the first site claims the other outlet's article as its canonical
        squatter = site.add("2026/11/aid-reaches-camps", article_html(
            SYRIA_OTHER["title"], SYRIA_OTHER["paragraphs"], canonical=victim))
        feed = site.add("feed.xml", rss([{"title": SYRIA_OTHER["title"], "link": squatter,
                                          "published": NOW - timedelta(hours=2)}]),
                        "application/rss+xml")
        first, second = Source("first", feed), Source("second", other_feed)
        async with open_pipeline(tmp_path, (first, second), clock=lambda: NOW) as pipeline:
            pipeline.archive.sources.sync((first, second))
            assert (await pipeline.poll(first, force=True)).ok
            report = await pipeline.poll(second, force=True)
            assert report.ok and report.alerts == 1, report
            urls = dict(pipeline.archive.db.execute(
                "select source, url from articles where source in ('first', 'second')"))
    assert urls == {"first": squatter, "second": victim}
