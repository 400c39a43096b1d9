"""SIGTERM (`docker stop`, the image's STOPSIGNAL) stops the daemon cleanly even mid-fetch."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime

from tests.articles import TANF_DRONE
from tests.conftest import ROOT, bot_env, run_cli
from tests.processes import alive, children
from tests.test_end_to_end import publish

CHAT = "-1001234567890"


def test_sigterm_while_a_fetch_hangs_exits_0_with_the_archive_whole(tmp_path, site,
                                                                     fake_telegram):
    feed = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    config = tmp_path / "tanfwatch.toml"
    config.write_text(  # a pool of two workers: the shutdown must end them too
        '[tanfwatch]\nworkers = 2\n\n'  # (the default too, on a machine with two cores)
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
        workers = {w for child in children(proc.pid) for w in children(child)}
        assert workers
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)  # far below the 20 s fetch timeout
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert not [w for w in workers if alive(w)]  # shut down before the daemon exited
    assert "Traceback" not in stderr and fake_telegram.token not in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        # the send in flight when SIGTERM came is finished and recorded before the exit
        assert conn.execute("select status from outbox").fetchall() == [("sent",)]
    assert len(fake_telegram.messages(CHAT)) == 1


def test_sigterm_between_send_and_record_finishes_the_send_no_double(tmp_path, site,
                                                                     fake_telegram):
    feed = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    config = tmp_path / "tanfwatch.toml"
    config.write_text(f'[[sources]]\nname = "news"\nurl = "{feed}"\nkind = "feed"\n')
    db = tmp_path / "a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update(bot_env(fake_telegram, config=config, db=db, chat=CHAT))
    gate = fake_telegram.hold_answer()  # the message is accepted; its answer waits for us
    proc = subprocess.Popen([sys.executable, "-m", "bot", "-v", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    try:
        assert fake_telegram.wait_for(lambda f: bool(f.messages(CHAT)), timeout=60)
        proc.send_signal(signal.SIGTERM)  # lands between Telegram's acceptance and the record
        for line in proc.stderr:  # until the daemon says it waits (or, before the fix, exits)
            lines.append(line)
            if "waiting for the alert being sent" in line:
                break
        gate.set()
        _, rest = proc.communicate(timeout=30)
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(lines) + rest
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and fake_telegram.token not in stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status from outbox").fetchall() == [("sent",)]
    again = run_cli(["run", "--once"], bot_env(fake_telegram, config=config, db=db, chat=CHAT))
    assert again.returncode == 0, again.stderr
    assert len(fake_telegram.messages(CHAT)) == 1


def test_sigterm_while_telegram_never_answers_stops_after_the_grace(tmp_path, site,
                                                                    fake_telegram):
    feed = publish(site, [("tanf-drones", TANF_DRONE, None)], datetime.now(UTC))
    config = tmp_path / "tanfwatch.toml"
    config.write_text(f'[[sources]]\nname = "news"\nurl = "{feed}"\nkind = "feed"\n')
    db = tmp_path / "a.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update(bot_env(fake_telegram, config=config, db=db, chat=CHAT))
    gate = fake_telegram.hold_answer()  # released only after the daemon is gone
    proc = subprocess.Popen([sys.executable, "-m", "bot", "-v", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert fake_telegram.wait_for(lambda f: bool(f.messages(CHAT)), timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)  # the grace is 8 s; the fake holds 60 s
    finally:
        gate.set()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    assert "Telegram did not answer in 8 s; that alert may be sent again" in stderr
    with sqlite3.connect(db) as conn:  # not lost: sent again at the next start
        assert conn.execute("select status from outbox").fetchall() == [("pending",)]
