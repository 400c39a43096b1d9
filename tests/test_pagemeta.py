"""The product's own metadata step: the fields trafilatura's full metadata gives, no more."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest
import trafilatura

from watchers.dates import parse_date
from watchers.extract import decode_html, extract_article
from watchers.feedmodel import drop_controls

URL = "http://127.0.0.1:9/world/convoy.html"
PARAGRAPHS = "".join(
    f"<p>Paragraph {n}: the supply convoy crossed the desert road before dawn and reached "
    f"the outpost, where officers counted the crates and signed the delivery book.</p>"
    for n in range(1, 7)
)
DATED = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Convoy reaches outpost | Desert Wire</title>
<meta property="og:site_name" content="@desertwire">
<meta property="article:published_time" content="2026-03-05T09:30:00+00:00">
</head><body><article><h1>Convoy reaches outpost</h1>{PARAGRAPHS}</article></body></html>"""


def _pages():
    path = Path(__file__).resolve().parent.parent / "benchmarks" / "evaluate_extraction.py"
    spec = importlib.util.spec_from_file_location("evaluate_extraction", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.load_pages()[::3]  # a third of the 142 scored pages: every kind of source


def test_a_caller_with_a_date_gets_none_looked_for():
    assert extract_article(DATED, url=URL).published == datetime(2026, 3, 5, tzinfo=UTC)
    page = extract_article(DATED, url=URL, with_date=False)
    assert page is not None and page.published is None
    assert (page.title, page.site_name) == ("Convoy reaches outpost", "Desertwire")


@pytest.mark.parametrize("page", _pages(), ids=lambda p: p.path.rsplit("/", 1)[-1][:40])
def test_the_same_metadata_as_trafilatura_full_extraction(page):
    html = decode_html(page.html)
    full = trafilatura.bare_extraction(html, url=page.url, with_metadata=True,
                                       include_comments=False)
    ours = extract_article(page.html, url=page.url, detect=False)
    assert (ours is None) == (full is None or len((full.text or "").strip()) < 40)
    if ours is None:
        return
    assert ours.title == (drop_controls(full.title or "") or None)
    assert ours.site_name == (drop_controls(full.sitename or "") or None)
    assert ours.published == parse_date(full.date, language=ours.language)
    assert ours.text == drop_controls(full.text.strip())
