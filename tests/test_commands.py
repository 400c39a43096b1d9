"""Bot commands and feedback buttons over long-polling against the fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bot.settings import Secret, Settings
from bot.telegram.commands import COMMANDS, build_application, help_text, start_bot, stop_bot
from bot.telegram.feedback import disputed, export_labelled
from matchers.registry import builtin_registry
from storage.archive import Archive, ArticleRecord

ADMIN, USER, PRIVATE = 4242, 1001, 1001
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def record(i: int, *, relevant: bool = True, story: str | None = None) -> ArticleRecord:
    return ArticleRecord(
        id=f"a{i:015d}", text=f"Convoy number {i} reached the garrison at al-Tanf today.",
        title=f"Convoy {i} <arrives> & \"waits\" \u0642\u0627\u0639\u062f\u0629", relevant=relevant,
        url=f"https://example.org/c/{i}", outlet="Example", published=NOW.isoformat(),
        topics=("al-tanf",), story=story)


@pytest.fixture
async def running(tmp_path, fake_telegram) -> AsyncIterator[tuple[Archive, object]]:
    archive = Archive.open(tmp_path / "a.db")
    for i in range(8):
        archive.add_article(record(i, story="a000000000000000"))
    settings = Settings(sources=(), db_path=tmp_path / "a.db", token=Secret(fake_telegram.token),
                        api_base=fake_telegram.base_url, admin_ids=(ADMIN,))
    app = build_application(settings, archive, clock=lambda: NOW)
    await start_bot(app, poll_timeout=1)
    try:
        yield archive, app
    finally:
        await stop_bot(app)
        archive.close()


async def ask(fake, text: str, *, user: int = USER, chat: int = PRIVATE) -> str:
    before = len(fake.messages(chat))
    fake.push_message(text, chat_id=chat, user_id=user)
    assert await fake.wait_for_async(lambda f: len(f.messages(chat)) > before, timeout=10)
    return fake.messages(chat)[before].plain_text


async def test_every_command_answers(running, fake_telegram):
    archive, _ = running
    examples = {"search": "/search convoy", "story": "/story a000000000000003",
                "addsource": "/addsource ftp://example.org/feed", "removesource": "/removesource x",
                "latest": "/latest 3", "subscribe": "/subscribe tanf", "preview": "/preview on"}
    for spec in COMMANDS:
        answer = await ask(fake_telegram, examples.get(spec.name, f"/{spec.name}"), user=ADMIN)
        assert answer.strip(), spec.name
    names = [c["command"] for c in fake_telegram.commands()]
    assert names == [spec.name for spec in COMMANDS]  # registered with setMyCommands


async def test_subscribe_and_unsubscribe_store_topics(running, fake_telegram):
    archive, _ = running
    assert "al-tanf" in await ask(fake_telegram, "/subscribe tanf")
    assert archive.chats.subscribers(["al-tanf"]) == [str(PRIVATE)]
    assert archive.chats.subscribers(["55km-zone"]) == []
    assert "Unknown topic" in await ask(fake_telegram, "/subscribe weather")
    assert "Unsubscribed" in await ask(fake_telegram, "/unsubscribe")
    assert archive.chats.subscribers(["al-tanf"]) == []


async def test_latest_story_and_status(running, fake_telegram):
    latest = await ask(fake_telegram, "/latest 2")
    assert latest.count("Convoy") == 2 and "<arrives> &" in latest
    story = await ask(fake_telegram, "/story a000000000000003")
    assert "Same story" in story and "Convoy 0" in story
    status = await ask(fake_telegram, "/status")
    assert "Pending alerts: 0" in status and "running" in status


async def test_search_pages_with_buttons(running, fake_telegram):
    first = await ask(fake_telegram, "/search convoy")
    assert first.count("•") == 5
    message = fake_telegram.messages(PRIVATE)[-1]
    (button,) = message.reply_markup["inline_keyboard"][0]
    assert button["callback_data"] == "s:1:convoy"
    fake_telegram.push_callback_query(button["callback_data"], chat_id=PRIVATE,
                                      message_id=message.message_id)
    assert await fake_telegram.wait_for_async(
        lambda f: f.messages(PRIVATE)[-1].edits == 1, timeout=10)
    page2 = fake_telegram.messages(PRIVATE)[-1].plain_text
    assert "page 2" in page2 and page2.count("•") == 3


async def test_admin_commands_are_refused_to_others_and_pause_works(running, fake_telegram):
    archive, _ = running
    assert "Only the bot's admins" in await ask(fake_telegram, "/pause")
    assert not archive.chats.paused()
    assert "paused" in await ask(fake_telegram, "/pause", user=ADMIN)
    assert archive.chats.paused()
    assert "resumed" in await ask(fake_telegram, "/resume", user=ADMIN)
    assert not archive.chats.paused()


async def test_addsource_refuses_private_addresses_and_stores_public_ones(running,
                                                                         fake_telegram):
    archive, _ = running
    for url in ("http://127.0.0.1:8080/feed", "file:///etc/passwd", "http://169.254.169.254/"):
        assert "Refused" in await ask(fake_telegram, f"/addsource {url}", user=ADMIN)
    assert archive.chats.bot_sources() == []
    assert "Added" in await ask(fake_telegram, "/addsource http://93.184.215.14/feed.xml",
                                user=ADMIN)
    assert archive.chats.bot_sources() == [("93.184.215.14", "http://93.184.215.14/feed.xml")]
    assert "Removed" in await ask(fake_telegram, "/removesource 93.184.215.14", user=ADMIN)
    assert archive.chats.bot_sources() == []


async def test_feedback_votes_are_stored_answered_and_exported(running, fake_telegram):
    archive, _ = running
    archive.add_article(record(20, relevant=False))
    await ask(fake_telegram, "/start")
    message_id = fake_telegram.messages(PRIVATE)[-1].message_id
    votes = [("fb:0:a000000000000001", 1), ("fb:1:a000000000000001", 2),
             ("fb:0:a000000000000001", 3), ("fb:1:a000000000000020", 1),
             ("fb:1:a000000000000002", 1), ("fb:0:a000000000000002", 1)]  # last one wins
    for data, user in votes:
        fake_telegram.push_callback_query(data, chat_id=PRIVATE, message_id=message_id,
                                          user_id=user)
    assert await fake_telegram.wait_for_async(lambda f: len(f.callback_answers()) == 6)
    assert "Thanks" in fake_telegram.callback_answers()[0]["text"]
    assert archive.chats.tally() == {"a000000000000001": (1, 2), "a000000000000002": (0, 1),
                                     "a000000000000020": (1, 0)}
    assert [d.article_id for d in disputed(archive)] == [
        "a000000000000001", "a000000000000002", "a000000000000020"]
    labelled = {r["id"]: r["relevant"] for r in export_labelled(archive)}
    assert labelled == {"a000000000000001": False, "a000000000000002": False,
                        "a000000000000020": True}
    assert set(export_labelled(archive)[0]) == {"id", "text", "title", "url", "language",
                                                "published", "relevant"}


def test_help_lists_every_command():
    text = help_text(builtin_registry())
    for spec in COMMANDS:
        assert f"/{spec.name}" in text


def test_daemon_answers_commands_and_stops_cleanly_on_sigterm(tmp_path, site, fake_telegram):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT
    from tests.test_end_to_end import write_config

    feed = site.add("feed.xml", "<rss version='2.0'><channel><title>t</title></channel></rss>",
                    content_type="application/rss+xml")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update({"TANFWATCH_CONFIG": str(write_config(tmp_path, feed)),
                "TANFWATCH_DB": str(tmp_path / "a.db"), "TELEGRAM_CHAT_ID": "-100123",
                "TELEGRAM_BOT_TOKEN": fake_telegram.token,
                "TELEGRAM_API_BASE": fake_telegram.base_url})
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert fake_telegram.wait_for(lambda f: bool(f.calls("getUpdates")), timeout=60)
        fake_telegram.push_message("/help", chat_id=PRIVATE, user_id=USER)
        assert fake_telegram.wait_for(lambda f: bool(f.messages(PRIVATE)), timeout=20)
        assert "/addsource" in fake_telegram.messages(PRIVATE)[0].plain_text
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    assert fake_telegram.token not in stderr


async def test_preview_choice_is_per_chat(running, fake_telegram):
    archive, _ = running
    assert "on" in await ask(fake_telegram, "/preview on")
    assert archive.chats.link_preview(str(PRIVATE)) is True
    assert archive.chats.link_preview("-100999") is None  # other chats keep the default
    assert "Usage" in await ask(fake_telegram, "/preview maybe")


async def test_followups_choice_is_per_chat(running, fake_telegram):
    archive, _ = running
    assert "thread (default)" in await ask(fake_telegram, "/followups")
    assert "digest" in await ask(fake_telegram, "/followups digest")
    assert archive.chats.follow_ups(str(PRIVATE)) == "digest"
    assert archive.chats.follow_ups("-100999") is None  # other chats keep the default
    assert "Usage" in await ask(fake_telegram, "/followups loud")
    assert archive.chats.follow_ups(str(PRIVATE)) == "digest"
