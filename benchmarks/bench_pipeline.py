"""The pipeline over the 145 fixture pages behind one loopback feed, against plain trafilatura.

    .venv/bin/python benchmarks/bench_pipeline.py [--runs 3] [--workers N]

In the same run, round by round: a plain ``trafilatura.extract`` loop over the pages (the
baseline, one core), then ``Pipeline.poll_all`` on a fresh archive polling one feed that lists
every page (fetch, extraction, judging, archiving; the feed and pages are served by a child
process, so serving costs nothing here). Reported per article, net of start-up (the matcher
and the runtime are built before the clock starts): the ratio pipeline/baseline, and the cores
used: CPU time of this process and of its pool workers over the poll's wall time.
``--workers 1`` measures the pipeline without a process pool.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import trafilatura

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.evaluate_extraction import load_pages  # noqa: E402
from bot.app import open_runtime  # noqa: E402
from bot.settings import Settings, Source  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402


class _Quiet:
    """A sender that drops alerts (delivery is not measured here)."""

    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None,
                   feedback: str | None = None) -> None:
        return None


def _serve(conn) -> None:  # type: ignore[no-untyped-def]
    pages = load_pages()
    server = LoopbackServer().start()
    when = format_datetime(datetime.now(UTC) - timedelta(hours=1), usegmt=True)
    items = "".join(
        f"<item><guid>p{i}</guid><title>Page {i}</title><pubDate>{when}</pubDate>"
        f"<link>{server.add(f'page/{i}', p.html, 'text/html')}</link></item>"
        for i, p in enumerate(pages))
    feed = server.add("feed.rss", f'<?xml version="1.0"?><rss version="2.0"><channel>'
                      f"<title>bench</title>{items}</channel></rss>", "application/rss+xml")
    conn.send((feed, len(pages)))
    conn.recv()  # any message: stop
    server.stop()


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _workers_cpu(executor: object) -> float:
    """CPU seconds of the pool's live worker processes (children of its forkserver)."""
    pool = getattr(executor, "_pool", None)
    total = 0.0
    for pid in list(getattr(pool, "_processes", None) or {}):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def baseline(pages: list) -> float:  # type: ignore[type-arg]
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page.html, url=page.url)
    return (time.perf_counter() - started) / len(pages)


async def pipeline_round(feed: str, workers: int | None) -> tuple[float, float, int]:
    """Seconds per article, cores used, articles processed."""
    with tempfile.TemporaryDirectory() as tmp:
        extra = {} if workers is None else {"workers": workers}
        settings = Settings(sources=(Source("bench", feed),), db_path=Path(tmp) / "a.db",
                            **extra)
        async with open_runtime(settings, sender=_Quiet()) as rt:
            if hasattr(rt.pipeline.executor, "warm_up"):  # start-up is not measured
                await asyncio.to_thread(rt.pipeline.executor.warm_up)
            own, workers = _cpu(resource.RUSAGE_SELF), _workers_cpu(rt.pipeline.executor)
            started = time.perf_counter()
            report = (await rt.pipeline.poll_all(settings.sources))[0]
            wall = time.perf_counter() - started
            own = _cpu(resource.RUSAGE_SELF) - own
            workers = _workers_cpu(rt.pipeline.executor) - workers
    print(f"  this process {own / wall:.2f} cores, workers {workers / wall:.2f}")
    cpu = own + workers
    assert report.ok, report
    return wall / max(report.processed, 1), cpu / wall, report.processed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=None, help="default: the config's")
    args = parser.parse_args(argv)
    pages = load_pages()
    ctx = multiprocessing.get_context("fork")
    here, there = ctx.Pipe()
    server = ctx.Process(target=_serve, args=(there,), daemon=True)
    server.start()
    feed, count = here.recv()
    print(f"{count} pages, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f}")
    ratios, cores = [], []
    try:
        for run in range(args.runs):
            base = baseline(pages)
            per, used, done = asyncio.run(pipeline_round(feed, args.workers))
            ratios.append(per / base)
            cores.append(used)
            print(f"run {run + 1}: trafilatura.extract {base * 1e3:.1f} ms/article; pipeline "
                  f"{per * 1e3:.1f} ms/article ({done} processed) = {per / base:.2f}x; "
                  f"{used:.2f} cores")
    finally:
        here.send("stop")
        server.join()
    print(f"ratio median {statistics.median(ratios):.2f}x (target <= 1.3), cores median "
          f"{statistics.median(cores):.2f} (target >= 1.5); load {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
