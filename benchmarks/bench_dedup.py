"""Benchmark the dedup index at archive scale: check latency, memory, rebuild time.

    .venv/bin/python benchmarks/bench_dedup.py [--docs 100000] [--queries 1000] [--blobs PATH]
        [--relevant 1.0]

Builds 100,000 synthetic articles (150-650 words drawn Zipf-like from the seed texts' vocabulary,
so shingles and story terms behave like prose), serialises their signatures as the archive stores
them, rebuilds a KnownArticles from those bytes (timed), measures the index's memory with
tracemalloc (numpy reports its buffers to it), and times `check` for copies and for new articles.
Baselines from the same run: computing the query's own signature, and a linear scan comparing the
query's shingles with 1,000 stored signatures. Building the 100k signatures takes most of the
run (~10 min on 2 cores): `--blobs PATH` keeps them in a file (read if it exists for the same
`--docs`, written otherwise) so a before/after comparison computes them once.
Every article is relevant by default (the worst case: every one's story terms indexed and every
query looks for its story); `--relevant 0.1` makes that share of the archive and of the queries
relevant, the others without story terms and checked for copies only, as the judge does.
"""

from __future__ import annotations

import argparse
import dataclasses
import gc
import os
import random
import statistics
import sys
import time
import tracemalloc
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchers.dedup import KnownArticles, Signature, signature  # noqa: E402

SEEDS = Path(__file__).resolve().parents[1] / "storage" / "seeds"
START = datetime(2020, 1, 1, tzinfo=UTC)


def _vocabulary(extra: int = 40_000) -> list[str]:
    """Seed words (frequent end of the Zipf curve) plus made-up rarer words and names (the tail),
    so that, as in a real archive, most words are rare and a few are everywhere."""
    words = {w.strip(".,;:!?\"'()") for p in SEEDS.glob("*.txt") for w in p.read_text().split()}
    rnd = random.Random(11)
    syllables = ["ka", "ra", "mo", "tan", "fi", "zu", "lek", "am", "dor", "sa", "bel", "qu", "ish"]
    tail = {"".join(rnd.choices(syllables, k=rnd.randint(2, 4))) for _ in range(extra)}
    tail = {w.capitalize() if rnd.random() < 0.3 else w for w in sorted(tail)}  # not hash order
    return sorted(w for w in words if w) + sorted(tail - words)


class Corpus:
    """Deterministic synthetic articles: doc i is always the same text."""

    def __init__(self, vocab: list[str], seed: int = 7) -> None:
        self.vocab = np.array(vocab, dtype=object)
        ranks = np.arange(1, len(vocab) + 1)
        self.p = (1.0 / ranks) / (1.0 / ranks).sum()
        self.seed = seed

    def text(self, i: int) -> str:
        rng = np.random.default_rng(self.seed * 1_000_003 + i)
        n = int(rng.integers(150, 650))
        return " ".join(self.vocab[rng.choice(len(self.vocab), n, p=self.p)])


def _percentiles(samples: list[float]) -> str:
    ms = sorted(s * 1000 for s in samples)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"p50 {statistics.median(ms):.3f} ms, p99 {p99:.3f} ms"


def _blob(args: tuple[Corpus, int]) -> bytes:
    corpus, i = args
    published = START + timedelta(minutes=10 * i)
    return signature(corpus.text(i), published=published).to_bytes()


def build_blobs(corpus: Corpus, n: int) -> list[bytes]:
    """The archive's stored signatures, computed on every core (the same bytes as one core)."""
    t0 = time.perf_counter()
    with ProcessPoolExecutor(os.cpu_count() or 1) as pool:
        blobs = list(pool.map(_blob, ((corpus, i) for i in range(n)), chunksize=500))
    dt = time.perf_counter() - t0
    size = sum(map(len, blobs))
    print(f"signatures: {n} docs in {dt:.1f} s on {os.cpu_count()} cores "
          f"({1000 * dt * (os.cpu_count() or 1) / n:.2f} ms/doc/core), "
          f"stored {size / n:.0f} B/doc")
    return blobs


def load_or_build(corpus: Corpus, n: int, path: Path | None) -> list[bytes]:
    """The stored signatures, from `path` when it holds `n` of them (lengths + bytes)."""
    if path is not None and path.exists():
        data = np.load(path)
        if len(data["lengths"]) == n:
            raw, ends = data["raw"].tobytes(), np.cumsum(data["lengths"]).tolist()
            print(f"signatures: {n} docs read from {path}")
            return [raw[a:b] for a, b in zip([0, *ends[:-1]], ends, strict=True)]
    blobs = build_blobs(corpus, n)
    if path is not None:  # through a file object: np.savez would add ".npz" to another name
        with path.open("wb") as out:
            np.savez(out, raw=np.frombuffer(b"".join(blobs), dtype=np.uint8),
                     lengths=np.array([len(b) for b in blobs], dtype=np.int64))
    return blobs


