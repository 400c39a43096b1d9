"""Keeping an archive for months: `backup` while the bot writes, `vacuum`, and the retention of
irrelevant articles (`keep_irrelevant_days`), by the command and by the daemon's daily job."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.maintenance import prune_job
from storage.archive import Archive, ArticleRecord
from tests.conftest import ROOT, run_cli

NOW = datetime.now(UTC)

# Writes one article (its row, FTS row and URL row: one transaction) after another, for ever.
WRITER = """
import sys
from storage.archive import Archive, ArticleRecord
archive = Archive.open(sys.argv[1])
i = 0
while True:
    archive.add_article(ArticleRecord(id=f"w{i}", text=f"busy writer article {i}",
                                      url=f"http://127.0.0.1/w{i}", fetched_at="2026-01-01"))
    i += 1
    if i == 200:
        print("ready", flush=True)
"""


def count(db: Path, sql: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchone()[0]


def test_a_backup_taken_while_another_process_writes_is_whole(tmp_path):
    db, copy = tmp_path / "live.db", tmp_path / "copy.db"
    Archive.open(db).close()
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline() == "ready\n"
        result = run_cli(["--db", str(db), "backup", str(copy)], {})
        still_writing = writer.poll() is None
    finally:
        writer.kill()
        writer.wait()
    assert result.returncode == 0, result.stderr
    assert f"to {copy}" in result.stdout and "integrity ok" in result.stdout
    assert still_writing
    with sqlite3.connect(copy) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one file
    written = count(copy, "select count(*) from articles where id like 'w%'")
    assert written >= 200
    assert count(copy, "select count(*) from article_urls where article_id like 'w%'") == written
    assert count(db, "select count(*) from articles where id like 'w%'") > written  # went on
    assert not list(tmp_path.glob(".copy.db*"))  # no partial copy left behind


def test_backup_refuses_to_overwrite_unless_forced(tmp_path):
    db, copy = tmp_path / "a.db", tmp_path / "copy.db"
    _old_and_new(db)
    copy.write_text("precious")
    refused = run_cli(["--db", str(db), "backup", str(copy)], {})
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        f"Error: {copy} exists (use --force to overwrite it)"]
    assert copy.read_text() == "precious"
    forced = run_cli(["--db", str(db), "backup", "--force", str(copy)], {})
    assert forced.returncode == 0, forced.stderr
    assert ids(copy) == ids(db) and len(ids(copy)) == 303
    itself = run_cli(["--db", str(db), "backup", "--force", str(db)], {})
    assert itself.returncode == 1 and f"{db} is the archive itself" in itself.stderr
    missing = run_cli(["--db", str(tmp_path / "none.db"), "backup", str(tmp_path / "b.db")], {})
    assert missing.returncode == 1 and "no archive at" in missing.stderr


def _article(archive: Archive, aid: str, *, days_old: float, relevant: bool = False) -> None:
    seen = (NOW - timedelta(days=days_old)).isoformat(timespec="seconds")
    archive.add_article(ArticleRecord(id=aid, text=f"zanzibar {aid} " * 50, title=aid,
                                      url=f"http://127.0.0.1/{aid}", relevant=relevant,
                                      fetched_at=seen))


def _old_and_new(db: Path) -> None:
    archive = Archive.open(db)
    try:
        for i in range(300):
            _article(archive, f"old{i}", days_old=100)
        _article(archive, "recent", days_old=10)
        _article(archive, "oldrelevant", days_old=400, relevant=True)
        _article(archive, "voted", days_old=400)  # a vote is labelled data: kept
        archive.chats.vote("voted", 7, False, chat_id="1", now=NOW)
    finally:
        archive.close()


def ids(db: Path) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute("select id from articles where origin != 'seed'")}


def test_vacuum_applies_the_retention_and_reports_the_size(tmp_path):
    db, config = tmp_path / "a.db", tmp_path / "c.toml"
    _old_and_new(db)
    seeds = count(db, "select count(*) from articles where origin = 'seed'")
    config.write_text("[tanfwatch]\nkeep_irrelevant_days = 90\n")
    result = run_cli(["--config", str(config), "--db", str(db), "vacuum"], {})
    assert result.returncode == 0, result.stderr
    line = result.stdout.strip()
    assert line.startswith(f"vacuumed {db}: ")
    assert line.endswith("MB (irrelevant articles: 300 deleted, older than 90 days)")
    before, after = (float(x.split()[0]) for x in line.split(": ")[1].split(" (")[0].split("->"))
    assert after < before
    assert ids(db) == {"recent", "oldrelevant", "voted"}
    assert count(db, "select count(*) from articles where origin = 'seed'") == seeds
    assert count(db, "select count(*) from article_urls where article_id glob 'old[0-9]*'") == 0
    fts = "select count(*) from articles_fts where articles_fts match 'zanzibar'"
    assert count(db, fts) == 3  # the deleted texts left the full-text index too
    assert count(db, "PRAGMA freelist_count") == 0


def test_keep_irrelevant_days_0_keeps_them_for_ever(tmp_path):
    db, config = tmp_path / "a.db", tmp_path / "c.toml"
    _old_and_new(db)
    config.write_text("[tanfwatch]\nkeep_irrelevant_days = 0\n")
    result = run_cli(["--config", str(config), "--db", str(db), "vacuum"], {})
    assert result.returncode == 0, result.stderr
    assert "(irrelevant articles: kept for ever)" in result.stdout
    assert len(ids(db)) == 303


async def test_the_daemons_daily_retention_job_deletes_in_batches(tmp_path):
    db = tmp_path / "a.db"
    _old_and_new(db)
    archive = Archive.open(db)
    try:
        await prune_job(archive, 90, lambda: NOW)
        await prune_job(archive, 0, lambda: NOW + timedelta(days=999))  # 0: nothing goes
    finally:
        archive.close()
    assert ids(db) == {"recent", "oldrelevant", "voted"}
