"""The orchestrator: poll a source, process its new entries, archive and queue alerts.

It only calls the stages in order; every decision lives in the pure core
(`watchers.feeds`, `matchers.judge`). One failing source never aborts a cycle.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from matchers.urls import canonical_url, unwrap_redirect
from watchers.backoff import next_delay

from matchers.judge import Judge
from storage.archive import Archive
from watchers.errors import WatchError
from watchers.extract import Extracted, extract_article
from watchers.feeds import FeedEntry, parse_feed
from watchers.fetch import Fetcher

from .known import article_record
from .settings import Settings, Source

__all__ = ["Pipeline", "SourceReport", "article_id"]

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
DISABLE_AFTER = 10


def article_id(url: str | None, fallback: str) -> str:
    """A content key: the same canonical URL always gives the same id."""
    basis = url or fallback
    return "a" + hashlib.sha1(basis.encode("utf-8")).hexdigest()[:15]


@dataclass(frozen=True)
class SourceReport:
    source: str
    ok: bool
    entries: int = 0
    new: int = 0
    processed: int = 0
    alerts: int = 0
    error: str | None = None
    skipped: bool = False


@dataclass(frozen=True)
class _Plan:
    process: tuple[FeedEntry, ...]
    skip: tuple[FeedEntry, ...]


def plan_entries(entries: Sequence[FeedEntry], unseen: set[str], *, first_poll: bool,
                 now: datetime, backfill: timedelta) -> _Plan:
    """Which new entries to process. On a first poll only recent ones: no flood."""
    process, skip = [], []
    for e in entries:
        if e.key not in unseen:
            continue
        recent = e.published is not None and e.published >= now - backfill
        (process if (recent or not first_poll) else skip).append(e)
    return _Plan(tuple(process), tuple(skip))


class Pipeline:
    def __init__(self, settings: Settings, archive: Archive, fetcher: Fetcher, judge: Judge,
                 *, clock: Clock, rng: random.Random | None = None) -> None:
        self.settings = settings
        self.archive = archive
        self.fetcher = fetcher
        self.judge = judge
        self.clock = clock
        self.rng = rng or random.Random()
        self._lock = asyncio.Lock()  # judging + archiving is serial: dedup sees every article

    def due(self, source: Source) -> bool:
        state = self.archive.sources.get(source.name)
        if state is None or state.next_attempt is None:
            return True
        return datetime.fromisoformat(state.next_attempt) <= self.clock()

    async def poll_all(self, sources: Sequence[Source], *, force: bool = False,
                       ) -> list[SourceReport]:
        self.archive.sources.sync(sources)
        todo = [s for s in sources if s.enabled and (force or self.due(s))]
        return list(await asyncio.gather(*(self.poll(s) for s in todo)))

    async def poll(self, source: Source) -> SourceReport:
        try:
            return await self._poll(source)
        except WatchError as exc:
            return self._failed(source, str(exc), getattr(exc, "retry_after", None))
        except Exception as exc:  # a bug in one source must not stop the others
            log.exception("source %s: unexpected error", source.name)
            return self._failed(source, f"internal error: {type(exc).__name__}: {exc}", None)

    def _failed(self, source: Source, error: str, retry_after: float | None) -> SourceReport:
        state = self.archive.sources.get(source.name)
        failures = (state.consecutive_failures if state else 0) + 1
        delay = next_delay(failures, base=60.0, cap=6 * 3600.0, retry_after=retry_after,
                           rng=self.rng)
        self.archive.sources.record_failure(
            source.name, error, now=self.clock(),
            next_attempt=self.clock() + timedelta(seconds=delay), disable_after=DISABLE_AFTER)
        log.warning("source %s: %s (failure %d, next try in %.0f s)",
                    source.name, error, failures, delay)
        return SourceReport(source.name, ok=False, error=error)

    async def _poll(self, source: Source) -> SourceReport:
        state = self.archive.sources.get(source.name)
        assert state is not None  # sync() ran first
        result = await self.fetcher.fetch(source.url, etag=state.etag,
                                          last_modified=state.last_modified)
        now = self.clock()
        body_hash = hashlib.sha256(result.content).hexdigest() if result.content else None
        if result.not_modified or (body_hash and body_hash == state.body_hash):
            # Unchanged: never re-parse, keep the previous entry count.
            self.archive.sources.record_success(
                source.name, now=now, etag=result.etag or state.etag,
                last_modified=result.last_modified or state.last_modified,
                body_hash=state.body_hash, entries=None, new=0)
            return SourceReport(source.name, ok=True, entries=state.entries)
        feed = parse_feed(result.content, url=result.url, headers=result.headers)
        if feed.problem:
            log.warning("source %s: recovered from a malformed feed: %s", source.name, feed.problem)
        unseen = self.archive.sources.unseen(source.name, [e.key for e in feed.entries])
        plan = plan_entries(feed.entries, unseen, first_poll=state.first_poll, now=now,
                            backfill=timedelta(hours=self.settings.backfill_hours))
        self.archive.sources.mark_seen(source.name, [(e.key, e.url) for e in plan.skip], now=now)
        alerts = 0
        for entry in plan.process:
            alerts += await self.process_entry(source, entry, feed_title=feed.title)
        self.archive.sources.record_success(
            source.name, now=self.clock(), etag=result.etag, last_modified=result.last_modified,
            body_hash=body_hash, entries=len(feed.entries), new=len(unseen))
        return SourceReport(source.name, ok=True, entries=len(feed.entries), new=len(unseen),
                            processed=len(plan.process), alerts=alerts)

    async def _extract(self, url: str) -> Extracted | None:
        try:
            page = await self.fetcher.fetch(url)
        except WatchError as exc:
            log.info("article %s: %s; using the feed's content", url, exc)
            return None
        # Extraction is CPU work (~20 ms a page): keep it off the event loop.
        return await asyncio.to_thread(extract_article, page.content, url=page.url,
                                       headers=page.headers)

    async def process_entry(self, source: Source, entry: FeedEntry, *, feed_title: str) -> int:
        """Fetch, extract, judge and archive one entry; returns the number of alerts queued."""
        url = unwrap_redirect(entry.url) if entry.url else None
        known_id = self.archive.find_by_url(canonical_url(url)) if url else None
        if known_id is None:
            page = await self._extract(url) if url else None
            if page and page.canonical_url:
                url = page.canonical_url
        now = self.clock()
        if known_id is not None:
            self.archive.sources.mark_seen(source.name, [(entry.key, entry.url)], now=now)
            return 0
        text = page.text if page and len(page.text) >= len(entry.content) // 2 else entry.content
        title = (page.title if page and page.title else None) or entry.title
        published = entry.published or (page.published if page else None)
        language = (page.language if page else None) or source.language
        aid = article_id(canonical_url(url) if url else None, f"{source.name}:{entry.key}")
        async with self._lock:
            j = self.judge.judge(aid, text or title, title=title, url=url, language=language,
                                 published=published)
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
        log.info("source %s: %s relevant=%s score=%.2f dup=%s story=%s", source.name, aid,
                 j.relevant, j.match.score, j.duplicate_of, j.story)
        return len(chats) if added else 0

    def _chats_for(self, j: object) -> tuple[str, ...]:
        if getattr(j, "follow_up", False) and self.settings.follow_ups == "mute":
            return ()
        return (self.settings.chat_id or "console",)