def _relevant(n: int, share: float) -> list[bool]:
    rnd = random.Random(17)
    return [share >= 1.0 or rnd.random() < share for _ in range(n)]


def rebuild(blobs: list[bytes], share: float = 1.0) -> KnownArticles:
    known = KnownArticles()
    for i, (blob, relevant) in enumerate(zip(blobs, _relevant(len(blobs), share), strict=True)):
        sig = Signature.from_bytes(blob)
        if not relevant:  # the judge computes no story terms for an irrelevant article
            sig = dataclasses.replace(sig, terms=(), term_keys=b"")
        known.add(f"a{i}", sig, story=f"a{i}", url=f"https://x.test/{i}",
                  url_is_canonical=True, relevant=relevant)  # the archive's URLs are canonical
    known.compact()  # as storage.known does after loading the archive
    gc.freeze()
    return known


def measure_memory(blobs: list[bytes], share: float) -> None:
    gc.collect()
    tracemalloc.start()
    known = rebuild(blobs, share)
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"index memory (tracemalloc) at {len(known)} docs: {current / 2**20:.0f} MB "
          f"(peak while building {peak / 2**20:.0f} MB)")


def _edit(text: str, rnd: random.Random) -> str:
    words = text.split()
    cut = words[: int(len(words) * rnd.uniform(0.4, 1.0))]
    for _ in range(len(cut) // 30):
        cut[rnd.randrange(len(cut))] = "edited"
    return "Republished from a partner site.\n" + " ".join(cut) + "\nRelated articles"


def measure_checks(known: KnownArticles, corpus: Corpus, blobs: list[bytes], n: int,
                   queries: int, share: float) -> None:
    rnd = random.Random(3)
    relevant = _relevant(queries, share)
    copies, fresh, sig_times, scan_times = [], [], [], []
    found = 0
    stored = [np.frombuffer(Signature.from_bytes(b).shingles, "<u4") for b in blobs[:1000]]
    for q in range(queries):
        src = rnd.randrange(n)
        text = _edit(corpus.text(src), rnd) if q % 2 == 0 else corpus.text(n + q)
        published = START + timedelta(minutes=10 * src)
        t0 = time.perf_counter()
        sig = signature(text, published=published, terms=relevant[q])
        sig_times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        res = known.check(sig, stories=relevant[q])
        (copies if q % 2 == 0 else fresh).append(time.perf_counter() - t0)
        found += q % 2 == 0 and res.duplicate_of == f"a{src}"
        t0 = time.perf_counter()
        for other in stored:  # the naive alternative, over only 1% of the archive
            np.intersect1d(sig.hashes, other, assume_unique=True)
        scan_times.append(time.perf_counter() - t0)
    all_checks = copies + fresh
    print(f"check vs {len(known)} docs, {queries} queries: {_percentiles(all_checks)}")
    print(f"  copies: {_percentiles(copies)} (found {found}/{len(copies)});"
          f" new articles: {_percentiles(fresh)}")
    print(f"baseline signature of the query: {_percentiles(sig_times)}")
    print(f"baseline linear scan of 1,000 docs: {_percentiles(scan_times)}")
    ratio = statistics.median(all_checks) / statistics.median(scan_times)
    print(f"ratio check p50 / scan-1,000 p50: {ratio:.3f}; "
          f"check p50 / signature p50: "
          f"{statistics.median(all_checks) / statistics.median(sig_times):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--blobs", type=Path, default=None,
                        help="cache file for the synthetic signatures (.npz)")
    parser.add_argument("--relevant", type=float, default=1.0,
                        help="share of relevant articles (archive and queries)")
    args = parser.parse_args()
    corpus = Corpus(_vocabulary())
    blobs = load_or_build(corpus, args.docs, args.blobs)
    t0 = time.perf_counter()
    known = rebuild(blobs, args.relevant)
    print(f"rebuild from serialized signatures: {time.perf_counter() - t0:.2f} s "
          f"for {len(known)} docs ({args.relevant:.0%} relevant)")
    measure_checks(known, corpus, blobs, args.docs, args.queries, args.relevant)
    del known
    measure_memory(blobs, args.relevant)


if __name__ == "__main__":
    main()
