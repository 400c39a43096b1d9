"""Soak: the daemon for `--minutes` against `--sources` loopback sources, faults mixed in.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--sources 500] [--faulty 0.2] [--seed 1]

A loopback world (benchmarks/loopworld.py) serves the healthy feeds, pages and, for the share
`--faulty`, sources that answer 500, 429, slowly (3 s), truncated bodies, broken XML, binary
noise or nothing at all (a hang, cut by the 20 s timeout). Intervals are 20, 30 or 40 s.
Every 20 s, new entries (60 % about al-Tanf) appear in some healthy feeds (not with
`--no-news`); alerts go to the
fake Bot API (tests/fake_telegram) in this process; the daemon (`python -m bot -v run`) is a
child process, stopped with SIGTERM at the end.

Prints: the daemon's RSS every 10 s as a curve (start, max, end, least-squares slope after the
first minute), unhandled exceptions in its log (tracebacks, "raised an exception", "never
retrieved": must be 0), polls per healthy source (each must reach half its expected count, or
it is counted stuck), the faulty sources' states, alerts, `integrity_check` and the exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.loopworld import (  # noqa: E402
    World,
    daemon_env,
    integrity,
    outbox_counts,
    spawn_daemon,
)
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

CHAT = "424242"
INTERVALS = (20, 30, 40)
FAULTS = ("_fault/status/500", "_fault/status/429?retry_after=30", "_fault/slow?delay=3",
          "_fault/truncated", "broken", "_fault/binary", "_fault/hang")
UNHANDLED = ("Traceback", "raised an exception", "exception was never retrieved")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def slope_per_minute(samples: list[tuple[float, float]]) -> float:
    """Least-squares MB per minute over (seconds, MB) samples."""
    if len(samples) < 2:
        return 0.0
    xs, ys = [s for s, _ in samples], [m for _, m in samples]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def write_config(path: Path, world: World, healthy: int, faulty: int,
                 rng: random.Random, hosts: list[LoopbackServer]) -> dict[str, int]:
    """The config (each kind of fault on its own host of `hosts`, so a hang only holds its
    own host's connections); returns each healthy feed's path -> interval."""
    lines, intervals = [], {}
    for f in range(healthy):
        interval = rng.choice(INTERVALS)
        intervals[f"/feed{f}.xml"] = interval
        lines.append(f'[[sources]]\nname = "desk{f}"\nurl = "{world.feed_url(f)}"\n'
                     f"interval = {interval}\n")
    for i in range(faulty):
        fault, host = FAULTS[i % len(FAULTS)], hosts[i % len(FAULTS)]
        if fault == "broken":
            url = host.add(f"broken{i}.xml", "<rss><channel><item><title>cut &amp",
                           content_type="application/rss+xml")
        else:
            url = host.url_for(fault + ("&" if "?" in fault else "?") + f"n={i}")
        lines.append(f'[[sources]]\nname = "faulty{i}"\nurl = "{url}"\n'
                     f"interval = {rng.choice(INTERVALS)}\n")
    path.write_text("\n".join(lines))
    return intervals


def source_states(db: Path) -> Counter:
    conn = sqlite3.connect(db)
    try:
        return Counter(f"{'faulty' if name.startswith('faulty') else 'healthy'} {status}"
                       for name, status in conn.execute("select name, status from sources"))
    finally:
        conn.close()


def soak(tmp: Path, *, minutes: float, sources: int, faulty_share: float, seed: int,
         news: bool = True) -> None:
    rng = random.Random(seed)
    faulty = round(sources * faulty_share)
    healthy = sources - faulty
    db, log, config = tmp / "archive.db", tmp / "daemon.log", tmp / "tanfwatch.toml"
    hosts = [LoopbackServer(host=f"127.0.3.{k + 1}") for k in range(len(FAULTS))]
    with World(feeds=healthy, seed=seed) as world, FakeTelegram() as fake, \
            contextlib.ExitStack() as stack:
        for host in hosts:
            stack.enter_context(host)
        world.publish(healthy)  # one entry each to start with
        intervals = write_config(config, world, healthy, faulty, rng, hosts)
        env = daemon_env(config=config, db=db, token=fake.token, api_base=fake.base_url,
                         chat=CHAT)
        proc = spawn_daemon(env, log)
        started, samples = time.monotonic(), []
        try:
            while (elapsed := time.monotonic() - started) < minutes * 60:
                time.sleep(10)
                samples.append((elapsed + 10, rss_mb(proc.pid)))
                if news and len(samples) % 2 == 0:
                    world.publish(rng.randint(5, 20))
        finally:
            proc.send_signal(signal.SIGTERM)
            code = proc.wait(timeout=60)
        polls = Counter(path for path, _ in world.server.requests if path in intervals)
        report(samples, log, polls, intervals, minutes, db, fake, world, code)


def report(samples: list[tuple[float, float]], log: Path, polls: Counter,
           intervals: dict[str, int], minutes: float, db: Path, fake: FakeTelegram,
           world: World, code: int) -> None:
    mbs = [m for _, m in samples]
    curve = " ".join(f"{m:.0f}" for m in mbs)
    later = [s for s in samples if s[0] >= 60]
    print(f"RSS MB every 10 s: {curve}")
    print(f"RSS: at 10 s {mbs[0]:.0f} MB, at 1 min {later[0][1] if later else mbs[-1]:.0f} MB, "
          f"max {max(mbs):.0f} MB, end {mbs[-1]:.0f} MB; slope after the first minute "
          f"{slope_per_minute(later):+.2f} MB/min")
    text = log.read_text()
    print("unhandled exceptions in the log: "
          + ", ".join(f"{k!r} {text.count(k)}" for k in UNHANDLED)
          + f"; log lines {text.count(chr(10))}, ERROR lines {text.count(' ERROR ')}")
    counts = [polls[p] for p in intervals]
    stuck = [p for p, i in intervals.items() if polls[p] < 0.5 * minutes * 60 / i]
    print(f"healthy sources: {len(intervals)}, polls each min {min(counts)} median "
          f"{statistics.median(counts):.0f} max {max(counts)}; stuck (under half the "
          f"expected polls): {len(stuck)}")
    print(f"source states: {dict(source_states(db))}")
    texts = "\n".join(m.text for m in fake.messages(CHAT))
    relevant = world.relevant_urls()
    print(f"entries published {len(world.articles)}, relevant {len(relevant)}, alerted "
          f"{sum(u in texts for u in relevant)}; messages {len(fake.messages(CHAT))}; "
          f"outbox {outbox_counts(db)}")
    print(f"integrity_check: {integrity(db)}; archive {db.stat().st_size / 1e6:.1f} MB; "
          f"daemon exit code {code}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--sources", type=int, default=500)
    parser.add_argument("--faulty", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-news", dest="news", action="store_false",
                        help="publish nothing after the start: memory with a still archive")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        soak(Path(tmp), minutes=args.minutes, sources=args.sources, faulty_share=args.faulty,
             seed=args.seed, news=args.news)


if __name__ == "__main__":
    main()
