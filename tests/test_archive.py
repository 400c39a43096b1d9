from datetime import UTC, datetime

from storage.archive import Archive, ArticleRecord
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
    assert [h.id for h in archive.search("al-Tan*")] == []  # not a plain prefix token
    assert archive.search('"(unbalanced') == []


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
