"""Telegram's real limits (TELEGRAM-LIMITS.md): 32,768 raw bytes, 4,096 code points after
parsing, NULs and lone surrogates, cuts that keep the HTML valid, real plain fallbacks."""

from __future__ import annotations

from dataclasses import replace

import pytest
from telegram import Bot

from bot.alerts.render import (
    fit_also_reported,
    fit_digest,
    render_alert,
    render_digest,
    render_plain,
)
from bot.alerts.tgtext import MAX_BYTES, fit_html, fits, utf8_len, visible_text
from bot.telegram.client import RateLimiter, RateLimits, TelegramSender
from bot.telegram.sender import ConsoleSender
from tests.fake_telegram import check_message_text
from tests.test_commands import ask, running  # noqa: F401 - the bot fixture
from tests.test_render import view

GOOGLE = "https://news.google.com/rss/articles/CBMi" + "q" * 780 + "?oc=5&hl=en-US&gl=US"
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)


def test_a_digest_of_39_long_urls_fits_telegrams_byte_limit() -> None:
    views = [view(title=f"Report {n} on the garrison", url=f"{GOOGLE}&n={n}") for n in range(39)]
    fitted = fit_digest(views)
    assert utf8_len(fitted.html) <= MAX_BYTES < utf8_len("".join(views[0].url for _ in views))
    parsed = check_message_text(fitted.html, "HTML")
    assert 1 <= fitted.shown < 39
    assert parsed.text.count("Report ") == fitted.shown  # every counted alert is visible
    assert parsed.text.endswith(f"… and {39 - fitted.shown} more in the next message")


def test_nul_and_lone_surrogates_in_urls_never_break_a_message() -> None:
    for url in ("https://news.example/a\x00b", "https://news.example/\ud83d?x=1"):
        hostile = view(url=url, story_link=url, archive_ref=url)
        for text in (render_alert(hostile), render_digest([hostile] * 3),
                     fit_also_reported([hostile] * 3, story="First").html):
            text.encode("utf-8")  # httpx would raise on a lone surrogate
            links = [e.url for e in check_message_text(text, "HTML").entities if e.url]
            assert links and all("\x00" not in link for link in links)


def test_plain_fallbacks_of_listings_are_real_plain_text() -> None:
    views = [view(title=f"Report {n} <&>", url=f"https://news.example/{n}?a=1&b=2")
             for n in range(3)]
    for fitted in (fit_digest(views), fit_also_reported(views, story="First <report>")):
        for markup in ("<b>", "<a ", "</", "&amp;", "&lt;"):
            assert markup not in fitted.plain
        assert "Report 2 <&>" in fitted.plain and "https://news.example/2?a=1&b=2" in fitted.plain
        check_message_text(fitted.plain, None)


def test_plain_alert_and_console_show_no_tags(capsys) -> None:
    import asyncio

    fitted = fit_digest([view(title="A & B <c>")])
    asyncio.run(ConsoleSender().send("console", fitted.html, fitted.plain, reply_to=None))
    out = capsys.readouterr().out
    assert "A & B <c>" in out and "<b>" not in out and "&amp;" not in out
    assert "<a " not in render_plain(view())


@pytest.mark.parametrize("html", [
    "<i>" + "&amp;" * 5000 + "</i>",
    "Results for <i>" + "x&amp;" * 3000 + "</i>\n<b>bold</b>",
    '<a href="https://x.org/?a=1&amp;b=2">' + "l" * 4200 + "</a>",
    "<b>" + "😀" * 5000 + "</b>",
    "<b>" + ('<a href="' + GOOGLE + '">t</a>') * 60 + "</b>",
])
def test_fit_html_cuts_between_characters_and_closes_tags(html: str) -> None:
    fitted = fit_html(html)
    assert fits(fitted) and fitted.endswith(("…</i>", "…</a>", "…</b>"))
    shown = check_message_text(fitted, "HTML").text
    assert shown == visible_text(fitted) and len(shown) > 20
    assert fit_html("<b>short &amp; fine</b>") == "<b>short &amp; fine</b>"


async def test_sender_strips_what_telegram_or_httpx_would_refuse(fake_telegram) -> None:
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        sender = TelegramSender(bot, limiter=RateLimiter(FAST), feedback_buttons=False)
        await sender.send("1", '<a href="https://x.org/\x00">a \ud83d b</a>', "a b",
                          reply_to=None)
    (message,) = fake_telegram.messages("1")
    assert message.parse_mode == "HTML" and message.plain_text == "a \ufffd b"


async def test_a_long_search_query_still_gets_a_reply(running, fake_telegram):  # noqa: F811
    answer = await ask(fake_telegram, "/search convoy " + "&" * 4000)
    assert answer.startswith(("Results for ", "No results for ", "Cannot search for "))


def test_fake_refuses_what_the_old_cut_produced() -> None:
    # guards the guard: 4,000 characters cut inside an entity or a tag
    old = ("Results for <i>" + "&amp;" * 1000 + "</i>")[:4000]
    with pytest.raises(Exception, match="Can't find end tag|not a part of"):
        check_message_text(old, "HTML")
    assert replace(view(), url="") is not None


@pytest.mark.parametrize("text", [
    "&ampx &amp; &amp b", "&#123456789; &#1234567;", "&#x41; &#X41; &#x1F600", "&#0; &nbsp;",
    "&lt&gt&quot;", "&#65x &#x6g", "&#1114111; &#1114110;", "<b>a</b> &#38;amp;",
])
def test_visible_text_decodes_entities_as_tdlib_does(text: str) -> None:
    assert visible_text(text) == check_message_text(text, "HTML", strict_ampersand=False).text
