"""Bad days for the runtime, through the real CLI: a rejected token, Telegram down, storage
faults and config holes. Prints what each run did (exit code, seconds, lines, leaks).

    .venv/bin/python benchmarks/runtime_faults.py

Everything is on loopback: a feed and its article page (tests/loopback.py), the fake Bot API
(tests/fake_telegram). Each scenario checks the invariants the tests hold (token never printed,
nothing lost, nothing sent twice, no traceback, no hang) and shows the figures.
"""

from __future__ import annotations

import socket
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.articles import TANF_DRONE  # noqa: E402
from tests.conftest import article_html, bot_env, rss, run_cli  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.loopback import LoopbackServer  # noqa: E402

CHAT = "-1001234567890"
WRONG = "987654321:AAWrongTokenTheFakeRejects_abcdefghij"


def world(tmp: Path, site: LoopbackServer, fake: FakeTelegram, extra: str = "") -> dict:
    link = site.add("news/tanf.html", article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    feed = site.add("feed.xml", rss([{"title": TANF_DRONE["title"], "link": link,
                                      "published": datetime.now(UTC) - timedelta(hours=1),
                                      "summary": TANF_DRONE["paragraphs"][0]}]),
                    content_type="application/rss+xml")
    config = tmp / "c.toml"
    config.write_text(f"[tanfwatch]\ndb_timeout = 0.2\n{extra}"
                      f'[[sources]]\nname = "n"\nurl = "{feed}"\n')
    return bot_env(fake, config=config, db=tmp / "a.db", chat=CHAT)


def statuses(db: Path) -> str:
    if not db.exists():
        return "-"
    try:
        with sqlite3.connect(db) as conn:
            rows = conn.execute("select status, count(*) from outbox group by 1").fetchall()
    except sqlite3.Error as exc:
        return f"({exc})"
    return ",".join(f"{s}={n}" for s, n in rows) or "empty"


def show(name: str, args: list[str], env: dict, fake: FakeTelegram, *,
         secret: str | None = None, timeout: float = 60) -> None:
    start = time.perf_counter()
    try:
        r = run_cli(args, env, timeout=timeout)
    except Exception as exc:  # subprocess.TimeoutExpired: a hang
        print(f"{name:34} HANG after {timeout:.0f} s ({type(exc).__name__})")
        return
    took = time.perf_counter() - start
    out = r.stdout + r.stderr
    leaks = out.count(secret) if secret else 0
    print(f"{name:34} exit {r.returncode}  {took:5.1f} s  stderr lines {len(r.stderr.splitlines())}"
          f"  traceback {'Traceback' in out}  token leaks {leaks}  outbox "
          f"{statuses(Path(env['TANFWATCH_DB']))}  sent {len(fake.messages(CHAT))}")
    last = r.stderr.strip().splitlines()[-1:] or [""]
    print(f"{'':34} {last[0][:150]}")


def scenario(fn: Callable[[Path, LoopbackServer, FakeTelegram], None]) -> None:
    with tempfile.TemporaryDirectory() as tmp, LoopbackServer(Path(tmp)) as site, \
            FakeTelegram() as fake:
        fn(Path(tmp), site, fake)


def rejected_token(tmp: Path, site: LoopbackServer, fake: FakeTelegram) -> None:
    env = {**world(tmp, site, fake), "TELEGRAM_BOT_TOKEN": WRONG}
    show("rejected token, run --once -vv", ["-vv", "run", "--once"], env, fake, secret=WRONG)
    show("rejected token, daemon -vv", ["-vv", "run"], env, fake, secret=WRONG)


def telegram_down(tmp: Path, site: LoopbackServer, fake: FakeTelegram) -> None:
    env = world(tmp, site, fake)
    with socket.socket() as sock:  # bound, not listening: refused
        sock.bind(("127.0.0.1", 0))
        down = {**env, "TELEGRAM_API_BASE": f"http://127.0.0.1:{sock.getsockname()[1]}/bot"}
        show("Bot API refused, run --once", ["run", "--once"], down, fake)
    fake.outage(True)
    show("Bot API 502, run --once", ["run", "--once"], env, fake)
    fake.outage(False)
    show("Bot API back, run --once", ["run", "--once"], env, fake)
    show("again (nothing twice)", ["run", "--once"], env, fake)


def storage(tmp: Path, site: LoopbackServer, fake: FakeTelegram) -> None:
    env = world(tmp, site, fake)
    fake.outage(True)
    show("seed run (Telegram down: queued)", ["run", "--once"], env, fake)
    fake.outage(False)
    site.add("feed.xml", rss([]), content_type="application/rss+xml")
    holder = sqlite3.connect(env["TANFWATCH_DB"], isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    show("archive locked by another writer", ["run", "--once"], env, fake)
    holder.execute("ROLLBACK")
    holder.close()
    show("lock released", ["run", "--once"], env, fake)
    Path(env["TANFWATCH_DB"] + "x").write_bytes(b"not a database " * 200)
    show("archive file is not a database", ["run", "--once"],
         {**env, "TANFWATCH_DB": env["TANFWATCH_DB"] + "x"}, fake)


def config_holes(tmp: Path, site: LoopbackServer, fake: FakeTelegram) -> None:
    for extra in ("concurrency = 0\n", "per_host = 0\n", "threshold = 5\n", "timeout = 0\n",
                  "max_bytes = 0\n"):
        show(f"config {extra.strip()}", ["run", "--once"], world(tmp, site, fake, extra), fake,
             timeout=30)
    env = world(tmp, site, fake)
    Path(env["TANFWATCH_CONFIG"]).write_bytes(b'[[sources]]\nname = "caf\xe9"\nurl = "http://x"\n')
    show("config not UTF-8", ["run", "--once"], env, fake)
    Path(env["TANFWATCH_CONFIG"]).write_text('[[sources]]\nurl = "http://x/f"\n'
                                             "interval = 99999999999999999999\n")
    show("config interval 1e20 s", ["run", "--once"], env, fake)


if __name__ == "__main__":
    for fn in (rejected_token, telegram_down, storage, config_holes):
        print(f"== {fn.__name__}")
        scenario(fn)
