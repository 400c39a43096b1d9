"""Disabled and quiet sources are reported to the admin chat once."""

import io
from datetime import UTC, datetime
from types import SimpleNamespace

from bot.app import send_admin_notices
from bot.settings import load_settings
from bot.telegram.client import TelegramSender, make_bot
from bot.telegram.sender import ConsoleSender
from storage.archive import Archive

NOW = datetime(2026, 11, 20, 12, tzinfo=UTC)


async def test_notice_goes_to_the_admin_chat_once(tmp_path, fake_telegram):
    archive = Archive.open(tmp_path / "a.db")
    archive.sources.add_notice("disabled", "sohr-en", "source sohr-en disabled after 10 "
                               "failures: HTTP 503 <gateway> & co", now=NOW)
    settings = load_settings(env={"TELEGRAM_BOT_TOKEN": fake_telegram.token,
                                  "TELEGRAM_API_BASE": fake_telegram.base_url,
                                  "TANFWATCH_ADMIN_CHAT_ID": "4242"})
    bot = make_bot(settings)
    await bot.initialize()
    try:
        rt = SimpleNamespace(settings=settings, archive=archive, clock=lambda: NOW,
                             sender=TelegramSender(bot, feedback_buttons=False))
        assert await send_admin_notices(rt) == 1
        assert await send_admin_notices(rt) == 0
    finally:
        await bot.shutdown()
    [message] = fake_telegram.messages("4242")
    assert "sohr-en disabled" in message.plain_text and "<gateway> & co" in message.plain_text


async def test_without_telegram_notices_print(tmp_path):
    archive = Archive.open(tmp_path / "a.db")
    archive.sources.add_notice("quiet", "tass-en", "source tass-en has gone quiet", now=NOW)
    out = io.StringIO()
    rt = SimpleNamespace(settings=load_settings(env={}), archive=archive, clock=lambda: NOW,
                         sender=ConsoleSender(out))
    assert await send_admin_notices(rt) == 1
    assert "tass-en has gone quiet" in out.getvalue()
