"""What to do with a feed's entries: which to process, which to skip, and an article's id.

Pure: data in, data out; the pipeline calls it on every poll."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchers.feedmodel import FeedEntry

__all__ = ["SourceReport", "article_id", "plan_entries"]


def article_id(url: str | None, fallback: str) -> str:
    """A content key: the same canonical URL always gives the same id."""
    basis = url or fallback
    return "a" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:15]


@dataclass(frozen=True)
class SourceReport:
    source: str
    ok: bool
    entries: int = 0
    new: int = 0
    processed: int = 0
    alerts: int = 0
    error: str | None = None
    skipped: bool = False
    archive_fault: bool = False  # failed on the archive (locked, full), not on the source


@dataclass(frozen=True)
class _Plan:
    process: tuple[FeedEntry, ...]
    skip: tuple[FeedEntry, ...]
    check: tuple[FeedEntry, ...] = ()  # undated on a first poll: fetched, dated from the page


def plan_entries(entries: Sequence[FeedEntry], unseen: set[str], *, first_poll: bool,
                 now: datetime, backfill: timedelta, date_from_page: bool = False) -> _Plan:
    """Which new entries to process. On a first poll only recent ones: no flood."""
    process: list[FeedEntry] = []
    skip: list[FeedEntry] = []
    check: list[FeedEntry] = []
    for e in entries:
        if e.key not in unseen:
            continue
        if first_poll and e.published is None and date_from_page:
            check.append(e)
            continue
        recent = e.published is not None and e.published >= now - backfill
        (process if (recent or not first_poll) else skip).append(e)
    # Oldest first: the first report of a story must be judged (and alerted) before its follow-ups.
    process.sort(key=lambda e: (e.published is None, e.published or now))
    return _Plan(tuple(process), tuple(skip), tuple(check))
