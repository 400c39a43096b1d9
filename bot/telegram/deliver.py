"""Drain the outbox into Telegram (or the console), once per alert, in order per chat.

Exactly once: an alert is marked sent, with its message id, right after Telegram
accepted it, in one short transaction. Telegram's acceptance is first remembered in memory
(accepted.py): a database that refuses the write (locked, full) is retried with back-off and
the alert is never sent again meanwhile. The windows left for a double (README, "What can
double an alert"): the process dies between Telegram's answer and that commit, or the answer
is lost after Telegram accepted (a read timeout), and we send again.

A listing shows as many alerts as fit; only those are marked sent, the rest go in the next
message (compose.py). A chat that is gone is tried again after `RetryPolicy.reprobe_every`,
or as soon as it talks to the bot or re-adds it (commands.py): its parked alerts come back.

Retry policy: a Retry-After up to `max_wait` is slept out in place, a longer one is
recorded as the alert's next attempt; network errors and 5xx back off by attempts;
a chat that blocked or removed the bot is marked gone and its alerts parked (failed,
"chat gone: ...") until it comes back.

Follow-ups, by the chat's mode (its own choice, else the configured default): `thread` sends
each as a reply to the story's first alert; `digest` sends, per story, one "also reported by"
message (a reply to that first alert) for the follow-ups pending together; `mute` marks them
muted, never sent. In `thread` mode too, two or more follow-ups of one story pending together
go out as one "also reported by" reply: a burst about one event is one message, not many.

The Sender seam and its outcomes are in sender.py, alerts -> messages in compose.py.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.alerts.alertviews import alert_view, message_link
from bot.alerts.compose import Message, compose_also, compose_digest, compose_one
from bot.telegram.accepted import Accepted
from bot.telegram.sender import ChatGone, DeliveryReport, Rejected, RetryLater, RetryPolicy, Sender
from storage.archive import Archive
from storage.outbox import PendingAlert

__all__ = [
    "Accepted",
    "ChatGone",
    "DeliveryReport",
    "Rejected",
    "RetryLater",
    "RetryPolicy",
    "Sender",
    "alert_view",
    "deliver",
    "message_link",
    "reprobe",
]

log = logging.getLogger(__name__)


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
    accepted: Accepted
    archive_url: str | None = None
    hashtags: Mapping[str, str] | None = None  # topic id -> "#Tag" (the registry's)
    stalled: bool = False  # the database would not record what Telegram accepted: stop
    stopping: Callable[[], bool] = lambda: False  # shutdown: no new message after this one

    async def attempt(self, message: Message) -> tuple[str, int | str | None]:
        """("sent", message id), ("rejected", why) or ("stop", None): the chat stops for now."""
        first, sleeps = message.alerts[0], 0
        while True:
            try:
                return "sent", await self.sender.send(
                    message.chat_id, message.html, message.plain, reply_to=message.reply_to,
                    feedback=message.feedback)
            except RetryLater as exc:
                if (exc.delay is not None and exc.delay <= self.policy.max_wait
                        and sleeps < self.policy.max_sleeps and not self.stopping()):
                    sleeps += 1
                    log.info("chat %s: Telegram asks to wait %.1f s", first.chat_id, exc.delay)
                    await self.sleep(exc.delay)
                    continue
                self.defer(first, exc)
            except ChatGone as exc:
                self.gone(first.chat_id, str(exc))
            except Rejected as exc:
                log.error("chat %s: alert %s rejected: %s", first.chat_id, first.id, exc)
                return "rejected", str(exc)
            return "stop", None

    def defer(self, alert: PendingAlert, exc: RetryLater) -> None:
        delay = exc.delay if exc.delay is not None else self.policy.backoff(alert.attempts)
        if exc.maybe_sent:
            self.report.uncertain += 1
            log.warning("chat %s: alert %s may have arrived; sending it again may double it",
                        alert.chat_id, alert.id)
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
        digest = bool(digest_after and len(alerts) > digest_after)
        queue = deque([alerts] if digest else _units(alerts))
        while queue and not self.stalled and not self.stopping():
            unit = queue.popleft()
            message = (compose_digest(self.archive, unit) if digest
                       else compose_also(self.archive, unit) if _gathered(unit, mode)
                       else compose_one(self.archive, unit[0], self.archive_url, self.hashtags))
            if len(message.alerts) < len(unit):  # what did not fit goes in the next message
                queue.appendleft(unit[len(message.alerts):])
            if not await self.send_unit(message):
                self.report.deferred += sum(len(u) for u in queue)
                return

    async def send_unit(self, message: Message) -> bool:
        """Send one message and record it; False: the chat must stop for now."""
        unit = [alert.id for alert in message.alerts]
        before = self.report.failed
        outcome, value = await self.attempt(message)
        if outcome == "stop":
            self.report.deferred += 0 if self.report.failed > before else len(unit)
            return False
        if outcome == "sent":
            for alert in message.alerts:
                log.info("chat %s: alert %s sent (article %s)", alert.chat_id, alert.id,
                         alert.article_id, extra={"chat": alert.chat_id, "alert": alert.id,
                                                  "article": alert.article_id})
            self.accepted.sent(unit, value if isinstance(value, int) else None, at=self.clock())
            self.report.sent += len(unit)
            self.report.digests += len(unit) > 1
        else:
            self.accepted.failed(unit, str(value), at=self.clock())
            self.report.failed += len(unit)
        return await self.record()

    async def record(self) -> bool:
        """Write what Telegram accepted, retrying with back-off while the database refuses
        (locked by another writer, full); never by sending again. False: gave up for now."""
        delay, waited = 0.5, 0.0
        while True:
            try:
                self.accepted.flush(self.archive)
                return True
            except sqlite3.Error as exc:
                if waited >= self.policy.write_patience:
                    self.stalled = True
                    log.error("could not record %d alerts Telegram accepted (%s); they stay "
                              "remembered and are not sent again", len(self.accepted), exc)
                    return False
                log.warning("recording %d sent alerts failed (%s); retrying in %.1f s",
                            len(self.accepted), exc, delay)
                await self.sleep(delay)
                waited += delay
                delay = min(delay * 2, 30.0)

    def mute(self, alerts: list[PendingAlert]) -> list[PendingAlert]:
        muted = [a.id for a in alerts if a.kind == "follow-up"]
        if muted:
            self.report.muted += self.archive.outbox.mark_muted(muted, now=self.clock())
        return [a for a in alerts if a.kind != "follow-up"]


async def deliver(archive: Archive, sender: Sender, *, clock: Callable[[], datetime],
                  digest_after: int = 10, max_wait: float = 0.0,
                  policy: RetryPolicy | None = None,
                  sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
                  archive_url: str | None = None, follow_ups: str = "thread",
                  accepted: Accepted | None = None,
                  hashtags: Mapping[str, str] | None = None,
                  stopping: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send every due pending alert, chat by chat, oldest first; nothing overtakes a
    backed-off alert in its chat. Paused delivery sends nothing and loses nothing.
    `follow_ups` is the mode of chats that chose none (the config's `follow_ups`).
    `accepted` outlives the run (the daemon passes one): what it holds is written first and
    never sent again. `stopping` (the daemon's shutdown) ends the run after the message in
    flight, once Telegram's answer to it is recorded: a SIGTERM never cuts between the two."""
    report = DeliveryReport()
    run = _Run(archive, sender, clock, policy or RetryPolicy(max_wait=max_wait), sleep, report,
               accepted if accepted is not None else Accepted(), archive_url, hashtags)
    if stopping is not None:
        run.stopping = stopping
    if not await run.record():  # what an earlier run could not write comes first
        return report
    if archive.chats.paused():
        report.paused = True
        return report
    reprobe(archive, now=clock(), every=run.policy.reprobe_every)
    gone = archive.chats.gone()
    by_chat: dict[str, list[PendingAlert]] = {}
    for alert in archive.outbox.pending():
        if alert.id not in run.accepted:
            by_chat.setdefault(alert.chat_id, []).append(alert)
    for chat_id, alerts in by_chat.items():
        if run.stalled or run.stopping():
            break
        if chat_id in gone:
            run.gone(chat_id, gone[chat_id])
        elif not _due(alerts[0], clock()):
            report.deferred += len(alerts)
        else:
            await run.chat(alerts, digest_after,
                           archive.chats.follow_ups(chat_id) or follow_ups)
    return report


def reprobe(archive: Archive, *, now: datetime, every: timedelta) -> list[str]:
    """Gone chats not tried for `every`: their parked alerts are queued again and the chat is
    tried once more (one send: if it is still gone, it is parked again for another `every`)."""
    back = []
    for chat_id in archive.chats.gone_since(now - every):
        if archive.outbox.unpark(chat_id) or archive.outbox.pending(chat_id=chat_id, limit=1):
            archive.chats.mark_back(chat_id, now=now)
            back.append(chat_id)
            log.info("chat %s: gone for a while; trying it again", chat_id)
    return back
