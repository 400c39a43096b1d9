"""The daemon's schedule: one job per source, jittered, spread out, never overlapping."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.daemon import _schedule, _schedule_sources
from bot.settings import Settings, Source
from storage.archive import Archive

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


async def _poll(source: Source) -> None:
    return None


def test_each_source_gets_its_own_jittered_spread_non_overlapping_job(tmp_path):
    sources = tuple(Source(name=f"s{i}", url=f"http://127.0.0.1:9/{i}.xml", interval=600)
                    for i in range(200))
    settings = Settings(sources=(*sources, Source(name="off", url="http://127.0.0.1:9/x",
                                                  enabled=False)), db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    try:
        rt = SimpleNamespace(settings=settings, archive=archive, clock=lambda: NOW,
                             pipeline=SimpleNamespace(poll=_poll))
        scheduler = AsyncIOScheduler(timezone=UTC)
        _schedule_sources(scheduler, rt)
        _schedule_sources(scheduler, rt)  # the minute job runs it again: no duplicates
        jobs = scheduler.get_jobs()
    finally:
        archive.close()
    assert sorted(j.id for j in jobs) == sorted(f"source:{s.name}" for s in sources)
    assert all(j.max_instances == 1 and j.coalesce for j in jobs)  # no overlapping runs
    assert all(j.trigger.interval == timedelta(seconds=600) and j.trigger.jitter == 60
               for j in jobs)
    starts = sorted(j.next_run_time for j in jobs)
    assert starts[0] == NOW and starts[-1] > NOW + timedelta(seconds=50)  # spread over ~1 min
    per_second = max(sum(1 for s in starts if s.replace(microsecond=0) == t.replace(
        microsecond=0)) for t in starts)
    assert per_second <= 5


async def test_a_failing_source_is_polled_again_when_its_back_off_ends(tmp_path):
    """The log says "next poll at T": the job is moved to T, not left at the interval tick."""
    import socket

    from bot.app import open_runtime
    from bot.daemon import _poll_job

    with socket.socket() as sock:  # bound, never listening: connection refused at once
        sock.bind(("127.0.0.1", 0))
        source = Source(name="dead", url=f"http://127.0.0.1:{sock.getsockname()[1]}/f.xml",
                        interval=900)
        settings = Settings(sources=(source,), db_path=tmp_path / "a.db")
        async with open_runtime(settings) as rt:
            scheduler = AsyncIOScheduler(timezone=UTC)
            scheduler.start(paused=True)
            try:
                _schedule_sources(scheduler, rt)
                job = scheduler.get_job("source:dead")
                tick = job.trigger.get_next_fire_time(job.next_run_time, job.next_run_time)
                await _poll_job(rt, source, scheduler)
                retry = rt.pipeline.next_poll(source)
                moved = scheduler.get_job("source:dead").next_run_time
            finally:
                scheduler.shutdown(wait=False)
    assert retry is not None and moved == retry  # 30-60 s after a first failure
    assert moved < tick - timedelta(seconds=600)  # not the 900 s interval tick


async def test_a_source_job_whose_run_time_is_long_past_still_runs_once(tmp_path):
    """A scheduler running late (a busy start, a suspended host) polls late, never skips."""
    polled: list[str] = []
    done = asyncio.Event()

    async def poll(source: Source) -> None:
        polled.append(source.name)
        done.set()

    settings = Settings(sources=(Source(name="late", url="http://127.0.0.1:9/a.xml"),),
                        db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    scheduler = AsyncIOScheduler(timezone=UTC)
    try:
        past = datetime.now(UTC) - timedelta(hours=1)  # far beyond APScheduler's 1 s grace
        rt = SimpleNamespace(settings=settings, archive=archive, clock=lambda: past,
                             pipeline=SimpleNamespace(poll=poll))
        _schedule_sources(scheduler, rt)
        assert scheduler.get_job("source:late").misfire_grace_time is None
        scheduler.start()
        await asyncio.wait_for(done.wait(), 30)
    finally:
        scheduler.shutdown(wait=False)
        archive.close()
    assert polled == ["late"]


def test_delivery_and_the_daily_retention_pass_are_scheduled_and_never_skipped(tmp_path):
    settings = Settings(sources=(), db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    try:
        rt = SimpleNamespace(settings=settings, archive=archive, clock=lambda: NOW,
                             pipeline=SimpleNamespace(poll=_poll, on_queued=None))
        scheduler = AsyncIOScheduler(timezone=UTC)
        _schedule(scheduler, rt, deliver_every=10)
        deliver, retention = scheduler.get_job("deliver"), scheduler.get_job("retention")
    finally:
        archive.close()
    assert rt.pipeline.on_queued is not None  # a poll that queues alerts wakes delivery
    assert deliver.trigger.interval == timedelta(seconds=10) and deliver.next_run_time == NOW
    assert retention.trigger.interval == timedelta(days=1)
    assert retention.args == (archive, 180, rt.clock)
    assert all(j.misfire_grace_time is None and j.coalesce and j.max_instances == 1
               for j in (deliver, retention))
