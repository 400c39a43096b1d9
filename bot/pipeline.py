"""The orchestrator: poll a source, process its new entries, archive and queue alerts.

It only calls the stages in order; every decision lives in the pure core
(`watchers.feeds`, `matchers.judge`). One failing source never aborts a cycle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import Executor
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from bot.ahead import Ahead, extract_job
from bot.metrics import Metrics, error_kind
from bot.plan import SourceReport, article_id, plan_entries
from bot.settings import Settings, Source
from bot.sourcekinds import Listing, list_entries, source_url
from bot.workpool import WorkerCrashed
from matchers.judge import Judge
from matchers.urls import canonical_url, unwrap_redirect
from storage.archive import Archive
from storage.faults import describe
from storage.known import article_record
from storage.sources import SourceSuccess
from watchers.addresses import LinkGuard
from watchers.backoff import next_delay
from watchers.dates import FUTURE_SLACK
from watchers.errors import BlockedError, WatchError
from watchers.feedmodel import FeedEntry
from watchers.fetch import Fetcher
from watchers.language import detect_language
from watchers.robots import RobotsCache
from watchers.search import HOST_DELAYS

if TYPE_CHECKING:
    from watchers.extract import Extracted

__all__ = ["SUCCESS_BATCH", "Pipeline"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
# After this many consecutive failures a source shows "disabled" and the admin gets one notice.
# It is still retried on its back-off schedule (at most every 6 h) and `run --once` polls it:
# a later success re-enables it.
DISABLE_AFTER = 10
# poll_all commits the sources' bookkeeping this many at a time (a commit is ~70 us; the
# writes of one source ~20 us): a crash loses at most this many sources' validators.
SUCCESS_BATCH = 100
_BATCH: ContextVar[list[SourceSuccess] | None] = ContextVar("success_batch", default=None)
# pages being fetched and extracted ahead of judging, by entry key (see Pipeline._ahead)
_AHEAD: ContextVar[Ahead | None] = ContextVar("pages_ahead", default=None)














class Pipeline:
    def __init__(self, settings: Settings, archive: Archive, fetcher: Fetcher, judge: Judge,
                 *, clock: Clock, rng: random.Random | None = None,
                 untrusted_fetcher: Fetcher | None = None,
                 executor: Executor | None = None, metrics: Metrics | None = None,
                 on_queued: Callable[[], None] | None = None) -> None:
        self.settings = settings
        self.metrics = metrics or Metrics()
        # called after a commit that queued alerts: the daemon wakes its delivery job
        self.on_queued = on_queued
        self.archive = archive
        self.fetcher = fetcher
        # Sources added through the bot go through a fetcher that refuses private addresses
        # (checked after DNS and on every redirect), with robots.txt fetched the same way.
        self.untrusted = untrusted_fetcher
        self.untrusted_robots = RobotsCache(untrusted_fetcher) if untrusted_fetcher else None
        self.judge = judge
        self.clock = clock
        self.rng = rng or random.Random()
        # A process pool for CPU work (feed parsing, article extraction); None: in-process.
        self.executor = executor
        self._lock = asyncio.Lock()  # judging + archiving is serial: dedup sees every article
        self.robots = RobotsCache(fetcher)
        for host, delay in HOST_DELAYS.items():  # GDELT: one request per 5 s
            fetcher.set_host_delay(host, delay)

    def due(self, source: Source) -> bool:
        state = self.archive.sources.get(source.name)
        if state is None or state.next_attempt is None:
            return True
        return datetime.fromisoformat(state.next_attempt) <= self.clock()

    async def poll_all(self, sources: Sequence[Source], *, force: bool = False,
                       ) -> list[SourceReport]:
        """Poll sources concurrently; their successes are committed in batches.

        A crash loses at most one batch of bookkeeping (validators, seen keys of skipped
        entries): those sources are simply polled again as before. Articles are never batched.
        """
        try:
            self.archive.sources.sync(sources)
            todo = [s for s in sources if s.enabled and (force or self.due(s))]
        except sqlite3.Error as exc:  # e.g. locked: no source can be recorded; all wait
            error = describe(exc)
            log.error("no source polled: %s; they are polled at the next run", error)
            return [SourceReport(s.name, ok=False, error=error, archive_fault=True)
                    for s in sources if s.enabled]
        batch: list[SourceSuccess] = []
        token = _BATCH.set(batch)  # the gathered tasks copy this context
        try:
            return list(await asyncio.gather(*(self.poll(s, force=True) for s in todo)))
        finally:
            _BATCH.reset(token)
            self._flush(batch)

    def _flush(self, batch: list[SourceSuccess]) -> None:
        pending = list(batch)
        batch.clear()
        try:
            self.archive.sources.record_successes(pending)
        except sqlite3.Error as exc:  # those sources are simply polled again as before
            log.error("%d sources' poll results not saved: %s", len(pending), describe(exc))

    async def poll(self, source: Source, *, force: bool = False) -> SourceReport:
        """Poll one source; unless forced, a source in back-off (or disabled) waits its turn."""
        if not force and not self.due(source):
            return SourceReport(source.name, ok=True, skipped=True)
        self.metrics.fetches.labels(kind=source.kind).inc()
        try:
            return await self._poll(source)
        except Exception as exc:  # a bug in one source must not stop the others
            return self._poll_failed(source, exc)

    def _poll_failed(self, source: Source, exc: Exception) -> SourceReport:
        self.metrics.errors.labels(kind=error_kind(exc)).inc()
        if isinstance(exc, WatchError):
            return self._failed(source, str(exc), getattr(exc, "retry_after", None))
        if isinstance(exc, sqlite3.Error):  # the archive's fault, not the source's: no back-off
            error = describe(exc)
            log.error("source %s: not polled: %s; polled again next time", source.name, error)
            return SourceReport(source.name, ok=False, error=error, archive_fault=True)
        log.error("source %s: unexpected error", source.name, exc_info=exc)
        return self._failed(source, f"internal error: {type(exc).__name__}: {exc}", None)

    def _failed(self, source: Source, error: str, retry_after: float | None) -> SourceReport:
        try:
            return self._record_failure(source, error, retry_after)
        except sqlite3.Error as exc:
            log.warning("source %s: %s (not recorded: %s)", source.name, error, describe(exc))
            return SourceReport(source.name, ok=False, error=error)

    def _record_failure(self, source: Source, error: str, retry_after: float | None
                        ) -> SourceReport:
        state = self.archive.sources.get(source.name)
        failures = (state.consecutive_failures if state else 0) + 1
        delay = next_delay(failures, base=60.0, cap=6 * 3600.0, retry_after=retry_after,
                           rng=self.rng)
        failures = self.archive.sources.record_failure(
            source.name, error, now=self.clock(),
            next_attempt=self.clock() + timedelta(seconds=delay), disable_after=DISABLE_AFTER)
        if failures == DISABLE_AFTER:  # once per episode: the count only grows until a success
            self.archive.sources.add_notice(
                "disabled", source.name,
                f"source {source.name} disabled after {failures} failures: {error}",
                now=self.clock())
        at = (self.clock() + timedelta(seconds=delay)).strftime("%Y-%m-%d %H:%M:%S UTC")
        # the daemon's job is moved to that moment (bot/app.py); `run --once` polls every run
        when = (f"back-off until {at}" if _BATCH.get() is not None
                else f"next poll at {at}, in {delay:.0f} s")
        log.warning("source %s: %s (failure %d; %s)", source.name, error, failures, when,
                    extra={"source": source.name})
        return SourceReport(source.name, ok=False, error=error)

    def next_poll(self, source: Source) -> datetime | None:
        """When the source may be polled again, if it is held back (failures, a server's hint)."""
        state = self.archive.sources.get(source.name)
        if state is None or state.next_attempt is None:
            return None
        return datetime.fromisoformat(state.next_attempt)

    async def _poll(self, source: Source) -> SourceReport:
        state = self.archive.sources.get(source.name)
        assert state is not None  # sync() ran first
        fetcher, robots = self._seams(source)
        backfill = timedelta(hours=self.settings.backfill_hours)
        # a first poll only records old entries as seen: their text need not be converted
        brief = self.clock() - backfill if state.first_poll else None
        listing = await list_entries(source, state, fetcher, robots, executor=self.executor,
                                     brief_before=brief, link_guard=LinkGuard(source_url(source)))
        now = self.clock()
        if listing.unchanged:  # never re-parse; the previous entry count stands
            self._succeeded(source, listing, new=0)
            return SourceReport(source.name, ok=True, entries=state.entries)
        unseen = self.archive.sources.unseen(source.name, [e.key for e in listing.entries],
                                             has_seen=state.has_seen)
        plan = plan_entries(listing.entries, unseen, first_poll=state.first_poll, now=now,
                            backfill=backfill, date_from_page=source.kind in ("page", "sitemap"))
        alerts = processed = 0
        async with self._ahead(source, plan.process + plan.check):
            for entry in plan.process:
                alerts += await self.process_entry(source, entry, feed_title=listing.title)
            for entry in plan.check:
                got = await self.process_entry(source, entry, feed_title=listing.title,
                                               cutoff=now - backfill)
                processed += got >= 0
                alerts += max(got, 0)
        # the skipped ones are marked seen with the success: one commit (old entries are
        # skipped again if processing fails, as the poll is still a first one then)
        self._succeeded(source, listing, new=len(unseen), seen=plan.skip)
        return SourceReport(source.name, ok=True, entries=listing.count, new=len(unseen),
                            processed=len(plan.process) + processed, alerts=alerts)

    def _succeeded(self, source: Source, listing: Listing, *, new: int,
                   seen: Sequence[FeedEntry] = ()) -> None:
        now = self.clock()
        later = listing.hint is not None and listing.hint > source.interval
        success = SourceSuccess(
            source.name, now, listing.etag, listing.last_modified, listing.body_hash,
            None if listing.unchanged else listing.count, new,
            now + timedelta(seconds=listing.hint or 0) if later else None, listing.problem,
            tuple((e.key, e.url) for e in seen))
        batch = _BATCH.get()
        if batch is None:  # a single poll (the scheduler's): commit now
            self.archive.sources.record_successes([success])
        else:
            batch.append(success)
            if len(batch) >= SUCCESS_BATCH:
                self._flush(batch)
        # a source that just brought new entries is not quiet: skip the three lookups
        if not new and self.archive.sources.flag_quiet(source.name, now):
            self.archive.sources.add_notice(
                "quiet", source.name, f"source {source.name} has had no new entries for far "
                "longer than usual (over 5x its median gap)", now=now)

    def _seams(self, source: Source) -> tuple[Fetcher, RobotsCache]:
        if source.trusted:
            return self.fetcher, self.robots
        if self.untrusted is None or self.untrusted_robots is None:
            raise BlockedError(f"untrusted source {source.name} needs a guarded fetcher",
                               url=source.url)
        return self.untrusted, self.untrusted_robots

    @contextlib.asynccontextmanager
    async def _ahead(self, source: Source, entries: Sequence[FeedEntry]) -> AsyncIterator[None]:
        """Fetch and extract the next pages while an entry is judged (in order, one at a time).

        With a pool each worker has a page to extract and one waiting; in-process one page is
        fetched ahead. A page already archived under its address is not fetched."""
        todo = [e for e in entries if e.url and source.kind != "telegram"
                and self.archive.find_by_url(canonical_url(unwrap_redirect(e.url))) is None]
        ahead = Ahead(self._extract, source, todo, 2 * getattr(self.executor, "workers", 0) or 1)
        token = _AHEAD.set(ahead)
        ahead.top_up()
        try:
            yield
        finally:
            _AHEAD.reset(token)
            await ahead.close()

    async def _page(self, url: str, source: Source, entry: FeedEntry) -> Extracted | None:
        ahead = _AHEAD.get()
        task = ahead.take(entry.key) if ahead is not None else None
        if task is not None:
            return await task
        # the feed's date wins: the page's is only looked for when the feed has none
        return await self._extract(url, source, with_date=entry.published is None)

    async def _extract(self, url: str, source: Source, *, with_date: bool = True,
                       ) -> Extracted | None:
        try:  # a link from the feed: a private address only on the source's own host
            page = await self._seams(source)[0].fetch(url, guard=LinkGuard(source_url(source)))
        except WatchError as exc:
            log.info("article %s: %s; using the feed's content", url, exc)
            return None
        # Extraction is CPU work (~20 ms a page): keep it off the event loop.
        with self.metrics.extraction.time():
            if self.executor is None:
                return await asyncio.to_thread(extract_job, page.content, page.url,
                                               page.headers, with_date)
            try:
                return await asyncio.get_running_loop().run_in_executor(
                    self.executor, extract_job, page.content, page.url, dict(page.headers),
                    with_date)
            except WorkerCrashed as exc:  # a hostile page: the feed's text stands in
                log.warning("article %s: %s; using the feed's content", url, exc)
                return None

    async def process_entry(self, source: Source, entry: FeedEntry, *, feed_title: str,
                            cutoff: datetime | None = None) -> int:
        """Fetch, extract, judge and archive one entry; returns the number of alerts queued.

        With ``cutoff`` (an undated entry on a first poll) a page dated before it, or not
        dated at all, is only remembered as seen; that returns -1.
        """
        url = unwrap_redirect(entry.url) if entry.url else None
        known_id = self.archive.find_by_url(canonical_url(url)) if url else None
        page = None
        if known_id is None and url and source.kind != "telegram":  # a post is its own text
            page = await self._page(url, source, entry)
            if page and page.canonical_url:
                url = page.canonical_url
        now = self.clock()
        published = entry.published or (page.published if page else None)
        if known_id is not None or (cutoff and (published is None or published < cutoff)):
            if known_id is not None and url:  # a known article at this address too: keep it
                self.archive.add_url(known_id, url, now)
            self.archive.sources.mark_seen(source.name, [(entry.key, entry.url)], now=now)
            return 0 if known_id is not None else -1
        text = page.text if page and len(page.text) >= len(entry.content) // 2 else entry.content
        title = (page.title if page and page.title else None) or entry.title
        language = ((page.language if page else None) or source.language
                    or detect_language(text or title))
        # neither the feed nor the page gives a date (or only one days ahead, junk): it came
        # out by the time we fetched it (stored as published = fetched_at)
        if published is None or published > now + FUTURE_SLACK:
            published = now
        aid = article_id(canonical_url(url) if url else None, f"{source.name}:{entry.key}")
        async with self._lock:
            with self.metrics.matching.time():
                j = self.judge.judge(aid, text or title, title=title, url=url,
                                     language=language, published=published)
            self.metrics.judged.labels(relevant=str(bool(j.relevant)).lower()).inc()
            chats = self._chats_for(j) if j.alert else ()
            record = article_record(
                j, text=text or title, title=title, url=url, source=source.name,
                outlet=(page.site_name if page else None) or feed_title or source.name,
                language=language, published=published, fetched_at=now)
            kind = "follow-up" if j.follow_up else "new-story"
            added = self.archive.add_article(record, alert_chats=chats, alert_kind=kind, now=now)
            if added:
                self.judge.remember(j)
            self.archive.sources.mark_seen(source.name, [(entry.key, entry.url)], now=now)
        ids = {"source": source.name, "article": aid}
        log.info("source %s: article %s %s: relevant=%s score=%.2f dup=%s story=%s",
                 source.name, aid, "archived" if added else "known", j.relevant,
                 j.match.score, j.duplicate_of, j.story, extra=ids)
        if not (added and chats):
            return 0
        log.info("source %s: article %s: alert queued for %s", source.name, aid,
                 ", ".join(chats), extra=ids)
        self.metrics.queued.inc(len(chats))
        if self.on_queued is not None:
            self.on_queued()
        return len(chats)

    def _chats_for(self, j: object) -> tuple[str, ...]:
        # Follow-ups are queued too: delivery applies each chat's mode (thread/digest/mute).
        return (self.settings.chat_id or "console",)
