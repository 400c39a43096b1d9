"""What `tanfwatch status` and its `--check` read from the archive, in one place (read-only)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlite_utils import Database

from .relevant import ArticleCounts, article_counts

__all__ = ["ArchiveStatus", "archive_status", "parse_time"]

PARKED = "chat gone:%"  # a failed alert's last_error when its chat was gone (Outbox.park)
OUTBOX_STATES = ("pending", "sent", "failed", "parked", "muted")


@dataclass(frozen=True)
class ArchiveStatus:
    articles: ArticleCounts
    sources: dict[str, int]  # stored status (ok, error, disabled, new) -> count
    last_poll: datetime | None  # the latest poll of any source, failed or not
    min_interval: int | None  # seconds: the most frequent enabled source's interval
    outbox: dict[str, int] = field(default_factory=dict)  # OUTBOX_STATES -> count
    oldest_pending: datetime | None = None  # when the oldest pending alert was queued
    last_alert: datetime | None = None  # when the latest alert was sent
    gone_chats: tuple[str, ...] = ()
    paused: bool = False  # an admin's /pause
    telegram_offline: str | None = None  # why the bot last found the Bot API unreachable
    size_bytes: int = 0  # the database file and its write-ahead log


def parse_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def archive_status(db: Database, path: Path) -> ArchiveStatus:
    one = db.execute
    sources = Counter(r[0] or "new" for r in one("select status from sources"))
    outbox = dict.fromkeys(OUTBOX_STATES, 0)
    sql = ("select case when status = 'failed' and last_error like ? then 'parked' "
           "else status end, count(*) from outbox group by 1")
    outbox.update({state: n for state, n in one(sql, [PARKED])})
    state = dict(one("select key, value from bot_state where key in "
                     "('paused', 'telegram_offline')").fetchall())
    return ArchiveStatus(
        articles=article_counts(db), sources=dict(sources),
        last_poll=parse_time(one("select max(last_checked) from sources").fetchone()[0]),
        min_interval=one("select min(interval) from sources where coalesce(enabled, 1)")
        .fetchone()[0],
        outbox=outbox,
        oldest_pending=parse_time(one("select min(created_at) from outbox "
                                      "where status = 'pending'").fetchone()[0]),
        last_alert=parse_time(one("select max(sent_at) from outbox where status = 'sent'")
                              .fetchone()[0]),
        gone_chats=tuple(r[0] for r in one("select chat_id from chats where status = 'gone'")),
        paused=state.get("paused") == "1", telegram_offline=state.get("telegram_offline"),
        size_bytes=sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.is_file()))
