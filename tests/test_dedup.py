"""Copies: the seeds fed back, syndicated, cut, embedded, re-marked-up; and what is not a copy."""

import struct
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from matchers import postings
from matchers.dedup import KnownArticles, Signature, signature
from matchers.keybits import KeyBits
from tests.conftest import seeded_known

SEEDS = sorted((Path(__file__).resolve().parents[1] / "storage" / "seeds").glob("*.txt"))
OTHER = (
    "A farmers' cooperative in the valley opened a new grain silo on Thursday, the mayor said. "
    "The silo can hold four thousand tonnes and replaces a wooden barn that burned down in the "
    "winter storm. Volunteers painted the doors blue and a brass band played at the opening. "
    "Prices for wheat are expected to stay steady through the autumn according to the union."
)


@pytest.fixture()
def known() -> KnownArticles:
    return seeded_known()


def test_seeds_fed_back_are_copies_of_themselves(known: KnownArticles) -> None:
    assert len(known) == len(SEEDS) == 5
    for path in SEEDS:
        res = known.check(signature(path.read_text(encoding="utf-8")))
        assert res.duplicate_of == path.stem
        assert res.copy_score > 0.95


def test_web_style_copies_are_caught(known: KnownArticles) -> None:
    text = SEEDS[0].read_text(encoding="utf-8")
    words = text.split()
    variants = [
        "By Wire Staff\nShare this\n\n" + text + "\n\nRelated: more news. Subscribe today.",
        " ".join(words[: len(words) // 2]),
        OTHER + "\n\n" + text + "\n\n" + OTHER.upper(),
        "<p>" + text.upper().replace("\n", "</p>\n<p>").replace(" ", "  ") + "</p>",
    ]
    for variant in variants:
        assert known.check(signature(variant)).duplicate_of == SEEDS[0].stem


def test_copy_of_a_copy_points_at_the_original(known: KnownArticles) -> None:
    text = SEEDS[2].read_text(encoding="utf-8")
    copy = signature("Reposted from a partner.\n" + text)
    known.add("copy-1", copy, story=SEEDS[2].stem, duplicate_of=SEEDS[2].stem)
    res = known.check(signature(text + "\nComments are closed."))
    assert res.duplicate_of == SEEDS[2].stem
    assert res.story == SEEDS[2].stem


def test_unrelated_text_is_neither_copy_nor_story(known: KnownArticles) -> None:
    res = known.check(signature(OTHER))
    assert res.duplicate_of is None and res.story is None
    assert res.copy_score < 0.5


def test_same_url_is_a_duplicate_before_any_text(known: KnownArticles) -> None:
    sig = signature(OTHER)
    known.add("silo", sig, story="silo", url="https://valley.test/silo?utm_source=x")
    res = known.check(signature("entirely different words here"), url="http://valley.test/silo/")
    assert res.duplicate_of == "silo"
    assert "URL" in res.reason


def test_signature_round_trips_through_bytes() -> None:
    when = datetime(2020, 4, 16, 9, 30, tzinfo=UTC)
    sig = signature(SEEDS[1].read_text(encoding="utf-8"), title="Defectors", published=when)
    again = Signature.from_bytes(sig.to_bytes())
    assert again == sig
    assert again.published == when
    with pytest.raises(ValueError):
        Signature.from_bytes(b"XX" + sig.to_bytes()[2:])


def test_naive_dates_are_refused() -> None:
    with pytest.raises(ValueError):
        signature("text", published=datetime(2020, 4, 16))  # noqa: DTZ001


def test_rebuilt_index_answers_like_the_original(known: KnownArticles) -> None:
    rebuilt = KnownArticles()
    for path in SEEDS:
        blob = signature(path.read_text(encoding="utf-8")).to_bytes()
        rebuilt.add(path.stem, Signature.from_bytes(blob), story=path.stem)
    probe = signature(SEEDS[3].read_text(encoding="utf-8")[:1500])
    assert rebuilt.check(probe).duplicate_of == known.check(probe).duplicate_of == SEEDS[3].stem


def test_version_1_signatures_still_load() -> None:
    """Archives written before term hashes were stored: the hashes are recomputed."""
    sig = signature(SEEDS[1].read_text(encoding="utf-8"), title="Defectors")
    head = struct.pack("<2sBBqII", b"TS", 1, 0, 0, sig.n_words, len(sig.shingles) // 4)
    old = Signature.from_bytes(head + sig.shingles + "\x1f".join(sig.terms).encode("utf-8"))
    assert old.terms == sig.terms and old.shingles == sig.shingles
    assert old.term_hashes.tolist() == sig.term_hashes.tolist()


def test_copies_survive_citation_marks_accents_and_arabic_spelling(known: KnownArticles) -> None:
    base = ("The council met in the old town hall on Monday and voted to repair the bridge "
            "over the river before the rains, the clerk said after the session closed.")
    arabic = "قال المجلس إن الإصلاحات ستبدأ في الأسبوع المقبل بعد موافقة الوزارة على الميزانية"
    known.add("base", signature(base + " " + arabic), story="base")
    variant = (base.replace("hall", "hall[3]").replace("town", "tówn").replace("said", "said[a]")
               + " " + arabic.replace("إ", "ا").replace("أ", "ا").replace("ة", "ه"))
    res = known.check(signature(variant))
    assert res.duplicate_of == "base" and res.copy_score > 0.95


@pytest.mark.parametrize(("grouped", "filtered"), [(False, False), (True, False), (False, True)])
@pytest.mark.parametrize("queried_every", [3, 37, 1000])
def test_postings_answer_like_a_dictionary_across_merges(monkeypatch, queried_every,
                                                         grouped, filtered) -> None:
    monkeypatch.setattr(postings, "_PENDING_MAX", 64)  # small levels: many merges in a test
    monkeypatch.setattr(postings, "_BULK_MAX", 512)
    monkeypatch.setattr(postings, "_TAIL_MAX", 256)
    monkeypatch.setattr(postings, "_LONG_RUN", 8)  # runs searched key by key, and in steps
    monkeypatch.setattr(postings, "_COMPACT_MIN", 600)  # main flat at first, then compact
    rng = np.random.default_rng(queried_every)
    # keys 0..449, and the same with high bits: some share their high 16 bits, some their low
    high = np.array([0, 1, 0xFFFF] + rng.integers(0, 1 << 16, 447).tolist(), dtype=np.uint64)
    pool = np.concatenate([np.arange(450), (high << 16) | rng.integers(0, 4, 450).astype(np.uint64)]
                          ).astype(np.uint32)
    if filtered:  # a small table, so that absent keys both pass and are stopped
        monkeypatch.setattr(postings, "KeyBits", lambda: KeyBits(bits=12))
    index, truth = postings.Postings(grouped=grouped, filtered=filtered), defaultdict(list)
    fixed, kept = pool[::7], (-1, None)  # settled counts of one probe, kept while valid
    for doc in range(300):
        keys = np.unique(pool[rng.integers(0, 400, int(rng.integers(0, 12))) + 450 * (doc % 2)])
        index.add(keys, doc)
        for key in keys.tolist():
            truth[key].append(doc)
        if doc == 200:
            index.compact()
        if doc % queried_every == 0 or doc == 299:  # lookups between adds, or a bulk load
            never = rng.integers(0, 1 << 32, 20, dtype=np.uint64).astype(np.uint32)
            probe = np.concatenate([pool[rng.integers(0, 900, 40)], never])
            docs, which, counts = index.lookup(probe, cap=3)
            assert counts.tolist() == [len(truth[k]) for k in probe.tolist()]
            got = sorted(zip(which.tolist(), docs.tolist(), strict=True))
            want = sorted((i, d) for i, k in enumerate(probe.tolist()) if len(truth[k]) <= 3
                          for d in truth[k])
            assert got == want
            assert index.counts(probe).tolist() == counts.tolist()
            split = index.settled_counts(probe) + index.recent_counts(probe)
            assert split.tolist() == counts.tolist()
        if kept[0] == index.generation:  # what a caller kept still holds
            assert index.settled_counts(fixed).tolist() == kept[1]
        kept = (index.generation, index.settled_counts(fixed).tolist())
    assert len(index) == sum(len(v) for v in truth.values())


def _ranked_by_full_sort(known: KnownArticles, docs: np.ndarray, weights: np.ndarray) -> list[int]:
    """The ranking as it was: every candidate sorted (the reference for the partial sort)."""
    cand, inverse = np.unique(docs, return_inverse=True)
    shared = np.bincount(inverse, weights=weights, minlength=len(cand))
    stories = np.frombuffer(known._story_no, dtype=np.uint32)[cand]
    ranked: list[int] = []
    for i in np.argsort(-shared, kind="stable").tolist():
        if int(stories[i]) not in ranked:
            ranked.append(int(stories[i]))
        if len(ranked) == 6:
            break
    return ranked


@pytest.mark.parametrize("n_postings", [20, 3000])  # few candidates (sorted) and many (binned)
def test_story_ranking_of_many_candidates_matches_a_full_sort(n_postings: int) -> None:
    known = KnownArticles()
    rnd = np.random.default_rng(5)
    for i in range(400):  # two big stories first, so the top 64 hold fewer than six stories
        story = "s0" if i < 150 else "s1" if i < 300 else f"s{i}"
        known.add(f"d{i}", signature(f"text number {i} about things"), story=story)
    for trial in range(20):
        docs = rnd.integers(0, 400, n_postings).astype(np.uint32)
        weights = rnd.choice([0.0, 0.5, 1.0, 2.5], n_postings)  # ties and zero weights
        if trial % 2:
            weights[docs < 300] += 5.0  # the two big stories lead: the ranking must look further
        assert known._ranked_stories(docs, weights) == _ranked_by_full_sort(known, docs, weights)


def test_kept_story_centroids_answer_like_a_cold_index() -> None:
    """A story's centroid is kept until it gains a member: checks on an index warmed by many
    checks equal, bit for bit, those of one rebuilt from the same articles (nothing kept)."""
    from benchmarks.compare_dedup import _rebuilt, stream

    warm, rows, joined = KnownArticles(), [], 0
    for i, (article_id, title, text, published, url, relevant) in enumerate(stream(240, 4)):
        sig = signature(text, title=title, published=published, terms=relevant)
        res = warm.check(sig, url=url, stories=relevant)
        if i % 8 == 7:
            cold = _rebuilt(KnownArticles, rows)
            assert cold.check(sig, url=url, stories=relevant).__dict__ == res.__dict__
        joined += res.story is not None and res.duplicate_of is None
        story = res.story or article_id
        warm.add(article_id, sig, story=story, url=url, duplicate_of=res.duplicate_of,
                 relevant=relevant)
        rows.append((article_id, sig.to_bytes(), story, url, res.duplicate_of, relevant))
    assert joined > 10 and len(warm._stories) > 0  # stories were joined and centroids kept


def test_key_bits_hold_every_key_added_and_stop_most_others() -> None:
    rng = np.random.default_rng(8)
    bits = KeyBits(bits=20)
    added = rng.integers(0, 1 << 32, 5000, dtype=np.uint64).astype(np.uint32)
    for part in np.array_split(added, 7):  # several adds, with repeats of one table byte
        bits.add(part)
    bits.add(added[:10])  # adding again changes nothing
    assert bits.may_hold(added).all()
    others = rng.integers(0, 1 << 32, 20000, dtype=np.uint64).astype(np.uint32)
    # 5,000 keys set at most 5,000 of 2^20 bits (0.48 %): about as few other keys pass
    assert bits.may_hold(others).mean() < 0.01
    one = KeyBits(bits=20)
    one.add(np.array([0xABCDE123], dtype=np.uint32))
    probe = np.array([0xABCDE123, 0xABCDEFFF, 0xABCDF123, 0xABCDD123], dtype=np.uint32)
    # the same top 20 bits pass; the next bit of the same table byte, or the last, does not
    assert one.may_hold(probe).tolist() == [True, True, False, False]
    assert KeyBits(bits=3).nbytes == 1 and KeyBits().nbytes == 1 << 22
    with pytest.raises(ValueError, match="bits"):
        KeyBits(bits=2)


def test_the_cache_of_scored_stories_stays_within_its_bound(monkeypatch) -> None:
    from matchers import dedup

    monkeypatch.setattr(dedup, "_STORY_CACHE", 4)
    known = KnownArticles()
    towns = ["Aleppo", "Homs", "Palmyra", "Raqqa", "Deir", "Hama", "Idlib", "Daraa", "Tartus",
             "Latakia", "Qamishli", "Manbij"]
    for i, town in enumerate(towns):
        text = (f"The Qasr Bridge Authority in {town} closed the bridge on 14 March. {town} "
                f"engineers say the bridge will reopen after repairs, the authority said.")
        known.add(f"s{i}", signature(text, title=f"{town} bridge closed", terms=True),
                  story=f"s{i}")
    for town in ("Kobani", "Afrin", "Suwayda"):
        query = (f"Engineers from {town} joined the Qasr Bridge Authority on 14 March to inspect "
                 f"repairs; the authority says the bridge may reopen soon.")
        assert known.check(signature(query, title="Inspection", terms=True)).duplicate_of is None
        assert 0 < len(known._stories) <= 4
