"""Schema as ordered migrations (sqlite-utils), applied on every open.

Never edit a released migration: add a new one. Content keys are primary keys,
so re-processing an entry or an article is harmless.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["AUTOMERGE_M005", "FOLD_M003", "PREFIX_M005", "TOKENIZE_M003", "apply_migrations",
           "fold_sql", "migrations", "rebuild_fts"]

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


# m003's folding, applied to what is indexed (by the triggers) and to every query (storage.query):
# Arabic harakat and superscript alef dropped; hamza/madda alef forms -> bare alef; Cyrillic
# yo -> ye. Each maps one character inside a token to zero or one character, so token positions
# (and snippets cut from the unfolded text) still line up. Not tatweel: used alone as a dash it
# is a token of its own, and dropping it would shift every later position. Frozen: m003 uses it.
FOLD_M003: tuple[tuple[int, int | None], ...] = (
    *((c, None) for c in (*range(0x064B, 0x0656), 0x0670)),
    (0x0622, 0x0627), (0x0623, 0x0627), (0x0625, 0x0627), (0x0671, 0x0627),
    (0x0451, 0x0435), (0x0401, 0x0415),
)
# Mn in the token characters keeps a vowelled Arabic word one token (by default harakat split it).
TOKENIZE_M003 = "unicode61 remove_diacritics 2 categories 'L* N* Co Mn'"


def fold_sql(expr: str, fold: tuple[tuple[int, int | None], ...] = FOLD_M003) -> str:
    """`expr` wrapped in nested replace() calls: the folding in plain SQL, usable in triggers."""
    for code, to in fold:
        expr = f"replace({expr}, char({code}), {f'char({to})' if to else repr('')})"
    return expr


def _fts_triggers(db: Database) -> None:
    new = f"new.rowid, {fold_sql('new.title')}, {fold_sql('new.text')}"
    old = f"'delete', old.rowid, {fold_sql('old.title')}, {fold_sql('old.text')}"
    cols = '"title", "text"'
    insert = f'INSERT INTO "articles_fts" (rowid, {cols}) VALUES ({new});'
    delete = f'INSERT INTO "articles_fts" ("articles_fts", rowid, {cols}) VALUES ({old});'
    db.execute(f'CREATE TRIGGER "articles_ai" AFTER INSERT ON "articles" BEGIN {insert} END')
    db.execute(f'CREATE TRIGGER "articles_ad" AFTER DELETE ON "articles" BEGIN {delete} END')
    db.execute(f'CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "text" ON "articles" '
               f"BEGIN {delete} {insert} END")


@migrations()
def m003_archive(db: Database) -> None:
    """FTS over folded text (diacritics, harakat), every URL of an article, the stories view."""
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    db.execute('DROP TABLE IF EXISTS "articles_fts"')
    # content="articles" as sqlite-utils writes it, so Datasette finds the index; the triggers
    # index folded text, so never run 'rebuild' (it would index the raw columns).
    db.execute(
        'CREATE VIRTUAL TABLE "articles_fts" USING FTS5 ("title", "text", '
        f'tokenize="{TOKENIZE_M003}", content="articles")'
    )
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0)')")
    db.execute(f'INSERT INTO "articles_fts" (rowid, "title", "text") SELECT rowid, '
               f'{fold_sql("title")}, {fold_sql("text")} FROM articles')
    _fts_triggers(db)
    db["articles"].create_index(["fetched_at"])  # first-seen date -> rowid (arrival order)
    db["article_urls"].create(
        {"article_id": str, "url": str, "first_seen": str},
        pk=("article_id", "url"), foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_urls"].create_index(["url"])
    for column in ("url", "canonical_url"):
        db.execute(f"INSERT OR IGNORE INTO article_urls SELECT id, {column}, "
                   f"coalesce(fetched_at, published) FROM articles WHERE {column} IS NOT NULL")
    db.execute(_STORIES_VIEW)


# One row per story (articles.story); a view, so it is never out of step with the articles.
_STORIES_VIEW = """
CREATE VIEW stories AS
SELECT s.story AS id,
  (SELECT f.title FROM articles f WHERE f.story = s.story ORDER BY f.rowid LIMIT 1) AS title,
  min(coalesce(s.fetched_at, s.published)) AS first_seen,
  max(coalesce(s.fetched_at, s.published)) AS last_seen,
  min(s.published) AS first_published,
  max(s.published) AS last_published,
  count(*) AS articles,
  sum(s.relevant) AS relevant,
  sum(s.duplicate_of IS NOT NULL) AS duplicates,
  (SELECT json_group_array(DISTINCT o.outlet) FROM articles o
    WHERE o.story = s.story AND o.outlet IS NOT NULL) AS outlets,
  (SELECT json_group_array(DISTINCT g.language) FROM articles g
    WHERE g.story = s.story AND g.language IS NOT NULL) AS languages,
  (SELECT json_group_array(DISTINCT j.value) FROM articles t, json_each(t.topics) j
    WHERE t.story = s.story) AS topics
