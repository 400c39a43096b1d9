"""Storage faults are one clear line, the poll that needs the archive is skipped (and done at
the next run), and alerts already queued are still delivered when the archive can record it:
a real lock held by another connection, a full archive (max_page_count), a read-only one."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlite_utils import Database

from bot.app import run_once
from bot.settings import load_settings
from matchers.relevance import load_matcher
from storage.archive import Archive, ArticleRecord
from storage.faults import write_blocked
from storage.known import load_judge
from tests.articles import TANF_DRONE, TANF_FOLLOW_UP
from tests.conftest import ROOT, article_html, bot_env, rss, run_cli

CHAT = "-1001234567890"
QUEUED = ArticleRecord(id="queued0000000001", title="Convoy reaches the al-Tanf garrison",
                       text="A supply convoy reached the al-Tanf garrison on Tuesday.",
                       relevant=True, topics=("al-tanf",))


def setup(tmp_path: Path, site, fake_telegram) -> tuple[dict[str, str], Path]:
    """An archive that has run before (seeded) with one alert queued, and a feed with a new
    relevant article; the config waits 0.2 s for a lock."""
    db = tmp_path / "a.db"
    archive = Archive.open(db)
    load_judge(archive, load_matcher(), now=datetime.now(UTC))
    archive.add_article(QUEUED, alert_chats=[CHAT])
    archive.close()
    link = site.add("news/tanf.html", article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    feed = site.add("feed.xml", rss([{"title": TANF_DRONE["title"], "link": link,
                                      "published": datetime.now(UTC) - timedelta(hours=1),
                                      "summary": TANF_DRONE["paragraphs"][0]}]),
                    content_type="application/rss+xml")
    config = tmp_path / "tanfwatch.toml"
    config.write_text(f'[tanfwatch]\ndb_timeout = 0.2\n'
                      f'[[sources]]\nname = "loopback-news"\nurl = "{feed}"\n')
    return bot_env(fake_telegram, config=config, db=db, chat=CHAT), db


def outbox(db: Path) -> list[tuple[str, str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select article_id, status, attempts from outbox order by id"
                            ).fetchall()


def titles(fake_telegram) -> list[str]:
    return [m.plain_text.splitlines()[0] for m in fake_telegram.messages(CHAT)]


@pytest.mark.parametrize("lock", ["IMMEDIATE", "EXCLUSIVE"])
def test_a_locked_archive_is_one_line_and_nothing_is_lost_or_doubled(tmp_path, site,
                                                                     fake_telegram, lock):
    env, db = setup(tmp_path, site, fake_telegram)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute(f"BEGIN {lock}")  # another process writing for longer than db_timeout
    try:
        locked = run_cli(["run", "--once"], env)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert locked.returncode == 0, locked.stderr
    assert "Traceback" not in locked.stderr
    lines = [line for line in locked.stderr.splitlines() if "database is locked" in line]
    assert any("no source polled: archive error: database is locked (another process holds "
               "a lock on the archive)" in line for line in lines), locked.stderr
    assert any("delivery postponed" in line and "1 alerts stay queued" in line
               for line in lines), locked.stderr
    assert fake_telegram.messages() == []  # a send it could not record would come again
    assert outbox(db) == [(QUEUED.id, "pending", 0)]

    if lock == "EXCLUSIVE":  # recovery is the same for both kinds of lock
        return
    for _ in range(2):  # lock gone: the skipped poll is done, both alerts go out once
        again = run_cli(["run", "--once"], env)
        assert again.returncode == 0 and "archive error" not in again.stderr, again.stderr
    assert titles(fake_telegram) == [QUEUED.title, TANF_DRONE["title"]]
    assert [status for _, status, _ in outbox(db)] == ["sent", "sent"]


async def test_a_full_archive_skips_the_poll_but_delivers_what_is_queued(tmp_path, site,
                                                                   fake_telegram, caplog):
    env, db = setup(tmp_path, site, fake_telegram)
    settings = load_settings(env=env)
    archive = Archive.open(db)
    try:
        pages = archive.db.execute("pragma page_count").fetchone()[0]
        archive.db.execute(f"pragma max_page_count = {pages}")  # the disk is full
        with caplog.at_level(logging.WARNING):
            reports, delivery = await run_once(settings, archive=archive)
        [report] = reports
        assert not report.ok and "database or disk is full (the disk, or the archive's size " \
            "limit, is full)" in report.error
        assert delivery.sent == 1 and titles(fake_telegram) == [QUEUED.title]
        assert not [r for r in caplog.records if r.exc_info or r.exc_text]
        assert any("source loopback-news: not polled: archive error: database or disk is full"
                   in r.getMessage() for r in caplog.records)

        archive.db.execute("pragma max_page_count = 1073741823")  # space freed
        reports, delivery = await run_once(settings, archive=archive)
        assert reports[0].ok and delivery.sent == 1
    finally:
        archive.close()
    assert titles(fake_telegram) == [QUEUED.title, TANF_DRONE["title"]]


async def test_a_read_only_archive_polls_and_sends_nothing_and_loses_nothing(tmp_path, site,
                                                                       fake_telegram, caplog):
    env, db = setup(tmp_path, site, fake_telegram)
    settings = load_settings(env=env)
    keep = sqlite3.connect(db)  # keeps the WAL's -shm around for the read-only connection
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None,
                           check_same_thread=False)
    archive = Archive(Database(conn))
    try:
        assert write_blocked(archive.db) == ("archive error: attempt to write a readonly "
                                             "database (the archive is read-only here)")
        with caplog.at_level(logging.WARNING):
            reports, delivery = await run_once(settings, archive=archive)
    finally:
        archive.close()
        keep.close()
    assert not reports[0].ok and "read-only" in reports[0].error
    assert delivery.sent == 0 and delivery.deferred == 1
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
    assert any(r.getMessage().startswith("delivery postponed: archive error: attempt to write "
                                         "a readonly database") for r in caplog.records)
    assert fake_telegram.messages() == [] and outbox(db) == [(QUEUED.id, "pending", 0)]

    writable = run_cli(["run", "--once"], env)
    assert writable.returncode == 0, writable.stderr
    assert titles(fake_telegram) == [QUEUED.title, TANF_DRONE["title"]]


def test_an_archive_that_cannot_be_opened_is_one_line(tmp_path):
    db = tmp_path / "a.db"
    db.write_bytes(b"this is not a database, just text " * 100)
    config = tmp_path / "c.toml"
    config.write_text('[[sources]]\nname = "x"\nurl = "http://127.0.0.1:9/f"\n')
    result = run_cli(["run", "--once"], {"TANFWATCH_CONFIG": str(config),
                                         "TANFWATCH_DB": str(db)})
    assert result.returncode == 1
    *startup, error = result.stderr.strip().splitlines()  # the startup line, then the error
    assert len(startup) == 1 and "starting (run --once)" in startup[0]
    assert error == (f"Error: archive error: file is not a database (the file "
                     f"is not an SQLite archive): {db}")


def test_the_write_probe_leaves_an_open_transaction_alone(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    try:
        with archive.db.atomic():
            archive.add_article(QUEUED, alert_chats=[CHAT])
            assert write_blocked(archive.db) is None
            assert archive.db.conn.in_transaction
        assert archive.outbox.count("pending") == 1  # the enclosing transaction committed
        assert write_blocked(archive.db) is None and not archive.db.conn.in_transaction
    finally:
        archive.close()


def test_the_daemon_recovers_by_itself_when_another_writer_lets_go(tmp_path, site,
                                                                   fake_telegram):
    env, db = setup(tmp_path, site, fake_telegram)
    config = Path(env["TANFWATCH_CONFIG"])
    config.write_text(config.read_text() + "interval = 10\n")
    full_env = {k: v for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT,
                            env={**full_env, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    holder = sqlite3.connect(db, isolation_level=None)
    lines: list[str] = []
    try:
        assert fake_telegram.wait_for(lambda f: len(f.messages(CHAT)) == 2, timeout=60)
        holder.execute("BEGIN IMMEDIATE")  # another writer, for longer than db_timeout
        publish_follow_up(site)
        for line in proc.stderr:  # the next poll of the source meets the lock
            lines.append(line)
            if "not polled" in line:
                break
        holder.execute("ROLLBACK")  # let go: the poll after this one brings the report
        assert fake_telegram.wait_for(lambda f: len(f.messages(CHAT)) == 3, timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=30)
    finally:
        holder.close()
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = "".join(lines) + rest
    assert proc.returncode == 0 and "Traceback" not in stderr, stderr
    assert ("source loopback-news: not polled: archive error: database is locked (another "
            "process holds a lock on the archive); polled again next time") in lines[-1]
    sent = titles(fake_telegram)
    assert sent[:2] == [QUEUED.title, TANF_DRONE["title"]] and len(sent) == 3
    assert TANF_FOLLOW_UP["title"] in fake_telegram.messages(CHAT)[2].plain_text
    assert [status for _, status, _ in outbox(db)] == ["sent"] * 3


def publish_follow_up(site) -> None:
    """The feed now lists a second relevant report above the first."""
    now = datetime.now(UTC)
    items = [(TANF_FOLLOW_UP, "news/follow-up.html", now - timedelta(minutes=5)),
             (TANF_DRONE, "news/tanf.html", now - timedelta(hours=1))]
    site.add("news/follow-up.html", article_html(TANF_FOLLOW_UP["title"],
                                                 TANF_FOLLOW_UP["paragraphs"]))
    site.add("feed.xml", rss([{"title": a["title"], "link": site.url_for(path),
                               "published": at, "summary": a["paragraphs"][0]}
                              for a, path, at in items]), content_type="application/rss+xml")
