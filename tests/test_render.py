"""Alert rendering: escaped, valid for Telegram's HTML parser, within 4096 characters."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from bot.alerts.render import (
    AlertView,
    html_visible_length,
    render_alert,
    render_also_reported,
    render_digest,
    render_plain,
)
from matchers.registry import builtin_registry

try:
    from tests.fake_telegram import ApiError, Entity, check_message_text, utf16_len
except ModuleNotFoundError:  # tests/ is not a package: pytest puts it on sys.path itself
    from fake_telegram import (  # type: ignore[no-redef]
        ApiError,
        Entity,
        check_message_text,
        utf16_len,
    )

RLI, PDI = "\u2067", "\u2069"
ARABIC = "أفادت مصادر محلية بأن قاعدة التنف شهدت تحركات جديدة قرب منطقة الـ55 كيلومتراً"
NASTY_TITLE = 'Strike near <al-Tanf> & "55 km" zone — it\'s 🚁🔥 قاعدة التنف <b>not bold</b>'
URL = 'https://news.example/a?id=1&lang="ar"<x>'


def view(**changes: object) -> AlertView:
    start = ARABIC.index("التنف")
    base = AlertView(
        title=NASTY_TITLE,
        url=URL,
        outlet="Outlet <Syria> & Co",
        language="ar",
        published=datetime(2020, 4, 16, 12, 30, tzinfo=timezone(timedelta(hours=3))),
        topics=("al-tanf", "55km-zone", "maghawir-al-thawra"),
        sentence=ARABIC,
        terms=((start, start + len("التنف")),),
        score=0.8731,
        story_line=None,
        story_link=None,
        archive_ref="#a123",
    )
    shown = replace(base, **changes)
    tags = builtin_registry().hashtags()  # as alert_view fills them in
    return replace(shown, hashtags=tuple(tags[t] for t in shown.topics))


def accepted(text: str, limit: int = 4096):
    """Telegram's view of the message: it must parse and fit."""
    parsed = check_message_text(text, "HTML")
    assert html_visible_length(text) <= limit
    return parsed


def test_every_outside_string_is_escaped_and_shown_verbatim() -> None:
    parsed = accepted(render_alert(view()))
    lines = parsed.text.split("\n")
    assert lines[0] == NASTY_TITLE
    assert lines[1] == "Outlet <Syria> & Co · AR · 2020-04-16 09:30 UTC"
    assert lines[2] == "#alTanf #55kmZone #MaghawirAlThawra"
    link = [e for e in parsed.entities if e.type == "text_link"]
    assert link == [Entity("text_link", 0, utf16_len(NASTY_TITLE), URL)]


def test_matched_terms_in_arabic_are_bold_and_isolated() -> None:
    parsed = accepted(render_alert(view()))
    line = parsed.text.split("\n")[3]
    assert line == RLI + ARABIC + PDI
    offset = utf16_len(parsed.text[: parsed.text.index("التنف", len(NASTY_TITLE))])
    assert Entity("bold", offset, len("التنف")) in parsed.entities
    quote = [e for e in parsed.entities if e.type == "blockquote"]
    assert quote == [Entity("blockquote", utf16_len(parsed.text[: parsed.text.index(RLI)]),
                            len(ARABIC) + 2)]


def test_overlapping_and_out_of_range_terms_are_merged_and_clipped() -> None:
    sentence = "Maghawir al-Thawra patrols the 55-km zone"
    parsed = accepted(render_alert(view(
        title="Plain title", sentence=sentence, terms=((0, 8), (5, 18), (31, 99)))))
    bold = [parsed.text[e.offset:e.offset + e.length] for e in parsed.entities
            if e.type == "bold" and e.offset > 0]
    assert bold == ["Maghawir al-Thawra", "55-km zone"]
    assert f"{RLI}" not in parsed.text.split("\n")[3]  # a left-to-right sentence is not isolated


def test_story_lines_and_archive_links() -> None:
    new = accepted(render_alert(view())).text
    assert "🆕 new story" in new and "score 0.87 · archive #a123" in new
    follow = accepted(render_alert(view(
        story_line="First <report> & more", story_link="https://t.me/c/123/45",
        archive_ref="https://archive.example/a/1?x=1&y=2")))
    assert "↪️ follow-up to First <report> & more" in follow.text
    urls = {e.url for e in follow.entities if e.type == "text_link"}
    assert {"https://t.me/c/123/45", "https://archive.example/a/1?x=1&y=2"} <= urls
    unlinked = accepted(render_alert(view(story_line="First report", story_link=None)))
    assert "↪️ follow-up to «First report»" in unlinked.text


def test_unsafe_urls_are_not_linked_and_control_characters_are_dropped() -> None:
    parsed = accepted(render_alert(view(
        url="javascript:alert(1)", title="Bad\x00 title\u2069 here\n\tnow", archive_ref=None)))
    assert not [e for e in parsed.entities if e.type == "text_link"]
    assert parsed.text.split("\n")[0] == "Bad title here now"


def test_missing_optional_fields() -> None:
    parsed = accepted(render_alert(view(
        language=None, published=None, topics=(), sentence=None, terms=(), archive_ref=None)))
    assert parsed.text.split("\n") == [
        NASTY_TITLE, "Outlet <Syria> & Co", "🆕 new story", "score 0.87"]


def test_naive_datetimes_are_read_as_utc() -> None:
    text = render_alert(view(published=datetime(2021, 1, 2, 3, 4)))  # noqa: DTZ001
    assert "2021-01-02 03:04 UTC" in text


