"""Check that the dedup index decides exactly as a former revision of it did.

    .venv/bin/python benchmarks/compare_dedup.py [--ref REV] [--articles 3000]
        [--blobs PATH --docs 100000 --queries 1000]

The former `matchers/dedup.py`, `postings.py` and `storymatch.py` are read from git at `--ref` and
imported beside the current ones (both use the current signature, stories and gazetteer code, so
only the index and the story fit are compared). A stream of articles made from the labelled corpus
and the seeds (variants of one text a few days apart: same stories; edited copies; re-posted URLs;
undated pages; relevant and not) goes through both, check then add, the way the bot feeds them,
with a rebuild from stored signatures half-way (as `storage.known` does after a restart). Every
`DedupResult` must be equal: its decisions (copy, story, reason) exactly, its scores to within
1e-12 (a story's sums may be taken in another order, which moves a float's last bit, never a
decision). With `--blobs` (the cache of
`benchmarks/bench_dedup.py`), both also index those signatures and answer its queries.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import random
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchers.dedup import KnownArticles, Signature, signature  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "dev.jsonl"
SEEDS = ROOT / "storage" / "seeds"
START = datetime(2026, 1, 5, tzinfo=UTC)
_MODULES = ("postings", "storymatch", "dedup")


def reference(rev: str, root: Path | None = None) -> ModuleType:
    """`matchers.dedup` as it was at `rev`, imported as `ref_matchers.dedup` (from `root`)."""
    root = root or Path(tempfile.mkdtemp(prefix="dedup-ref-"))
    (root / "ref_matchers").mkdir()
    (root / "ref_matchers" / "__init__.py").write_text("")
    for name in _MODULES:
        src = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:matchers/{name}.py"],
                             check=True, capture_output=True, text=True).stdout
        for other in _MODULES:
            src = src.replace(f"from matchers.{other} ", f"from ref_matchers.{other} ")
        (root / "ref_matchers" / f"{name}.py").write_text(src)
    sys.path.insert(0, str(root))
    return importlib.import_module("ref_matchers.dedup")


def _sources() -> list[tuple[list[str], bool]]:
    """Paragraphs of each corpus text and seed, and whether the corpus calls it relevant."""
    texts = [(p.read_text("utf-8"), True) for p in sorted(SEEDS.glob("*.txt"))]
    if CORPUS.exists():
        texts += [(r["text"], bool(r["relevant"])) for line in CORPUS.read_text("utf-8")
                  .splitlines() if line and (r := json.loads(line))["text"]]
    return [(ps, rel) for t, rel in texts
            if (ps := [p.strip() for p in t.split("\n") if len(p.strip()) > 40])]


def stream(n: int, seed: int = 1) -> Iterator[tuple[str, str, str, datetime | None, str, bool]]:
    """(id, title, text, published, url, relevant): variants, copies, re-posts, undated pages."""
    rnd = random.Random(seed)
    sources = _sources()
    base = [START + timedelta(days=rnd.uniform(0, 60)) for _ in sources]
    made: list[tuple[str, datetime | None]] = []
    for i in range(n):
        s = rnd.randrange(len(sources))
        paragraphs, relevant = sources[s]
        relevant = relevant if rnd.random() < 0.8 else not relevant
        published: datetime | None = base[s] + timedelta(hours=rnd.uniform(-24, 24 * 6))
        url = f"https://news{rnd.randrange(40)}.test/{i}"
        roll = rnd.random()
        if made and roll < 0.15:  # an edited copy of an earlier article
            text, published = made[rnd.randrange(len(made))]
            words = text.split()
            cut = words[: max(3, int(len(words) * rnd.uniform(0.3, 1.0)))]
            for _ in range(len(cut) // 25):
                cut[rnd.randrange(len(cut))] = "edited"
            text = "Shared from a partner.\n" + " ".join(cut) + "\nRead more"
        else:
            keep = rnd.uniform(0.3, 0.9)
            words = [w for p in paragraphs for w in p.split()]
            parts = [" ".join(w if rnd.random() < keep else rnd.choice(words) for w in p.split())
                     for p in rnd.sample(paragraphs, max(1, int(len(paragraphs)
                                                               * rnd.uniform(0.3, 1))))]
            text = f"Report {i}.\n" + "\n".join(parts)
        if made and roll > 0.95:  # the same address again
            url = f"https://news{rnd.randrange(40)}.test/{rnd.randrange(i)}?utm_source=x"
        if rnd.random() < 0.1:
            published = None
        made.append((text, published))
        yield f"s{i}", text.split("\n")[0][:80], text, published, url, relevant


def _rebuilt(cls: type, rows: list[tuple]) -> object:
    known = cls()
    for article_id, blob, story, url, dup, relevant in rows:
        known.add(article_id, Signature.from_bytes(blob), story=story, url=url,
                  duplicate_of=dup, relevant=relevant)
    known.compact()
    return known


def _differ(a: object, b: object) -> bool:
    """Whether two DedupResults differ: in any decision, or in a score by more than rounding."""
    scores = ("copy_score", "story_score")
    da, db = dict(a.__dict__), dict(b.__dict__)
    if any(not math.isclose(da.pop(k), db.pop(k), rel_tol=1e-12, abs_tol=1e-15) for k in scores):
        return True
    return da != db


def compare_stream(ref: ModuleType, n: int, seed: int = 1) -> tuple[int, int, list[str]]:
    """Feed the stream to both; (decisions compared, story matches, differences)."""
    old, new = ref.KnownArticles(), KnownArticles()
    rows: list[tuple] = []
    diffs: list[str] = []
    compared = stories = 0
    for i, (article_id, title, text, published, url, relevant) in enumerate(stream(n, seed)):
        if i == n // 2:  # a restart: both rebuilt from the stored signatures
            old, new = _rebuilt(ref.KnownArticles, rows), _rebuilt(KnownArticles, rows)
        sig = signature(text, title=title, published=published, terms=relevant)
        sig = Signature.from_bytes(sig.to_bytes())
        for probe in (sig, signature(text, title=title, published=published)):
            for check_url, with_stories in ((url, relevant), (None, True)):
                a = old.check(probe, url=check_url, stories=with_stories)
                b = new.check(probe, url=check_url, stories=with_stories)
                compared += 1
                if _differ(a, b):
                    diffs.append(f"{article_id}: {a} != {b}")
        res = old.check(sig, url=url, stories=relevant)
        stories += res.story is not None and res.duplicate_of is None
        story = res.story or article_id
        for known in (old, new):
            known.add(article_id, sig, story=story, url=url, duplicate_of=res.duplicate_of,
                      relevant=relevant)
        rows.append((article_id, sig.to_bytes(), story, url, res.duplicate_of, relevant))
    return compared, stories, diffs


def compare_blobs(ref: ModuleType, path: Path, docs: int, queries: int) -> tuple[int, list[str]]:
    """Both index the benchmark's stored signatures and answer its copy and new queries."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import bench_dedup

    corpus = bench_dedup.Corpus(bench_dedup._vocabulary())
    blobs = bench_dedup.load_or_build(corpus, docs, path)
    rows = [(f"a{i}", b, f"a{i}", f"https://x.test/{i}", None, i % 3 != 0)
            for i, b in enumerate(blobs)]
    old, new = _rebuilt(ref.KnownArticles, rows), _rebuilt(KnownArticles, rows)
    rnd = random.Random(3)
    diffs = []
    for q in range(queries):
        src = rnd.randrange(docs)
        text = bench_dedup._edit(corpus.text(src), rnd) if q % 2 == 0 else corpus.text(docs + q)
        sig = signature(text, published=bench_dedup.START + timedelta(minutes=10 * src))
        a, b = old.check(sig), new.check(sig)
        if _differ(a, b):
            diffs.append(f"query {q}: {a} != {b}")
    return queries, diffs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref", default="main", help="git revision to compare with")
    parser.add_argument("--articles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--blobs", type=Path, default=None)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    args = parser.parse_args()
    ref = reference(args.ref)
    compared, stories, diffs = compare_stream(ref, args.articles, args.seed)
    print(f"stream of {args.articles}: {compared} checks compared, {stories} joined a story, "
          f"{len(diffs)} differences")
    if args.blobs is not None:
        n, blob_diffs = compare_blobs(ref, args.blobs, args.docs, args.queries)
        print(f"{args.docs} stored signatures: {n} queries compared, {len(blob_diffs)} differences")
        diffs += blob_diffs
    for line in diffs[:20]:
        print(line)
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
