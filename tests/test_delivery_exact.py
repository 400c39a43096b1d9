"""Every alert marked sent is visible in its message, and is sent once even when the database
refuses to record it for a while (another writer, a full disk)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import pytest
from telegram import Bot

from bot.telegram.client import RateLimiter, RateLimits, TelegramSender
from bot.telegram.deliver import Accepted, RetryPolicy, deliver
from storage.archive import Archive, ArticleRecord

CHAT = "-1001234567890"
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)
LONG = "https://news.google.com/rss/articles/CBMi" + "q" * 700 + "?oc=5"


@pytest.fixture
def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, limiter=RateLimiter(FAST))


def queue(archive: Archive, n: int, *, story: str | None = None, title_len: int = 140) -> None:
    for i in range(n):
        aid = f"a{i:015d}"
        kind = "new-story" if story is None or aid == story else "follow-up"
        archive.add_article(ArticleRecord(
            id=aid, text="The convoy reached the garrison.", relevant=True, score=0.8,
            title=f"R{i:03d} " + "convoy at the al-Tanf garrison " * (title_len // 31),
            url=f"{LONG}&n={i}", outlet=f"Outlet {i % 7}", language="en",
            published=NOW.isoformat(), topics=("al-tanf",), story=story),
            alert_chats=(CHAT,), alert_kind=kind, now=NOW)


def visible(archive: Archive, fake) -> tuple[int, int]:
    """(alerts marked sent, of those how many show in the message they were marked with)."""
    shown = {m.message_id: m.plain_text for m in fake.messages(CHAT)}
    rows = archive.db.execute(
        "select article_id, message_id from outbox where status = 'sent'").fetchall()
    tag = {r[0]: f"R{int(r[0][1:]):03d} " for r in rows}
    return len(rows), sum(tag[aid] in shown.get(mid, "") for aid, mid in rows)


@pytest.mark.parametrize("mode", ["thread", "digest"])
async def test_83_follow_ups_are_each_in_some_message(archive, sender, fake_telegram, mode):
    queue(archive, 1, story="a000000000000000")
    await deliver(archive, sender, clock=lambda: NOW, follow_ups=mode)
    for i in range(1, 84):
        archive.add_article(ArticleRecord(
            id=f"f{i:015d}", text="x", relevant=True, title=f"R{i:03d} " + "convoy " * 20,
            url=f"{LONG}&f={i}", outlet=f"Outlet {i}", story="a000000000000000"),
            alert_chats=(CHAT,), alert_kind="follow-up", now=NOW)
    report = await deliver(archive, sender, clock=lambda: NOW, follow_ups=mode, digest_after=0)
    rows = archive.db.execute("select article_id, message_id from outbox where status = 'sent' "
                              "and article_id like 'f%'").fetchall()
    texts = {m.message_id: m.plain_text for m in fake_telegram.messages(CHAT)}
    assert len(rows) == 83 == report.sent
    missing = [aid for aid, mid in rows if f"R{int(aid[1:]):03d} " not in texts.get(mid, "")]
    assert missing == []
    assert len(texts) >= 3  # one story alert, then the follow-ups split over several replies


async def test_a_flood_digest_splits_instead_of_hiding_alerts(archive, sender, fake_telegram):
    queue(archive, 83)
    report = await deliver(archive, sender, clock=lambda: NOW, digest_after=10)
    assert report.sent == 83 and len(fake_telegram.messages(CHAT)) > 1
    assert visible(archive, fake_telegram) == (83, 83)


async def test_mark_sent_is_retried_past_a_long_lock_and_never_resent(archive, sender,
                                                                      fake_telegram, tmp_path):
    queue(archive, 3)
    archive.db.execute("pragma busy_timeout = 20")  # instead of 30 s: the lock outlasts it
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    lock = {"held": False}

    async def send_then_lock(*args, **kwargs):
        mid = await real_send(*args, **kwargs)
        if not lock["held"]:  # another writer takes the database right after Telegram accepted
            other.execute("begin immediate")
            lock["held"] = True
        return mid

    real_send, sender.send = sender.send, send_then_lock
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 4:  # the other writer lets go after a few retries
            other.execute("commit")

    accepted = Accepted()
    report = await deliver(archive, sender, clock=lambda: NOW, digest_after=0, sleep=sleep,
                           accepted=accepted)
    assert report.sent == 3 and len(waits) == 4 and len(accepted) == 0
    again = await deliver(archive, sender, clock=lambda: NOW, digest_after=0)
    assert again.sent == 0
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 3
    rows = archive.db.execute("select status, message_id from outbox order by id").fetchall()
    assert rows == [("sent", m.message_id) for m in sent]
    other.close()


async def test_a_lock_that_outlasts_the_run_is_written_by_the_next_run(archive, sender,
                                                                       fake_telegram, tmp_path):
    queue(archive, 2)
    archive.db.execute("pragma busy_timeout = 20")
    other = sqlite3.connect(tmp_path / "a.db", isolation_level=None)
    real_send = sender.send

    async def send_then_lock(*args, **kwargs):
        mid = await real_send(*args, **kwargs)
        if not other.in_transaction:
            other.execute("begin immediate")
        return mid

    sender.send = send_then_lock

    async def sleep(seconds: float) -> None:
        return None

    accepted = Accepted()
    policy = RetryPolicy(write_patience=5.0)
    first = await deliver(archive, sender, clock=lambda: NOW, digest_after=0, sleep=sleep,
                          policy=policy, accepted=accepted)
    assert first.sent == 1 and len(accepted) == 1  # stopped: nothing more is sent
    other.execute("commit")
    sender.send = real_send
    second = await deliver(archive, sender, clock=lambda: NOW, digest_after=0, sleep=sleep,
                           accepted=accepted)
    assert second.sent == 1 and len(accepted) == 0
    assert len(fake_telegram.messages(CHAT)) == 2
    assert [r[0] for r in archive.db.execute("select status from outbox")] == ["sent"] * 2
    other.close()


async def test_an_answer_lost_after_acceptance_is_the_one_documented_double(
        archive, sender, fake_telegram):
    queue(archive, 2)
    fake_telegram.lose_answers(1)  # Telegram accepts the first alert, its answer never arrives
    first = await deliver(archive, sender, clock=lambda: NOW, digest_after=0)
    assert (first.sent, first.uncertain, first.deferred) == (0, 1, 2)
    error = archive.db.execute("select last_error from outbox order by id").fetchone()[0]
    assert "may have arrived" in error
    later = await deliver(archive, sender, clock=lambda: NOW.replace(hour=13), digest_after=0)
    assert later.sent == 2
    titles = [m.plain_text.split(" ", 1)[0] for m in fake_telegram.messages(CHAT)]
    assert titles == ["R000", "R000", "R001"]  # at least once: the README's residual window


async def test_a_5xx_answer_is_not_an_uncertain_send(archive, sender, fake_telegram):
    queue(archive, 1)
    fake_telegram.outage(True)  # 502: answered, so surely not accepted
    report = await deliver(archive, sender, clock=lambda: NOW, digest_after=0)
    assert report.uncertain == 0 and report.deferred == 1


async def test_a_flood_beyond_one_listing_counts_all_and_shows_each(archive, sender,
                                                                    fake_telegram):
    queue(archive, 600, title_len=0)
    report = await deliver(archive, sender, clock=lambda: NOW, digest_after=10)
    messages = fake_telegram.messages(CHAT)
    assert report.sent == 600 and visible(archive, fake_telegram) == (600, 600)
    heads = [m.plain_text.split("\n", 1)[0] for m in messages]
    assert heads[0] == "🗞 600 new reports" and len(messages) > 1
    first_more = messages[0].plain_text.rsplit("\n", 1)[1]
    assert first_more == f"… and {600 - messages[0].plain_text.count('R')} more in the next message"
