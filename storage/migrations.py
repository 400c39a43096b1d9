"""Schema as ordered migrations (sqlite-utils), applied on every open.

Never edit a released migration: add a new one. Content keys are primary keys,
so re-processing an entry or an article is harmless.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["migrations", "apply_migrations"]

migrations = Migrations("tanfwatch")


@migrations()
def m001_initial(db: Database) -> None:
    db["sources"].create(
        {
            "name": str,
            "url": str,
            "kind": str,
            "interval": int,
            "enabled": int,
            "status": str,  # ok | error | disabled | new
            "etag": str,
            "last_modified": str,
            "body_hash": str,
            "last_checked": str,
            "last_success": str,
            "last_error": str,
            "consecutive_failures": int,
            "next_attempt": str,
            "entries": int,
            "new": int,
            "last_entry_at": str,
        },
        pk="name",
        defaults={"enabled": 1, "status": "new", "consecutive_failures": 0, "entries": 0, "new": 0},
        not_null={"url", "kind"},
    )
    db["seen"].create(
        {"source": str, "key": str, "url": str, "first_seen": str},
        pk=("source", "key"),
    )
    db["articles"].create(
        {
            "id": str,
            "url": str,
            "canonical_url": str,
            "source": str,
            "outlet": str,
            "title": str,
            "text": str,
            "language": str,
            "published": str,
            "fetched_at": str,
            "relevant": int,
            "score": float,
            "topics": str,  # JSON array
            "match": str,  # JSON explanation
            "duplicate_of": str,
            "story": str,
            "signature": bytes,
            "origin": str,  # seed | feed | classify
        },
        pk="id",
        not_null={"text"},
    )
    db["articles"].create_index(["canonical_url"])
    db["articles"].create_index(["story"])
    db["articles"].create_index(["published"])
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="unicode61")
    db["outbox"].create(
        {
            "id": int,
            "article_id": str,
            "chat_id": str,
            "kind": str,  # new-story | follow-up
            "story": str,
            "status": str,  # pending | sent | failed
            "created_at": str,
            "attempts": int,
            "next_attempt": str,
            "last_error": str,
            "sent_at": str,
            "message_id": int,
        },
        pk="id",
        defaults={"status": "pending", "attempts": 0},
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["outbox"].create_index(["article_id", "chat_id"], unique=True)
    db["outbox"].create_index(["status", "chat_id"])


@migrations()
def m002_source_health(db: Database) -> None:
    """Entry arrivals (for quiet sources), quiet flags and one-shot admin notices."""
    db["sources"].add_column("quiet_since", str)
    db["arrivals"].create({"source": str, "at": str, "count": int}, pk=("source", "at"))
    db["admin_notices"].create(
        {
            "id": int,
            "kind": str,  # disabled | quiet
            "source": str,
            "message": str,
            "created_at": str,
            "sent_at": str,
        },
        pk="id",
    )
    db["admin_notices"].create_index(["sent_at"])


def apply_migrations(db: Database) -> None:
    migrations.apply(db)
