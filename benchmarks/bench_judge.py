"""Benchmark the whole judge (relevance, signature, copy and story check, remember) per article.

    .venv/bin/python benchmarks/bench_judge.py [--articles 5000] [--relevant SHARE]

A stream of distinct ~5 KB articles is made at run time from the shared fixture pages (extracted
once with trafilatura) and the labelled corpus: each article from one source text, its paragraphs
drawn at random and half their words swapped for other words of the same text, so that an
article reads like news in one language but no two are copies (a reused paragraph keeps about
1 in 8 of its word triples). Each goes through `Judge.judge` then `Judge.remember`, as in the
bot. About a quarter of them are relevant (far more than in a news feed: most texts of the
corpus name al-Tanf), so the cost is also printed for the relevant and the irrelevant ones apart;
`--relevant 0.05` draws the stream with that share of relevant articles instead (a news feed's
mix: most articles are about something else).
Printed: the cost per article of each part, for the first and the last 1,000 articles (the
cost should not grow with the archive), and the baseline of the same run: `trafilatura.extract`
of one fixture page, the cost the judge is compared with (the target is 5 % of it).

The baseline is timed in `--blocks` turns with the judge (a share of the pages, then a share of
the articles, and so on): this machine's speed drifts by a third within a minute, and a
baseline timed only before the judge then moves the ratio by as much. Each turn is long (~30
pages, ~200 articles), so the judge's memories are not cooled by every page.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import trafilatura  # noqa: E402

from matchers.judge import Judge  # noqa: E402
from matchers.relevance import load_matcher  # noqa: E402
from storage.seeds import load_seeds  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
ARTICLE_CHARS = 5000
SWAP = 0.5  # share of a paragraph's words kept


def fixture_pages() -> list[str]:
    """The fixture article pages as text: gzip ones unpacked, each decoded by its charset."""
    manifest = [json.loads(line) for line in
                (SHARED / "fixtures" / "MANIFEST.jsonl").read_text("utf-8").splitlines() if line]
    pages = []
    for m in manifest:
        if m.get("kind") != "html-article":
            continue
        data = (SHARED / "fixtures" / m["path"]).read_bytes()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        try:
            pages.append(data.decode(m.get("declared_charset") or "utf-8", "replace"))
        except LookupError:
            pages.append(data.decode("utf-8", "replace"))
    return pages


def baseline_extract(pages: list[str]) -> tuple[float, list[str]]:
    """Seconds per page of a plain trafilatura.extract loop, and the texts it gave."""
    texts, t0 = [], time.perf_counter()
    for html in pages:
        texts.append(trafilatura.extract(html) or "")
    return (time.perf_counter() - t0) / len(pages), texts


def make_articles(texts: list[str], n: int, rnd: random.Random) -> list[tuple[str, str]]:
    """Each article from one source text (so in one language, as news is): its paragraphs, half
    their words swapped for other words of the same text."""
    corpus = SHARED / "corpus" / "dev.jsonl"
    texts = texts + [json.loads(line)["text"] for line in corpus.read_text("utf-8").splitlines()
                     if line]
    sources = [ps for t in texts
               if (ps := [p.strip() for p in t.split("\n") if len(p.strip()) > 80])]
    articles = []
    for i in range(n):
        paragraphs = rnd.choice(sources)
        words = [w for p in paragraphs for w in p.split()]
        parts, size = [], 0
        while size < ARTICLE_CHARS:
            p = " ".join(w if rnd.random() < SWAP else rnd.choice(words)
                         for w in rnd.choice(paragraphs).split())
            parts.append(p)
            size += len(p)
        title = parts[0][:80]
        articles.append((title, f"Report {i} ({rnd.randrange(10**9)}).\n" + "\n".join(parts)))
    return articles


def with_share(articles: list[tuple[str, str]], share: float, n: int, rnd: random.Random
               ) -> list[tuple[str, str]]:
    """n of the articles, `share` of them relevant (by the shipped matcher), in a random order."""
    matcher = load_matcher()
    relevant, others = [], []
    for title, text in articles:
        (relevant if matcher.match(text, title=title).relevant else others).append((title, text))
    k = round(n * share)
    if k > len(relevant) or n - k > len(others):
        raise SystemExit(f"not enough articles for a share of {share}: make more")
    picked = rnd.sample(relevant, k) + rnd.sample(others, n - k)
    rnd.shuffle(picked)
    return picked


def _ms(samples: list[float]) -> str:
    return (f"mean {1000 * statistics.fmean(samples):.3f} ms, "
            f"p50 {1000 * statistics.median(samples):.3f}")


def run(articles: list[tuple[str, str]], pages: list[str], blocks: int
        ) -> dict[str, list[float]]:
    """Judge the articles, and time `trafilatura.extract` of the pages in `blocks` turns."""
    judge = Judge(load_matcher())
    for seed in load_seeds():
        judge.remember(judge.judge(seed.id, seed.text, title=seed.title, url=seed.url,
                                   published=seed.published))
    times: dict[str, list[float]] = {"match": [], "judge": [], "remember": [], "relevant": [],
                                     "extract": []}
    # turn k: its share of the pages, then its share of the articles
    turns = {k * len(articles) // blocks: pages[k * len(pages) // blocks:
                                                (k + 1) * len(pages) // blocks]
             for k in range(blocks)}
    for i, (title, text) in enumerate(articles):
        for html in turns.get(i, ()):
            t = time.perf_counter()
            trafilatura.extract(html)
            times["extract"].append(time.perf_counter() - t)
        t0 = time.perf_counter()
        j = judge.judge(f"a{i}", text, title=title, url=f"https://news.test/{i}")
        t1 = time.perf_counter()
        judge.remember(j)
        t2 = time.perf_counter()
        # the matcher alone, after the judge: the judge's own match must not find it warm
        judge.matcher.match(text, title=title)
        t3 = time.perf_counter()
        times["judge"].append(t1 - t0)
        times["remember"].append(t2 - t1)
        times["match"].append(t3 - t2)
        times["relevant"].append(float(j.relevant))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--blocks", type=int, default=5,
                        help="turns of baseline and judge, interleaved (default 5)")
    parser.add_argument("--relevant", type=float, default=None, metavar="SHARE",
                        help="share of relevant articles in the stream (default: as made, ~0.24)")
    args = parser.parse_args()
    if args.relevant is not None and not 0 <= args.relevant <= 1:
        parser.error("--relevant is a share between 0 and 1")
    if not 1 <= args.blocks <= args.articles:
        parser.error("--blocks is between 1 and the number of articles")
    pages = fixture_pages()
    _, texts = baseline_extract(pages)  # (the texts the articles are made of; a warm-up)
    if args.relevant is None:
        articles = make_articles(texts, args.articles, random.Random(5))
    else:  # made in excess, then drawn: each kind stays as varied as in the default stream
        made = make_articles(texts, 5 * args.articles, random.Random(5))
        articles = with_share(made, args.relevant, args.articles, random.Random(6))
    times = run(articles, pages, args.blocks)
    per_page = statistics.fmean(times["extract"])
    whole = [j + r for j, r in zip(times["judge"], times["remember"], strict=True)]
    k = min(1000, len(whole))
    print(f"baseline trafilatura.extract: {1000 * per_page:.2f} ms per page ({len(pages)} pages, "
          f"in {args.blocks} turns with the judge)")
    print(f"matcher alone (again): {_ms(times['match'])}")
    print(f"whole judge:          {_ms(whole)} (first {k}: {_ms(whole[:k])}; last {k}: "
          f"{_ms(whole[-k:])})")
    print(f"  of which remember:  {_ms(times['remember'])}")
    for name, flag in (("relevant", 1.0), ("irrelevant", 0.0)):
        part = [w for w, r in zip(whole, times["relevant"], strict=True) if r == flag]
        if part:
            print(f"  {name + ' articles:':22s}{_ms(part)} ({len(part)} of {len(whole)})")
    print(f"ratio whole judge / extract: {statistics.fmean(whole) / per_page:.3f} "
          f"(target 0.05); last/first {k}: "
          f"{statistics.fmean(whole[-k:]) / statistics.fmean(whole[:k]):.2f}")


if __name__ == "__main__":
    main()
