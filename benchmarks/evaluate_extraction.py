"""Mean extraction score against the shipped ground truth: ours vs plain trafilatura.extract.

    .venv/bin/python benchmarks/evaluate_extraction.py [--fixtures DIR]

Scores (0..1) per ground-truth kind, as the fixtures README suggests:
snippets (trafilatura evaldata): share of "with" found and "without" absent;
full text (benchmark articleBody, readability expected.html, newspaper4k txt): token F1;
prefix (goose3 cleaned_text): token recall of the prefix.
The tests import ``load_pages`` and ``score`` from here.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import lxml.html
import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from watchers.extract import extract_article  # noqa: E402

__all__ = ["Page", "load_pages", "main", "score"]

FIXTURES = Path("/work/shared/fixtures")
_TOKEN = re.compile(r"\w+", re.U)


@dataclass(frozen=True)
class Page:
    path: str
    url: str
    html: bytes  # as served (gunzipped)
    kind: str  # snippets | text | prefix
    truth: object  # dict for snippets, str otherwise


def _truth(fixtures: Path, gt_path: str, kind: str) -> tuple[str, object] | None:
    raw = (fixtures / gt_path).read_bytes()
    if kind == "ground-truth-snippets-json":
        data = json.loads(raw)
        return "snippets", {"with": data.get("with", []), "without": data.get("without", [])}
    if kind == "ground-truth-text-json":
        return "text", json.loads(raw)["articleBody"]
    if kind == "ground-truth-article-html":
        return "text", lxml.html.fromstring(raw.decode("utf-8")).text_content()
    if kind == "ground-truth-text":
        return "text", raw.decode("utf-8")
    if kind == "ground-truth-text-prefix-json":
        return "prefix", json.loads(raw)["expected"]["cleaned_text"]
    return None


def load_pages(fixtures: Path = FIXTURES) -> list[Page]:
    """Every fixture page that has a text ground truth."""
    manifest = [json.loads(line) for line in (fixtures / "MANIFEST.jsonl").open()]
    kinds = {m["path"]: m["kind"] for m in manifest}
    pages = []
    for m in manifest:
        if m["kind"] != "html-article":
            continue
        truths = [_truth(fixtures, g, kinds[g]) for g in m.get("ground_truth", [])]
        truths = [t for t in truths if t is not None]
        if not truths:
            continue
        html = (fixtures / m["path"]).read_bytes()
        if m.get("gzip") or html[:2] == b"\x1f\x8b":
            html = gzip.decompress(html)
        pages.append(Page(m["path"], m.get("url") or "", html, *truths[0]))
    return pages


def _tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.lower()))


def _f1(got: str, want: str) -> float:
    g, w = _tokens(got), _tokens(want)
    common = sum((g & w).values())
    if not common:
        return 0.0
    precision, recall = common / sum(g.values()), common / sum(w.values())
    return 2 * precision * recall / (precision + recall)


def _norm(text: str) -> str:
    return " ".join(text.split())


def score(page: Page, text: str | None) -> float:
    """How well ``text`` matches the page's ground truth, 0..1."""
    text = text or ""
    if page.kind == "snippets":
        truth = page.truth
        assert isinstance(truth, dict)
        flat = _norm(text)
        hits = [_norm(s) in flat for s in truth["with"]]
        hits += [_norm(s) not in flat for s in truth["without"]]
        return sum(hits) / len(hits) if hits else 1.0
    assert isinstance(page.truth, str)
    if page.kind == "prefix":
        want = _tokens(page.truth)
        return sum((_tokens(text) & want).values()) / max(1, sum(want.values()))
    return _f1(text, page.truth)


def _ours(page: Page) -> str | None:
    result = extract_article(page.html, url=page.url)
    return result.text if result else None


def _plain(page: Page) -> str | None:
    return trafilatura.extract(page.html, url=page.url)


def evaluate(pages: list[Page]) -> dict[str, dict[str, float]]:
    """Mean score and seconds per page for each extractor, overall and per fixture source."""
    out: dict[str, dict[str, float]] = {}
    for name, fn in (("ours", _ours), ("trafilatura", _plain)):
        for page in pages[:5]:  # warm up (first-call imports and caches) outside the clock
            fn(page)
        per_source: dict[str, list[float]] = defaultdict(list)
        started = time.perf_counter()
        for page in pages:
            per_source[page.path.split("/")[1]].append(score(page, fn(page)))
        elapsed = time.perf_counter() - started
        every = [s for scores in per_source.values() for s in scores]
        out[name] = {"mean": statistics.fmean(every), "s_per_page": elapsed / len(pages)}
        out[name] |= {src: statistics.fmean(s) for src, s in sorted(per_source.items())}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fixtures", type=Path, default=FIXTURES)
    args = parser.parse_args()
    pages = load_pages(args.fixtures)
    results = evaluate(pages)
    print(f"{len(pages)} pages with ground truth")
    for name, figures in results.items():
        print(name, " ".join(f"{k}={v:.3f}" for k, v in figures.items()))
    ratio = results["ours"]["mean"] / results["trafilatura"]["mean"]
    print(f"ours/trafilatura mean score ratio {ratio:.3f}")


if __name__ == "__main__":
    main()
