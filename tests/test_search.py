"""Searching the archive: storage.query over an archive built from the dev corpus at test time.

Expected results are computed from the corpus file itself (words, gold labels, dates), so the
tests hold for any version of dev.jsonl. Unit sentences below are written for these tests.
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from bot.classify import parse_published
from storage.archive import Archive, ArticleRecord, iso
from storage.query import QueryError, fold_query, search
from tests.conftest import SHARED

DEV = SHARED / "corpus" / "dev.jsonl"
FETCHED = datetime(2026, 11, 1, tzinfo=UTC)  # first seen, for records the corpus leaves undated


def dev_records() -> list[dict]:
    if not DEV.exists():
        pytest.skip(f"no corpus at {DEV}")
    return [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]


def build_dev_archive(path: Path) -> Archive:
    """Every dev record as an article with its gold labels (relevance, topics, story, copy)."""
    archive = Archive.open(path)
    for r in dev_records():
        archive.add_article(ArticleRecord(
            id=r["id"], text=r["text"], title=r["title"] or "", url=r["source"],
            canonical_url=r["source"], outlet=urlsplit(r["source"]).hostname,
            language=r["language"], published=iso(parse_published(r["date"])),
            fetched_at=iso(FETCHED), relevant=r["relevant"], topics=tuple(r["topics"]),
            duplicate_of=r["dup_of"], story=r["story"] or r["id"]))
    return archive


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    archive = build_dev_archive(tmp_path_factory.mktemp("dev") / "dev.db")
    yield archive
    archive.close()


def tokens(text: str) -> list[str]:
    """Roughly what the index holds: folded, case- and accent-free words."""
    bare = unicodedata.normalize("NFKD", fold_query(text).casefold())
    bare = "".join(c for c in bare if not unicodedata.combining(c))
    return re.findall(r"[^\W_]+", bare)


def expect(pred, **where) -> set[str]:
    """Ids of the records (copies left out, as search does by default) matching pred(tokens)."""
    out = set()
    for r in dev_records():
        if r["dup_of"] and not where.get("duplicates"):
            continue
        if all(r[k] == v for k, v in where.items() if k != "duplicates") and pred(
                tokens(r["title"] + "\n" + r["text"])):
            out.add(r["id"])
    return out


def ids(hits) -> set[str]:
    return {h.id for h in hits}


def test_an_english_word_finds_every_record_with_it_best_first(dev):
    hits = search(dev.db, "garrison", limit=200)
    assert ids(hits) == expect(lambda t: "garrison" in t) != set()
    assert all("[garrison]" in h.snippet.lower() for h in hits)
    assert [h.rank for h in hits] == sorted(h.rank for h in hits)


def test_arabic_with_and_without_harakat_find_the_same_records(dev):
    plain = ids(search(dev.db, "التنف", limit=200))
    vowelled = ids(search(dev.db, "التَّنْف", limit=200))
    assert plain == vowelled == expect(lambda t: "التنف" in t)
    # The corpus writes the name both ways; both kinds of record are found.
    raw = {r["id"]: r["text"] for r in dev_records() if r["id"] in plain}
    assert any("التَّنْف" in text for text in raw.values())
    assert any("التنف" in text for text in raw.values())


def test_a_russian_prefix_finds_inflected_forms(dev):
    hits = ids(search(dev.db, "Рукбан*", limit=200))
    assert hits == expect(lambda t: any(w.startswith("рукбан") for w in t))
    assert ids(search(dev.db, "рукбана", limit=200)) < hits  # the exact form alone finds fewer


def test_a_phrase_not_and_or(dev):
    def phrase(t: list[str]) -> bool:
        return any(t[i:i + 2] == ["drone", "attack"] for i in range(len(t)))

    assert ids(search(dev.db, '"drone attack"', limit=200)) == expect(phrase) != set()
    tanf = expect(lambda t: "tanf" in t)
    welfare = expect(lambda t: "welfare" in t)
    assert welfare & tanf
    assert ids(search(dev.db, "tanf NOT welfare", limit=200)) == tanf - welfare
    either = ids(search(dev.db, "welfare OR garrison", limit=200))
    assert either == welfare | expect(lambda t: "garrison" in t)
    near = ids(search(dev.db, "NEAR(drone garrison, 10)", limit=200))
    assert near and near <= expect(lambda t: "drone" in t and "garrison" in t)


def test_language_topic_and_relevance_filters(dev):
    tanf = lambda t: "tanf" in t or "التنف" in t  # noqa: E731
    assert ids(search(dev.db, "tanf OR التنف", langs=["AR"], limit=200)) == expect(
        tanf, language="ar") != set()
    zone = {r["id"] for r in dev_records() if "55km-zone" in r["topics"] and not r["dup_of"]}
    assert ids(search(dev.db, "tanf OR التنف", topics=["55km-zone"], limit=200)) == (
        expect(tanf) & zone)
    relevant = ids(search(dev.db, "tanf", relevant_only=True, limit=200))
    assert relevant == expect(lambda t: "tanf" in t, relevant=True)


def test_date_filters_use_the_published_day_else_first_seen(dev):
    def day(r) -> str:
        return iso(parse_published(r["date"])) or iso(FETCHED)

    since, until = date(2017, 6, 1), date(2020, 12, 31)
    hits = ids(search(dev.db, "tanf", since=since, until=until, limit=200))
    expected = {r["id"] for r in dev_records() if "tanf" in tokens(r["title"] + " " + r["text"])
                and not r["dup_of"] and "2017-06-01" <= day(r)[:10] <= "2020-12-31"}
    assert hits == expected != set()
    undated = ids(search(dev.db, "tanf", since=date(2026, 1, 1), limit=200))
    assert undated == {r["id"] for r in dev_records() if r["id"] in expect(
        lambda t: "tanf" in t) and parse_published(r["date"]) is None}


def test_copies_are_left_out_unless_asked_for(dev):
    copies = {r["id"] for r in dev_records() if r["dup_of"]}
    every = ids(search(dev.db, "tanf OR TANF OR التنف", include_duplicates=True, limit=500))
    assert every & copies
    assert not ids(search(dev.db, "tanf OR التنف", limit=500)) & copies


def test_story_filter_and_no_query_lists_by_date(dev):
    story = next(r["story"] for r in dev_records() if r["story"] and r["relevant"])
    members = {r["id"] for r in dev_records() if r["story"] == story and not r["dup_of"]}
    hits = search(dev.db, None, story=story, limit=200)
    assert ids(hits) == members
    days = [h.published or h.first_seen for h in hits]
    assert days == sorted(days, reverse=True)


def test_the_archive_built_by_classify_is_searchable(tmp_path):
    from click.testing import CliRunner

    from bot.cli.main import cli

    dev_records()  # skips without the corpus
    db = tmp_path / "c.db"
    result = CliRunner().invoke(cli, ["classify", "--db", str(db), str(DEV)])
    assert result.exit_code == 0, result.output
    archive = Archive.open(db)
    try:
        found = ids(search(archive.db, "التَّنْف", include_duplicates=True, limit=200))
        assert expect(lambda t: "التنف" in t, duplicates=True) <= found
    finally:
        archive.close()


# -- unit sentences -------------------------------------------------------------------------

def _small(tmp_path) -> Archive:
    archive = Archive.open(tmp_path / "s.db")
    texts = {
        "ar": "أعلنت القوات أن الدورية وصلت إلى القاعدة الصحراوية صباحاً.",
        "arv": "وَصَلَتِ الدَّوْرِيَّةُ إِلَى الْقَاعِدَةِ",
        "ru": "Колонна прошла через пустыню; ёлки у дороги.",
        "fr": "Le convoi a quitté la zone désertique.",
    }
    for aid, text in texts.items():
        archive.add_article(ArticleRecord(id=aid, text=text, title=""))
    return archive


def test_folding_of_harakat_hamza_yo_and_accents(tmp_path):
    archive = _small(tmp_path)
    assert ids(archive.search("الدورية")) == {"ar", "arv"}
    assert ids(archive.search("الدَّوْرِيَّةُ")) == {"ar", "arv"}
    assert ids(archive.search("الي")) == set()  # alef maqsura is not folded into ya
    assert ids(archive.search("الى")) == {"ar", "arv"}  # hamza below alef is folded
    assert ids(archive.search("اعلنت")) == {"ar"}  # hamza on alef folded
    assert ids(archive.search("елки")) == {"ru"}
    assert ids(archive.search("desertique")) == {"fr"} == ids(archive.search("DÉSERTIQUE"))
    hits = {h.id: h.snippet for h in archive.search("الْقَاعِدَةِ الدورية")}
    assert "[الْقَاعِدَةِ]" in hits["arv"] and "[الدَّوْرِيَّةُ]" in hits["arv"]  # the original text
    assert "[القاعدة]" in hits["ar"]


@pytest.mark.parametrize("query", ['"unbalanced', "convoy AND", "(convoy", "NEAR(convoy",
                                   "nosuchcol:convoy AND x"])
def test_malformed_syntax_raises_a_query_error(tmp_path, query):
    archive = _small(tmp_path)
    with pytest.raises(QueryError, match="bad search query") as caught:
        archive.search(query)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(("query", "found"), [("convoi", {"fr"}), ("la zone", {"fr"}),
                                              ("désert*", {"fr"}), ("d.sert", set()),
                                              ("Колонн*", {"ru"}), ("convoi:", {"fr"})])
def test_plain_text_that_fts5_rejects_is_searched_word_by_word(tmp_path, query, found):
    assert ids(_small(tmp_path).search(query)) == found


def test_since_skips_older_rowids_without_losing_undated_or_late_rows(tmp_path):
    archive = Archive.open(tmp_path / "d.db")
    rows = [("old", "2026-01-01", "2026-01-01"), ("mid", "2026-02-01", "2026-02-01"),
            ("none", None, None), ("late", "2026-03-01", "2026-03-02"),
            ("backfill", "2025-12-01", "2026-03-03")]  # an old article found late
    for aid, published, seen in rows:
        archive.add_article(ArticleRecord(id=aid, text="patrol report", published=published,
                                          fetched_at=seen))
    assert ids(archive_search(archive, since=date(2026, 2, 1))) == {"mid", "late"}
    assert ids(archive_search(archive, until=date(2026, 1, 31))) == {"old", "backfill"}
    assert ids(archive_search(archive, since=date(2026, 4, 1))) == set()
    archive.db["articles"].update("none", {"published": "2026-02-15"})  # dated, never seen
    since = datetime(2026, 2, 10, tzinfo=UTC)
    assert ids(archive_search(archive, since=since)) == {"none", "late"}


def archive_search(archive: Archive, **filters):
    return search(archive.db, "patrol", limit=50, **filters)


def test_telegram_search_goes_through_the_same_function(tmp_path):
    from bot.telegram.commands import _search_page

    archive = _small(tmp_path)
    html, _ = _search_page(archive, "الدَّوْرِيَّةُ", 0)  # vowelled query, both spellings found
    assert "<code>ar</code>" in html and "<code>arv</code>" in html and "<b>" in html
    with pytest.raises(QueryError):  # /search answers "Cannot search for ..." on this
        _search_page(archive, "(convoy", 0)


@pytest.mark.parametrize("query", ["the", "al*", "ال*"])
def test_a_query_with_too_many_matches_is_ranked_among_its_newest_and_says_so(
        dev, monkeypatch, query):
    """Stopwords and short prefixes: only the newest WINDOW matches are ranked, flagged."""
    import storage.query as q

    word = query.rstrip("*").casefold()
    matches = [r["id"] for r in dev_records() if not r["dup_of"] and any(
        (t.startswith(word) if query.endswith("*") else t == word)
        for t in tokens(r["title"] + "\n" + r["text"]))]
    everything = [r["id"] for r in dev_records()]
    if len(matches) < 8:
        pytest.skip(f"too few records with {query!r} in the corpus")
    unbounded = search(dev.db, query, limit=len(everything))
    assert ids(unbounded) == set(matches) and {h.window for h in unbounded} == {None}
    monkeypatch.setattr(q, "WHOLE", 6)
    monkeypatch.setattr(q, "WINDOW", 4)
    hits = search(dev.db, query, limit=len(everything))
    assert hits and {h.window for h in hits} == {4}
    # Arrival order is rowid order; copies count towards the window but are not shown.
    with_copies = [r["id"] for r in dev_records() if any(
        (t.startswith(word) if query.endswith("*") else t == word)
        for t in tokens(r["title"] + "\n" + r["text"]))]
    newest = set(with_copies[-4:])
    assert ids(hits) == newest & set(matches)
    assert [round(h.rank, 2) for h in hits] == sorted(round(h.rank, 2) for h in hits)
    # At most WHOLE matches: every one ranked, nothing flagged.
    monkeypatch.setattr(q, "WHOLE", len(with_copies))
    assert ids(search(dev.db, query, limit=len(everything))) == set(matches)
    assert {h.window for h in search(dev.db, query, limit=5)} == {None}


def test_the_cli_says_when_a_search_was_ranked_among_the_newest_only(tmp_path, monkeypatch):
    from click.testing import CliRunner

    import storage.query as q
    from bot.cli.main import cli

    archive = build_dev_archive(tmp_path / "dev.db")
    archive.close()
    runner = CliRunner()
    args = ["--db", str(tmp_path / "dev.db"), "search", "the", "-n", "3"]
    plain = runner.invoke(cli, args, env={"TANFWATCH_CONFIG": ""})
    assert plain.exit_code == 0 and "ranked among the newest" not in plain.stderr
    monkeypatch.setattr(q, "WHOLE", 6)
    monkeypatch.setattr(q, "WINDOW", 4)
    bounded = runner.invoke(cli, args, env={"TANFWATCH_CONFIG": ""})
    assert bounded.exit_code == 0, bounded.output
    assert "ranked among the newest 4 matches only" in bounded.stderr


def test_the_search_command_says_when_it_ranked_among_the_newest_only(dev, monkeypatch):
    import storage.query as q
    from bot.telegram.commands import _search_page

    assert "ranked among the newest" not in _search_page(dev, "the", 0)[0]
    monkeypatch.setattr(q, "WHOLE", 6)
    monkeypatch.setattr(q, "WINDOW", 4)
    assert "ranked among the newest 4 matches only" in _search_page(dev, "the", 0)[0]


@pytest.mark.parametrize("query", ["the", "al*"])
def test_a_bounded_query_with_since_ranks_the_newest_matches_then_filters_by_date(
        dev, monkeypatch, query):
    """--since's rowid floor and the window's are one bound (the higher): same hits as both."""
    import storage.query as q

    word = query.rstrip("*").casefold()
    with_copies = [r for r in dev_records() if any(
        (t.startswith(word) if query.endswith("*") else t == word)
        for t in tokens(r["title"] + "\n" + r["text"]))]
    monkeypatch.setattr(q, "WHOLE", 6)
    monkeypatch.setattr(q, "WINDOW", 4)
    since = date(2020, 1, 1)
    hits = search(dev.db, query, since=since, limit=100)
    day = {r["id"]: iso(parse_published(r["date"])) or iso(FETCHED) for r in with_copies}
    newest = {r["id"] for r in with_copies[-4:] if not r["dup_of"]}
    assert ids(hits) == {i for i in newest if day[i] >= since.isoformat()} != set()
    assert {h.window for h in hits} == {4}
