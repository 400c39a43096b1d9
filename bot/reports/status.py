"""`tanfwatch status`: sources, outbox, archive and delivery, as nested JSON or as text."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from bot.reports.health import problems
from bot.settings import Settings
from storage.archive import Archive
from storage.status import ArchiveStatus, archive_status

__all__ = ["format_status", "status_summary"]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


def _delivery(settings: Settings, status: ArchiveStatus | None) -> dict[str, Any]:
    to = (f"Telegram chat {settings.chat_id or '(none set)'}" if settings.token
          else "console (no token)")
    reasons = []
    if status is not None:
        if status.paused:
            reasons.append("paused by an admin (/resume)")
        if status.telegram_offline:
            reasons.append(f"Telegram unreachable: {status.telegram_offline}")
        if status.gone_chats:
            reasons.append(f"chats gone: {', '.join(status.gone_chats)}")
    return {"to": to, "paused": bool(reasons), "why": reasons}


def status_summary(settings: Settings, *, now: datetime) -> dict[str, Any]:
    """Plain nested data (JSON-ready); `healthy`/`problems` are what `--check` decides."""
    path = Path(settings.db_path)
    status = None
    if path.is_file():
        archive = Archive.open(path)
        try:
            status = archive_status(archive.db, path)
        finally:
            archive.close()
    summary: dict[str, Any] = {"archive": {"path": str(path), "exists": status is not None}}
    summary["sources"] = {"configured": len(settings.sources)}
    if status is not None:
        counts = status.sources
        summary["archive"]["size_bytes"] = status.size_bytes
        summary["articles"] = {"total": status.articles.articles,
                               "relevant": status.articles.relevant,
                               "copies": status.articles.copies, "seeds": status.articles.seeds}
        summary["sources"].update({
            "healthy": counts.get("ok", 0), "failing": counts.get("error", 0),
            "disabled": counts.get("disabled", 0), "new": counts.get("new", 0),
            "last_poll": _iso(status.last_poll)})
        summary["outbox"] = dict(status.outbox)
        summary["outbox"]["oldest_pending"] = _iso(status.oldest_pending)
        summary["last_alert"] = _iso(status.last_alert)
        found = problems(status, now)
        summary["healthy"], summary["problems"] = not found, found
    summary["delivery"] = _delivery(settings, status)
    return summary


def format_status(summary: dict[str, Any]) -> str:
    archive = summary["archive"]
    if not archive["exists"]:
        return (f"archive: {archive['path']} (none yet)\n"
                f"sources: {summary['sources']['configured']} configured, never polled")
    s, a, o, d = summary["sources"], summary["articles"], summary["outbox"], summary["delivery"]
    lines = [
        f"archive:    {archive['path']} ({archive['size_bytes'] / 1e6:.1f} MB)",
        f"articles:   {a['total']} ({a['relevant']} relevant, {a['copies']} copies; "
        f"seeds: {a['seeds']})",
        f"sources:    {s['configured']} configured: {s['healthy']} healthy, "
        f"{s['failing']} failing, {s['disabled']} disabled, {s['new']} new; "
        f"last poll {s['last_poll'] or 'never'}",
        f"outbox:     {o['pending']} pending, {o['sent']} sent, {o['failed']} failed, "
        f"{o['parked']} parked, {o['muted']} muted"
        + (f"; oldest pending {o['oldest_pending']}" if o["oldest_pending"] else ""),
        f"last alert: {summary['last_alert'] or 'never'}",
        f"delivery:   to {d['to']}; " + ("PAUSED: " + "; ".join(d["why"]) if d["paused"]
                                          else "running"),
        "health:     " + ("ok" if summary["healthy"] else "; ".join(summary["problems"])),
    ]
    return "\n".join(lines)

