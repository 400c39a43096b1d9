"""Wiring: build the seams once (archive, fetcher, matcher, sender) and run them.

`run_once` polls every source and drains the outbox; bot/daemon.py's `run_daemon` schedules
the same work with APScheduler until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import html
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache, partial
from typing import TYPE_CHECKING

from bot.inflight import InFlight
from bot.metrics import Metrics
from bot.pipeline import Pipeline
from bot.plan import SourceReport
from bot.settings import Settings, Source
from bot.sourcekinds import fetcher_kwargs, source_url
from bot.telegram.deliver import (
    Accepted,
    ChatGone,
    DeliveryReport,
    Rejected,
    RetryLater,
    Sender,
    deliver,
)
from bot.telegram.sender import ConsoleSender
from bot.workpool import WorkerPool, available_cores
from matchers.lazymatcher import LazyMatcher
from matchers.relevance import load_matcher
from storage.archive import Archive
from storage.faults import describe
from storage.known import load_judge
from storage.seedcache import CACHE_NAME, SeedCache
from watchers.fetchers import default_tls, guarded_fetcher, trusted_fetcher

__all__ = [
    "Runtime",
    "all_sources",
    "deliver_all",
    "open_runtime",
    "run_once",
    "send_admin_notices",
    "utcnow",
]

if TYPE_CHECKING:  # python-telegram-bot is imported only when a token is set
    from telegram import Bot

log = logging.getLogger(__name__)

# A Retry-After up to this is slept out; longer ones are recorded as the next attempt.
ONCE_MAX_WAIT = 5.0  # `run --once` must finish promptly
RECONNECT_BASE, RECONNECT_CAP = 5.0, 300.0  # back-off while the Bot API is down at start


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class Runtime:
    settings: Settings
    archive: Archive
    pipeline: Pipeline
    sender: Sender
    clock: Callable[[], datetime]
    max_wait: float = ONCE_MAX_WAIT
    # what Telegram accepted but the database has not recorded yet: kept across delivery runs
    accepted: Accepted = field(default_factory=Accepted)
    bot: Bot | None = None  # the alert sender's Bot, when a token is set
    offline: str | None = None  # why the Bot API is unreachable; None once connected
    # the delivery run in flight: a shutdown lets it record its last send (bot/inflight.py)
    inflight: InFlight[DeliveryReport] = field(default_factory=InFlight)

    async def reconnect(self) -> bool:
        """Try the Bot API again if it was unreachable; True when alerts can go out."""
        if self.offline is not None and self.bot is not None:
            from bot.telegram.client import connect

            self.offline = await connect(self.bot)
        with contextlib.suppress(sqlite3.Error):  # only `status` reads it
            self.archive.chats.set_telegram_offline(self.offline)
        return self.offline is None

    async def deliver(self) -> DeliveryReport:
        if self.offline is not None:  # nothing is attempted: no back-off, alerts stay due
            return DeliveryReport(deferred=self.archive.outbox.count("pending"))
        return await deliver(self.archive, self.sender, clock=self.clock,
                             digest_after=self.settings.digest_after, max_wait=self.max_wait,
                             archive_url=self.settings.archive_url,
                             follow_ups=self.settings.follow_ups, accepted=self.accepted,
                             hashtags=self.settings.topics.hashtags(),
                             stopping=lambda: self.inflight.stopping)


@contextlib.asynccontextmanager
async def open_runtime(settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                       sender: Sender | None = None, executor: Executor | None = None,
                       archive: Archive | None = None,
                       metrics: Metrics | None = None) -> AsyncIterator[Runtime]:
    """The wired seams; ``executor`` (a process pool) takes feed parsing and extraction.
    An ``archive`` passed in stays open; else settings.db_path is opened and closed.
    ``metrics``: where to count (default: a fresh registry, no global state)."""
    owned = archive is None
    archive = archive or Archive.open(settings.db_path, timeout=settings.db_timeout)
    bot = offline = None
    pool = None if executor is not None else _worker_pool(settings)
    executor = executor or pool
    try:
        # compiled at the first article judged; a fresh archive's seeds come from the cache
        # beside it when that is current (then a run with nothing new compiles nothing)
        matcher = LazyMatcher(partial(load_matcher, threshold=settings.threshold,
                                      registry=settings.topics))
        config = (settings.threshold, settings.topics)
        seeds = SeedCache(settings.db_path.parent / CACHE_NAME, config) if owned else None
        judge = load_judge(archive, matcher, now=clock(), seed_cache=seeds)
        # The index lives as long as the runtime: keep the collector from walking its lists and
        # dicts (a full collection over 100,000 articles costs ~15 ms, a stall in some check).
        gc.freeze()
        if sender is None:
            if settings.token is not None:
                from bot.telegram.client import TelegramSender, connect, make_bot

                bot = make_bot(settings)
                # Watching never waits for Telegram: while it is down, alerts are queued.
                offline = await connect(bot)
                sender = TelegramSender(bot, link_preview=settings.link_preview,
                                        preview_for=archive.chats.link_preview)
            else:
                sender = ConsoleSender()
        # one TLS context (certifi's roots, ~30 ms to load) for both fetchers, at first use
        kwargs = {**fetcher_kwargs(settings), "tls": cache(default_tls)}
        configured = [source_url(s) for s in settings.sources]  # their hosts may be private
        async with trusted_fetcher(configured, **kwargs) as fetcher, \
                guarded_fetcher(**kwargs) as guarded:
            pipeline = Pipeline(settings, archive, fetcher, judge, clock=clock,
                                untrusted_fetcher=guarded, executor=executor,
                                metrics=metrics or Metrics())
            yield Runtime(settings, archive, pipeline, sender, clock, bot=bot, offline=offline)
    finally:
        if bot is not None:
            await bot.shutdown()
        if pool is not None:  # what is queued is dropped, what runs is finished
            await asyncio.to_thread(pool.shutdown, cancel_futures=True)
        if owned:
            archive.close()


def _worker_pool(settings: Settings) -> WorkerPool | None:
    """A process pool when there is more than one core, unless the config says ``workers = 1``."""
    workers = settings.workers or available_cores()
    if workers < 2:
        return None
    pool = WorkerPool(workers)
    if settings.sources:  # start its forkserver beside the matcher's loading, not at first use
        threading.Thread(target=pool.warm_up, name="pool-warm-up", daemon=True).start()
    return pool


def all_sources(settings: Settings, archive: Archive) -> list[Source]:
    """The config's sources plus those users added through the bot (untrusted)."""
    configured = {s.name for s in settings.sources}
    added = [Source(name=name, url=url, kind="feed", trusted=False)
             for name, url in archive.chats.bot_sources() if name not in configured]
    return [*settings.sources, *added]