def test_a_very_long_sentence_and_title_still_fit_and_keep_the_term() -> None:
    filler = "the convoy moved along the desert road & waited " * 200
    sentence = filler + ARABIC + " " + filler
    start = sentence.index("التنف")
    long_view = view(title=NASTY_TITLE * 40, sentence=sentence,
                     terms=((start, start + len("التنف")),))
    text = render_alert(long_view)
    parsed = accepted(text)
    assert html_visible_length(text) > 3500  # the room is used, not thrown away
    assert "<b>التنف</b>" in text
    assert parsed.text.split("\n")[0].endswith("…")
    excerpt = parsed.text.split("\n")[3]
    assert excerpt.startswith("…") and excerpt.endswith("…")
    assert "waited &amp; waited" not in text  # words are never cut


@pytest.mark.parametrize("limit", [4096, 1000, 400, 200])
def test_limits_are_respected(limit: int) -> None:
    big = view(title="تقرير " * 300, sentence=ARABIC * 30, story_line="Earlier " * 100,
               outlet="An outlet " * 50)
    accepted(render_alert(big, limit=limit), limit)
    assert utf16_len(render_plain(big, limit=limit)) <= limit


def test_too_small_a_limit_is_an_error() -> None:
    with pytest.raises(ValueError, match="too small"):
        render_alert(view(), limit=20)


def test_random_hostile_strings_always_render_valid_messages() -> None:
    rng = random.Random(20200416)
    alphabet = list("<>&\"' ;#/=abcxyz")
    alphabet += ["&amp;", "&lt;", "🚁", "👨‍👩‍👧", "التنف", "\u202e", "\n"]
    for _ in range(60):
        def junk(size: int) -> str:
            return "".join(rng.choice(alphabet) for _ in range(size))

        sentence = junk(rng.randint(0, 900))
        a, b = sorted(rng.randint(0, len(sentence)) for _ in range(2))
        hostile = view(title=junk(rng.randint(1, 500)), outlet=junk(30), sentence=sentence,
                       terms=((a, b),), story_line=junk(80), archive_ref=junk(10),
                       story_link="https://t.me/x/1?a=" + junk(5).replace(" ", ""))
        limit = rng.choice([4096, 700, 300])
        accepted(render_alert(hostile, limit=limit), limit)
        # a listing must show at least one of its alerts: 300 is too small for a long head
        room = max(limit, 700)
        accepted(render_digest([hostile] * rng.randint(1, 40), limit=room), room)
        accepted(render_also_reported([hostile] * rng.randint(1, 40), story=junk(200),
                                      limit=room), room)
        plain = render_plain(hostile, limit=limit)
        check_message_text(plain, None)
        assert len(plain) <= limit  # Telegram counts code points


def test_plain_rendering_has_no_markup() -> None:
    plain_view = view(title='Clash near al-Tanf & "the zone"', story_line="First report",
                      story_link="https://t.me/c/1/2")
    text = render_plain(plain_view)
    for markup in ("<b>", "<a ", "</", "&amp;", "&quot;", "<blockquote>"):
        assert markup not in text
    lines = text.split("\n")
    assert lines[:2] == ['Clash near al-Tanf & "the zone"', URL]
    assert "«" + RLI + ARABIC + PDI + "»" in lines
    assert "↪️ follow-up to: First report (https://t.me/c/1/2)" in lines


def test_digest_lists_linked_titles_and_summarises_the_rest() -> None:
    views = [view(title=f"Report {n} <&>", url=f"https://news.example/{n}") for n in range(300)]
    text = render_digest(views)
    parsed = accepted(text)
    lines = parsed.text.split("\n")
    assert lines[0] == "🗞 300 new reports"
    assert lines[1] == "1. Report 0 <&> — Outlet <Syria> & Co"
    assert lines[-1].startswith("… and ") and lines[-1].endswith(" more in the next message")
    shown = len(lines) - 2
    assert lines[-1] == f"… and {300 - shown} more in the next message"
    links = [e.url for e in parsed.entities if e.type == "text_link"]
    assert links == [f"https://news.example/{n}" for n in range(shown)]
    assert render_digest(views[:1]).startswith("🗞 <b>1 new report</b>")


def test_also_reported_names_each_outlet_once_and_links_every_report() -> None:
    views = [view(title=f"Report {n}", url=f"https://news.example/{n}",
                  outlet=("Wire <A>", "Daily & B")[n % 2]) for n in range(200)]
    parsed = accepted(render_also_reported(views, story="First <report>"))
    lines = parsed.text.split("\n")
    assert lines[0] == "↪️ Also reported by Wire <A>, Daily & B"
    assert lines[1] == "1. Report 0 — Wire <A>"
    assert lines[-2].startswith("… and ") and lines[-1] == "on «First <report>»"
    links = [e.url for e in parsed.entities if e.type == "text_link"]
    assert links == [f"https://news.example/{n}" for n in range(len(lines) - 3)]
    replying = accepted(render_also_reported(views[:2])).text  # a reply: no story line
    assert replying.split("\n")[-1] == "2. Report 1 — Daily & B"


@pytest.mark.parametrize("text", [
    "<b>a &amp; b</b>", "😀&lt;x&gt;", '<a href="https://x.org/?a=1&amp;b=2">l</a>', "plain",
])
def test_visible_length_matches_telegrams_parser(text: str) -> None:
    assert html_visible_length(text) == len(check_message_text(text, "HTML").text)


def test_validator_rejects_what_a_forgotten_escape_would_produce() -> None:
    # guards the guard: the checks above would be worthless if the validator let this through
    with pytest.raises(ApiError):
        check_message_text(f"<b>{NASTY_TITLE}</b>", "HTML")
