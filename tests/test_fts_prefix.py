"""The FTS table's prefix indexes (m005): short prefixes find what they found before.

An archive is built at the schema before m005 from the dev corpus, searched, then opened (and
so migrated) and searched again: the same hits in the same order, ranks and snippets.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlite_utils import Database

import storage.query as q
from storage.archive import Archive, ArticleRecord
from storage.chats import chat_migrations
from storage.migrations import AUTOMERGE_M005, PREFIX_M005, migrations
from storage.query import search
from tests.test_search import build_dev_archive, dev_records, expect, ids

QUERIES = ["ال*", "al*", "Pa*", "dro*", "ta*", "Ру*", "Танф*", "garrison", "the",
           '"drone at"*', "ma* NOT garrison", "NEAR(dr* ta*, 5)", "55-km zo*", "التنف"]


def _fts_sql(db: Database) -> str:
    return db.execute("select sql from sqlite_master where name = 'articles_fts'").fetchone()[0]


def _integrity(db: Database) -> None:
    """FTS5's own check: the prefix indexes agree with the main one (raises if not)."""
    db.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")


def _before_m005(path) -> Database:
    """The dev corpus in an archive as the code before m005 left it (m003's triggers index it)."""
    db = Database(sqlite3.connect(str(path), isolation_level=None))
    migrations.apply(db, stop_before="m005_fts_prefix_index")
    chat_migrations.apply(db)
    for r in dev_records():
        db["articles"].insert(ArticleRecord(
            id=r["id"], text=r["text"], title=r["title"] or "", language=r["language"],
            fetched_at=f"2026-11-{1 + len(r['id']) % 28:02d}", duplicate_of=r["dup_of"],
            story=r["story"] or r["id"]).to_row())
    assert "prefix" not in _fts_sql(db)
    return db


def _results(db: Database) -> dict[str, list[tuple[str, float | None, str, int | None]]]:
    return {query: [(h.id, h.rank, h.snippet, h.window) for h in search(db, query, limit=500)]
            for query in QUERIES}


def test_an_archive_from_before_m005_migrates_and_finds_the_same(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    db = _before_m005(path)
    before = _results(db)
    monkeypatch.setattr(q, "WHOLE", 6)  # window marking too: the same newest matches ranked
    monkeypatch.setattr(q, "WINDOW", 4)
    bounded = _results(db)
    monkeypatch.undo()
    db.close()

    archive = Archive.open(path)
    assert f"prefix='{PREFIX_M005}'" in _fts_sql(archive.db)
    config = dict(archive.db.execute("select k, v from articles_fts_config").fetchall())
    assert config["automerge"] == AUTOMERGE_M005 and config["rank"] == "bm25(4.0, 1.0)"
    _integrity(archive.db)
    assert _results(archive.db) == before
    assert all(before[query] for query in QUERIES[:-1]) and before["ال*"] != before["التنف"]
    monkeypatch.setattr(q, "WHOLE", 6)
    monkeypatch.setattr(q, "WINDOW", 4)
    assert _results(archive.db) == bounded
    assert {h[3] for h in bounded["the"]} == {4}
    monkeypatch.undo()

    # The triggers were replaced, not lost: new, changed and deleted rows keep the index in step.
    archive.add_article(ArticleRecord(id="n1", text="Zyxwar convoy near Qotbanu.", story="n1"))
    assert ids(search(archive.db, "zy*")) == {"n1"} and ids(search(archive.db, "qot*")) == {"n1"}
    archive.db["articles"].update("n1", {"text": "Vuplex patrol."})
    assert search(archive.db, "zy*") == [] and ids(search(archive.db, "vu*")) == {"n1"}
    archive.db["articles"].delete("n1")
    assert search(archive.db, "vu*") == []
    _integrity(archive.db)
    archive.close()
    again = Archive.open(path)  # nothing left to migrate
    assert again.db.execute("select count(*) from _sqlite_migrations where name = "
                            "'m005_fts_prefix_index'").fetchone()[0] == 1
    again.close()


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    archive = build_dev_archive(tmp_path_factory.mktemp("dev") / "dev.db")
    yield archive
    archive.close()


@pytest.mark.parametrize("prefix", ["ال", "al", "pa", "dro", "ta", "ру", "и", "gar"])
def test_a_short_prefix_finds_every_record_with_a_word_it_starts(dev, prefix):
    """Two and three characters read the prefix indexes; one merges words, as before."""
    found = ids(search(dev.db, prefix + "*", limit=500))
    assert found == expect(lambda t: any(w.startswith(prefix) for w in t)) != set()
    if prefix == "ال":  # folded like the index: with hamza and a haraka, the same
        assert ids(search(dev.db, "أَل*", limit=500)) == found