async def send_admin_notices(rt: Runtime) -> int:
    """Tell the admin chat, once, that a source was disabled or went quiet."""
    chat = rt.settings.admin_chat_id or "console"
    sent = 0
    for notice in rt.archive.sources.pending_admin_notices():
        text = f"⚠️ tanfwatch: {notice.message}"
        try:
            await rt.sender.send(chat, html.escape(text), text, reply_to=None)
        except (RetryLater, ChatGone, Rejected) as exc:
            log.warning("admin notice %s not sent: %s", notice.id, exc)
            break
        rt.archive.sources.mark_notice_sent(notice.id, now=rt.clock())
        sent += 1
    return sent


async def run_once(settings: Settings, *, clock: Callable[[], datetime] = utcnow,
                   sender: Sender | None = None, archive: Archive | None = None,
                   metrics: Metrics | None = None,
                   ) -> tuple[list[SourceReport], DeliveryReport]:
    """Poll every source, then deliver: a poll that failed (even on storage) never stops
    delivery of what is queued. `archive`: an open archive to use instead of settings.db_path."""
    async with open_runtime(settings, clock=clock, sender=sender, archive=archive,
                            metrics=metrics) as rt:
        sources = all_sources(settings, rt.archive)
        reports = await rt.pipeline.poll_all(sources, force=True)
        if not await rt.reconnect():
            log.warning("Telegram Bot API unreachable (%s): %d alerts stay queued for the "
                        "next run", rt.offline, _pending(rt))
        delivery = await deliver_all(rt)
    return reports, delivery


def _pending(rt: Runtime) -> int:
    try:
        return rt.archive.outbox.count("pending")
    except sqlite3.Error:
        return 0








async def deliver_all(rt: Runtime) -> DeliveryReport:
    """The delivery job: one run at a time, shielded so that a shutdown cancelling the job
    never cuts a send from its record (bot/inflight.py)."""
    if rt.inflight.stopping:
        return DeliveryReport(deferred=_pending(rt))
    try:
        return await rt.inflight.run(partial(_deliver_now, rt))
    except asyncio.CancelledError:  # see _poll_job; the run itself goes on until settled
        return DeliveryReport(deferred=_pending(rt))


async def _deliver_now(rt: Runtime) -> DeliveryReport:
    """Deliver and send admin notices, if Telegram is up and the archive can record sends."""
    if rt.offline is not None:  # _keep_connecting wakes the daemon's job once it is back
        return DeliveryReport(deferred=_pending(rt))
    blocked = rt.archive.write_blocked()
    if blocked is not None:  # a send we cannot mark sent would be sent again: wait
        log.error("delivery postponed: %s; %d alerts stay queued", blocked, _pending(rt))
        return DeliveryReport(deferred=_pending(rt))
    try:
        report = await rt.deliver()
        rt.pipeline.metrics.sent.inc(report.sent)
        rt.pipeline.metrics.failed.inc(report.failed)
        if not rt.inflight.stopping:
            await send_admin_notices(rt)
    except sqlite3.Error as exc:
        log.error("delivery stopped: %s; the rest stay queued", describe(exc))
        return DeliveryReport(deferred=_pending(rt))
    except asyncio.CancelledError:  # see _poll_job
        log.info("delivery cut short by shutdown; pending alerts are sent at the next start")
        return DeliveryReport(deferred=_pending(rt))
    return report






