"""Drain the outbox into Telegram (or the console), once per alert, in order per chat.

Exactly once: an alert is marked sent, with its message id, right after Telegram
accepted it, in one short transaction. The one window for a double: Telegram accepted
the message but its answer never reached us (killed process, or a read timeout that we
retry) before that commit. Nothing else runs between the answer and the commit.

Retry policy: a Retry-After up to `max_wait` is slept out in place, a longer one is
recorded as the alert's next attempt; network errors and 5xx back off by attempts;
a chat that blocked or removed the bot is marked gone and its alerts parked (failed).

Follow-ups, by the chat's mode (its own choice, else the configured default): `thread` sends
each as a reply to the story's first alert; `digest` sends, per story, one "also reported by"
message (a reply to that first alert) for the follow-ups pending together; `mute` marks them
muted, never sent. In `thread` mode too, two or more follow-ups of one story pending together
go out as one "also reported by" reply: a burst about one event is one message, not many.

The Sender seam and its outcomes are in sender.py, archive rows -> AlertView in alertviews.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from storage.archive import Archive
from storage.outbox import PendingAlert

from .alertviews import alert_view, message_link
from .render import render_alert, render_also_reported, render_digest, render_plain
from .sender import ChatGone, DeliveryReport, Rejected, RetryLater, RetryPolicy, Sender

__all__ = [
    "ChatGone",
    "DeliveryReport",
    "Rejected",
    "RetryLater",
    "RetryPolicy",
    "Sender",
    "alert_view",
    "deliver",
    "message_link",
]

log = logging.getLogger(__name__)


async def _send_one(archive: Archive, sender: Sender, alert: PendingAlert,
                    archive_url: str | None = None) -> int | None:
    article = archive.article(alert.article_id) or {"id": alert.article_id}
    story = reply_to = None
    if alert.kind == "follow-up" and alert.story:
        story = archive.article(alert.story)
        reply_to = archive.outbox.story_message_id(alert.story, alert.chat_id)
    view = alert_view(article, story=story, story_link=message_link(alert.chat_id, reply_to),
                      archive_url=archive_url)
    return await sender.send(alert.chat_id, render_alert(view), render_plain(view),
                             reply_to=reply_to, feedback=alert.article_id)


async def _send_digest(archive: Archive, sender: Sender, alerts: list[PendingAlert]
                       ) -> int | None:
    views = [alert_view(archive.article(a.article_id) or {"id": a.article_id}) for a in alerts]
    html = render_digest(views)
    return await sender.send(alerts[0].chat_id, html, html, reply_to=None)


async def _send_also(archive: Archive, sender: Sender, alerts: list[PendingAlert]
                     ) -> int | None:
    """Follow-ups of one story as one "also reported by" reply to the story's first alert."""
    story = alerts[0].story
    reply_to = archive.outbox.story_message_id(story, alerts[0].chat_id) if story else None
    first = archive.article(story) if story and reply_to is None else None
    views = [alert_view(archive.article(a.article_id) or {"id": a.article_id}) for a in alerts]
    html = render_also_reported(views, story=(first.get("title") or first["id"]) if first
                                else None)
    return await sender.send(alerts[0].chat_id, html, html, reply_to=reply_to)


def _units(alerts: list[PendingAlert]) -> list[list[PendingAlert]]:
    """Alerts in queue order, the follow-ups of one story gathered at the first one's place."""
    stories: dict[str, list[PendingAlert]] = {}
    units: list[list[PendingAlert]] = []
    for alert in alerts:
        if alert.kind != "follow-up" or not alert.story:
            units.append([alert])
        elif alert.story in stories:
            stories[alert.story].append(alert)
        else:
            stories[alert.story] = [alert]
            units.append(stories[alert.story])
    return units


def _gathered(unit: list[PendingAlert], mode: str) -> bool:
    return unit[0].kind == "follow-up" and (len(unit) > 1 or mode == "digest")


def _due(alert: PendingAlert, now: datetime) -> bool:
    return alert.next_attempt is None or datetime.fromisoformat(alert.next_attempt) <= now


