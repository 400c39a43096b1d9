"""SIGTERM (`docker stop`, the image's STOPSIGNAL) stops the daemon cleanly even mid-fetch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from tests.articles import TANF_DRONE
from tests.conftest import ROOT, bot_env
from tests.test_end_to_end import publish

CHAT = "-1001234567890"


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_sigterm_while_a_fetch_hangs_exits_0_with_the_archive_whole(tmp_path, site,
                                                                     fake_telegram):
    feed = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    config = tmp_path / "tanfwatch.toml"
    config.write_text(
        f'[[sources]]\nname = "stuck"\nurl = "{site.url_for("_fault/hang")}"\nkind = "feed"\n\n'
        f'[[sources]]\nname = "news"\nurl = "{feed}"\nkind = "feed"\n')
    db = tmp_path / "a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update(bot_env(fake_telegram, config=config, db=db, chat=CHAT))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # the stuck source's poll starts first, the news one 0.5 s later; its alert is
        # delivered as soon as it is queued
        assert fake_telegram.wait_for(lambda f: bool(f.messages(CHAT)), timeout=60)
        assert site.active >= 1 and any("_fault/hang" in path for path, _ in site.requests)
        # the extraction pool: a forkserver, its workers under it
        workers = {w for child in _children(proc.pid) for w in _children(child)}
        assert workers or os.cpu_count() == 1
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)  # far below the 20 s fetch timeout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert not [w for w in workers if _alive(w)]  # shut down before the daemon exited
    assert "Traceback" not in stderr and fake_telegram.token not in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        # nothing lost: the one alert is sent, or still pending when SIGTERM came between the
        # Bot API call and its record (then it is sent again at the next start)
        statuses = conn.execute("select status from outbox").fetchall()
        assert statuses in ([("sent",)], [("pending",)])
    assert len(fake_telegram.messages(CHAT)) == 1
