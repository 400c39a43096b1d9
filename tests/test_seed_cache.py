"""The seed cache (storage/seedcache.py): a fresh archive seeded from it holds what judging the
seeds writes, and the judge decides the same; a corrupt or stale cache is judged afresh and
rewritten; an archive that already holds articles never uses it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from matchers.relevance import load_matcher
from storage.archive import Archive, ArticleRecord
from storage.known import load_judge
from storage.seedcache import CACHE_NAME, SeedCache, cache_key, write_seed_cache
from storage.seeds import load_seeds
from tests.articles import TANF_DRONE

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
PROBE = "\n\n".join(TANF_DRONE["paragraphs"])


@pytest.fixture(scope="module")
def matcher():
    return load_matcher()


def _key(matcher):
    return cache_key((None, matcher.registry))


def _seeded(path, matcher, cache):
    """The seed rows (without their fetch time) and the judge's decision on a probe article."""
    archive = Archive.open(path)
    seeds = SeedCache(cache, (None, matcher.registry)) if cache else None
    try:
        judge = load_judge(archive, matcher, now=NOW, seed_cache=seeds)
        rows = [{k: v for k, v in row.items() if k != "fetched_at"}
                for row in archive.db["articles"].rows_where(order_by="id")]
        probe = judge.judge("probe", PROBE, title="Drone strike near al-Tanf")
    finally:
        archive.close()
    return rows, probe.to_json(), probe.dedup


def test_a_fresh_archive_seeded_from_the_cache_equals_one_that_judged_the_seeds(
        tmp_path, matcher):
    cache = tmp_path / CACHE_NAME
    judged = _seeded(tmp_path / "a.db", matcher, cache)  # judges the seeds, writes the cache
    data = json.loads(cache.read_text("utf-8"))
    assert data["key"] == _key(matcher)
    assert [s["id"] for s in data["seeds"]] == [s.id for s in load_seeds()]
    from_cache = _seeded(tmp_path / "b.db", matcher, cache)
    assert from_cache == judged
    assert len(judged[0]) == len(load_seeds()) and {r["origin"] for r in judged[0]} == {"seed"}
    without = _seeded(tmp_path / "c.db", matcher, None)
    assert without == judged
    data["seeds"][0]["score"] = 0.123  # a marker: the next fresh archive is seeded from the file
    cache.write_text(json.dumps(data), "utf-8")
    assert _seeded(tmp_path / "d.db", matcher, cache)[0][0]["score"] == 0.123


@pytest.mark.parametrize("content", ["", "{not json", '{"key": 1}', '["a list"]',
                                     '{"key": "KEY", "seeds": [{"id": "000"}]}'])
def test_a_corrupt_cache_is_judged_afresh_and_rewritten(tmp_path, matcher, content):
    cache = tmp_path / CACHE_NAME
    expected = _seeded(tmp_path / "ref.db", matcher, None)
    cache.write_text(content.replace("KEY", _key(matcher)), "utf-8")
    assert _seeded(tmp_path / "a.db", matcher, cache) == expected
    assert json.loads(cache.read_text("utf-8"))["key"] == _key(matcher)


def test_a_cache_for_other_code_or_topics_is_not_used(tmp_path, matcher):
    cache = tmp_path / CACHE_NAME
    expected = _seeded(tmp_path / "ref.db", matcher, cache)
    data = json.loads(cache.read_text("utf-8"))
    for seed in data["seeds"]:  # what the seeds would have become under other rules
        seed.update(relevant=False, score=0.0, topics=[])
    strict = cache_key((0.99, matcher.registry))  # a config with another threshold
    assert strict != _key(matcher)
    data["key"] = strict
    cache.write_text(json.dumps(data), "utf-8")
    assert _seeded(tmp_path / "a.db", matcher, cache) == expected  # stale: judged afresh
    assert json.loads(cache.read_text("utf-8"))["key"] == _key(matcher)


def test_an_archive_with_articles_judges_the_seeds_without_the_cache(tmp_path, matcher):
    cache = tmp_path / CACHE_NAME
    expected = _seeded(tmp_path / "ref.db", matcher, None)
    write_seed_cache(cache, _key(matcher), [])  # would seed nothing if it were used
    archive = Archive.open(tmp_path / "a.db")
    try:
        archive.add_article(ArticleRecord(id="earlier", text="An article archived before."))
        load_judge(archive, matcher, now=NOW,
                   seed_cache=SeedCache(cache, (None, matcher.registry)))
        ids = [r["id"] for r in archive.db["articles"].rows_where(order_by="id")]
    finally:
        archive.close()
    assert ids == sorted(["earlier", *(r["id"] for r in expected[0])])
    assert json.loads(cache.read_text("utf-8"))["seeds"] == []  # neither used nor rewritten
