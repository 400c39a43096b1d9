"""extract_article and decode_html: hand-written pages, charset traps, the 142 scored fixtures."""

from __future__ import annotations

import asyncio
import importlib.util
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from watchers.extract import Extracted, decode_html, extract_article
from watchers.fetch import Fetcher

try:
    from tests.loopback import FIXTURES, LoopbackServer
except ModuleNotFoundError:  # tests/ is not a package: pytest put tests/ itself on sys.path
    from loopback import FIXTURES, LoopbackServer  # type: ignore[no-redef]

URL = "http://127.0.0.1:9/2026/03/05/desert-garrison-story.html"

PARAGRAPHS = "".join(
    f"<p>Paragraph {n}: the supply convoy crossed the desert road before dawn and reached "
    f"the outpost, where officers counted the crates and signed the delivery book.</p>"
    for n in range(1, 7)
)
ARTICLE = f"""<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">
<title>Convoy reaches outpost | Desert Wire</title>
<link rel="canonical" href="/2026/03/05/convoy.html">
<meta property="og:site_name" content="Desert Wire">
<meta property="article:published_time" content="2026-03-05T09:30:00+00:00">
</head><body><nav><a href="/">Home</a><a href="/world">World</a></nav>
<article><h1>Convoy reaches outpost</h1>{PARAGRAPHS}</article>
<footer>Copyright Desert Wire. All rights reserved.</footer></body></html>"""


def _evaluation():
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "evaluate_extraction.py"
    spec = importlib.util.spec_from_file_location("evaluate_extraction", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look the module up while building
    spec.loader.exec_module(module)
    return module


def test_article_fields():
    result = extract_article(ARTICLE.encode(), url=URL)
    assert isinstance(result, Extracted)
    assert result.title == "Convoy reaches outpost"
    assert "Paragraph 6: the supply convoy" in result.text and "Home" not in result.text
    assert "All rights reserved" not in result.text
    assert result.published == datetime(2026, 3, 5, tzinfo=UTC)
    assert result.language == "en"
    assert result.canonical_url == "http://127.0.0.1:9/2026/03/05/convoy.html"
    assert result.site_name == "Desert Wire"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "<html><head><script>window.location='/app'</script></head><body></body></html>",
        "<html><body><noscript>Enable JavaScript</noscript><div id='root'></div></body></html>",
        b"\x00\x01\x02binary\xff\xfe" * 50,
    ],
)
def test_nothing_extractable_gives_none(html):
    assert extract_article(html, url=URL) is None


def test_decode_trusts_valid_utf8_over_a_wrong_meta_charset():
    page = '<meta charset="iso-8859-15"><p>Déjà vu, Ωmega, منبج</p>'.encode()
    assert "Déjà vu, Ωmega, منبج" in decode_html(page, {"Content-Type": "text/html"})


def test_decode_uses_header_then_meta_charset():
    latin = "<p>Préfecture de l'Aude, crédit agricole</p>".encode("latin-1")
    assert "Préfecture" in decode_html(latin, {"Content-Type": "text/html; charset=ISO-8859-1"})
    cyr = '<meta charset="windows-1251"><p>Новости района</p>'.encode("cp1251")
    assert "Новости района" in decode_html(cyr, {})


@pytest.mark.parametrize(
    ("path", "needle"),
    [
        ("html/encoding-edge-cases/miniflux/iso-8859-1-meta-after-1024.html", "Café"),
        ("html/encoding-edge-cases/miniflux/utf8-meta-after-1024.html", "Café"),
    ],
)
def test_meta_charset_after_byte_1024(path, needle):
    assert needle in decode_html((FIXTURES / path).read_bytes(), {"Content-Type": "text/html"})


def test_charset_mismatch_pages_served_over_loopback():
    """qq declares gb2312 and elmondo iso-8859-15, but both are stored as UTF-8."""
    paths = ["html/readability/qq/source.html", "html/goose3/test_elmondo1.html"]

    async def fetch(server: LoopbackServer) -> list:
        async with Fetcher() as fetcher:
            return [await fetcher.fetch(server.url_for(p)) for p in paths]

    with LoopbackServer() as server:
        results = asyncio.run(fetch(server))
    for result in results:
        extracted = extract_article(result.content, url=result.url, headers=result.headers)
        assert extracted is not None
        utf8 = result.content.decode("utf-8")
        assert extracted.text.split("\n")[0][:20] in utf8  # no mojibake


def test_gzip_fixture_page_served_over_loopback():
    path = "html/article-extraction-benchmark/1ee91d1f"
    (page,) = [
        p
        for p in (FIXTURES / "html/article-extraction-benchmark").iterdir()
        if str(p).startswith(str(FIXTURES / path)) and p.name.endswith(".html.gz")
    ]

    async def fetch(server: LoopbackServer):
        async with Fetcher() as fetcher:
            return await fetcher.fetch(server.url_for(str(page.relative_to(FIXTURES))))

    with LoopbackServer() as server:
        result = asyncio.run(fetch(server))
    extracted = extract_article(result.content, url=result.url, headers=result.headers)
    assert extracted is not None and "Tanf" in extracted.text


@pytest.mark.slow
def test_fixture_pages_score_as_well_as_plain_trafilatura():
    evaluation = _evaluation()
    pages = evaluation.load_pages(FIXTURES)
    assert len(pages) == 142
    ours, plain = [], []
    for page in pages:
        result = extract_article(page.html, url=page.url)
        ours.append(evaluation.score(page, result.text if result else None))
        plain.append(evaluation.score(page, trafilatura.extract(page.html, url=page.url)))
    mean_ours, mean_plain = statistics.fmean(ours), statistics.fmean(plain)
    print(f"mean extraction score: ours {mean_ours:.3f}, trafilatura {mean_plain:.3f}")
    assert mean_ours >= mean_plain - 0.005
    assert sum(s == 0 for s in ours) <= sum(s == 0 for s in plain)
