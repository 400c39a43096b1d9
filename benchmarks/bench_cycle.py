"""The watcher's poll cycle over 2,000 feeds, against a bare httpx loop over the same URLs.

    .venv/bin/python benchmarks/bench_cycle.py [--feeds 2000] [--hosts 20] [--changed 0.05]

Three things are timed in the same run, round by round, on feeds served from loopback
(127.0.2.x, one server per address, in a child process):

* bare: an httpx.AsyncClient loop fetching the same URLs (round 2 with the stored validators);
* watchers stage: what the watchers cost -- fetch (limits, conditional GET), parse (lxml fast
  path / feedparser), and the seen bookkeeping in SQLite (unseen; successes and seen keys
  committed in batches, as `Pipeline.poll_all` does);
* full cycle: `Pipeline.poll_all`, what the daemon runs -- the watchers stage plus, for new
  recent entries, the article fetch, extraction, judging (relevance, dedup, stories) and archive.

Round 1 is every source's first poll (200s; the entries are older than the backfill window, so
they are only recorded as seen). Round 2 sends the validators: most feeds answer 304 and the
changed ones bring 20 new entries each, which the full cycle fetches (their pages 404 here, so the
feed text is used), judges and archives. Ratios are to the bare loop of the same round.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sys
import tempfile
import time
from concurrent.futures import Executor, ProcessPoolExecutor
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.bench_watchers import run_bare, serve  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.pipeline import SUCCESS_BATCH  # noqa: E402
from bot.settings import Settings, Source  # noqa: E402
from bot.sourcekinds import fetcher_kwargs, list_entries  # noqa: E402
from storage.archive import Archive  # noqa: E402
from storage.sources import SourceSuccess  # noqa: E402
from watchers.errors import WatchError  # noqa: E402
from watchers.fetch import Fetcher  # noqa: E402
from watchers.robots import RobotsCache  # noqa: E402


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


async def watch_stage(settings: Settings, executor: Executor | None) -> tuple[float, int]:
    """Fetch + parse + seen bookkeeping for every source: (seconds, failures).

    The bookkeeping is what `Pipeline.poll_all` does: the unseen keys looked up, then the
    success and the keys to mark seen committed in batches of SUCCESS_BATCH sources.
    """
    archive = Archive.open(settings.db_path)
    store = archive.sources
    batch: list[SourceSuccess] = []
    try:
        async with Fetcher(**fetcher_kwargs(settings)) as fetcher:
            robots = RobotsCache(fetcher)

            async def one(source: Source) -> int:
                state = store.get(source.name)
                assert state is not None
                brief = (datetime.now(UTC) - timedelta(hours=settings.backfill_hours)
                         if state.first_poll else None)  # as Pipeline does
                try:
                    listing = await list_entries(source, state, fetcher, robots,
                                                 executor=executor, brief_before=brief)
                except WatchError:
                    return 1
                seen: tuple[tuple[str, str | None], ...] = ()
                unseen: set[str] = set()
                if not listing.unchanged:
                    unseen = store.unseen(source.name, [e.key for e in listing.entries],
                                          has_seen=state.has_seen)
                    seen = tuple((e.key, e.url) for e in listing.entries if e.key in unseen)
                batch.append(SourceSuccess(
                    source.name, datetime.now(UTC), listing.etag, listing.last_modified,
                    listing.body_hash, None if listing.unchanged else listing.count, len(unseen),
                    seen=seen))
                if len(batch) >= SUCCESS_BATCH:
                    store.record_successes(batch[:])
                    batch.clear()
                return 0

            started = time.perf_counter()
            store.sync(settings.sources)
            failed = sum(await asyncio.gather(*(one(s) for s in settings.sources)))
            store.record_successes(batch)
            return time.perf_counter() - started, failed
    finally:
        archive.close()


async def full_cycle(settings: Settings, executor: Executor | None) -> tuple[float, int, int]:
    async with open_runtime(settings, sender=_Null(), executor=executor) as rt:
        started = time.perf_counter()
        reports = await rt.pipeline.poll_all(settings.sources, force=True)
        seconds = time.perf_counter() - started
    return seconds, sum(r.processed for r in reports), sum(not r.ok for r in reports)


def validators(db_path: Path) -> dict[str, tuple[str | None, str | None]]:
    archive = Archive.open(db_path)
    try:
        rows = archive.sources.all()
    finally:
        archive.close()
    return {r["url"]: (r["etag"], r["last_modified"]) for r in rows}


class _Null:
    async def send(self, *args: object, **kwargs: object) -> None:
        return None


def report(label: str, n: int, bare: float, watch: float, full: float) -> None:
    print(f"{label}: bare httpx {bare:.2f} s ({n / bare:.0f} req/s) | watchers stage "
          f"{watch:.2f} s ({n / watch:.0f} req/s, ratio {watch / bare:.2f}) | full poll_all "
          f"{full:.2f} s ({n / full:.0f} req/s, ratio {full / bare:.2f})")


def run_rounds(args: argparse.Namespace, root: Path, bases: list[str], tmp: Path,
               pool: Executor | None) -> None:
    now = datetime.now(UTC)
    base_of = [bases[n % len(bases)] for n in range(args.feeds)]
    for n in range(args.feeds):
        write_feed(root / f"feed{n}.xml", n, 0, base_of[n], start=now - timedelta(days=30))
    urls = [f"{base_of[n]}feed{n}.xml" for n in range(args.feeds)]
    sources = tuple(Source(name=f"feed{n}", url=u) for n, u in enumerate(urls))
    watch_settings = Settings(sources=sources, db_path=tmp / "watch.db", concurrency=16,
                              per_host=4)
    full_settings = Settings(sources=sources, db_path=tmp / "full.db", concurrency=16,
                             per_host=4)
    bare1, _ = asyncio.run(run_bare(urls, {}))
    watch1, failed_w1 = asyncio.run(watch_stage(watch_settings, pool))
    full1, _, failed_f1 = asyncio.run(full_cycle(full_settings, pool))
    report("round 1 (200s)", len(urls), bare1, watch1, full1)
    for n in range(0, args.feeds, max(1, round(1 / args.changed))):
        write_feed(root / f"feed{n}.xml", n, 1, base_of[n], start=now - timedelta(hours=1))
    bare2, not_modified = asyncio.run(run_bare(urls, validators(full_settings.db_path)))
    watch2, failed_w2 = asyncio.run(watch_stage(watch_settings, pool))
    full2, processed, failed_f2 = asyncio.run(full_cycle(full_settings, pool))
    report(f"round 2 ({not_modified} x 304)", len(urls), bare2, watch2, full2)
    print(f"round 2 full cycle: {processed} new articles fetched, judged and archived")
    print(f"both rounds: bare {bare1 + bare2:.2f} s, watchers stage {watch1 + watch2:.2f} s "
          f"(ratio {(watch1 + watch2) / (bare1 + bare2):.2f}), full {full1 + full2:.2f} s "
          f"(ratio {(full1 + full2) / (bare1 + bare2):.2f}); failures "
          f"{failed_w1 + failed_w2 + failed_f1 + failed_f2}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=0,
                        help="parse feeds (and extract pages) in a process pool of this size")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "site"
        root.mkdir()
        hosts = [f"127.0.2.{i + 1}" for i in range(args.hosts)]
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.get_context("fork").Process(target=serve,
                                                           args=(str(root), hosts, child))
        proc.start()
        bases = parent.recv()
        pool = None
        if args.workers:
            pool = ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context(
                "forkserver"))
            list(pool.map(abs, range(args.workers * 4)))  # start the workers before timing
        try:
            run_rounds(args, root, bases, Path(tmp), pool)
        finally:
            if pool is not None:
                pool.shutdown()
            parent.send("stop")
            proc.join(10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak RSS of the client process: {peak_mb:.0f} MB (largest child process, "
          f"server or pool worker: {child_mb:.0f} MB)")


if __name__ == "__main__":
    main()
