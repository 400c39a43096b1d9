"""A chat that blocked or removed the bot comes back: re-added, writing to the bot, a periodic
re-probe or `tanfwatch chats reset`; its parked alerts are then sent, once. Channel posts are
commands too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from telegram import Bot

from bot.telegram.client import RateLimiter, RateLimits, TelegramSender
from bot.telegram.deliver import RetryPolicy, deliver
from storage.archive import Archive, ArticleRecord
from tests.fake_telegram import FORBIDDEN_KICKED
from tests.test_commands import PRIVATE, ask, running  # noqa: F401 - the bot fixture

CHANNEL = "-1001234567890"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)


def alert(archive: Archive, n: int, chat: str = CHANNEL) -> None:
    archive.add_article(ArticleRecord(
        id=f"b{n:015d}", text="x", relevant=True, title=f"Alert {n} near al-Tanf",
        url=f"https://example.org/b/{n}"), alert_chats=(chat,), now=NOW)


def statuses(archive: Archive, chat: str = CHANNEL) -> list[str]:
    return [r[0] for r in archive.db.execute(
        "select status from outbox where chat_id = ? order by id", [chat])]


def sends_to(fake, chat: str) -> int:
    return sum(c.params.get("chat_id") == chat for c in fake.calls("sendMessage"))


async def gone_with_parked(archive: Archive, fake, bot: Bot, chat: str = CHANNEL) -> None:
    fake.forbid(chat, FORBIDDEN_KICKED)
    alert(archive, 1, chat)
    alert(archive, 2, chat)
    await deliver(archive, sender(bot), clock=lambda: NOW, digest_after=0)
    assert chat in archive.chats.gone() and statuses(archive, chat) == ["failed"] * 2


def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, limiter=RateLimiter(FAST), feedback_buttons=False)


async def test_a_gone_chat_is_re_probed_after_a_while_then_gets_its_parked_alerts(
        archive, bot, fake_telegram):
    await gone_with_parked(archive, fake_telegram, bot)
    policy = RetryPolicy(reprobe_every=timedelta(hours=6))
    alert(archive, 3)
    soon = await deliver(archive, sender(bot), clock=lambda: NOW + timedelta(hours=1),
                         digest_after=0, policy=policy)
    assert soon.sent == 0 and sends_to(fake_telegram, CHANNEL) == 1  # not tried again yet
    still = await deliver(archive, sender(bot), clock=lambda: NOW + timedelta(hours=7),
                          digest_after=0, policy=policy)
    assert still.sent == 0 and sends_to(fake_telegram, CHANNEL) == 2  # one probe, no more
    assert statuses(archive) == ["failed"] * 3 and CHANNEL in archive.chats.gone()
    fake_telegram.allow(CHANNEL)
    back = await deliver(archive, sender(bot), clock=lambda: NOW + timedelta(hours=14),
                         digest_after=0, policy=policy)
    assert back.sent == 3 and statuses(archive) == ["sent"] * 3
    texts = [m.plain_text for m in fake_telegram.messages(CHANNEL)]
    assert [t.split("\n")[0] for t in texts] == [f"Alert {n} near al-Tanf" for n in (1, 2, 3)]
    again = await deliver(archive, sender(bot), clock=lambda: NOW + timedelta(hours=30),
                          digest_after=0, policy=policy)
    assert again.sent == 0 and len(fake_telegram.messages(CHANNEL)) == 3


async def test_re_adding_the_bot_brings_the_parked_alerts_back(running, fake_telegram):  # noqa: F811
    archive, app = running
    await gone_with_parked(archive, fake_telegram, app.bot)
    fake_telegram.allow(CHANNEL)
    fake_telegram.push_my_chat_member(CHANNEL, "administrator")
    await ask(fake_telegram, "/help")  # updates are handled in order: the one above is done
    assert CHANNEL not in archive.chats.gone() and statuses(archive) == ["pending"] * 2
    report = await deliver(archive, sender(app.bot), clock=lambda: NOW, digest_after=0)
    assert report.sent == 2 and len(fake_telegram.messages(CHANNEL)) == 2


async def test_removing_the_bot_parks_at_once(running, fake_telegram):  # noqa: F811
    archive, _ = running
    alert(archive, 1)
    fake_telegram.push_my_chat_member(CHANNEL, "left", old="administrator")
    await ask(fake_telegram, "/help")
    assert "removed" in archive.chats.gone()[CHANNEL] and statuses(archive) == ["failed"]
    fake_telegram.push_my_chat_member(PRIVATE, "kicked", old="member")  # a user blocks the bot
    await ask(fake_telegram, "/help", chat=2002)
    assert "blocked" in archive.chats.gone()[str(PRIVATE)]


async def test_a_command_from_a_gone_private_chat_brings_it_back(running, fake_telegram):  # noqa: F811
    archive, app = running
    chat = str(PRIVATE)
    await gone_with_parked(archive, fake_telegram, app.bot, chat)
    fake_telegram.allow(chat)  # the user unblocked the bot and writes to it
    assert "commands" in await ask(fake_telegram, "/help")
    assert chat not in archive.chats.gone() and statuses(archive, chat) == ["pending"] * 2


async def test_subscribe_in_a_channel_is_a_channel_post(running, fake_telegram):  # noqa: F811
    archive, _ = running
    fake_telegram.push_channel_post("/subscribe tanf", chat_id=CHANNEL)
    assert await fake_telegram.wait_for_async(lambda f: bool(f.messages(CHANNEL)), timeout=10)
    assert "Subscribed here to: al-tanf" in fake_telegram.messages(CHANNEL)[0].plain_text
    assert archive.chats.subscribers(["al-tanf"]) == [CHANNEL]
    fake_telegram.push_channel_post("/followups digest", chat_id=CHANNEL)
    assert await fake_telegram.wait_for_async(lambda f: len(f.messages(CHANNEL)) == 2)
    assert archive.chats.follow_ups(CHANNEL) == "digest"  # the channel's own setting


async def test_chats_list_and_reset_from_the_cli(tmp_path, bot, fake_telegram):
    import json

    from click.testing import CliRunner

    from bot.cli.main import cli

    archive = Archive.open(tmp_path / "cli.db")
    try:
        await gone_with_parked(archive, fake_telegram, bot)
        archive.chats.subscribe("555", ["al-tanf"], now=NOW)
    finally:
        archive.close()
    db = ["--db", str(tmp_path / "cli.db")]
    listed = CliRunner().invoke(cli, [*db, "chats", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {r["chat_id"]: r for r in json.loads(listed.stdout)}
    assert rows[CHANNEL]["status"] == "gone" and rows[CHANNEL]["parked"] == 2
    assert rows["555"]["topics"] == ["al-tanf"] and rows["555"]["status"] == "ok"
    text = CliRunner().invoke(cli, [*db, "chats", "list"])
    assert "gone (Telegram 403" in text.output and "parked 2" in text.output
    unknown = CliRunner().invoke(cli, [*db, "chats", "reset", "-42"])
    assert unknown.exit_code == 1 and "no chat -42" in unknown.output
    reset = CliRunner().invoke(cli, [*db, "chats", "reset", CHANNEL])
    assert reset.exit_code == 0 and "2 parked alerts queued again" in reset.output
    fake_telegram.allow(CHANNEL)
    archive = Archive.open(tmp_path / "cli.db")
    try:
        report = await deliver(archive, sender(bot), clock=lambda: NOW, digest_after=0)
        assert report.sent == 2 and statuses(archive) == ["sent"] * 2
    finally:
        archive.close()
