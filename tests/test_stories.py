"""Same story, different words: joins the seeds' April 2020 defection story; other events do not."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

from matchers.dedup import KnownArticles, signature
from matchers.stories import story_terms

SEEDS = sorted((Path(__file__).resolve().parents[1] / "storage" / "seeds").glob("*.txt"))

FOLLOW_UP = (
    "Fighters from Maghawir al-Thawra drove out of the al-Tanf garrison and defected to Syrian "
    "government forces in Palmyra, taking U.S.-supplied machine guns and vehicles with them. "
    "Samir Ghannam al-Khidr, a former officer of the group accused of drug smuggling, led the "
    "convoy across the desert on April 14, according to rebel sources. The Russian reconciliation "
    "centre said twenty-seven militants trained by American instructors had surrendered to the "
    "Syrian army. Maghawir al-Thawra said al-Khidr left because he could no longer smuggle drugs "
    "through the 55-km zone near the Jordanian border."
)
OTHER_EVENT = (
    "A drone attack struck a logistics depot near the port of Tartus on Saturday night, setting "
    "fire to fuel tanks, the governor said. Firefighters from Latakia and Baniyas battled the "
    "blaze until dawn and three workers were taken to hospital with burns. Investigators "
    "collected fragments of the aircraft, which flew in from the sea, and the ministry promised "
    "compensation to fishermen whose boats were damaged in the harbour."
)


def _known() -> KnownArticles:
    k = KnownArticles()
    for path in SEEDS:
        sig = signature(path.read_text(encoding="utf-8"))
        res = k.check(sig)
        k.add(path.stem, sig, story=res.story or path.stem, duplicate_of=res.duplicate_of)
    return k


def test_new_report_on_seed_story_joins_it_without_being_a_copy() -> None:
    known = _known()
    res = known.check(signature(FOLLOW_UP, title="Maghawir al-Thawra defectors reach Palmyra"))
    assert res.duplicate_of is None
    assert res.story is not None and res.story.startswith(("000_", "001_", "002_", "004_"))
    assert "same story" in res.reason


def test_report_on_another_event_starts_a_new_story() -> None:
    res = _known().check(signature(OTHER_EVENT, title="Drone hits depot near Tartus"))
    assert res.duplicate_of is None
    assert res.story is None


def test_time_window_keeps_old_events_apart() -> None:
    known = KnownArticles(story_window=timedelta(days=14))
    first = datetime(2020, 4, 15, tzinfo=UTC)
    seed = SEEDS[0].read_text(encoding="utf-8")
    known.add("first", signature(seed, published=first), story="first")
    near = known.check(signature(FOLLOW_UP, published=first + timedelta(days=2)))
    far = known.check(signature(FOLLOW_UP, published=first + timedelta(days=90)))
    assert near.story == "first"
    assert far.story is None


def test_story_terms_favour_names_and_dates() -> None:
    terms = story_terms(FOLLOW_UP, title="Defectors reach Palmyra")
    assert "date:apr-14" in terms[:10]
    assert any(t.startswith("ent:") and "khidr" in t for t in terms)
    assert "the" not in terms
