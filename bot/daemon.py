"""The daemon: APScheduler polls each source on its interval and delivers, until SIGTERM/SIGINT.

A stop lets the message in flight be answered and recorded (bot/inflight.py)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import sqlite3
from datetime import UTC, timedelta
from functools import partial

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from telegram.ext import Application

from bot.app import (
    RECONNECT_BASE,
    RECONNECT_CAP,
    Runtime,
    all_sources,
    deliver_all,
    open_runtime,
)
from bot.maintenance import prune_job
from bot.metrics import outbox_pending, serve_metrics
from bot.settings import Settings, Source
from bot.telegram.client import reachable
from bot.telegram.commands import build_application, start_bot, stop_bot
from bot.telegram.sender import TokenRejected
from bot.wake import DeliveryWake
from storage.faults import describe
from watchers.backoff import next_delay

__all__ = ["DAEMON_MAX_WAIT", "SHUTDOWN_GRACE", "run_daemon"]

log = logging.getLogger(__name__)


DAEMON_MAX_WAIT = 300.0  # the daemon's delivery job may wait (it never overlaps itself)


# SIGTERM waits this long for the message in flight to be answered and recorded (compose gives
# 30 s, docker's default 10 s); past it the send is cut and may be repeated at the next start.
SHUTDOWN_GRACE = 8.0


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
    scheduler.add_job(wake.run, "interval", args=[partial(deliver_all, rt)], id="deliver",
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
