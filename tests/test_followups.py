"""Follow-ups per chat (thread, digest, mute) through the outbox and the fake Bot API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlite_utils import Database
from sqlite_utils.migrations import Migrations
from telegram import Bot

from bot.telegram.client import RateLimiter, RateLimits, TelegramSender
from bot.telegram.deliver import deliver
from storage.archive import Archive, ArticleRecord
from storage.chats import m001_chats

CHAT = "-1001234567890"
OTHER = "-1009876543210"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)


def report(archive: Archive, aid: str, *, story: str, outlet: str,
           chats: tuple[str, ...] = (CHAT,)) -> None:
    """Archive one article and queue its alert: a new story when it opens `story`."""
    record = ArticleRecord(
        id=aid, text=f"{outlet} says the convoy reached the garrison.",
        title=f"{outlet}: convoy reaches the al-Tanf garrison", url=f"https://{outlet}.test/{aid}",
        outlet=outlet, language="en", published=NOW.isoformat(), relevant=True, score=0.8,
        topics=("al-tanf",), story=story)
    kind = "new-story" if aid == story else "follow-up"
    archive.add_article(record, alert_chats=chats, alert_kind=kind, now=NOW)


@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, limiter=RateLimiter(FAST))


async def run(archive: Archive, sender: TelegramSender, mode: str = "thread"):
    return await deliver(archive, sender, clock=lambda: NOW, follow_ups=mode)


def outbox(archive: Archive) -> dict[tuple[str, str], tuple[str, int | None]]:
    rows = archive.db.execute("select article_id, chat_id, status, message_id from outbox")
    return {(r[0], r[1]): (r[2], r[3]) for r in rows}


async def test_thread_sends_a_lone_follow_up_as_a_full_reply(archive, sender, fake_telegram):
    report(archive, "s", story="s", outlet="First")
    await run(archive, sender)
    report(archive, "f1", story="s", outlet="Second")
    await run(archive, sender)
    first, follow = fake_telegram.messages(CHAT)
    assert follow.reply_to_message_id == first.message_id
    assert "Second: convoy reaches" in follow.plain_text and "follow-up to" in follow.plain_text


async def test_thread_gathers_follow_ups_pending_together(archive, sender, fake_telegram):
    report(archive, "s", story="s", outlet="First")
    for i, outlet in enumerate(["Second", "Third", "Fourth"]):
        report(archive, f"f{i}", story="s", outlet=outlet)
    report(archive, "t", story="t", outlet="Other")  # another story, queued after them
    result = await run(archive, sender)
    first, also, other = fake_telegram.messages(CHAT)
    assert also.reply_to_message_id == first.message_id and other.reply_to_message_id is None
    assert also.plain_text.startswith("↪️ Also reported by Second, Third, Fourth")
    links = {e.url for e in also.entities if e.type == "text_link"}
    assert links == {"https://Second.test/f0", "https://Third.test/f1", "https://Fourth.test/f2"}
    state = outbox(archive)
    assert {state[(f"f{i}", CHAT)] for i in range(3)} == {("sent", also.message_id)}
    assert result.sent == 5 and result.digests == 1


async def test_digest_gathers_even_one_follow_up_per_story(archive, sender, fake_telegram):
    report(archive, "s", story="s", outlet="First")
    report(archive, "t", story="t", outlet="Elsewhere")
    await run(archive, sender, "digest")
    report(archive, "f1", story="s", outlet="Second")
    report(archive, "g1", story="t", outlet="Third")
    report(archive, "f2", story="s", outlet="Fourth")
    await run(archive, sender, "digest")
    s, t, also_s, also_t = fake_telegram.messages(CHAT)
    assert also_s.reply_to_message_id == s.message_id
    assert also_s.plain_text.splitlines()[0] == "↪️ Also reported by Second, Fourth"
    assert also_t.reply_to_message_id == t.message_id
    assert also_t.plain_text.splitlines()[0] == "↪️ Also reported by Third"


async def test_digest_names_the_story_when_there_is_no_alert_to_reply_to(
        archive, sender, fake_telegram):
    report(archive, "seed", story="seed", outlet="Seed", chats=())  # archived, never alerted
    report(archive, "f1", story="seed", outlet="Later")
    await run(archive, sender, "digest")
    (also,) = fake_telegram.messages(CHAT)
    assert also.reply_to_message_id is None
    assert "on «Seed: convoy reaches the al-Tanf garrison»" in also.plain_text


async def test_mute_archives_follow_ups_and_sends_new_stories(archive, sender, fake_telegram):
    report(archive, "s", story="s", outlet="First")
    report(archive, "f1", story="s", outlet="Second")
    result = await run(archive, sender, "mute")
    (only,) = fake_telegram.messages(CHAT)
    assert "First" in only.plain_text
    assert outbox(archive)[("f1", CHAT)] == ("muted", None)
    assert result.muted == 1 and archive.outbox.count("pending") == 0


async def test_a_chat_choice_overrides_the_configured_default(archive, sender, fake_telegram):
    archive.chats.set_follow_ups(OTHER, "mute", now=NOW)
    report(archive, "s", story="s", outlet="First", chats=(CHAT, OTHER))
    report(archive, "f1", story="s", outlet="Second", chats=(CHAT, OTHER))
    await run(archive, sender, "digest")
    main_first, main_also = fake_telegram.messages(CHAT)
    assert main_also.plain_text.startswith("↪️ Also reported by Second")  # the default: digest
    assert main_also.reply_to_message_id == main_first.message_id
    assert [m.plain_text.split(":")[0] for m in fake_telegram.messages(OTHER)] == ["First"]
    assert outbox(archive)[("f1", OTHER)] == ("muted", None)


def test_follow_up_choice_is_stored_per_chat(archive):
    assert archive.chats.follow_ups(CHAT) is None
    archive.chats.subscribe(CHAT, ["al-tanf"], now=NOW)
    archive.chats.set_follow_ups(CHAT, "digest", now=NOW)
    archive.chats.set_follow_ups(OTHER, "mute", now=NOW)  # never subscribed: a row of its own
    assert archive.chats.follow_ups(CHAT) == "digest" and archive.chats.follow_ups(OTHER) == "mute"
    assert archive.chats.subscribers(["al-tanf"]) == [CHAT]  # the choice keeps the subscription
    with pytest.raises(ValueError, match="loud"):
        archive.chats.set_follow_ups(CHAT, "loud", now=NOW)


def test_an_archive_from_before_the_choice_gains_it(tmp_path):
    """The new migration runs on a chats table created by the released one."""
    db = Database(tmp_path / "old.db")
    released = Migrations("tanfwatch-telegram")  # the set as it was released: m001 only
    released(name="m001_chats")(m001_chats)
    released.apply(db)
    db["chats"].insert({"chat_id": CHAT, "topics": '["al-tanf"]', "subscribed": 1})
    db.close()
    archive = Archive.open(tmp_path / "old.db")
    try:
        assert archive.chats.follow_ups(CHAT) is None
        archive.chats.set_follow_ups(CHAT, "mute", now=NOW)
        assert archive.chats.follow_ups(CHAT) == "mute"
        assert archive.chats.subscribers(["al-tanf"]) == [CHAT]
    finally:
        archive.close()
