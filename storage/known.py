"""Load what the bot already knows: seeds into a fresh archive, the archive into a Judge."""

from __future__ import annotations

import logging
from dataclasses import asdict, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from matchers.dedup import KnownArticles, Signature
from matchers.judge import Judge, Judgement
from matchers.relevance import Matcher
from storage.archive import Archive, ArticleRecord, iso
from storage.seeds import load_seeds

if TYPE_CHECKING:
    from storage.seedcache import SeedCache

__all__ = ["article_record", "ensure_seeds", "explanation", "load_judge", "seeded_judge"]

log = logging.getLogger(__name__)


def explanation(j: Judgement) -> dict[str, Any]:
    """What the archive keeps of a decision: enough to render an alert and to explain it."""
    m = j.match
    return {
        "score": round(m.score, 4),
        "key_sentence": m.key_sentence(),
        "hits": [asdict(h) for h in m.hits[:50]],
        "parts": dict(m.parts),
        "reasons": list(m.reasons),
        "dedup": {"duplicate_of": j.dedup.duplicate_of, "story": j.story,
                  "copy_score": round(j.dedup.copy_score, 4),
                  "story_score": round(j.dedup.story_score, 4), "reason": j.dedup.reason},
    }


def article_record(j: Judgement, *, text: str, title: str = "", url: str | None = None,
                   source: str | None = None, outlet: str | None = None,
                   language: str | None = None, published: datetime | None = None,
                   fetched_at: datetime | None = None, origin: str = "feed") -> ArticleRecord:
    return ArticleRecord(
        id=j.id, text=text, title=title, url=url, canonical_url=j.canonical_url,
        source=source, outlet=outlet, language=language, published=iso(published),
        fetched_at=iso(fetched_at), relevant=j.relevant, score=j.match.score,
        topics=j.match.topics, match=explanation(j), duplicate_of=j.duplicate_of,
        story=j.story, signature=j.signature.to_bytes(), origin=origin,
    )


def ensure_seeds(archive: Archive, judge: Judge, *, now: datetime) -> int:
    """Archive the shipped seed articles once; they are the first known articles."""
    return len(_seed(archive, judge, now=now))


def _seed(archive: Archive, judge: Judge, *, now: datetime) -> list[ArticleRecord]:
    added = []
    for seed in load_seeds():
        if archive.has_article(seed.id):
            continue
        j = judge.judge(seed.id, seed.text, title=seed.title, url=seed.url,
                        published=seed.published)
        record = article_record(j, text=seed.text, title=seed.title, url=seed.url,
                                outlet=seed.outlet, published=seed.published, fetched_at=now,
                                origin="seed")
        archive.add_article(record)  # never alerted: no chats
        judge.remember(j)
        added.append(record)
    return added


def seeded_judge(matcher: Matcher) -> Judge:
    """A Judge that knows only the seeds, with no archive (classify and check without --db)."""
    judge = Judge(matcher)
    for seed in load_seeds():
        judge.remember(judge.judge(seed.id, seed.text, title=seed.title, url=seed.url,
                                   published=seed.published))
    return judge


def load_judge(archive: Archive, matcher: Matcher, *, now: datetime,
               seed_cache: SeedCache | None = None) -> Judge:
    """A Judge that knows every archived article (and the seeds, archiving them if new).

    ``seed_cache``: where a fresh archive's seed records are kept for the next fresh archive
    (storage/seedcache.py), so they are not judged again."""
    key: str | None = None  # set for a fresh archive with a cache file to use or write
    cached: list[ArticleRecord] | None = None
    if seed_cache is not None and archive.count_articles() == 0:
        from storage.seedcache import cache_key, read_seed_cache

        key = cache_key(seed_cache.config)
        cached = read_seed_cache(seed_cache.path, key)
        for record in cached or ():
            archive.add_article(replace(record, fetched_at=iso(now)))  # never alerted
    known = KnownArticles()
    for article_id, sig, story, url, dup, relevant in archive.signatures():
        try:
            known.add(article_id, Signature.from_bytes(sig), story=story or article_id,
                      url=url, duplicate_of=dup, url_is_canonical=True, relevant=bool(relevant))
        except ValueError:
            log.warning("article %s: unreadable signature, skipped from dedup index", article_id)
    known.compact()
    judge = Judge(matcher, known)
    added = _seed(archive, judge, now=now)  # none when the cache had them
    if seed_cache is not None and key is not None and cached is None and added:
        from storage.seedcache import write_seed_cache

        write_seed_cache(seed_cache.path, key, added)
    return judge
