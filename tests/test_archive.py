from datetime import UTC, datetime

import pytest

from storage.archive import Archive, ArticleRecord
from storage.query import QueryError
from storage.seeds import load_seeds

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def test_migrations_are_idempotent_and_file_is_plain_sqlite(tmp_path):
    path = tmp_path / "a.db"
    Archive.open(path).close()
    archive = Archive.open(path)  # second open: nothing to migrate, nothing breaks
    names = set(archive.db.table_names())
    assert {"sources", "seen", "articles", "articles_fts", "outbox", "_sqlite_migrations"} <= names
    archive.close()
    import sqlite3

    conn = sqlite3.connect(path)
    names = [r[0] for r in conn.execute(
        "select name from _sqlite_migrations where migration_set = 'tanfwatch' order by id")]
    assert names[0] == "m001_initial" and len(names) == len(set(names))


def test_article_and_alert_are_stored_together_once(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    record = ArticleRecord(id="a1", text="Drone attack on the al-Tanf garrison.", title="Tanf",
                           relevant=True, topics=("al-tanf",), story="a1")
    assert archive.add_article(record, alert_chats=["-100"], now=NOW)
    assert not archive.add_article(record, alert_chats=["-100"], now=NOW)  # same content key
    pending = archive.outbox.pending()
    assert [(p.article_id, p.chat_id) for p in pending] == [("a1", "-100")]
    archive.outbox.mark_sent(pending[0].id, 77, now=NOW)
    assert archive.outbox.pending() == []
    assert archive.outbox.story_message_id("a1", "-100") == 77
    hits = archive.search("garrison")
    assert [h.id for h in hits] == ["a1"] and "[garrison]" in hits[0].snippet


def test_search_accepts_user_text_with_fts_syntax_characters(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    archive.add_article(ArticleRecord(id="a1", text="The 55-km zone around al-Tanf."))
    assert [h.id for h in archive.search("55-km zone")] == ["a1"]
    assert [h.id for h in archive.search("al-Tan*")] == ["a1"]  # a phrase prefix: "al tan"*
    assert [h.id for h in archive.search("U.S. base")] == []  # quoted word by word, no error
    with pytest.raises(QueryError, match="bad search query"):
        archive.search('"(unbalanced')


def test_retry_keeps_alert_pending_with_a_time(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    archive.add_article(ArticleRecord(id="a1", text="x"), alert_chats=["c"], now=NOW)
    alert = archive.outbox.pending()[0]
    archive.outbox.mark_retry(alert.id, "Telegram 429", next_attempt=NOW)
    again = archive.outbox.pending()[0]
    assert again.attempts == 1 and again.next_attempt == NOW.isoformat(timespec="seconds")


def test_seen_entries(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    archive.sources.mark_seen("s", [("k1", "http://x/1")], now=NOW)
    assert archive.sources.unseen("s", ["k1", "k2", "k2"]) == {"k2"}
    assert archive.sources.unseen("other", ["k1"]) == {"k1"}


def test_seeds_ship_with_the_package():
    seeds = load_seeds()
    assert [s.id for s in seeds][:2] == ["000_b98742197d53d48d", "001_7a8351a12e81f74c"]
    assert len(seeds) == 5 and all(len(s.text) > 1000 for s in seeds)
    assert seeds[0].title.startswith("Defectors quit last US-backed rebel group")
    assert seeds[0].published.year == 2020 and seeds[0].published.tzinfo is not None


def _old_archive(path):
    """An archive as the code before m003 left it: m001 + m002 and the chats set."""
    import sqlite3

    from sqlite_utils import Database

    from storage.chats import chat_migrations
    from storage.migrations import migrations

    db = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(db, stop_before="m003_archive")
    chat_migrations.apply(db)
    assert "article_urls" not in db.table_names()
    db["articles"].insert({"id": "old1", "text": "Shelling near the base of الْقَاعِدَة at Tanf.",
                           "title": "Old report", "url": "http://x.example/1?utm=1",
                           "canonical_url": "http://x.example/1", "story": "old1",
                           "relevant": 1, "topics": '["al-tanf"]', "outlet": "X",
                           "fetched_at": "2026-01-02T00:00:00+00:00"})
    db["outbox"].insert({"article_id": "old1", "chat_id": "-100", "kind": "new-story",
                         "status": "sent", "message_id": 5})
    db.close()


def test_an_archive_from_before_m003_migrates_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.db"
    _old_archive(path)
    archive = Archive.open(path)
    assert [h.id for h in archive.search("القاعدة")] == ["old1"]  # indexed again, folded
    assert [h.id for h in archive.search("shelling")] == ["old1"]
    assert archive.urls("old1") == [("http://x.example/1?utm=1", "2026-01-02T00:00:00+00:00"),
                                    ("http://x.example/1", "2026-01-02T00:00:00+00:00")]
    assert [a["message_id"] for a in archive.alerts("old1")] == [5]
    [story] = archive.stories()
    assert (story.id, story.title, story.articles, story.topics) == (
        "old1", "Old report", 1, ("al-tanf",))
    # New rows keep the index in step (the triggers were replaced, not lost).
    archive.add_article(ArticleRecord(id="n1", text="A new convoy report.", story="old1",
                                      outlet="Y", language="en", fetched_at="2026-01-03"))
    assert [h.id for h in archive.search("convoy")] == ["n1"]
    assert archive.story("old1").outlets == ("X", "Y")
    archive.db["articles"].update("n1", {"text": "A new patrol report."})
    assert archive.search("convoy") == [] and [h.id for h in archive.search("patrol")] == ["n1"]
    archive.db["articles"].delete("n1")
    assert archive.search("patrol") == []
    names = [r[0] for r in archive.db.execute(
        "select name from _sqlite_migrations where migration_set = 'tanfwatch' order by id")]
    assert names[:4] == ["m001_initial", "m002_source_health", "m003_archive",
                         "m004_stories_relevant"]


def test_every_url_an_article_was_seen_at_is_kept(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    record = ArticleRecord(id="a1", text="x", url="http://a.example/p?ref=rss",
                           canonical_url="http://a.example/p")
    archive.add_article(record, now=NOW)
    assert archive.add_url("a1", "http://mirror.example/p", NOW)
    assert not archive.add_url("a1", "http://mirror.example/p", NOW)  # known: no second row
    assert [u for u, _ in archive.urls("a1")] == [
        "http://a.example/p?ref=rss", "http://a.example/p", "http://mirror.example/p"]
    assert {seen for _, seen in archive.urls("a1")} == {NOW.isoformat(timespec="seconds")}


def test_stories_view_counts_outlets_languages_and_topics(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    rows = [("s1", "s1", "First report", "A", "en", '["al-tanf"]', None, "2026-01-01"),
            ("s2", "s1", "Second report", "B", "ar", '["55km-zone", "al-tanf"]', None,
             "2026-01-05"),
            ("s3", "s1", "Copy", "B", "ar", "[]", "s2", "2026-01-06"),
            ("t1", "t1", "Other", "C", "ru", "[]", None, "2026-01-02")]
    for aid, story, title, outlet, lang, topics, dup, seen in rows:
        archive.db["articles"].insert({"id": aid, "story": story, "title": title, "text": title,
                                       "outlet": outlet, "language": lang, "topics": topics,
                                       "duplicate_of": dup, "fetched_at": seen,
                                       "relevant": int(topics != "[]")})
    first, second = archive.stories()
    assert (first.id, first.title, first.articles, first.duplicates, first.relevant) == (
        "s1", "First report", 3, 1, 2)
    assert (first.first_seen, first.last_seen) == ("2026-01-01", "2026-01-06")
    assert set(first.outlets) == {"A", "B"} and set(first.languages) == {"en", "ar"}
    assert set(first.topics) == {"al-tanf", "55km-zone"}
    assert second.id == "t1" and [s.id for s in archive.stories(relevant_only=True)] == ["s1"]
    assert archive.duplicates("s2") == ["s3"] and archive.story("nope") is None