FROM articles s
WHERE s.story IS NOT NULL
GROUP BY s.story
"""


@migrations()
def m004_stories_relevant(db: Database) -> None:
    # A story's `relevant` counts what storage.relevant calls relevant: no seeds, no copies.
    db.execute("DROP VIEW IF EXISTS stories")
    db.execute(_STORIES_VIEW_M004)


_STORIES_VIEW_M004 = _STORIES_VIEW.replace(
    "sum(s.relevant) AS relevant",
    "sum(s.relevant = 1 AND coalesce(s.origin, '') != 'seed' AND s.duplicate_of IS NULL)"
    " AS relevant")


# Prefix indexes of m005, in characters: `ta*` or `ال*` reads one stored doclist instead of
# merging those of every word it starts (hundreds of ms at 100k articles); 4+ characters
# start few enough words to merge. They make an insert write 2-3x the index entries, so m005
# also lets 16 segments gather on a level before merging (FTS5's default: 4): each entry is
# rewritten about half as often as the index grows (~+20% inserts/s, searches no slower).
# Frozen: m005 uses them.
PREFIX_M005 = "2 3"
AUTOMERGE_M005 = 16


def rebuild_fts(db: Database, prefix: str | None, automerge: int | None = None) -> None:
    """Re-create articles_fts as m003 made it (folded, BM25 weights, the triggers), with these
    prefix indexes and automerge (None: FTS5's defaults), and index every article again.
    Frozen: m005 uses it."""
    for trigger in ("articles_ai", "articles_ad", "articles_au"):
        db.execute(f'DROP TRIGGER IF EXISTS "{trigger}"')
    db.execute('DROP TABLE IF EXISTS "articles_fts"')
    options = f"tokenize=\"{TOKENIZE_M003}\", content=\"articles\""
    db.execute(f'CREATE VIRTUAL TABLE "articles_fts" USING FTS5 ("title", "text", {options}'
               f"{f', prefix={prefix!r}' if prefix else ''})")
    db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('rank', 'bm25(4.0, 1.0)')")
    if automerge is not None:
        db.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES ('automerge', ?)",
                   [automerge])
    db.execute(f'INSERT INTO "articles_fts" (rowid, "title", "text") SELECT rowid, '
               f'{fold_sql("title")}, {fold_sql("text")} FROM articles')
    _fts_triggers(db)


@migrations()
def m005_fts_prefix_index(db: Database) -> None:
    """Short-prefix indexes on the FTS table (PREFIX_M005); the same matches and ranks.

    Rebuilt in place: about a minute and 40% more file at 100k articles."""
    rebuild_fts(db, PREFIX_M005, AUTOMERGE_M005)


def apply_migrations(db: Database) -> None:
    migrations.apply(db)
