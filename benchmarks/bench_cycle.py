"""The watcher's whole poll cycle (fetch, parse, seen-bookkeeping, archive) over 2,000 feeds.

    .venv/bin/python benchmarks/bench_cycle.py [--feeds 2000] [--hosts 20] [--changed 0.05]

`bench_watchers.py` times the fetcher alone; this times `Pipeline.poll_all`, what the daemon
runs, against a bare httpx.AsyncClient loop over the same feed URLs in the same run. Round 1
is every source's first poll (200s; entries older than the backfill window are only recorded
as seen). Round 2 sends the stored validators: most feeds answer 304, and the changed ones
bring 20 new entries each, which are fetched (their pages 404 here, so the feed text is used),
judged, deduplicated and archived.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench_watchers import run_bare, serve  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.settings import Settings, Source  # noqa: E402


def write_feed(path: Path, n: int, version: int, base: str, *, start: datetime) -> None:
    items = "".join(
        f"<item><guid>feed{n}-item{i}-v{version}</guid><title>Report {i} from desk {n}</title>"
        f"<link>{base}article/{n}/{version}/{i}</link>"
        f"<pubDate>{format_datetime(start + timedelta(minutes=i), usegmt=True)}</pubDate>"
        f"<description>{f'Desk {n} reports patrol {i} on the desert road near a border post. ' * 5}"
        f"</description></item>"
        for i in range(20)
    )
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>{base}</link>{items}</channel></rss>"
    )


async def cycle(settings: Settings) -> tuple[float, int, int]:
    async with open_runtime(settings, sender=_Null()) as rt:
        started = time.perf_counter()
        reports = await rt.pipeline.poll_all(settings.sources, force=True)
        seconds = time.perf_counter() - started
    failed = sum(not r.ok for r in reports)
    return seconds, sum(r.processed for r in reports), failed


class _Null:
    async def send(self, *args: object, **kwargs: object) -> None:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.05)
    args = parser.parse_args()
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        hosts = [f"127.0.2.{i + 1}" for i in range(args.hosts)]
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.get_context("fork").Process(target=serve,
                                                           args=(str(root), hosts, child))
        proc.start()
        bases = parent.recv()
        try:
            base_of = [bases[n % len(bases)] for n in range(args.feeds)]
            for n in range(args.feeds):
                write_feed(root / f"feed{n}.xml", n, 0, base_of[n], start=now - timedelta(days=30))
            urls = [f"{base_of[n]}feed{n}.xml" for n in range(args.feeds)]
            settings = Settings(
                sources=tuple(Source(name=f"feed{n}", url=u) for n, u in enumerate(urls)),
                db_path=Path(tmp) / "bench.db", concurrency=16, per_host=4)
            ours1, _, failed1 = asyncio.run(cycle(settings))
            bare1, _ = asyncio.run(run_bare(urls, {}))
            print(f"round 1 (first poll, 200s): pipeline {ours1:.2f} s, bare httpx {bare1:.2f} s, "
                  f"ratio {ours1 / bare1:.2f}; {failed1} failed")
            for n in range(0, args.feeds, max(1, round(1 / args.changed))):
                write_feed(root / f"feed{n}.xml", n, 1, base_of[n], start=now - timedelta(hours=1))
            ours2, processed, failed2 = asyncio.run(cycle(settings))
            print(f"round 2 (mostly 304s): pipeline {ours2:.2f} s with {processed} new articles "
                  f"fetched, judged and archived; {failed2} failed")
        finally:
            parent.send("stop")
            proc.join(10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
