"""Which message carries which alerts: pending alerts and their articles -> the next message.

A listing ("N new reports", "also reported by") shows as many of its alerts as fit Telegram's
limits; `Message.alerts` holds exactly those, and only those are marked sent with it. The rest
go in the next message, so every alert marked sent is visible in some message.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from bot.alerts.alertviews import alert_view, message_link
from bot.alerts.render import fit_also_reported, fit_digest, render_alert, render_plain
from storage.archive import Archive
from storage.outbox import PendingAlert

__all__ = ["Message", "compose_also", "compose_digest", "compose_one"]

_LISTING_MAX = 400  # more lines than 4,096 characters can show (each is over 10)


@dataclass(frozen=True)
class Message:
    chat_id: str
    html: str
    plain: str  # the real plain-text fallback (no markup), also what the console shows
    reply_to: int | None
    feedback: str | None  # article id for the vote buttons, on single alerts only
    alerts: tuple[PendingAlert, ...]  # the alerts this message shows


def _article(archive: Archive, alert: PendingAlert) -> dict:
    return archive.article(alert.article_id) or {"id": alert.article_id}


def compose_one(archive: Archive, alert: PendingAlert, archive_url: str | None = None,
                hashtags: Mapping[str, str] | None = None) -> Message:
    story = reply_to = None
    if alert.kind == "follow-up" and alert.story:
        story = archive.article(alert.story)
        reply_to = archive.outbox.story_message_id(alert.story, alert.chat_id)
    view = alert_view(_article(archive, alert), story=story,
                      story_link=message_link(alert.chat_id, reply_to), archive_url=archive_url,
                      hashtags=hashtags)
    return Message(alert.chat_id, render_alert(view), render_plain(view), reply_to,
                   alert.article_id, (alert,))


def compose_digest(archive: Archive, alerts: list[PendingAlert]) -> Message:
    """The first of the alerts that fit, as one "N new reports" message."""
    head = alerts[:_LISTING_MAX]  # no message holds more: a flood is not loaded whole
    fitted = fit_digest([alert_view(_article(archive, a)) for a in head], total=len(alerts))
    return Message(alerts[0].chat_id, fitted.html, fitted.plain, None, None,
                   tuple(alerts[:fitted.shown]))


def compose_also(archive: Archive, alerts: list[PendingAlert]) -> Message:
    """Follow-ups of one story as one "also reported by" reply to the story's first alert."""
    story = alerts[0].story
    reply_to = archive.outbox.story_message_id(story, alerts[0].chat_id) if story else None
    first = archive.article(story) if story and reply_to is None else None
    fitted = fit_also_reported([alert_view(_article(archive, a)) for a in alerts[:_LISTING_MAX]],
                               story=(first.get("title") or first["id"]) if first else None)
    return Message(alerts[0].chat_id, fitted.html, fitted.plain, reply_to, None,
                   tuple(alerts[:fitted.shown]))
