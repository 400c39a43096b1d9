"""The judge: relevance, copy and story decided together, against the seeds."""

from datetime import UTC, datetime

import pytest

from matchers.relevance import load_matcher
from storage.known import seeded_judge
from storage.seeds import load_seeds
from tests.articles import TANF_DRONE, TANF_FOLLOW_UP, TANF_WELFARE


@pytest.fixture(scope="module")
def matcher():
    return load_matcher()


def text(article: dict) -> str:
    return "\n\n".join(article["paragraphs"])


def test_seeds_fed_back_are_copies_of_themselves(matcher):
    judge = seeded_judge(matcher)
    for seed in load_seeds():
        j = judge.judge("again-" + seed.id, seed.text, title=seed.title)
        assert j.duplicate_of == seed.id and not j.alert


def test_the_subjects_own_names_do_not_make_a_story(matcher):
    # Every report names al-Tanf and Maghawir al-Thawra: that alone must not join it to the
    # seeds' April 2020 defection story, dated or not.
    judge = seeded_judge(matcher)
    short = ("Drones attacked the al-Tanf garrison in Syria near the Jordanian border; "
             "Maghawir al-Thawra fighters guarded the 55-km zone.")
    assert judge.judge("short", short).story == "short"
    j = judge.judge("drone", text(TANF_DRONE), title=TANF_DRONE["title"])
    assert j.story == "drone" and j.alert and not j.follow_up


def test_follow_up_joins_the_story_and_is_alerted(matcher):
    judge = seeded_judge(matcher)
    first = judge.judge("d", text(TANF_DRONE), title=TANF_DRONE["title"],
                        published=datetime(2026, 11, 18, 10, tzinfo=UTC))
    judge.remember(first)
    follow = judge.judge("f", text(TANF_FOLLOW_UP), title=TANF_FOLLOW_UP["title"],
                         published=datetime(2026, 11, 19, 9, tzinfo=UTC))
    assert follow.story == "d" and follow.follow_up and follow.alert
    welfare = judge.judge("w", text(TANF_WELFARE), title=TANF_WELFARE["title"])
    assert not welfare.relevant and not welfare.alert


def test_a_reposted_url_is_known_live_and_after_a_rebuild_from_stored_keys(matcher):
    # "/index.php/" needs two passes of canonicalisation: the key the judge stores must be the
    # key it looks up, whether the index was built live or rebuilt from the archive
    from matchers.dedup import KnownArticles
    from matchers.judge import Judge

    url = "https://www.news.test/2026/tanf/index.php/"
    judge = Judge(matcher)
    first = judge.judge("first", text(TANF_DRONE), title=TANF_DRONE["title"], url=url)
    judge.remember(first)
    rebuilt = KnownArticles()  # as storage.known rebuilds it: the stored key, taken as canonical
    rebuilt.add("first", first.signature, story=first.story, url=first.canonical_url,
                url_is_canonical=True, relevant=first.relevant)
    other = text(TANF_WELFARE)
    for known in (judge.known, rebuilt):
        again = Judge(matcher, known).judge("again", other, url="http://news.test/2026/tanf")
        assert again.duplicate_of == "first" and "same URL" in again.dedup.reason
        again = Judge(matcher, known).judge("again", other, url=url)
        assert again.duplicate_of == "first" and "same URL" in again.dedup.reason
