"""Keeping an archive for months: an online backup, VACUUM, and the retention of irrelevant
articles.

Retention deletes non-relevant, non-seed articles first seen before a cutoff: their text,
their FTS rows (the delete trigger) and their other addresses. Their `seen` keys stay, so a
feed does not bring them back; their signatures go, so a later copy of one is judged afresh
(it is irrelevant: at worst it is judged irrelevant again). Kept whatever their age: any
article an alert, a vote or a relevant copy refers to.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

__all__ = ["backup", "file_size", "prune_irrelevant", "vacuum"]

_DOOMED = """
select id from articles
where relevant = 0 and origin != 'seed' and fetched_at < ?
  and id not in (select article_id from outbox)
  and id not in (select article_id from feedback)
  and id not in (select duplicate_of from articles where duplicate_of is not null
                 and relevant = 1)
limit ?
"""


def prune_irrelevant(db: Database, *, before: datetime, limit: int = 500) -> int:
    """Delete up to `limit` irrelevant articles first seen before `before`, in one
    transaction (short: the daemon's writes wait for it); returns how many. Call it again
    until it returns 0."""
    with db.atomic():
        ids = [r[0] for r in db.execute(_DOOMED, [before.isoformat(timespec="seconds"), limit])]
        if ids:
            marks = ", ".join("?" * len(ids))
            db.execute(f"delete from article_urls where article_id in ({marks})", ids)
            db.execute(f"delete from articles where id in ({marks})", ids)
    return len(ids)


def file_size(path: Path) -> int:
    """Bytes on disk: the database and its write-ahead log."""
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())


def vacuum(db: Database) -> None:
    """Rebuild the file without its free pages, then fold the WAL back into it."""
    db.execute("VACUUM")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def backup(source: Path, dest: Path, *, force: bool = False) -> str:
    """A consistent copy of the archive at `source`, even while the daemon writes to it.

    The backup API copies in one step, inside one read transaction: in WAL mode writers go on
    meanwhile, and the copy is the database as of that moment. It is written beside `dest`
    and renamed, so `dest` is never a partial copy. Returns the copy's integrity_check line.
    Raises FileExistsError when `dest` exists and not `force`.
    """
    if dest.exists() and dest.resolve() == source.resolve():
        raise FileExistsError(f"{dest} is the archive itself")
    if dest.exists() and not force:
        raise FileExistsError(f"{dest} exists (use --force to overwrite it)")
    if not source.exists():
        raise FileNotFoundError(f"no archive at {source}")
    tmp = dest.with_name(f".{dest.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with contextlib.closing(sqlite3.connect(source, timeout=30)) as src, \
                contextlib.closing(sqlite3.connect(tmp)) as out:
            src.backup(out)
            out.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check = out.execute("PRAGMA integrity_check").fetchone()[0]
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return str(check)
