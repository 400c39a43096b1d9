"""Wiring: build the seams once (archive, fetcher, matcher, sender) and run them.

`run_once` polls every source and drains the outbox; `run_daemon` schedules the
same work with APScheduler until SIGTERM/SIGINT.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import random
import signal
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram import Bot
from telegram.ext import Application

from bot.inflight import InFlight
from bot.maintenance import prune_job
from bot.metrics import Metrics, outbox_pending, serve_metrics
from bot.pipeline import Pipeline, SourceReport
from bot.settings import Settings, Source
from bot.sourcekinds import fetcher_kwargs, source_url
from bot.telegram.client import (
    ConsoleSender,
    TelegramSender,
    TokenRejected,
    connect,
    make_bot,
    reachable,
)
from bot.telegram.commands import build_application, start_bot, stop_bot
from bot.telegram.deliver import (
    Accepted,
    ChatGone,
    DeliveryReport,
    Rejected,
    RetryLater,
    Sender,
    deliver,
)
from bot.wake import DeliveryWake
from bot.workpool import WorkerPool, available_cores
from matchers.relevance import load_matcher
from storage.archive import Archive
from storage.faults import describe
from storage.known import load_judge
from watchers.backoff import next_delay
from watchers.pinned import guarded_fetcher, trusted_fetcher

__all__ = [
    "Runtime",
    "all_sources",
    "open_runtime",
    "run_daemon",
    "run_once",
    "send_admin_notices",
    "utcnow",
]

log = logging.getLogger(__name__)

# A Retry-After up to this is slept out; longer ones are recorded as the next attempt.
ONCE_MAX_WAIT = 5.0  # `run --once` must finish promptly
DAEMON_MAX_WAIT = 300.0  # the daemon's delivery job may wait (it never overlaps itself)
RECONNECT_BASE, RECONNECT_CAP = 5.0, 300.0  # back-off while the Bot API is down at start
# SIGTERM waits this long for the message in flight to be answered and recorded (compose gives
# 30 s, docker's default 10 s); past it the send is cut and may be repeated at the next start.
SHUTDOWN_GRACE = 8.0


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
        matcher = load_matcher(threshold=settings.threshold, registry=settings.topics)
        judge = load_judge(archive, matcher, now=clock())
        if sender is None:
            if settings.token is not None:
                bot = make_bot(settings)
                # Watching never waits for Telegram: while it is down, alerts are queued.
                offline = await connect(bot)
                sender = TelegramSender(bot, link_preview=settings.link_preview,
                                        preview_for=archive.chats.link_preview)
            else:
                sender = ConsoleSender()
        kwargs = fetcher_kwargs(settings)
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
        delivery = await _deliver_all(rt)
    return reports, delivery


def _pending(rt: Runtime) -> int:
    try:
        return rt.archive.outbox.count("pending")
    except sqlite3.Error:
        return 0


def _schedule_sources(scheduler: AsyncIOScheduler, rt: Runtime) -> None:
    """(Re)schedule every source; bot-added and removed sources are picked up each minute."""
    try:
        sources = [s for s in all_sources(rt.settings, rt.archive) if s.enabled]
        rt.archive.sources.sync(sources)
    except sqlite3.Error as exc:  # the jobs already scheduled go on; retried in a minute
        log.error("sources not rescheduled: %s", describe(exc))
        return
    wanted = {f"source:{s.name}" for s in sources}
    for job in scheduler.get_jobs():
        if job.id.startswith("source:") and job.id not in wanted:
            job.remove()
    spread = max(1.0, min(60.0, len(sources) * 0.5))
    for i, source in enumerate(sources):
        if scheduler.get_job(f"source:{source.name}") is not None:
            continue
        # Spread first runs so a cycle never fires every request at once.
        first = rt.clock() + timedelta(seconds=spread * i / max(1, len(sources)))
        scheduler.add_job(_poll_job, "interval", args=[rt, source, scheduler],
                          id=f"source:{source.name}",
                          seconds=source.interval, jitter=max(1, source.interval // 10),
                          next_run_time=first, max_instances=1, coalesce=True,
                          misfire_grace_time=None)  # a late poll runs late, once: never skipped


# A job cut short by SIGTERM ends quietly: APScheduler would log its CancelledError as a job
# error with a traceback on every `docker stop`. Its writes are whole (each is synchronous).
async def _poll_job(rt: Runtime, source: Source, scheduler: AsyncIOScheduler | None = None,
                    ) -> None:
    try:
        await rt.pipeline.poll(source)
    except asyncio.CancelledError:
        log.info("source %s: poll cut short by shutdown; polled again at the next start",
                 source.name)
        return
    if scheduler is not None:
        _follow_backoff(scheduler, rt, source)


def _follow_backoff(scheduler: AsyncIOScheduler, rt: Runtime, source: Source) -> None:
    """Move the source's next poll to when its back-off (or its server's hint) ends, so the
    retry comes when the log line said, not at the next interval tick; then the interval
    goes on from there."""
    try:
        at = rt.pipeline.next_poll(source)
    except sqlite3.Error:  # the next tick polls as scheduled
        return
    job = scheduler.get_job(f"source:{source.name}")
    if at is not None and job is not None and at > rt.clock():
        job.modify(next_run_time=at)


async def _deliver_all(rt: Runtime) -> DeliveryReport:
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


async def _keep_connecting(rt: Runtime, scheduler: AsyncIOScheduler, app: Application | None,
                           stop: asyncio.Event, *, base: float = RECONNECT_BASE,
                           cap: float = RECONNECT_CAP) -> None:
    """Connect the sender and start the command bot, retrying with back-off while the Bot
    API is down; then deliver what waited at once."""
    rng, failures = random.Random(), 0
    while not stop.is_set():
        try:
            reason = None if await rt.reconnect() else rt.offline
            if reason is None and app is not None:
                reason = await reachable(partial(start_bot, app))
        except TokenRejected as exc:
            log.error("%s; alerts stay queued", exc)
            return
        if reason is None:
            log.info("connected to the Telegram Bot API")
            scheduler.modify_job("deliver", next_run_time=rt.clock())
            return
        failures += 1
        delay = next_delay(failures, base=base, cap=cap, rng=rng)
        log.warning("Telegram Bot API unreachable (%s): watching goes on, alerts are queued; "
                    "next try in %.0f s", reason, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


def _schedule(scheduler: AsyncIOScheduler, rt: Runtime, *, deliver_every: float) -> None:
    _schedule_sources(scheduler, rt)
    scheduler.add_job(_schedule_sources, "interval", args=[scheduler, rt], id="sources",
                      seconds=60, max_instances=1, coalesce=True)
    # Alerts go out when a poll queues them (the wake); the interval retries what waits.
    wake = DeliveryWake(scheduler, rt.clock)
    rt.pipeline.on_queued = wake
    scheduler.add_job(wake.run, "interval", args=[partial(_deliver_all, rt)], id="deliver",
                      seconds=deliver_every, next_run_time=rt.clock(),  # what a last run left
                      max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.add_job(prune_job, "interval", args=[rt.archive, rt.settings.keep_irrelevant_days,
                                                   rt.clock],
                      id="retention", hours=24, next_run_time=rt.clock() + timedelta(minutes=10),
                      max_instances=1, coalesce=True, misfire_grace_time=None)


async def run_daemon(settings: Settings, *, stop: asyncio.Event | None = None,
                     reconnect_base: float = RECONNECT_BASE,
                     reconnect_cap: float = RECONNECT_CAP, deliver_every: float = 10.0,
                     metrics_port: int | None = None, metrics_host: str = "127.0.0.1") -> None:
    """`metrics_port`: serve Prometheus metrics on metrics_host:port (OSError if it cannot)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    async with open_runtime(settings) as rt, contextlib.AsyncExitStack() as stack:
        rt.max_wait = DAEMON_MAX_WAIT
        if metrics_port is not None:
            rt.pipeline.metrics.queue_length(outbox_pending(settings.db_path))
            stack.enter_context(serve_metrics(rt.pipeline.metrics, metrics_port, metrics_host))
        scheduler = AsyncIOScheduler(timezone=UTC)
        _schedule(scheduler, rt, deliver_every=deliver_every)
        scheduler.start()
        app = connecting = None
        try:
            if settings.token is not None:
                app = build_application(settings, rt.archive, clock=rt.clock)
                connecting = asyncio.create_task(
                    _keep_connecting(rt, scheduler, app, stop, base=reconnect_base,
                                     cap=reconnect_cap))
            log.info("tanfwatch running: %d sources scheduled",
                     sum(j.id.startswith("source:") for j in scheduler.get_jobs()))
            await stop.wait()
        finally:
            rt.inflight.stopping = True  # before the scheduler cancels the delivery job
            scheduler.shutdown(wait=False)
            await rt.inflight.settle(SHUTDOWN_GRACE)
            if connecting is not None:
                connecting.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await connecting
            if app is not None:
                await stop_bot(app)
            log.info("tanfwatch stopping")
