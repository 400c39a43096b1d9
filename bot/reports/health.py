"""`tanfwatch status --check`: one line and an exit code for a container's HEALTHCHECK.

Unhealthy when the archive cannot be opened, every polled source is failing, the scheduler
is stale (no poll for STALE_INTERVALS times the most frequent source's interval) or the
outbox is stuck (an alert pending for over STUCK_AFTER while delivery is not paused).
The checks are pure: they take the archive's status and `now`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

from storage.archive import Archive
from storage.status import ArchiveStatus, archive_status

__all__ = ["FAILING", "STALE_INTERVALS", "STUCK_AFTER", "check_archive", "outbox_problem",
           "problems", "scheduler_problem", "sources_problem"]

FAILING = ("error", "disabled")  # source statuses that count as failing
STALE_INTERVALS = 3  # polls missed in a row (of the most frequent source) before "stale"
STUCK_AFTER = timedelta(hours=1)


def sources_problem(counts: Mapping[str, int]) -> str | None:
    """Why the sources make the bot unhealthy (statuses -> counts), or None."""
    total = sum(counts.values())
    failing = sum(counts.get(status, 0) for status in FAILING)
    if total and failing == total:
        return f"every source is failing ({failing} of {total})"
    return None


def scheduler_problem(last_poll: datetime | None, min_interval: int | None,
                      now: datetime) -> str | None:
    """Stale: sources exist but none was polled for a few of the shortest intervals."""
    if last_poll is None or not min_interval:  # nothing polled yet: still starting
        return None
    limit = timedelta(seconds=min_interval * STALE_INTERVALS)
    if now - last_poll > limit:
        return (f"scheduler stale: no poll since {last_poll.isoformat(timespec='seconds')} "
                f"(over {STALE_INTERVALS} x {min_interval} s)")
    return None


def outbox_problem(oldest_pending: datetime | None, now: datetime, *,
                   paused: bool) -> str | None:
    """Stuck: an alert has waited over STUCK_AFTER (an admin's /pause is not stuck)."""
    if oldest_pending is None or paused or now - oldest_pending <= STUCK_AFTER:
        return None
    minutes = (now - oldest_pending).total_seconds() / 60
    return f"outbox stuck: an alert pending for {minutes:.0f} min"


def problems(status: ArchiveStatus, now: datetime) -> list[str]:
    found = [sources_problem(status.sources),
             scheduler_problem(status.last_poll, status.min_interval, now),
             outbox_problem(status.oldest_pending, now, paused=status.paused)]
    return [p for p in found if p is not None]


def check_archive(path: Path, *, now: datetime) -> tuple[bool, str]:
    """(healthy, one line) for the archive at ``path``; never creates it."""
    if not path.is_file():
        return False, f"no archive at {path}"
    try:
        archive = Archive.open(path)
        try:
            status = archive_status(archive.db, path)
        finally:
            archive.close()
    except (sqlite3.Error, OSError) as exc:
        return False, f"cannot open the archive {path}: {exc}"
    found = problems(status, now)
    if found:
        return False, f"{'; '.join(found)}; archive {path}"
    listed = ", ".join(f"{n} {s}" for s, n in sorted(status.sources.items())) or "none yet"
    return True, f"ok: archive {path}; sources: {listed}"
