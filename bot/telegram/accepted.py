"""Alerts Telegram accepted whose "sent" is not written yet: remembered in memory, so a database
that is locked or failing when the answer comes never makes us send them again.

The delivery loop adds every accepted message here before writing, retries the write with
back-off until it lands, and skips any alert held here. One `Accepted` lives as long as the
process (the daemon passes the same one to every run); only a process that dies before the
write lands forgets, and that is the window README's "What can double an alert" documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.archive import Archive

__all__ = ["Accepted"]


@dataclass(frozen=True)
class _Entry:
    message_id: int | None
    at: datetime
    status: str  # "sent", or "failed" for the rest of a group Telegram rejected
    error: str | None = None


class Accepted:
    def __init__(self) -> None:
        self._entries: dict[int, _Entry] = {}

    def __contains__(self, alert_id: object) -> bool:
        return alert_id in self._entries

    def __len__(self) -> int:
        return len(self._entries)

    def sent(self, alert_ids: list[int], message_id: int | None, *, at: datetime) -> None:
        for alert_id in alert_ids:
            self._entries[alert_id] = _Entry(message_id, at, "sent")

    def failed(self, alert_ids: list[int], error: str, *, at: datetime) -> None:
        for alert_id in alert_ids:
            self._entries[alert_id] = _Entry(None, at, "failed", error)

    def flush(self, archive: Archive) -> int:
        """Write every remembered outcome in one transaction; raises sqlite3.Error (and keeps
        them all) when the database refuses. Returns how many were written."""
        entries = dict(self._entries)
        if not entries:
            return 0
        archive.outbox.record_outcomes(
            [(i, e.message_id, e.at) for i, e in entries.items() if e.status == "sent"],
            [(i, e.error or "rejected") for i, e in entries.items() if e.status != "sent"])
        for alert_id in entries:
            self._entries.pop(alert_id, None)
        return len(entries)
