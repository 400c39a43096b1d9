"""kill -9 of `run --once` between fetch and delivery loses nothing and doubles nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

from tests.articles import TANF_DRONE
from tests.conftest import ROOT, bot_env, run_cli
from tests.test_end_to_end import publish, write_config

CHAT = "-1001234567890"


def test_kill_9_before_delivery_then_restart_delivers_once(tmp_path, site, fake_telegram):
    feed_url = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    db = tmp_path / "archive.db"
    env = bot_env(fake_telegram, config=write_config(tmp_path, feed_url), db=db, chat=CHAT)
    # A short Retry-After holds the process after the fetch, inside delivery: kill it there.
    fake_telegram.fail_next(429, retry_after=4, method="sendMessage")
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--once"], cwd=ROOT,
                            env={**full_env, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        assert fake_telegram.wait_for(lambda f: bool(f.calls("sendMessage")), timeout=90)
        assert proc.poll() is None  # still waiting out the 429
        proc.kill()
    finally:
        proc.wait(timeout=30)
    assert proc.returncode == -9
    assert fake_telegram.messages(CHAT) == []
    conn = sqlite3.connect(db)
    assert conn.execute("select status from outbox").fetchall() == [("pending",)]
    conn.close()

    again = run_cli(["run", "--once"], env)
    assert again.returncode == 0, again.stderr
    third = run_cli(["run", "--once"], env)
    assert third.returncode == 0, third.stderr
    (message,) = fake_telegram.messages(CHAT)
    assert "al-Tanf" in message.plain_text
    conn = sqlite3.connect(db)
    assert conn.execute("select status, message_id from outbox").fetchall() == [
        ("sent", message.message_id)]
    conn.close()