@dataclass
class _Run:
    archive: Archive
    sender: Sender
    clock: Callable[[], datetime]
    policy: RetryPolicy
    sleep: Callable[[float], Awaitable[None]]
    report: DeliveryReport
    archive_url: str | None = None

    async def attempt(self, send: Callable[[], Awaitable[int | None]],
                      first: PendingAlert) -> tuple[bool, int | None]:
        """(True, message id) once sent; (False, None) when the chat must stop for now."""
        sleeps = 0
        while True:
            try:
                return True, await send()
            except RetryLater as exc:
                if (exc.delay is not None and exc.delay <= self.policy.max_wait
                        and sleeps < self.policy.max_sleeps):
                    sleeps += 1
                    log.info("chat %s: Telegram asks to wait %.1f s", first.chat_id, exc.delay)
                    await self.sleep(exc.delay)
                    continue
                self.defer(first, exc)
            except ChatGone as exc:
                self.gone(first.chat_id, str(exc))
            except Rejected as exc:
                self.archive.outbox.mark_failed(first.id, str(exc))
                self.report.failed += 1
                log.error("chat %s: alert %s rejected: %s", first.chat_id, first.id, exc)
                return True, None
            return False, None

    def defer(self, alert: PendingAlert, exc: RetryLater) -> None:
        delay = exc.delay if exc.delay is not None else self.policy.backoff(alert.attempts)
        self.archive.outbox.mark_retry(alert.id, str(exc),
                                       next_attempt=self.clock() + timedelta(seconds=delay))
        log.warning("chat %s: alert %s deferred %.0f s: %s", alert.chat_id, alert.id, delay, exc)

    def gone(self, chat_id: str, reason: str) -> None:
        self.archive.chats.mark_gone(chat_id, reason, now=self.clock())
        parked = self.archive.outbox.park(chat_id, f"chat gone: {reason}")
        self.report.failed += parked
        log.error("chat %s: gone (%s); %d alerts parked", chat_id, reason, parked)

    async def chat(self, alerts: list[PendingAlert], digest_after: int, mode: str) -> None:
        if mode == "mute":
            alerts = self.mute(alerts)
        if not alerts:
            return
        if digest_after and len(alerts) > digest_after:
            await self.send_unit(alerts, lambda: _send_digest(self.archive, self.sender, alerts))
            return
        units = _units(alerts)
        for i, unit in enumerate(units):
            send = (partial(_send_also, self.archive, self.sender, unit) if _gathered(unit, mode)
                    else partial(_send_one, self.archive, self.sender, unit[0], self.archive_url))
            if not await self.send_unit(unit, send):
                self.report.deferred += sum(len(u) for u in units[i + 1:])
                return

    async def send_unit(self, unit: list[PendingAlert],
                        send: Callable[[], Awaitable[int | None]]) -> bool:
        """Send one message for these alerts and record it; False: the chat must stop for now."""
        before = self.report.failed
        ok, mid = await self.attempt(send, unit[0])
        if not ok:
            self.report.deferred += 0 if self.report.failed > before else len(unit)
            return False
        with self.archive.db.atomic():
            for alert in unit[1:] if self.report.failed > before else ():
                self.archive.outbox.mark_failed(alert.id, "rejected with its group")
            for alert in unit if self.report.failed == before else ():
                self.archive.outbox.mark_sent(alert.id, mid, now=self.clock())
        if self.report.failed == before:
            self.report.sent += len(unit)
            self.report.digests += len(unit) > 1
        else:
            self.report.failed += len(unit) - 1
        return True

    def mute(self, alerts: list[PendingAlert]) -> list[PendingAlert]:
        muted = [a.id for a in alerts if a.kind == "follow-up"]
        if muted:
            self.report.muted += self.archive.outbox.mark_muted(muted, now=self.clock())
        return [a for a in alerts if a.kind != "follow-up"]


async def deliver(archive: Archive, sender: Sender, *, clock: Callable[[], datetime],
                  digest_after: int = 10, max_wait: float = 0.0,
                  policy: RetryPolicy | None = None,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                  archive_url: str | None = None, follow_ups: str = "thread") -> DeliveryReport:
    """Send every due pending alert, chat by chat, oldest first; nothing overtakes a
    backed-off alert in its chat. Paused delivery sends nothing and loses nothing.
    `follow_ups` is the mode of chats that chose none (the config's `follow_ups`)."""
    report = DeliveryReport()
    if archive.chats.paused():
        report.paused = True
        return report
    run = _Run(archive, sender, clock, policy or RetryPolicy(max_wait=max_wait), sleep, report,
               archive_url)
    gone = archive.chats.gone()
    by_chat: dict[str, list[PendingAlert]] = {}
    for alert in archive.outbox.pending():
        by_chat.setdefault(alert.chat_id, []).append(alert)
    for chat_id, alerts in by_chat.items():
        if chat_id in gone:
            run.gone(chat_id, gone[chat_id])
        elif not _due(alerts[0], clock()):
            report.deferred += len(alerts)
        else:
            await run.chat(alerts, digest_after,
                           archive.chats.follow_ups(chat_id) or follow_ups)
    return report
