"""Doubles in delivery, counted: SIGKILLs, a database locked past the busy timeout, lost answers.

    .venv/bin/python benchmarks/crash_delivery.py [--alerts 83] [--kills 80] [--locks 5]
                                                  [--lost 0.05] [--seed 1]

Each scenario queues `--alerts` alerts for one channel in a fresh archive and delivers them to
the fake Bot API (tests/fake_telegram) on loopback; the messages per alert give the doubles.

* kill: a child process delivers and is SIGKILLed a random 0-30 ms after one of its
  sendMessage calls reached the fake, then restarted, until everything is sent. A double needs
  the kill to land after Telegram accepted and before the "sent" commit: this measures how
  long that window is. "anywhere" kills at a random moment of a run instead (10x the alerts).
* lock: another connection takes the write lock right after a message was accepted and holds
  it 10x longer than the child's busy timeout (100 ms here; 30 s in the bot), `--locks` times;
  the next run is started after each. Before the fix, each lock gave a double.
* lost: for a fraction `--lost` of sendMessage calls the fake accepts the message and drops the
  answer (what a read timeout after acceptance looks like); delivery goes on until all sent.

Prints one line per scenario: alerts, messages, doubles, missing, and the figure that sets the
odds (kills, locks, lost answers). `integrity_check` runs on every archive after.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("PTB_TIMEDELTA", "true")
from bot.telegram.client import RateLimiter, RateLimits, TelegramSender  # noqa: E402
from bot.telegram.deliver import deliver  # noqa: E402
from storage.archive import Archive, ArticleRecord  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402

CHAT = "-1001234567890"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)


def queue(db: Path, n: int) -> None:
    archive = Archive.open(db)
    try:
        for i in range(n):
            archive.add_article(ArticleRecord(
                id=f"a{i:015d}", text="x", relevant=True, title=f"A{i:03d} convoy at al-Tanf",
                url=f"https://example.org/{i}"), alert_chats=(CHAT,), now=NOW)
    finally:
        archive.close()


def count(fake: FakeTelegram, db: Path, n: int) -> tuple[int, int, int, str]:
    """(messages, doubles, missing, integrity) for alerts A000..A(n-1)."""
    seen = Counter(m.plain_text.split(" ", 1)[0] for m in fake.messages(CHAT))
    doubles = sum(c - 1 for c in seen.values() if c > 1)
    missing = sum(1 for i in range(n) if not seen[f"A{i:03d}"])
    conn = sqlite3.connect(db)
    integrity = conn.execute("pragma integrity_check").fetchone()[0]
    conn.close()
    return sum(seen.values()), doubles, missing, integrity


async def child(db: str, base_url: str, token: str, busy_ms: int) -> None:
    from telegram import Bot

    archive = Archive.open(db)
    archive.db.execute(f"pragma busy_timeout = {busy_ms}")
    try:
        async with Bot(token, base_url=base_url) as bot:
            sender = TelegramSender(bot, limiter=RateLimiter(FAST), feedback_buttons=False)
            await deliver(archive, sender, clock=lambda: datetime.now(UTC), digest_after=0,
                          max_wait=5)
    finally:
        archive.close()


def spawn(db: Path, fake: FakeTelegram, busy_ms: int = 30_000) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, __file__, "--child", str(db), fake.base_url,
                             fake.token, str(busy_ms)], cwd=ROOT,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def pending(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from outbox where status = 'pending'").fetchone()[0]
    finally:
        conn.close()


def scenario_kill(n: int, kills: int, rng: random.Random, tmp: Path, *,
                  anywhere: bool = False) -> str:
    """SIGKILL 0-30 ms after an acceptance (the worst moment), or `anywhere` in the run
    (0-2.5 s after the start: start-up, composing, sending, committing)."""
    db = tmp / "kill.db"
    queue(db, n)
    done = 0
    with FakeTelegram() as fake:
        while pending(db):
            proc = spawn(db, fake)
            if done < kills:
                if anywhere:
                    time.sleep(rng.uniform(0, 2.5))
                    hit = proc.poll() is None
                else:
                    before = len(fake.calls("sendMessage"))
                    hit = fake.wait_for(lambda f, b=before: len(f.calls("sendMessage")) > b,
                                        timeout=60)
                    time.sleep(rng.uniform(0, 0.03))
                if hit:
                    proc.send_signal(signal.SIGKILL)
                    done += 1
            proc.wait(timeout=120)
        messages, doubles, missing, integrity = count(fake, db, n)
    name = "kill anywhere" if anywhere else "kill 0-30 ms after an acceptance"
    return (f"{name}: {n} alerts, {messages} messages, {doubles} doubles, {missing} missing; "
            f"{done} SIGKILLs ({doubles / max(done, 1):.3f} doubles per kill); "
            f"integrity {integrity}")


def scenario_lock(n: int, locks: int, tmp: Path) -> str:
    db = tmp / "lock.db"
    queue(db, n)
    busy_ms, held = 100, 0
    targets = [n * (k + 1) // (locks + 1) for k in range(locks)]  # spread over the run
    with FakeTelegram() as fake:
        while pending(db):
            proc = spawn(db, fake, busy_ms)
            while held < locks and fake.wait_for(
                    lambda f, t=targets[held]: len(f.messages(CHAT)) >= t, timeout=60):
                other = sqlite3.connect(db, isolation_level=None)
                other.execute("begin immediate")  # another writer, right after an acceptance
                time.sleep(busy_ms * 10 / 1000)
                other.execute("commit")
                other.close()
                held += 1
            proc.wait(timeout=120)
        messages, doubles, missing, integrity = count(fake, db, n)
    return (f"lock : {n} alerts, {messages} messages, {doubles} doubles, {missing} missing; "
            f"{held} locks held 10x the busy timeout; integrity {integrity}")


def scenario_lost(n: int, share: float, rng: random.Random, tmp: Path) -> str:
    db = tmp / "lost.db"
    queue(db, n)
    lost = 0

    async def run(fake: FakeTelegram) -> None:
        nonlocal lost
        from telegram import Bot

        archive = Archive.open(db)
        async with Bot(fake.token, base_url=fake.base_url) as bot:
            real = TelegramSender(bot, limiter=RateLimiter(FAST), feedback_buttons=False)

            class Lossy:
                async def send(self, *args: object, **kwargs: object) -> int | None:
                    nonlocal lost
                    if rng.random() < share:
                        fake.lose_answers(1)
                        lost += 1
                    return await real.send(*args, **kwargs)  # type: ignore[arg-type]

            hours = 0
            while archive.outbox.count("pending"):
                now = NOW + timedelta(hours=hours)  # past every back-off
                await deliver(archive, Lossy(), clock=lambda at=now: at, digest_after=0)
                hours += 1
        archive.close()

    with FakeTelegram() as fake:
        asyncio.run(run(fake))
        messages, doubles, missing, integrity = count(fake, db, n)
    return (f"lost : {n} alerts, {messages} messages, {doubles} doubles, {missing} missing; "
            f"{lost} answers lost after acceptance ({share:.0%} of sends); integrity {integrity}")


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        db, base_url, token, busy_ms = sys.argv[2:6]
        asyncio.run(child(db, base_url, token, int(busy_ms)))
        return
    logging.basicConfig(level=logging.ERROR)  # the retries' warnings are expected here
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--alerts", type=int, default=83)
    parser.add_argument("--kills", type=int, default=80)
    parser.add_argument("--locks", type=int, default=5)
    parser.add_argument("--lost", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=("kill", "anywhere", "lock", "lost"), default=None)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        if args.only in (None, "lock"):
            print(scenario_lock(args.alerts, args.locks, Path(tmp)), flush=True)
        if args.only in (None, "lost"):
            print(scenario_lost(args.alerts, args.lost, rng, Path(tmp)), flush=True)
        if args.only in (None, "kill"):
            print(scenario_kill(args.alerts, args.kills, rng, Path(tmp)), flush=True)
        if args.only in (None, "anywhere"):
            print(scenario_kill(args.alerts * 10, args.kills, rng, Path(tmp), anywhere=True),
                  flush=True)


if __name__ == "__main__":
    main()
