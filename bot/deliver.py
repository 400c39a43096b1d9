"""Drain the outbox into Telegram (or the console), once per alert, in order per chat.

Exactly once: an alert is marked sent, with its message id, right after Telegram
accepted it, in one transaction. The only window for a double is a crash between
Telegram's answer and that commit (microseconds; see the README).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from storage.archive import Archive
from storage.outbox import PendingAlert

from .render import AlertView, render_alert, render_digest, render_plain

__all__ = [
    "ChatGone",
    "DeliveryReport",
    "RetryLater",
    "Rejected",
    "Sender",
    "alert_view",
    "deliver",
    "message_link",
]

log = logging.getLogger(__name__)


class RetryLater(Exception):
    def __init__(self, delay: float, reason: str) -> None:
        super().__init__(reason)
        self.delay = delay


class ChatGone(Exception):
    """The bot was blocked, kicked or the chat does not exist: stop sending there."""


class Rejected(Exception):
    """Telegram refused this message for good (not the chat)."""


class Sender(Protocol):
    async def send(self, chat_id: str, html: str, plain: str, *,
                   reply_to: int | None) -> int | None: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    digests: int = 0


def message_link(chat_id: str, message_id: int | None) -> str | None:
    if message_id is None:
        return None
    if chat_id.startswith("@"):
        return f"https://t.me/{chat_id[1:]}/{message_id}"
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id[4:]}/{message_id}"
    return None


def _published(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _sentence_terms(match: dict[str, Any]) -> tuple[str | None, tuple[tuple[int, int], ...]]:
    sentence = match.get("key_sentence")
    if not sentence:
        return None, ()
    spans = []
    for hit in match.get("hits", []):
        found = hit.get("found") or ""
        at = sentence.find(found) if found else -1
        if at >= 0:
            spans.append((at, at + len(found)))
    merged: list[tuple[int, int]] = []
    for start, end in sorted(set(spans)):
        if merged and start < merged[-1][1]:
            continue  # overlapping terms: keep the first, bold tags must not nest oddly
        merged.append((start, end))
    return sentence, tuple(merged)


def alert_view(article: dict[str, Any], *, story: dict[str, Any] | None = None,
               story_link: str | None = None) -> AlertView:
    match = json.loads(article["match"]) if article.get("match") else {}
    sentence, terms = _sentence_terms(match)
    return AlertView(
        title=article.get("title") or article.get("url") or article["id"],
        url=article.get("canonical_url") or article.get("url") or "",
        outlet=article.get("outlet") or article.get("source") or "",
        language=article.get("language"),
        published=_published(article.get("published")),
        topics=tuple(json.loads(article.get("topics") or "[]")),
        sentence=sentence,
        terms=terms,
        score=float(article.get("score") or 0.0),
        story_line=(story.get("title") or story["id"]) if story else None,
        story_link=story_link,
        archive_ref=article["id"],
    )


async def _send_one(archive: Archive, sender: Sender, alert: PendingAlert,
                    now: datetime) -> int | None:
    article = archive.article(alert.article_id) or {"id": alert.article_id}
    story = reply_to = None
    if alert.kind == "follow-up" and alert.story:
        story = archive.article(alert.story)
        reply_to = archive.outbox.story_message_id(alert.story, alert.chat_id)
    view = alert_view(article, story=story, story_link=message_link(alert.chat_id, reply_to))
    return await sender.send(alert.chat_id, render_alert(view), render_plain(view),
                             reply_to=reply_to)


async def _send_digest(archive: Archive, sender: Sender, alerts: list[PendingAlert],
                       now: datetime) -> int | None:
    views = [alert_view(archive.article(a.article_id) or {"id": a.article_id}) for a in alerts]
    html = render_digest(views)
    return await sender.send(alerts[0].chat_id, html, html, reply_to=None)


def _due(alert: PendingAlert, now: datetime) -> bool:
    return alert.next_attempt is None or datetime.fromisoformat(alert.next_attempt) <= now


async def _drain_chat(archive: Archive, sender: Sender, alerts: list[PendingAlert], *,
                      now: datetime, digest_after: int, report: DeliveryReport) -> None:
    if not _due(alerts[0], now):
        report.deferred += len(alerts)  # keep order: nothing overtakes a backed-off alert
        return
    if digest_after and len(alerts) > digest_after:
        try:
            mid = await _send_digest(archive, sender, alerts, now)
        except (RetryLater, ChatGone, Rejected) as exc:
            _record_error(archive, alerts[0], exc, now, report)
            return
        for alert in alerts:
            archive.outbox.mark_sent(alert.id, mid, now=now)
        report.sent += len(alerts)
        report.digests += 1
        return
    for i, alert in enumerate(alerts):
        try:
            mid = await _send_one(archive, sender, alert, now)
        except (RetryLater, ChatGone, Rejected) as exc:
            _record_error(archive, alert, exc, now, report)
            if isinstance(exc, Rejected):
                continue
            report.deferred += len(alerts) - i - 1
            return
        archive.outbox.mark_sent(alert.id, mid, now=now)
        report.sent += 1


def _record_error(archive: Archive, alert: PendingAlert, exc: Exception, now: datetime,
                  report: DeliveryReport) -> None:
    if isinstance(exc, RetryLater):
        retry_at = now + timedelta(seconds=exc.delay)
        archive.outbox.mark_retry(alert.id, str(exc), next_attempt=retry_at)
        report.deferred += 1
        log.warning("chat %s: alert %s deferred %.0f s: %s",
                    alert.chat_id, alert.id, exc.delay, exc)
    else:
        archive.outbox.mark_failed(alert.id, str(exc))
        report.failed += 1
        log.error("chat %s: alert %s failed: %s", alert.chat_id, alert.id, exc)


async def deliver(archive: Archive, sender: Sender, *, clock: Callable[[], datetime],
                  digest_after: int = 10) -> DeliveryReport:
    """Send every due pending alert, chat by chat, oldest first."""
    report = DeliveryReport()
    by_chat: dict[str, list[PendingAlert]] = {}
    for alert in archive.outbox.pending():
        by_chat.setdefault(alert.chat_id, []).append(alert)
    for alerts in by_chat.values():
        await _drain_chat(archive, sender, alerts, now=clock(), digest_after=digest_after,
                          report=report)
    return report
