"""One poll cycle over 2,000 feeds on loopback: watchers.fetch.Fetcher vs a bare httpx loop.

    .venv/bin/python benchmarks/bench_watchers.py [--feeds 2000] [--hosts 20] [--changed 0.05]

The feeds (~10 KB RSS each) are served by LoopbackServer instances on 127.0.1.1..127.0.1.N in a
child process, so the server does not compete with the client for the GIL. Round 1 fetches
everything (200s); then a share of the feeds changes and round 2 sends the stored validators
(mostly 304s). The bare baseline is an httpx.AsyncClient with the same connection limit,
fetching the same URLs with the same validators, in the same run. Both are run twice
(alternating) and the best time of each is kept.
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

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.loopback import LoopbackServer  # noqa: E402
from watchers.errors import FetchError  # noqa: E402
from watchers.fetch import USER_AGENT, Fetcher  # noqa: E402

CONCURRENCY = 16
Validators = dict[str, tuple[str | None, str | None]]


def write_feed(path: Path, n: int, version: int) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    items = "".join(
        f"<item><guid>feed{n}-item{i}-v{version}</guid><title>Report {i} from desk {n}</title>"
        f"<link>http://example.invalid/{n}/{i}</link>"
        f"<pubDate>{format_datetime(start + timedelta(hours=i), usegmt=True)}</pubDate>"
        f"<description>{'Patrols and convoys on the desert road were reported. ' * 6}"
        f"</description></item>"
        for i in range(20)
    )
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>http://example.invalid/{n}</link>{items}</channel></rss>"
    )


def serve(root: str, hosts: list[str], conn) -> None:
    servers = [LoopbackServer(root, host=h).start() for h in hosts]
    conn.send([s.base_url for s in servers])
    conn.recv()  # any message: stop
    for s in servers:
        s.stop()


async def run_ours(urls: list[str], validators: Validators) -> tuple[float, Validators, int]:
    out: Validators = {}
    errors = 0
    async with Fetcher(concurrency=CONCURRENCY) as fetcher:

        async def one(url: str) -> None:
            nonlocal errors
            etag, modified = validators.get(url, (None, None))
            try:
                result = await fetcher.fetch(url, etag=etag, last_modified=modified)
            except FetchError:
                errors += 1
                return
            out[url] = (result.etag or etag, result.last_modified or modified)

        started = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - started, out, errors


async def run_bare(urls: list[str], validators: Validators) -> tuple[float, int]:
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    sem = asyncio.Semaphore(CONCURRENCY)
    not_modified = 0
    async with httpx.AsyncClient(limits=limits, headers={"User-Agent": USER_AGENT}) as client:

        async def one(url: str) -> None:
            nonlocal not_modified
            etag, modified = validators.get(url, (None, None))
            headers = {"If-None-Match": etag} if etag else {}
            if modified:
                headers["If-Modified-Since"] = modified
            async with sem:
                response = await client.get(url, headers=headers)
            not_modified += response.status_code == 304

        started = time.perf_counter()
        await asyncio.gather(*(one(u) for u in urls))
        return time.perf_counter() - started, not_modified


def measure(urls: list[str], validators: Validators) -> tuple[float, float, Validators]:
    """Best of two alternating runs: (ours seconds, bare seconds, validators from ours)."""
    ours, bare, got = [], [], {}
    for _ in range(2):
        seconds, got, errors = asyncio.run(run_ours(urls, validators))
        assert errors == 0, f"{errors} fetch errors"
        ours.append(seconds)
        bare.append(asyncio.run(run_bare(urls, validators))[0])
    return min(ours), min(bare), got


def report(name: str, n: int, ours: float, bare: float) -> None:
    print(
        f"{name}: ours {ours:.2f} s ({n / ours:.0f} req/s), bare httpx {bare:.2f} s "
        f"({n / bare:.0f} req/s), ratio ours/bare {ours / bare:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=2000)
    parser.add_argument("--hosts", type=int, default=20)
    parser.add_argument("--changed", type=float, default=0.05)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for n in range(args.feeds):
            write_feed(root / f"feed{n}.xml", n, 0)
        hosts = [f"127.0.1.{i + 1}" for i in range(args.hosts)]
        parent, child = multiprocessing.Pipe()
        proc = multiprocessing.get_context("fork").Process(target=serve, args=(tmp, hosts, child))
        proc.start()
        bases = parent.recv()
        try:
            urls = [f"{bases[n % len(bases)]}feed{n}.xml" for n in range(args.feeds)]
            ours1, bare1, validators = measure(urls, {})
            report("round 1 (200s)", len(urls), ours1, bare1)
            changed = range(0, args.feeds, max(1, round(1 / args.changed)))
            for n in changed:
                write_feed(root / f"feed{n}.xml", n, 1)
            _, not_modified = asyncio.run(run_bare(urls, validators))
            ours2, bare2, _ = measure(urls, validators)
            report(f"round 2 ({not_modified} x 304)", len(urls), ours2, bare2)
            total = ours1 + ours2
            print(f"cycle total (both rounds): ours {total:.2f} s, bare {bare1 + bare2:.2f} s")
        finally:
            parent.send("stop")
            proc.join(10)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the client process: {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
