"""Benchmark the archive at 100,000 articles: insert rate, search latency, database size.

    .venv/bin/python benchmarks/bench_archive.py [--docs 100000] [--runs 12] [--keep FILE]

Articles of realistic size (1.5-6 KB of text) are prose drawn Zipf-like from the words of the
dev corpus and the extraction fixtures' texts (read from ../shared at run time) followed by
50,000 made-up names, so that, as in news, a few words are everywhere and most are rare;
three in ten also carry one or two real paragraphs of the dev corpus (Arabic, Russian, ...).
They arrive in publication order over six years (2% found late), are
inserted one transaction each through `Archive.add_article` (as the pipeline does), then
searched through `storage.query.search` (ranked, snippets, limit 20).
Baselines from the same run: the same articles inserted, chunk by chunk in turn, into a second
archive whose FTS table is as before m005 (no prefix index), searched by the same search()
("before m005": insert rate, size, latency); the same search() with every match ranked (no
recency bound, storage.query.WHOLE out of reach), the bare FTS5 query (`match ? order by
rank limit 20`, no join, filters or snippets), and a date filter written naively (a date
column, no rowid floor).
"[bounded]" marks kinds whose hits carry Hit.window; the last line is the worst p95.
Takes 6-9 minutes on 2 cores and about 2.2 GB of disk (a temporary directory); --no-before
skips the second archive (half the time and disk).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from functools import partial
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from storage import query  # noqa: E402
from storage.archive import Archive, ArticleRecord, iso  # noqa: E402
from storage.migrations import rebuild_fts  # noqa: E402
from storage.query import search  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
START = datetime(2021, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=6 * 365)
TOPICS = ("al-tanf", "maghawir-al-thawra", "55km-zone")


def _sources() -> tuple[list[tuple[str, str]], list[str]]:
    """(language, paragraph) of the dev corpus; every text's words, most frequent first."""
    paragraphs, topical = [], []
    for line in (SHARED / "corpus" / "dev.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        paragraphs += [(record["language"], p) for p in record["text"].split("\n") if len(p) > 60]
        topical.append(record["text"])
    html = SHARED / "fixtures" / "html"
    general = [p.read_text(encoding="utf-8", errors="replace") for p in html.rglob("*.txt")]
    for path in html.glob("goose3/*.json"):
        general.append(json.loads(path.read_text(encoding="utf-8"))["expected"].get(
            "cleaned_text") or "")
    # General news words rank first; words only the (topical) dev corpus has come after them.
    ranked = [w for texts in (general, topical) for w, _ in Counter(
        w for t in texts for w in re.findall(r"[^\W\d_]{2,}", t)).most_common()]
    return paragraphs, list(dict.fromkeys(ranked))


def _names(rnd: random.Random, count: int = 50_000) -> list[str]:
    syllables = ["ka", "ra", "mo", "tan", "fi", "zu", "lek", "am", "dor", "sa", "bel", "qu", "ish",
                 "nov", "ar", "el", "man", "sur", "ti", "gha"]
    return ["".join(rnd.choices(syllables, k=rnd.randint(2, 4))).capitalize()
            for _ in range(count)]


def articles(n: int, seed: int = 7) -> Iterator[ArticleRecord]:
    """Prose drawn Zipf-like from real words then made-up names (a long tail, as in news);
    three in ten articles also carry one or two real paragraphs of the dev corpus."""
    rnd = random.Random(seed)
    paragraphs, words = _sources()
    words += _names(rnd)
    cumulative = list(accumulate(1 / (i + 1) for i in range(len(words))))
    for i in range(n):
        published = START + SPAN * (i / n)
        seen = published + timedelta(minutes=rnd.randint(1, 360))
        if rnd.random() < 0.02:  # found late: an old article archived now
            published -= timedelta(days=rnd.randint(30, 900))
        real = rnd.sample(paragraphs, rnd.randint(1, 2)) if rnd.random() < 0.3 else []
        parts = [p for _, p in real]
        target = rnd.randint(1500, 6000)
        while sum(map(len, parts)) < target:
            sentence = rnd.choices(words, cum_weights=cumulative, k=rnd.randint(8, 25))
            parts.insert(rnd.randint(0, len(parts)), " ".join(sentence).capitalize() + ".")
        relevant = bool(real) and rnd.random() < 0.7
        yield ArticleRecord(
            id=f"b{i:07d}", title=parts[0][:90], text="\n\n".join(parts),
            url=f"https://outlet{i % 40}.example/{i}", canonical_url=None,
            outlet=f"Outlet {i % 40}", source=f"source{i % 60}",
            language=real[0][0] if real else "en", published=iso(published),
            fetched_at=iso(seen), relevant=relevant, score=rnd.random(),
            topics=tuple(rnd.sample(TOPICS, rnd.randint(1, 2))) if relevant else (),
            story=f"b{i - i % rnd.randint(1, 4):07d}",
            duplicate_of=f"b{i - 1:07d}" if i and rnd.random() < 0.05 else None)


def insert(archives: list[Archive], n: int) -> tuple[list[float], int]:
    """Seconds each archive spent in add_article (generation excluded), and the text volume.

    Each chunk goes into every archive in turn, so load on the machine weighs on all alike."""
    spent, volume, chunk = [0.0] * len(archives), 0, []
    for i, record in enumerate(articles(n)):
        chunk.append(record)
        if len(chunk) == 2000 or i == n - 1:
            spent = [s + _timed_insert(a, chunk) for s, a in zip(spent, archives, strict=True)]
            volume, chunk = volume + _size(chunk), []
    return spent, volume


def _timed_insert(archive: Archive, records: list[ArticleRecord]) -> float:
    start = time.perf_counter()
    for record in records:
        archive.add_article(record)
    return time.perf_counter() - start


def _size(records: list[ArticleRecord]) -> int:
    return sum(len(r.text.encode()) + len(r.title.encode()) for r in records)


def latency(call: Callable[[], object], runs: int) -> list[float]:
    call()  # warm the page cache once
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _report(name: str, samples: list[float], base: list[float] | None = None) -> None:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    ratio = f"  ({p50 / statistics.median(base):.2f}x of the line below)" if base else ""
    print(f"{name:<44} p50 {p50:7.2f} ms  p95 {p95:7.2f} ms{ratio}")


QUERIES = {
    "word": ["garrison", "drone", "التنف", "Рукбан", "militia", "refugees"],
    "frequent word (Syria: 1 article in 7)": ["Syria"],
    "stopword (the: every article)": ["the"],
    "phrase": ['"drone attack"', '"al-Tanf garrison"', '"55 km"'],
    "prefix (4+ chars)": ["Танф*", "drone*", "garris*"],
    "prefix (2-3 chars)": ["Pa*", "dro*", "ال*"],
    "multi-word AND": ["drone attack", "garrison militia", "the refugees"],
    "non-Latin word": ["التنف", "Рукбан", "القاعدة"],
    "no-hit word": ["zzqxvy", "Пфффр"],
}
FILTERED = {  # the costly kinds again, with the CLI's filters
    "stopword --lang en": ("the", {"langs": ["en"]}),
    "stopword --topic al-tanf --relevant": ("the", {"topics": ["al-tanf"], "relevant_only": True}),
    "prefix (2 chars) --source source7": ("Pa*", {"outlets": ["source7"]}),
    "prefix (2 chars) --since 2 years": ("ال*", {"since": date(2025, 1, 1)}),
}


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def _unbounded(call: Callable[[], object]) -> Callable[[], object]:
    """`call` with every match ranked (query.WHOLE out of reach): search without the bound."""
    def run() -> object:
        saved, query.WHOLE = query.WHOLE, 10**12
        try:
            return call()
        finally:
            query.WHOLE = saved
    return run


def searches(archive: Archive, before: Archive | None, runs: int) -> None:
    db = archive.db
    end = (START + SPAN).date()
    worst: list[tuple[float, str]] = []
    kinds = {kind: [(q, {}) for q in queries] for kind, queries in QUERIES.items()}
    kinds.update({kind: [spec] for kind, spec in FILTERED.items()})
    for kind, specs in kinds.items():
        samples: list[float] = []
        old: list[float] = []
        whole: list[float] = []
        base: list[float] = []
        bounded = False
        for q, options in specs:
            call = partial(search, db, q, limit=20, **options)
            bounded |= any(h.window for h in call())
            samples += latency(call, runs)
            if before is not None:
                old += latency(partial(search, before.db, q, limit=20, **options), runs)
            whole += latency(_unbounded(call), max(3, runs // 3))
            base += latency(lambda q=q: db.execute(
                "select rowid from articles_fts where articles_fts match ? order by rank "
                "limit 20", [q]).fetchall(), max(3, runs // 3))
        _report(f"{kind}: search(){' [bounded]' if bounded else ''}", samples, old or whole)
        if before is not None:
            _report(f"{kind}: search() before m005", old)
        _report(f"{kind}: every match ranked", whole)
        _report(f"{kind}: baseline bare FTS5", base)
        worst.append((_p95(samples), kind))
    _dated(archive, runs, end)
    p95, kind = max(worst)
    print(f"worst search() p95 over the query kinds: {p95:.1f} ms ({kind})")


def _dated(archive: Archive, runs: int, end: date) -> None:
    db = archive.db
    since = end - timedelta(days=90)
    for label, q in (("word", "drone"), ("frequent word", "Syria"), ("phrase", '"drone attack"'),
                     ("prefix", "garris*")):
        filtered = latency(lambda q=q: search(db, q, since=since, limit=20), runs)
        naive = latency(lambda q=q: db.execute(
            "select a.rowid from articles_fts join articles a on a.rowid = articles_fts.rowid "
            "where articles_fts match ? and a.published >= ? order by articles_fts.rank "
            "limit 20", [q, since.isoformat()]).fetchall(), runs)
        _report(f"{label} since last 90 days: search()", filtered)
        _report(f"{label} since last 90 days: naive date filter", naive)
    window = latency(lambda: search(db, "drone", since=date(2023, 3, 1),
                                    until=date(2023, 5, 31), limit=20), runs)
    _report("word, a 3-month window in 2023: search()", window)
    others = latency(lambda: search(db, "drone", langs=["ar"], topics=["al-tanf"],
                                    relevant_only=True, limit=20), runs)
    _report("word + --lang ar --topic al-tanf: search()", others)
    story = latency(lambda: archive.stories(limit=20), max(3, runs // 4))
    _report("stories view, 20 latest", story)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=12, help="timed runs of each query")
    parser.add_argument("--keep", type=Path, default=None, help="build the archive here")
    parser.add_argument("--no-before", action="store_true",
                        help="no second archive as before m005 (no prefix index)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "bench.db"
        paths = [path] + ([] if args.no_before else [path.with_name(path.stem + "-m004.db")])
        archives = [Archive.open(p) for p in paths]
        if not args.no_before:
            rebuild_fts(archives[1].db, None)  # the FTS table as m003 made it
        spent, volume = insert(archives, args.docs)
        for label, p, s, a in zip(("", "before m005: "), paths, spent, archives, strict=False):
            print(f"{label}inserted {args.docs:,} articles ({volume / args.docs / 1000:.1f} KB "
                  f"of text each on average) in {s:.1f} s: {args.docs / s:,.0f} articles/s "
                  "through Archive.add_article, one transaction each")
            a.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            size = p.stat().st_size
            print(f"{label}database {size / 1e6:,.0f} MB ({size / volume:.2f}x the text volume)")
        searches(archives[0], None if args.no_before else archives[1], args.runs)
        for archive in archives:
            archive.close()


if __name__ == "__main__":
    main()
