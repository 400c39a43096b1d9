"""Source state: validators for conditional GET, health, back-off, and the entries already seen."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlite_utils import Database

__all__ = ["AdminNotice", "SourceState", "SourceStore", "SourceSuccess"]

QUIET_FACTOR = 5.0  # quiet: no entries for this many median gaps
QUIET_MIN_ARRIVALS = 4  # "usually yields entries": at least this many fetches with new ones
ARRIVALS_KEPT = 30
_STATE_COLUMNS = (
    "name, url, kind, status, etag, last_modified, body_hash, last_checked, last_error, "
    "consecutive_failures, next_attempt, entries, new, last_success, "
    "exists(select 1 from seen where seen.source = sources.name)"
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    kind: str
    status: str
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    last_checked: str | None
    last_error: str | None
    consecutive_failures: int
    next_attempt: str | None
    entries: int
    new: int
    first_poll: bool  # never fetched successfully: the backfill rule applies
    has_seen: bool = True  # False: no entry of it recorded yet, every key is unseen


@dataclass(frozen=True)
class SourceSuccess:
    """A healthy fetch to record (see :meth:`SourceStore.record_success`)."""

    name: str
    now: datetime
    etag: str | None
    last_modified: str | None
    body_hash: str | None
    entries: int | None  # None: a 304 keeps the previous count
    new: int
    next_attempt: datetime | None = None
    problem: str | None = None
    seen: tuple[tuple[str, str | None], ...] = ()  # (key, url) pairs to mark seen


@dataclass(frozen=True)
class AdminNotice:
    id: int
    kind: str  # disabled | quiet
    source: str
    message: str
    created_at: str


class SourceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    def sync(self, sources: Iterable[Any]) -> None:
        """Make sure every configured source has a row; config changes to url/kind win."""
        rows = [(s.name, s.url, s.kind, s.interval) for s in sources]
        with self.db.atomic():  # one statement for all: thousands of sources sync in ms
            self.db.conn.executemany(
                "insert into sources (name, url, kind, interval) values (?, ?, ?, ?) "
                "on conflict(name) do update set url = excluded.url, kind = excluded.kind, "
                "interval = excluded.interval", rows)

    def get(self, name: str) -> SourceState | None:
        cursor = self.db.execute(f"select {_STATE_COLUMNS} from sources where name = ?", [name])
        r = cursor.fetchone()
        if r is None:
            return None
        return SourceState(
            name=r[0], url=r[1], kind=r[2], status=r[3] or "new", etag=r[4],
            last_modified=r[5], body_hash=r[6], last_checked=r[7], last_error=r[8],
            consecutive_failures=r[9] or 0, next_attempt=r[10], entries=r[11] or 0,
            new=r[12] or 0, first_poll=r[13] is None, has_seen=bool(r[14]),
        )

    def all(self) -> list[dict[str, Any]]:
        return list(self.db["sources"].rows_where(order_by="name"))

    def record_success(self, name: str, *, now: datetime, etag: str | None,
                       last_modified: str | None, body_hash: str | None,
                       entries: int | None, new: int,
                       next_attempt: datetime | None = None, problem: str | None = None,
                       seen: Iterable[tuple[str, str | None]] = ()) -> None:
        """A healthy fetch (a 304 too): re-enables a source disabled by failures.

        ``problem`` is a survivable one (a malformed feed read anyway): kept as ``last_error``
        while the status is ok, so `tanfwatch sources` shows it. ``seen`` (key, url) pairs
        are marked seen in the same transaction.
        """
        self.record_successes([SourceSuccess(name, now, etag, last_modified, body_hash, entries,
                                             new, next_attempt, problem, tuple(seen))])

    def record_successes(self, successes: Sequence[SourceSuccess]) -> None:
        """Several sources' successes in one transaction: a cycle commits once per batch."""
        if not successes:
            return
        with self.db.atomic():  # the commit is most of the cost of a poll's bookkeeping
            for success in successes:
                self._write_success(success)

    def _write_success(self, s: SourceSuccess) -> None:
        values: dict[str, Any] = {
            "status": "ok", "last_checked": _iso(s.now), "last_success": _iso(s.now),
            "last_error": s.problem, "consecutive_failures": 0,
            "next_attempt": _iso(s.next_attempt), "new": s.new,
            "etag": s.etag, "last_modified": s.last_modified, "body_hash": s.body_hash,
        }
        if s.entries is not None:  # a 304 keeps the previous count
            values["entries"] = s.entries
        self._insert_seen(s.name, s.seen, s.now)
        if s.new:
            values["last_entry_at"] = _iso(s.now)
            values["quiet_since"] = None
            self.db.execute(
                "insert or replace into arrivals (source, at, count) values (?, ?, ?)",
                [s.name, _iso(s.now), s.new])
            self._trim_arrivals(s.name)
        self._update(s.name, values)

    def _update(self, name: str, values: dict[str, Any]) -> None:
        # plain SQL: sqlite-utils' Table.update re-reads the schema on every call
        assigns = ", ".join(f"[{column}] = ?" for column in values)
        self.db.execute(f"update sources set {assigns} where name = ?", [*values.values(), name])

    def _trim_arrivals(self, name: str) -> None:
        self.db.execute(
            "delete from arrivals where source = ? and at not in "
            "(select at from arrivals where source = ? order by at desc limit ?)",
            [name, name, ARRIVALS_KEPT])

    # -- quiet sources ----------------------------------------------------------------------------
    def median_gap(self, name: str) -> timedelta | None:
        """Median time between fetches that found new entries; None without enough history."""
        stamps = [datetime.fromisoformat(r[0]) for r in self.db.execute(
            "select at from arrivals where source = ? order by at", [name])]
        if len(stamps) < QUIET_MIN_ARRIVALS:
            return None
        gaps = [(b - a).total_seconds() for a, b in zip(stamps, stamps[1:], strict=False)]
        return timedelta(seconds=statistics.median(gaps))

    def is_quiet(self, name: str, now: datetime) -> bool:
        """A source that usually yields entries but has had none for QUIET_FACTOR median gaps."""
        gap = self.median_gap(name)
        row = self.db.execute("select max(at) from arrivals where source = ?", [name]).fetchone()
        if gap is None or gap.total_seconds() <= 0 or not row or not row[0]:
            return False
        return now - datetime.fromisoformat(row[0]) > gap * QUIET_FACTOR

    def flag_quiet(self, name: str, now: datetime) -> bool:
        """Mark a quiet source once per quiet spell; True when it just became quiet."""
        row = self.db.execute("select quiet_since from sources where name = ?", [name]).fetchone()
        if row is None or row[0] or not self.is_quiet(name, now):
            return False
        self._update(name, {"quiet_since": _iso(now)})
        return True

    # -- admin notices (sent once by the Telegram side) -------------------------------------------
    def add_notice(self, kind: str, source: str, message: str, *, now: datetime) -> None:
        self.db["admin_notices"].insert(
            {"kind": kind, "source": source, "message": message, "created_at": _iso(now)})

    def pending_admin_notices(self) -> list[AdminNotice]:
        rows = self.db.execute(
            "select id, kind, source, message, created_at from admin_notices "
            "where sent_at is null order by id").fetchall()
        return [AdminNotice(*r) for r in rows]

    def mark_notice_sent(self, notice_id: int, *, now: datetime) -> None:
        self.db["admin_notices"].update(notice_id, {"sent_at": _iso(now)})

    def record_failure(self, name: str, error: str, *, now: datetime,
                       next_attempt: datetime | None, disable_after: int) -> int:
        """Count a failure; returns the new consecutive-failure count."""
        row = self.db.execute("select consecutive_failures from sources where name = ?",
                              [name]).fetchone()
        failures = ((row[0] if row else 0) or 0) + 1
        status = "disabled" if failures >= disable_after else "error"
        self._update(name, {
            "status": status, "last_checked": _iso(now), "last_error": error,
            "consecutive_failures": failures, "next_attempt": _iso(next_attempt), "new": 0,
        })
        return failures

    def counts(self) -> dict[str, int]:
        rows = self.db.execute("select status from sources").fetchall()
        return dict(Counter(r[0] or "new" for r in rows))

    # -- seen entries ---------------------------------------------------------------------------
    def unseen(self, source: str, keys: Iterable[str], *, has_seen: bool = True) -> set[str]:
        """The keys not yet seen for ``source``; ``has_seen=False`` (from `SourceState`, read
        in the same poll) skips the lookup: a source's first entries are all new."""
        if not has_seen:
            return set(keys)
        keys = list(dict.fromkeys(keys))
        seen: set[str] = set()
        for i in range(0, len(keys), 500):
            chunk = keys[i:i + 500]
            marks = ",".join("?" * len(chunk))
            seen.update(r[0] for r in self.db.execute(
                f"select key from seen where source = ? and key in ({marks})", [source, *chunk]))
        return {k for k in keys if k not in seen}

    def mark_seen(self, source: str, entries: Iterable[tuple[str, str | None]], *,
                  now: datetime) -> None:
        entries = list(entries)
        if entries:
            with self.db.atomic():  # one commit, not one per row
                self._insert_seen(source, entries, now)

    def _insert_seen(self, source: str, entries: Iterable[tuple[str, str | None]],
                     now: datetime) -> None:
        stamp = _iso(now)
        rows = [(source, k, u, stamp) for k, u in entries]
        if rows:
            self.db.conn.executemany(
                "insert or ignore into seen (source, key, url, first_seen) "
                "values (?, ?, ?, ?)", rows)
