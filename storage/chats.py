"""Telegram-side state: chats (subscriptions, gone chats), feedback votes, bot-added sources.

Its own migration set, applied after the main one, so the Telegram half can grow its
schema without touching the archive's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["ALL_TOPICS", "FOLLOW_UP_MODES", "ChatStore", "Subscription", "Vote",
           "chat_migrations"]

# thread: each follow-up replies to the story's first alert; digest: one "also reported by"
# message per story and delivery; mute: archived, never sent
FOLLOW_UP_MODES = ("thread", "digest", "mute")

chat_migrations = Migrations("tanfwatch-telegram")


@chat_migrations()
def m001_chats(db: Database) -> None:
    db["chats"].create({"chat_id": str, "topics": str, "subscribed": int, "status": str,
                        "reason": str, "updated_at": str}, pk="chat_id",
                       defaults={"subscribed": 0, "status": "ok"})
    db["feedback"].create({"article_id": str, "user_id": int, "chat_id": str, "vote": int,
                           "at": str}, pk=("article_id", "user_id"))
    db["bot_state"].create({"key": str, "value": str}, pk="key")
    db["bot_sources"].create({"name": str, "url": str, "added_by": int, "added_at": str},
                             pk="name")


@chat_migrations()
def m002_chat_follow_ups(db: Database) -> None:
    db["chats"].add_column("follow_ups", str)  # null: the configured default


# A chat's choice of every topic, stored as such: a topic the config adds later is in it too.
ALL_TOPICS = "*"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass(frozen=True)
class Subscription:
    chat_id: str
    topics: tuple[str, ...]


@dataclass(frozen=True)
class Vote:
    article_id: str
    user_id: int
    relevant: bool


class ChatStore:
    """Chats the bot talks to, their topics, votes on alerts and the pause switch."""

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- subscriptions ----------------------------------------------------------------------
    def subscribe(self, chat_id: str, topics: Iterable[str], *, now: datetime,
                  known: Sequence[str] | None = None) -> Subscription:
        """Add `topics` to the chat's choice; `known`: the topic ids in force (the registry's,
        in its order): the choice keeps only those, in that order."""
        current = self.subscription(chat_id).topics if self.is_subscribed(chat_id) else ()
        merged = tuple(dict.fromkeys([*current, *topics]))
        if ALL_TOPICS in merged:  # every topic, also those a later config adds
            merged = (ALL_TOPICS,)
        elif known is not None:
            merged = tuple(t for t in known if t in set(merged))
        self.db["chats"].upsert({"chat_id": chat_id, "topics": json.dumps(merged),
                                 "subscribed": 1, "status": "ok", "reason": None,
                                 "updated_at": _iso(now)}, pk="chat_id")
        return Subscription(chat_id, merged)

    def unsubscribe(self, chat_id: str, topics: Iterable[str] | None, *,
                    now: datetime, known: Sequence[str] = ()) -> Subscription:
        """Drop some topics (or all when `topics` is None); no topic left = unsubscribed.
        `known`: the topic ids in force, what "all topics" stands for when one is dropped."""
        current = self.subscription(chat_id).topics
        if current == (ALL_TOPICS,):
            current = tuple(known)
        left = () if topics is None else tuple(t for t in current if t not in set(topics))
        self.db["chats"].upsert({"chat_id": chat_id, "topics": json.dumps(left),
                                 "subscribed": int(bool(left)), "updated_at": _iso(now)},
                                pk="chat_id")
        return Subscription(chat_id, left)

    def is_subscribed(self, chat_id: str) -> bool:
        return bool(self.db["chats"].count_where("chat_id = ? and subscribed = 1", [chat_id]))

    def subscription(self, chat_id: str) -> Subscription:
        rows = list(self.db["chats"].rows_where("chat_id = ?", [chat_id], limit=1))
        topics = tuple(json.loads(rows[0]["topics"] or "[]")) if rows else ()
        return Subscription(chat_id, topics)

    def subscribers(self, topics: Iterable[str]) -> list[str]:
        """Subscribed, reachable chats whose topic choice meets `topics`, oldest first."""
        wanted = set(topics)
        out = []
        for row in self.db["chats"].rows_where("subscribed = 1 and status = 'ok'",
                                               order_by="rowid"):
            chosen = set(json.loads(row["topics"] or "[]"))
            if ALL_TOPICS in chosen or wanted & chosen:
                out.append(row["chat_id"])
        return out

    # -- gone chats -------------------------------------------------------------------------
    def mark_gone(self, chat_id: str, reason: str, *, now: datetime) -> None:
        self.db["chats"].upsert({"chat_id": chat_id, "status": "gone", "reason": reason,
                                 "updated_at": _iso(now)}, pk="chat_id")

    def gone(self) -> dict[str, str]:
        return {r["chat_id"]: r["reason"] or ""
                for r in self.db["chats"].rows_where("status = 'gone'")}

    def gone_since(self, before: datetime) -> list[str]:
        """Gone chats last marked (or tried) at or before `before`."""
        return [r["chat_id"] for r in self.db["chats"].rows_where(
            "status = 'gone' and (updated_at is null or updated_at <= ?)", [_iso(before)],
            order_by="updated_at")]

    def mark_back(self, chat_id: str, *, now: datetime) -> bool:
        """The chat can be reached again (it re-added the bot, wrote to it, or an admin said
        so); False if it was not gone."""
        with self.db.atomic():
            cursor = self.db.execute(
                "update chats set status = 'ok', reason = null, updated_at = ? "
                "where chat_id = ? and status = 'gone'", [_iso(now), chat_id])
        return cursor.rowcount > 0

    def overview(self) -> list[dict]:
        """Every chat known from `chats` or the outbox: its state and its alerts by status
        (`parked`: failed while the chat was gone, queued again when it comes back)."""
        sql = """
            with ids as (select chat_id from chats union select distinct chat_id from outbox)
            select ids.chat_id, coalesce(c.status, 'ok') as status, c.reason, c.subscribed,
                   c.topics, c.follow_ups, c.updated_at,
                   sum(o.status = 'pending') as pending, sum(o.status = 'sent') as sent,
                   sum(o.status = 'failed' and o.last_error like 'chat gone:%') as parked,
                   sum(o.status = 'failed' and o.last_error not like 'chat gone:%') as failed
            from ids left join chats c on c.chat_id = ids.chat_id
            left join outbox o on o.chat_id = ids.chat_id
            group by ids.chat_id order by ids.chat_id"""
        cursor = self.db.execute(sql)
        names = [d[0] for d in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            row["subscribed"] = bool(row["subscribed"])
            row["topics"] = json.loads(row["topics"] or "[]")
            for key in ("pending", "sent", "parked", "failed"):
                row[key] = int(row[key] or 0)
        return rows

    # -- feedback ---------------------------------------------------------------------------
    def vote(self, article_id: str, user_id: int, relevant: bool, *, chat_id: str,
             now: datetime) -> None:
        """One vote per user and article; voting again replaces it."""
        self.db["feedback"].upsert({"article_id": article_id, "user_id": user_id,
                                    "chat_id": chat_id, "vote": int(relevant),
                                    "at": _iso(now)}, pk=("article_id", "user_id"))

    def votes(self, article_id: str | None = None) -> list[Vote]:
        where = "article_id = ?" if article_id else None
        rows = self.db["feedback"].rows_where(where, [article_id] if article_id else [],
                                              order_by="article_id, user_id")
        return [Vote(r["article_id"], r["user_id"], bool(r["vote"])) for r in rows]

    def tally(self) -> dict[str, tuple[int, int]]:
        """article id -> (relevant votes, not-relevant votes)."""
        sql = ("select article_id, sum(vote), sum(1 - vote) from feedback "
               "group by article_id order by article_id")
        return {r[0]: (int(r[1]), int(r[2])) for r in self.db.execute(sql)}

    # -- link previews, per chat --------------------------------------------------------------
    def set_link_preview(self, chat_id: str, on: bool) -> None:
        self.db["bot_state"].upsert({"key": f"preview:{chat_id}", "value": "1" if on else "0"},
                                    pk="key")

    def link_preview(self, chat_id: str) -> bool | None:
        """The chat's own choice, or None to use the configured default."""
        rows = list(self.db["bot_state"].rows_where("key = ?", [f"preview:{chat_id}"]))
        return rows[0]["value"] == "1" if rows else None

    # -- follow-ups, per chat ---------------------------------------------------------------
    def set_follow_ups(self, chat_id: str, mode: str, *, now: datetime) -> None:
        if mode not in FOLLOW_UP_MODES:
            raise ValueError(f"follow-up mode {mode!r} is not one of {', '.join(FOLLOW_UP_MODES)}")
        if self.db["chats"].count_where("chat_id = ?", [chat_id]):
            self.db.execute("update chats set follow_ups = ?, updated_at = ? where chat_id = ?",
                            [mode, _iso(now), chat_id])
        else:  # a chat that never subscribed (e.g. the main channel) keeps only its choice
            self.db["chats"].insert({"chat_id": chat_id, "topics": "[]", "subscribed": 0,
                                     "follow_ups": mode, "updated_at": _iso(now)})

    def follow_ups(self, chat_id: str) -> str | None:
        """The chat's own follow-up mode, or None to use the configured default."""
        row = self.db.execute("select follow_ups from chats where chat_id = ?",
                              [chat_id]).fetchone()
        return row[0] if row and row[0] in FOLLOW_UP_MODES else None

    # -- pause switch -----------------------------------------------------------------------
    def set_paused(self, paused: bool) -> None:
        self.db["bot_state"].upsert({"key": "paused", "value": "1" if paused else "0"},
                                    pk="key")

    def paused(self) -> bool:
        rows = list(self.db["bot_state"].rows_where("key = 'paused'"))
        return bool(rows) and rows[0]["value"] == "1"

    def set_telegram_offline(self, reason: str | None) -> None:
        """Why the bot found the Bot API unreachable (None: it is reachable), for `status`."""
        if reason is None:
            self.db.execute("delete from bot_state where key = 'telegram_offline'")
        else:
            self.db["bot_state"].upsert({"key": "telegram_offline", "value": reason},
                                        pk="key")

    # -- sources added through the bot ------------------------------------------------------
    def add_source(self, name: str, url: str, *, added_by: int, now: datetime) -> bool:
        if self.db["bot_sources"].count_where("name = ? or url = ?", [name, url]):
            return False
        self.db["bot_sources"].insert({"name": name, "url": url, "added_by": added_by,
                                       "added_at": _iso(now)})
        return True

    def remove_source(self, name: str) -> bool:
        with self.db.atomic():
            found = bool(self.db["bot_sources"].count_where("name = ?", [name]))
            self.db.execute("delete from bot_sources where name = ?", [name])
        return found

    def bot_sources(self) -> list[tuple[str, str]]:
        return [(r["name"], r["url"])
                for r in self.db["bot_sources"].rows_where(order_by="added_at, name")]
