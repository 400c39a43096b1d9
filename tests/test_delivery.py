"""Delivery through the outbox against the fake Bot API, with a real PTB Bot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from telegram import Bot

from bot.telegram.client import RateLimiter, RateLimits, TelegramSender
from bot.telegram.deliver import RetryPolicy, deliver
from storage.archive import Archive, ArticleRecord

CHAT = "-1001234567890"
OTHER = "-1009876543210"
FAST = RateLimits(group=10_000, private=10_000, overall=10_000)
ARABIC = "\u0627\u0644\u062a\u0646\u0641"
START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


class Sleeps(list):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def add(archive: Archive, n: int, chats: tuple[str, ...] = (CHAT,), *,
        topics: tuple[str, ...] = ("al-tanf",)) -> list[str]:
    ids = []
    for i in range(n):
        record = ArticleRecord(
            id=f"a{i:015d}", text=f"Report number {i} on the garrison.",
            title=f"Report {i} <near> al-Tanf & the \"zone\" {ARABIC} \U0001f6a8",
            url=f"https://example.org/r/{i}", outlet="Example", language="en",
            published=START.isoformat(), relevant=True, score=0.9, topics=topics)
        archive.add_article(record, alert_chats=chats, now=START)
        ids.append(record.id)
    return ids


def sender(bot: Bot) -> TelegramSender:
    return TelegramSender(bot, limiter=RateLimiter(FAST))


def titles(fake, chat: str = CHAT) -> list[str]:
    return [m.plain_text.split("\n", 1)[0] for m in fake.messages(chat)]


def statuses(archive: Archive) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in archive.db.execute(
        "select chat_id, status from outbox order by id")]


async def test_burst_of_50_with_429s_arrives_once_in_order(archive, bot, fake_telegram):
    add(archive, 50)
    real = sender(bot)

    class Throttled:
        calls = 0

        async def send(self, *args, **kwargs):
            self.calls += 1
            if self.calls % 10 == 0:  # Telegram says "slow down" every tenth message
                fake_telegram.fail_next(429, retry_after=2, method="sendMessage")
            return await real.send(*args, **kwargs)

    sleeps = Sleeps()
    report = await deliver(archive, Throttled(), clock=Clock(), digest_after=0, max_wait=5,
                           sleep=sleeps)
    assert report.sent == 50 and report.deferred == 0
    assert sleeps == [2.0] * 5
    sent = fake_telegram.messages(CHAT)
    assert [m.plain_text.count(f"Report {i} ") for i, m in enumerate(sent)] == [1] * 50
    assert len([c for c in fake_telegram.calls("sendMessage") if c.status == 429]) == 5
    ids = [r[0] for r in archive.db.execute("select message_id from outbox order by id")]
    assert ids == [m.message_id for m in sent]
    again = await deliver(archive, real, clock=Clock(), digest_after=0, max_wait=5)
    assert again.sent == 0 and len(fake_telegram.messages(CHAT)) == 50


async def test_long_retry_after_is_recorded_not_slept(archive, bot, fake_telegram):
    add(archive, 3)
    clock, sleeps = Clock(), Sleeps()
    fake_telegram.fail_next(429, retry_after=120, method="sendMessage")
    first = await deliver(archive, sender(bot), clock=clock, digest_after=0, max_wait=5,
                          sleep=sleeps)
    assert (first.sent, first.deferred, sleeps) == (0, 3, [])
    row = archive.db.execute("select next_attempt from outbox order by id").fetchone()
    assert datetime.fromisoformat(row[0]) == START + timedelta(seconds=120)
    clock.now += timedelta(seconds=60)
    early = await deliver(archive, sender(bot), clock=clock, digest_after=0)
    assert early.sent == 0 and fake_telegram.messages(CHAT) == []
    clock.now += timedelta(seconds=61)
    late = await deliver(archive, sender(bot), clock=clock, digest_after=0)
    assert late.sent == 3 and len(titles(fake_telegram)) == 3


async def test_ten_minute_outage_queues_then_drains_once(archive, bot, fake_telegram):
    add(archive, 4)
    clock = Clock()
    fake_telegram.outage(True)
    policy = RetryPolicy(backoff_base=15, backoff_cap=900)
    waits = []
    while clock.now < START + timedelta(minutes=10):
        report = await deliver(archive, sender(bot), clock=clock, digest_after=0, policy=policy)
        assert report.sent == 0
        clock.now += timedelta(seconds=10)  # the daemon's delivery job interval
        nxt = archive.db.execute("select next_attempt from outbox order by id").fetchone()[0]
        waits.append(nxt)
    attempts = archive.db.execute("select attempts from outbox order by id").fetchone()[0]
    assert 3 <= attempts <= 6  # backed off: far fewer than the 60 runs
    assert fake_telegram.messages() == []
    fake_telegram.outage(False)
    clock.now += timedelta(minutes=20)
    report = await deliver(archive, sender(bot), clock=clock, digest_after=0, policy=policy)
    assert report.sent == 4
    assert [t.count("Report") for t in titles(fake_telegram)] == [1] * 4
    assert statuses(archive) == [(CHAT, "sent")] * 4


async def test_forbidden_chat_is_marked_gone_and_not_retried(archive, bot, fake_telegram):
    add(archive, 2, chats=(CHAT, OTHER))
    fake_telegram.forbid(OTHER)
    report = await deliver(archive, sender(bot), clock=Clock(), digest_after=0)
    assert report.sent == 2 and report.failed == 2
    assert "blocked" in archive.chats.gone()[OTHER]
    before = len(fake_telegram.calls("sendMessage"))
    add_more = ArticleRecord(id="b" * 16, text="x", title="Later", relevant=True)
    archive.add_article(add_more, alert_chats=(CHAT, OTHER), now=START)
    again = await deliver(archive, sender(bot), clock=Clock(), digest_after=0)
    assert again.sent == 1
    targets = [c.params["chat_id"] for c in fake_telegram.calls("sendMessage")[before:]]
    assert targets == [CHAT]
    assert [s for c, s in statuses(archive) if c == OTHER] == ["failed"] * 3


async def test_entity_error_resends_as_plain_text(bot, fake_telegram):
    mid = await sender(bot).send(CHAT, "<b>broken <i>nesting</b>", "broken nesting",
                                 reply_to=None)
    (message,) = fake_telegram.messages(CHAT)
    assert message.message_id == mid and message.parse_mode is None
    assert message.plain_text == "broken nesting"


async def test_alert_carries_feedback_buttons_and_valid_html(archive, bot, fake_telegram):
    (article_id,) = add(archive, 1)
    await deliver(archive, sender(bot), clock=Clock(), digest_after=0)
    (message,) = fake_telegram.messages(CHAT)
    assert message.parse_mode == "HTML" and "\u0627\u0644\u062a\u0646\u0641" in message.plain_text
    buttons = message.reply_markup["inline_keyboard"][0]
    assert [b["callback_data"] for b in buttons] == [f"fb:1:{article_id}", f"fb:0:{article_id}"]


async def test_digest_replaces_a_flood(archive, bot, fake_telegram):
    add(archive, 12)
    report = await deliver(archive, sender(bot), clock=Clock(), digest_after=10)
    assert (report.sent, report.digests) == (12, 1)
    (message,) = fake_telegram.messages(CHAT)
    assert "Report 0 " in message.plain_text and "Report 11 " in message.plain_text
    mids = {r[0] for r in archive.db.execute("select message_id from outbox")}
    assert mids == {message.message_id}


async def test_paused_delivery_sends_nothing_and_keeps_alerts(archive, bot, fake_telegram):
    add(archive, 2)
    archive.chats.set_paused(True)
    report = await deliver(archive, sender(bot), clock=Clock(), digest_after=0)
    assert report.paused and fake_telegram.messages() == []
    archive.chats.set_paused(False)
    assert (await deliver(archive, sender(bot), clock=Clock(), digest_after=0)).sent == 2


def test_subscribed_chats_get_alerts_for_their_topics(archive):
    archive.chats.subscribe("555", ["al-tanf"], now=START)
    archive.chats.subscribe("777", ["55km-zone"], now=START)
    add(archive, 1, topics=("al-tanf",))
    assert [c for c, _ in statuses(archive)] == [CHAT, "555"]
    archive.chats.unsubscribe("555", None, now=START)
    add_one = ArticleRecord(id="c" * 16, text="x", relevant=True, topics=("al-tanf",))
    archive.add_article(add_one, alert_chats=(CHAT,), now=START)
    assert [c for c, _ in statuses(archive)][2:] == [CHAT]


async def test_rate_limiter_spaces_group_messages():
    now = [0.0]
    sleeps = Sleeps()

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds

    limiter = RateLimiter(RateLimits(group=20, group_period=60.0), clock=lambda: now[0],
                          sleep=sleep)
    for _ in range(20):
        await limiter.acquire(CHAT)
    assert sleeps == []
    await limiter.acquire("42")  # a private chat has its own window
    await limiter.acquire(CHAT)
    assert sleeps == [pytest.approx(60.0)]


async def test_dropped_connections_and_5xx_back_off_by_attempts(archive, bot, fake_telegram):
    add(archive, 1)
    clock = Clock()
    policy = RetryPolicy(backoff_base=10, backoff_cap=900)
    fake_telegram.outage(True, drop=True)
    await deliver(archive, sender(bot), clock=clock, digest_after=0, policy=policy)
    fake_telegram.outage(False)
    fake_telegram.fail_next(503, method="sendMessage")
    clock.now += timedelta(seconds=10)
    await deliver(archive, sender(bot), clock=clock, digest_after=0, policy=policy)
    attempts, nxt, error = archive.db.execute(
        "select attempts, next_attempt, last_error from outbox").fetchone()
    assert attempts == 2 and "unreachable" in error
    assert datetime.fromisoformat(nxt) == clock.now + timedelta(seconds=20)  # 10 * 2**1
    clock.now += timedelta(seconds=20)
    assert (await deliver(archive, sender(bot), clock=clock, digest_after=0)).sent == 1
    assert len(fake_telegram.messages(CHAT)) == 1


async def test_link_preview_follows_the_chat_choice(fake_telegram):
    from telegram import Bot

    from bot.telegram.client import TelegramSender

    choices = {"1": True}
    async with Bot(fake_telegram.token, base_url=fake_telegram.base_url) as bot:
        sender = TelegramSender(bot, link_preview=False, feedback_buttons=False,
                                preview_for=choices.get)
        await sender.send("1", "<b>a</b>", "a", reply_to=None)
        await sender.send("2", "<b>b</b>", "b", reply_to=None)
    on, off = fake_telegram.messages("1")[0], fake_telegram.messages("2")[0]
    assert on.link_preview_options.get("is_disabled") in (False, None)
    assert off.link_preview_options["is_disabled"] is True


def test_alert_links_to_the_archive_entry_when_configured():
    from bot.alerts.render import render_alert
    from bot.telegram.deliver import alert_view

    article = {"id": "a1b2", "title": "Drones over al-Tanf", "url": "https://news.example/x"}
    linked = render_alert(alert_view(article, archive_url="https://d.example/articles/{id}"))
    assert '<a href="https://d.example/articles/a1b2">archive</a>' in linked
    assert "archive a1b2" in render_alert(alert_view(article))
