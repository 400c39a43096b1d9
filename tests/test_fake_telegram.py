"""The fake Bot API behaves like Telegram for a real python-telegram-bot client."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, CommandHandler

try:
    from tests.fake_telegram import (
        FORBIDDEN_KICKED,
        ApiError,
        Entity,
        FakeTelegram,
        check_message_text,
        parse_html,
    )
except ModuleNotFoundError:  # tests/ is not a package: pytest puts it on sys.path itself
    from fake_telegram import (  # type: ignore[no-redef]
        FORBIDDEN_KICKED,
        ApiError,
        Entity,
        FakeTelegram,
        check_message_text,
        parse_html,
    )

CHANNEL = -1001234567890


@pytest.fixture(autouse=True)
def _ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    # PTB 22 warns (an error under filterwarnings=error) whenever RetryAfter is built,
    # unless the timedelta behaviour is opted into.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
def tg():
    with FakeTelegram(poll_cap=0.2) as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram):
    async with Bot(tg.token, base_url=tg.base_url) as client:
        yield client


# -- the HTML validator on its own -----------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("<div>x</div>", 'Unsupported start tag "div" at byte offset 0'),
        ("a < b", 'Unsupported start tag "" at byte offset 2'),
        ("<b>bold", "Can't find end tag corresponding to start tag b"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ('<a href=https://x.org>y</a>', "Unexpected end of name token at byte offset 8"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("AT&T", "Character '&' at byte offset 2"),
        ("é &nbsp; x", "Character '&' at byte offset 3"),
    ],
)
def test_invalid_html_is_rejected_with_telegrams_description(text: str, error: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_html(text)
    assert caught.value.status == 400
    assert caught.value.description.startswith("Bad Request: can't parse entities: " + error)


def test_valid_html_yields_text_and_utf16_entities() -> None:
    parsed = parse_html(
        '😀 <b>al-&lt;Tanf&gt;</b> <a href="https://x.org/?a=1&amp;b=&quot;2&quot;">link</a>'
        ' <blockquote expandable><i>q</i> &#x27;s &#1575;</blockquote>'
    )
    assert parsed.text == "😀 al-<Tanf> link q 's ا"
    assert Entity("bold", 3, 9) in parsed.entities  # the emoji counts two UTF-16 units
    assert Entity("text_link", 13, 4, 'https://x.org/?a=1&b="2"') in parsed.entities
    assert Entity("italic", 18, 1) in parsed.entities


def test_lenient_ampersand_mode_keeps_a_bare_ampersand_like_tdlib() -> None:
    assert parse_html("AT&T &nbsp;", strict_ampersand=False).text == "AT&T &nbsp;"


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("x" * 4096, True),
        ("x" * 4097, False),
        ("<b>" + "x" * 4096 + "</b>", True),  # tags do not count
        ("&amp;" * 4096, True),  # an entity counts as the one character it shows
        ("😀" * 4096, True),  # code points, not UTF-16 units (tdlib's utf8_length)
        ("😀" * 4096 + "x", False),
        ("x\r" * 4095 + "x", True),  # \r is removed before counting
    ],
)
def test_length_is_counted_after_entities_in_code_points(text: str, accepted: bool) -> None:
    if accepted:
        check_message_text(text, "HTML")
    else:
        with pytest.raises(ApiError, match="^Bad Request: message is too long$"):
            check_message_text(text, "HTML")


@pytest.mark.parametrize("text", ["", "   \n", "<b></b>", None])
def test_empty_text_is_rejected(text: str | None) -> None:
    with pytest.raises(ApiError, match="^Bad Request: message text is empty$"):
        check_message_text(text, "HTML")


# -- a real PTB Bot against the server -------------------------------------------------------
async def test_send_valid_html_is_recorded_with_increasing_ids(tg: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "tanfwatch_test_bot"  # getMe answered during initialize
    first = await bot.send_message(CHANNEL, "<b>al-Tanf</b> &amp; co", parse_mode="HTML")
    second = await bot.send_message(CHANNEL, "two", link_preview_options=None)
    other = await bot.send_message(42, "private")
    assert (first.message_id, second.message_id, other.message_id) == (1, 2, 1)
    assert first.text == "al-Tanf & co" and first.chat.type == "channel"
    assert [m.plain_text for m in tg.messages(CHANNEL)] == ["al-Tanf & co", "two"]
    recorded = tg.messages(CHANNEL)[0]
    assert recorded.text == "<b>al-Tanf</b> &amp; co" and recorded.parse_mode == "HTML"
    assert recorded.entities == (Entity("bold", 0, 7),)
    assert len(tg.messages()) == 3


async def test_link_preview_options_and_markup_are_recorded(tg: FakeTelegram, bot: Bot) -> None:
    from telegram import LinkPreviewOptions

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("relevant", callback_data="fb:1:y")]])
    await bot.send_message(CHANNEL, "x", reply_markup=markup,
                           link_preview_options=LinkPreviewOptions(is_disabled=True))
    recorded = tg.messages(CHANNEL)[0]
    assert recorded.link_preview_options == {"is_disabled": True}
    assert recorded.reply_markup == {
        "inline_keyboard": [[{"text": "relevant", "callback_data": "fb:1:y"}]]}


async def test_invalid_html_and_long_text_raise_bad_request(tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(BadRequest, match="unsupported start tag"):
        await bot.send_message(CHANNEL, "<script>x</script>", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)can't parse entities"):
        await bot.send_message(CHANNEL, "Q&A", parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(CHANNEL, "y" * 4097)
    assert tg.messages() == []
    assert [call.status for call in tg.calls("sendMessage")] == [400, 400, 400]


async def test_reply_to_a_missing_message_is_rejected(tg: FakeTelegram, bot: Bot) -> None:
    first = await bot.send_message(CHANNEL, "first")
    with pytest.raises(BadRequest, match="(?i)message to be replied not found"):
        await bot.send_message(CHANNEL, "reply", reply_to_message_id=99)
    reply = await bot.send_message(CHANNEL, "reply", reply_to_message_id=first.message_id)
    assert reply.reply_to_message.message_id == first.message_id
    loose = await bot.send_message(
        CHANNEL, "loose", reply_parameters=ReplyParameters(99, allow_sending_without_reply=True))
    assert loose.reply_to_message is None
    assert [m.reply_to_message_id for m in tg.messages(CHANNEL)] == [None, 1, None]


async def test_retry_after_surfaces_with_its_delay(tg: FakeTelegram, bot: Bot) -> None:
    tg.fail_next(429, retry_after=7, count=2, method="sendMessage")
    await bot.get_me()  # another method does not consume the fault
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(CHANNEL, "x")
        assert caught.value.retry_after == timedelta(seconds=7)
    assert (await bot.send_message(CHANNEL, "x")).message_id == 1
    assert tg.calls("sendMessage")[0].description == "Too Many Requests: retry after 7"


@pytest.mark.parametrize("status", [500, 502])
async def test_server_errors_are_network_errors(tg: FakeTelegram, bot: Bot, status: int) -> None:
    tg.fail_next(status)
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(CHANNEL, "x")
    assert not isinstance(caught.value, BadRequest)
    assert tg.messages() == []


@pytest.mark.parametrize("drop", [False, True])
async def test_outage_fails_every_call_until_switched_off(
    tg: FakeTelegram, bot: Bot, drop: bool
) -> None:
    tg.outage(True, drop=drop)
    for _ in range(3):
        with pytest.raises(NetworkError):
            await bot.send_message(CHANNEL, "x")
    tg.outage(False)
    assert (await bot.send_message(CHANNEL, "after")).message_id == 1
    assert [m.plain_text for m in tg.messages()] == ["after"]


async def test_forbidden_chats(tg: FakeTelegram, bot: Bot) -> None:
    tg.forbid(42)
    tg.forbid(CHANNEL, FORBIDDEN_KICKED)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(42, "x")
    with pytest.raises(Forbidden, match="bot was kicked from the channel chat"):
        await bot.send_message(CHANNEL, "x")
    tg.allow(42)
    assert (await bot.send_message(42, "x")).message_id == 1


async def test_wrong_token_is_unauthorized(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("999:wrong", base_url=tg.base_url):
            pass


def test_raw_protocol_answers_like_the_bot_api(tg: FakeTelegram) -> None:
    api = tg.base_url + tg.token
    with httpx.Client() as client:
        missing = client.post(f"{api}/noSuchMethod")
        wrong = client.get(f"{tg.base_url}999:wrong/getMe")
        me = client.get(f"{api}/getMe")
        sent = client.post(f"{api}/sendMessage",
                           json={"chat_id": 5, "text": "<i>j</i>", "parse_mode": "HTML"})
    assert (missing.status_code, missing.json()) == (
        404, {"ok": False, "error_code": 404, "description": "Not Found"})
    assert (wrong.status_code, wrong.json()["description"]) == (401, "Unauthorized")
    assert me.json()["result"]["is_bot"] is True
    assert sent.json()["result"]["entities"] == [{"type": "italic", "offset": 0, "length": 1}]


async def test_get_updates_delivers_a_pushed_command(tg: FakeTelegram, bot: Bot) -> None:
    pushed = tg.push_message("/status now", chat_id=77)
    updates = await bot.get_updates(timeout=5)
    assert [u.update_id for u in updates] == [pushed["update_id"]]
    message = updates[0].message
    assert message.text == "/status now" and message.chat.id == 77
    assert message.parse_entities(["bot_command"]) == {message.entities[0]: "/status"}
    assert await bot.get_updates(offset=updates[0].update_id + 1, timeout=5) == ()
    assert tg.pending_updates() == []  # the offset confirmed it


async def test_callback_queries_and_answers(tg: FakeTelegram, bot: Bot) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("not relevant", callback_data="n")]])
    sent = await bot.send_message(CHANNEL, "alert", reply_markup=markup)
    tg.push_callback_query("n", chat_id=CHANNEL, message_id=sent.message_id, user_id=5)
    (update,) = await bot.get_updates()
    query = update.callback_query
    assert (query.data, query.from_user.id, query.message.message_id) == ("n", 5, 1)
    assert await query.answer("thanks") is True
    with pytest.raises(BadRequest, match="(?i)query is too old"):
        await query.answer()
    assert tg.callback_answers()[0]["text"] == "thanks"


async def test_edits_are_validated_and_recorded(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(CHANNEL, "<b>v1</b>", parse_mode="HTML")
    await bot.edit_message_text("<b>v2</b>", CHANNEL, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("<b>v2</b>", CHANNEL, sent.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", CHANNEL, 99)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("ok", callback_data="k")]])
    await bot.edit_message_reply_markup(CHANNEL, sent.message_id, reply_markup=markup)
    (recorded,) = tg.messages(CHANNEL)
    assert (recorded.plain_text, recorded.edits) == ("v2", 2)
    assert recorded.reply_markup is not None


async def test_commands_round_trip_and_validation(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands([("start", "Start"), ("latest", "Latest alerts")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "latest"]
    assert tg.commands()[1] == {"command": "latest", "description": "Latest alerts"}
    with pytest.raises(BadRequest, match="(?i)bot_command_invalid"):
        await bot.set_my_commands([("Start", "capital letters are not allowed")])


async def test_a_newer_poll_ends_a_waiting_one_with_conflict() -> None:
    with FakeTelegram(poll_cap=30) as fake:
        async with Bot(fake.token, base_url=fake.base_url) as one, \
                Bot(fake.token, base_url=fake.base_url) as two:
            waiting = asyncio.create_task(one.get_updates(timeout=30, read_timeout=40))
            assert await fake.wait_for_async(lambda f: f.waiting_pollers == 1)
            assert await two.get_updates() == ()
            with pytest.raises(Conflict, match="terminated by other getUpdates request"):
                await waiting


async def test_an_application_polls_and_answers_a_command(tg: FakeTelegram) -> None:
    async def start(update, context) -> None:
        await update.message.reply_text("hello <b>there</b>", parse_mode="HTML", do_quote=True)

    app = Application.builder().token(tg.token).base_url(tg.base_url).build()
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=timedelta(seconds=1))
        tg.push_message("/start", chat_id=77)
        answered = await tg.wait_for_async(lambda f: len(f.messages(77)) == 1)
        await app.updater.stop()
        await app.stop()
    assert answered
    (reply,) = tg.messages(77)
    assert (reply.plain_text, reply.reply_to_message_id) == ("hello there", 1)


# -- Telegram's own limits (TELEGRAM-LIMITS.md: tdlib parse_html, telegram-bot-api) -----------
def test_raw_bytes_over_32768_are_refused_before_parsing() -> None:
    link = '<a href="https://news.example/' + "x" * 983 + '">t</a>\n'  # 1,024 bytes
    text = link * 32  # exactly 32,768 bytes, 64 characters shown
    assert len(check_message_text(text, "HTML").text) == 64
    with pytest.raises(ApiError, match="^Bad Request: text is too long$"):
        check_message_text(text + link, "HTML")
    with pytest.raises(ApiError, match="text is too long"):
        check_message_text("<b>" + "x" * 32_766 + "</b>", "HTML")  # before any parsing


def test_nul_inside_a_tag_is_an_unclosed_start_tag_but_is_a_space_in_text() -> None:
    with pytest.raises(ApiError, match="Unclosed start tag"):
        check_message_text('<a href="https://x.org/\x00a">x</a>', "HTML")
    with pytest.raises(ApiError, match="Unclosed start tag"):
        check_message_text("<b\x00>x</b>", "HTML")
    assert check_message_text("a\x00b", "HTML").text == "a\x00b"


def test_form_feed_is_not_a_space_in_a_tag_and_valueless_attributes_are_ignored() -> None:
    with pytest.raises(ApiError, match="Unsupported start tag"):
        check_message_text("<b\x0c>x</b>", "HTML")
    parsed = check_message_text("<b hidden>x</b><blockquote expandable>q</blockquote>", "HTML")
    assert [e.type for e in parsed.entities] == ["bold", "blockquote"]


def test_a_lone_surrogate_is_not_utf8_and_a_surrogate_entity_is_invalid() -> None:
    with pytest.raises(ApiError, match="UTF-8"):
        check_message_text("x\ud83d", "HTML")
    with pytest.raises(ApiError, match="invalid Unicode"):
        check_message_text("&#xD83D;&#xDE00;", "HTML")
