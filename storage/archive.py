"""The archive: one SQLite file of sources, seen entries, articles (with FTS) and the outbox."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .chats import ChatStore, chat_migrations
from .faults import write_blocked
from .migrations import apply_migrations
from .outbox import Outbox
from .query import Hit, search
from .relevant import article_counts, relevant_sql
from .sources import SourceStore

__all__ = ["Archive", "ArticleRecord", "SearchHit", "Story", "iso"]

SearchHit = Hit  # the old name of a search result


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class ArticleRecord:
    id: str
    text: str
    title: str = ""
    url: str | None = None
    canonical_url: str | None = None
    source: str | None = None
    outlet: str | None = None
    language: str | None = None
    published: str | None = None
    fetched_at: str | None = None
    relevant: bool = False
    score: float = 0.0
    topics: tuple[str, ...] = ()
    match: dict[str, Any] | None = None
    duplicate_of: str | None = None
    story: str | None = None
    signature: bytes | None = None
    origin: str = "feed"

    def to_row(self) -> dict[str, Any]:
        row = {f.name: getattr(self, f.name) for f in fields(self)}  # asdict deep-copies: slow
        row["relevant"] = int(self.relevant)
        row["topics"] = json.dumps(list(self.topics))
        row["match"] = json.dumps(self.match, ensure_ascii=False) if self.match else None
        return row


@dataclass(frozen=True)
class Story:
    """A row of the `stories` view: the articles that report one event."""

    id: str
    title: str
    first_seen: str | None
    last_seen: str | None
    first_published: str | None
    last_published: str | None
    articles: int
    relevant: int
    duplicates: int
    outlets: tuple[str, ...]
    languages: tuple[str, ...]
    topics: tuple[str, ...]

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Story:
        lists = {k: tuple(json.loads(row[k] or "[]")) for k in ("outlets", "languages", "topics")}
        counts = {k: int(row[k] or 0) for k in ("articles", "relevant", "duplicates")}
        plain = {k: v for k, v in row.items() if k not in lists and k not in counts}
        return cls(**plain, **counts, **lists)


class Archive:
    """The one seam over SQLite. Open it with `Archive.open(path)`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        apply_migrations(db)
        chat_migrations.apply(db)  # the Telegram half's own set, after the main one
        self.outbox = Outbox(db)
        self.sources = SourceStore(db)
        self.chats = ChatStore(db)

    @classmethod
    def open(cls, path: str | Path, *, timeout: float = 30.0) -> Archive:
        """`timeout`: seconds to wait for another writer's lock before "database is locked"."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None,
                               check_same_thread=False)
        db = Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        # Fewer, larger checkpoints and a bigger page cache: ~10-20% faster inserts at 100k.
        db.execute("PRAGMA wal_autocheckpoint=10000")
        db.execute("PRAGMA cache_size=-32000")
        db.execute("PRAGMA foreign_keys=ON")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    def write_blocked(self) -> str | None:
        """None if delivery can record a send now, else why not (storage/faults.py)."""
        return write_blocked(self.db)

    # -- articles -------------------------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        sql = "select 1 from articles where id = ?"
        return self.db.execute(sql, [article_id]).fetchone() is not None

    def article(self, article_id: str) -> dict[str, Any] | None:
        rows = list(self.db["articles"].rows_where("id = ?", [article_id], limit=1))
        return rows[0] if rows else None

    def find_by_url(self, canonical_url: str) -> str | None:
        rows = self.db.execute(
            "select id from articles where canonical_url = ? limit 1", [canonical_url]
        ).fetchall()
        return rows[0][0] if rows else None

    def count_articles(self) -> int:
        return self.db["articles"].count

    def add_article(self, record: ArticleRecord, *, alert_chats: Sequence[str] = (),
                    alert_kind: str = "new-story", now: datetime | None = None) -> bool:
        """Store an article and queue its alerts in one transaction. False if it was known.

        An alert for the main chat is also queued for every chat subscribed to one of
        the article's topics (same transaction: a crash cannot lose the fan-out).
        """
        with self.db.atomic():
            if self.has_article(record.id):
                return False
            row = record.to_row()
            columns = ", ".join(f'"{c}"' for c in row)
            self.db.execute(f"insert into articles ({columns}) values "
                            f"({', '.join('?' * len(row))})", list(row.values()))
            seen = record.fetched_at or iso(now)
            for url in dict.fromkeys(u for u in (record.url, record.canonical_url) if u):
                self.add_url(record.id, url, seen)
            chats = list(alert_chats)
            if chats:
                chats += [c for c in self.chats.subscribers(record.topics) if c not in chats]
            for chat in chats:
                self.outbox.enqueue(record.id, chat, kind=alert_kind, story=record.story, now=now)
        return True

    def add_url(self, article_id: str, url: str, now: datetime | str | None) -> bool:
        """Remember another address the article was seen at; False if it was known."""
        first_seen = iso(now) if isinstance(now, datetime) else now
        cursor = self.db.execute(
            "insert or ignore into article_urls (article_id, url, first_seen) values (?, ?, ?)",
            [article_id, url, first_seen])
        return cursor.rowcount > 0

    def urls(self, article_id: str) -> list[tuple[str, str | None]]:
        """(url, first_seen) of every address the article was seen at, oldest first."""
        sql = ("select url, first_seen from article_urls where article_id = ? "
               "order by first_seen, rowid")
        return [(r[0], r[1]) for r in self.db.execute(sql, [article_id])]

    def duplicates(self, article_id: str) -> list[str]:
        """Ids of the articles stored as copies of this one."""
        sql = "select id from articles where duplicate_of = ? order by rowid"
        return [r[0] for r in self.db.execute(sql, [article_id])]

    def alerts(self, article_id: str) -> list[dict[str, Any]]:
        return list(self.db["outbox"].rows_where("article_id = ?", [article_id], order_by="id"))

    def stories(self, *, limit: int = 20, offset: int = 0,
                relevant_only: bool = False) -> list[Story]:
        """Stories, the most recently updated first.

        The newest articles (by the first-seen index) name the stories; only those rows of
        the view are computed: ordering the whole view would aggregate every story.
        """
        wanted: dict[str, None] = {}
        sql = ("select story from articles where story is not null"
               f"{' and ' + relevant_sql() if relevant_only else ''} order by fetched_at desc")
        for (story,) in self.db.execute(sql):
            wanted[story] = None
            if len(wanted) >= limit + offset:
                break
        marks = ", ".join("?" * len(wanted))
        rows = self.db["stories"].rows_where(f"id in ({marks})", list(wanted),
                                             order_by="last_seen desc, id")
        return [Story.from_row(r) for r in rows][offset:offset + limit]

    def story(self, story_id: str) -> Story | None:
        rows = list(self.db["stories"].rows_where("id = ?", [story_id], limit=1))
        return Story.from_row(rows[0]) if rows else None

    def signatures(self) -> Iterator[tuple[str, bytes, str | None, str | None, str | None, bool]]:
        """(id, signature, story, canonical_url, duplicate_of, relevant) of each article, oldest
        first."""
        sql = (
            "select id, signature, story, canonical_url, duplicate_of, relevant = 1 from articles "
            "where signature is not null order by rowid"
        )
        yield from self.db.execute(sql)

    def latest(self, limit: int = 10, *, relevant_only: bool = True) -> list[dict[str, Any]]:
        where = relevant_sql() if relevant_only else None
        return list(self.db["articles"].rows_where(where, order_by="rowid desc", limit=limit))

    def story_articles(self, story: str) -> list[dict[str, Any]]:
        return list(self.db["articles"].rows_where("story = ?", [story], order_by="rowid"))

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 10, offset: int = 0,
               relevant_only: bool = False) -> list[Hit]:
        """`storage.query.search` over this archive (copies left out); QueryError if malformed."""
        return search(self.db, query, limit=limit, offset=offset, relevant_only=relevant_only)

    def summary(self) -> dict[str, Any]:
        """Counts for `status` and /status; articles and relevant as `storage.relevant` says
        (the seeds and the copies counted apart)."""
        one = self.db.execute
        counts = article_counts(self.db)
        return {
            "articles": counts.articles,
            "relevant": counts.relevant,
            "copies": counts.copies,
            "seeds": counts.seeds,
            "pending_alerts": self.outbox.count("pending"),
            "sent_alerts": self.outbox.count("sent"),
            "sources": self.sources.counts(),
            "last_poll": one("select max(last_checked) from sources").fetchone()[0],
        }

