"""The outbox: every alert passes through it (pending -> sent | failed | muted).

An alert is marked sent, with its Telegram message id, in the transaction that
records the success; so a crash never loses a pending alert and never re-sends
a recorded one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

__all__ = ["Outbox", "PendingAlert"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class PendingAlert:
    id: int
    article_id: str
    chat_id: str
    kind: str
    story: str | None
    attempts: int
    next_attempt: str | None


class Outbox:
    def __init__(self, db: Database) -> None:
        self.db = db

    def enqueue(self, article_id: str, chat_id: str, *, kind: str = "new-story",
                story: str | None = None, now: datetime | None = None) -> None:
        self.db["outbox"].insert(
            {"article_id": article_id, "chat_id": chat_id, "kind": kind, "story": story,
             "status": "pending", "created_at": _iso(now), "attempts": 0},
            ignore=True,  # one alert per article and chat, whatever happens
        )

    def pending(self, *, now: datetime | None = None, chat_id: str | None = None,
                limit: int = 1000) -> list[PendingAlert]:
        """Pending alerts in queue order; those backing off until after `now` are left out."""
        where = ["status = 'pending'"]
        args: list[Any] = []
        if now is not None:
            where.append("(next_attempt is null or next_attempt <= ?)")
            args.append(_iso(now))
        if chat_id is not None:
            where.append("chat_id = ?")
            args.append(chat_id)
        rows = self.db["outbox"].rows_where(" and ".join(where), args, order_by="id", limit=limit)
        return [PendingAlert(r["id"], r["article_id"], r["chat_id"], r["kind"], r["story"],
                             r["attempts"], r["next_attempt"]) for r in rows]

    def mark_sent(self, alert_id: int, message_id: int | None, *, now: datetime) -> None:
        with self.db.atomic():
            self.db.execute(
                "update outbox set status = 'sent', message_id = ?, sent_at = ?, "
                "attempts = attempts + 1, last_error = null where id = ? and status = 'pending'",
                [message_id, _iso(now), alert_id],
            )

    def record_outcomes(self, sent: Sequence[tuple[int, int | None, datetime]],
                        failed: Sequence[tuple[int, str]] = ()) -> None:
        """Telegram's answers for several alerts, in one transaction: (id, message id, when)
        for those it accepted, (id, error) for those it refused. All land, or none."""
        with self.db.atomic():
            for alert_id, message_id, at in sent:
                self.mark_sent(alert_id, message_id, now=at)
            for alert_id, error in failed:
                self.mark_failed(alert_id, error)

    def mark_retry(self, alert_id: int, error: str, *, next_attempt: datetime | None) -> None:
        with self.db.atomic():
            self.db.execute(
                "update outbox set attempts = attempts + 1, last_error = ?, next_attempt = ? "
                "where id = ?",
                [error, _iso(next_attempt), alert_id],
            )

    def mark_failed(self, alert_id: int, error: str) -> None:
        with self.db.atomic():
            self.db.execute(
                "update outbox set status = 'failed', last_error = ?, attempts = attempts + 1 "
                "where id = ?",
                [error, alert_id],
            )

    def mark_muted(self, alert_ids: list[int], *, now: datetime) -> int:
        """Follow-ups a chat chose not to receive: kept for the record, never sent."""
        with self.db.atomic():
            for alert_id in alert_ids:
                self.db.execute(
                    "update outbox set status = 'muted', sent_at = ?, last_error = null "
                    "where id = ? and status = 'pending'", [_iso(now), alert_id])
        return len(alert_ids)

    def park(self, chat_id: str, reason: str) -> int:
        """Fail every pending alert of a chat that is gone; they stay for the record."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update outbox set status = 'failed', last_error = ? "
                "where chat_id = ? and status = 'pending'", [reason, chat_id])
        return cursor.rowcount

    def unpark(self, chat_id: str) -> int:
        """Queue again the alerts parked when the chat was gone (it is back): sent once, later."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update outbox set status = 'pending', next_attempt = null "
                "where chat_id = ? and status = 'failed' and last_error like 'chat gone:%'",
                [chat_id])
        return cursor.rowcount

    def story_message_id(self, story: str, chat_id: str) -> int | None:
        """Telegram message id of the first alert of `story` in `chat_id`, once it was sent."""
        row = self.db.execute(
            "select message_id from outbox where story = ? and chat_id = ? and status = 'sent' "
            "and message_id is not null order by id limit 1",
            [story, chat_id],
        ).fetchone()
        return row[0] if row else None

    def count(self, status: str) -> int:
        return self.db["outbox"].count_where("status = ?", [status])
