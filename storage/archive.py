"""The archive: one SQLite file of sources, seen entries, articles (with FTS) and the outbox."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from .chats import ChatStore, chat_migrations
from .migrations import apply_migrations
from .outbox import Outbox
from .sources import SourceStore

__all__ = ["Archive", "ArticleRecord", "SearchHit", "iso"]


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
        row = asdict(self)
        row["relevant"] = int(self.relevant)
        row["topics"] = json.dumps(list(self.topics))
        row["match"] = json.dumps(self.match, ensure_ascii=False) if self.match else None
        return row


@dataclass(frozen=True)
class SearchHit:
    id: str
    title: str
    url: str | None
    published: str | None
    snippet: str
    relevant: bool


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
    def open(cls, path: str | Path) -> Archive:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        db = Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("PRAGMA foreign_keys=ON")
        return cls(db)

    def close(self) -> None:
        self.db.close()

    # -- articles -------------------------------------------------------------------------------
    def has_article(self, article_id: str) -> bool:
        return bool(self.db["articles"].count_where("id = ?", [article_id]))

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
            self.db["articles"].insert(record.to_row())
            chats = list(alert_chats)
            if chats:
                chats += [c for c in self.chats.subscribers(record.topics) if c not in chats]
            for chat in chats:
                self.outbox.enqueue(record.id, chat, kind=alert_kind, story=record.story, now=now)
        return True

    def signatures(self) -> Iterator[tuple[str, bytes, str | None, str | None, str | None]]:
        """(id, signature, story, canonical_url, duplicate_of) of each article, oldest first."""
        sql = (
            "select id, signature, story, canonical_url, duplicate_of from articles "
            "where signature is not null order by rowid"
        )
        yield from self.db.execute(sql)

    def latest(self, limit: int = 10, *, relevant_only: bool = True) -> list[dict[str, Any]]:
        where = (
            "relevant = 1 and duplicate_of is null and origin != 'seed'" if relevant_only else None
        )
        return list(self.db["articles"].rows_where(where, order_by="rowid desc", limit=limit))

    def story_articles(self, story: str) -> list[dict[str, Any]]:
        return list(self.db["articles"].rows_where("story = ?", [story], order_by="rowid"))

    # -- search ---------------------------------------------------------------------------------
    def search(self, query: str, *, limit: int = 10, offset: int = 0,
               relevant_only: bool = False) -> list[SearchHit]:
        """Full-text search, best first. The query uses FTS5 syntax; bare words are quoted."""
        where = "and a.relevant = 1" if relevant_only else ""
        sql = (
            "select a.id, a.title, a.url, a.published, a.relevant, "
            "snippet(articles_fts, 1, '[', ']', '…', 12) as snip "
            "from articles_fts join articles a on a.rowid = articles_fts.rowid "
            f"where articles_fts match ? {where} order by rank limit ? offset ?"
        )
        try:
            rows = self.db.execute(sql, [_fts_query(query), limit, offset]).fetchall()
        except sqlite3.OperationalError as exc:
            raise ValueError(f"bad search query {query!r}: {exc}") from exc
        return [SearchHit(r[0], r[1] or "", r[2], r[3], r[5] or "", bool(r[4])) for r in rows]

    def summary(self) -> dict[str, Any]:
        one = self.db.execute
        return {
            "articles": self.count_articles(),
            "relevant": one("select count(*) from articles where relevant = 1 "
                            "and duplicate_of is null and origin != 'seed'").fetchone()[0],
            "duplicates": one("select count(*) from articles where duplicate_of is not null")
            .fetchone()[0],
            "pending_alerts": self.outbox.count("pending"),
            "sent_alerts": self.outbox.count("sent"),
            "sources": self.sources.counts(),
            "last_poll": one("select max(last_checked) from sources").fetchone()[0],
        }


def _fts_query(query: str) -> str:
    """Let users type plain words, phrases and FTS operators; quote anything else."""
    tokens = []
    for word in query.split():
        if word in {"AND", "OR", "NOT"} or (word.startswith('"') and word.endswith('"')):
            tokens.append(word)
        elif word.endswith("*") and word[:-1].isalnum():
            tokens.append(f'"{word[:-1]}"*')
        else:
            tokens.append('"' + word.replace('"', '""') + '"')
    return " ".join(tokens) or '""'
