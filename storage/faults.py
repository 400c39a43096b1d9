"""Storage faults as one clear line: a lock held by another process, a full disk, a read-only
or damaged file. The orchestrator skips the work that needs the archive and tries again later;
nothing is lost, as every write is its own transaction."""

from __future__ import annotations

import sqlite3

from sqlite_utils import Database

__all__ = ["describe", "write_blocked"]

# sqlite's primary result codes (extended ones, e.g. SQLITE_IOERR_WRITE, start with these)
_HINTS = {
    "SQLITE_BUSY": "another process holds a lock on the archive",
    "SQLITE_LOCKED": "another connection holds a lock on the archive",
    "SQLITE_FULL": "the disk, or the archive's size limit, is full",
    "SQLITE_READONLY": "the archive is read-only here",
    "SQLITE_IOERR": "the disk failed to read or write",
    "SQLITE_CORRUPT": "the archive file is damaged",
    "SQLITE_NOTADB": "the file is not an SQLite archive",
    "SQLITE_CANTOPEN": "the archive file cannot be opened",
    "SQLITE_PERM": "no permission to use the archive file",
}


def describe(exc: sqlite3.Error) -> str:
    """`archive error: database is locked (another process holds a lock on the archive)`."""
    name = getattr(exc, "sqlite_errorname", None) or ""
    hint = next((h for code, h in _HINTS.items() if name == code or
                 name.startswith(code + "_")), None)
    message = " ".join(str(exc).split()) or type(exc).__name__
    return f"archive error: {message}" + (f" ({hint})" if hint else "")


def write_blocked(db: Database) -> str | None:
    """None if a write that delivery needs can be made now (waiting the busy timeout for a
    lock), else why not. A message Telegram accepted but we could not mark sent would be sent
    again, so delivery checks first. The probe touches one outbox row and rolls back."""
    if db.conn.in_transaction:  # never touch a transaction someone else has open
        return None
    try:
        db.execute("BEGIN IMMEDIATE")
        db.execute("update outbox set attempts = attempts where id = (select min(id) from outbox)")
    except sqlite3.Error as exc:
        return describe(exc)
    finally:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
    return None
