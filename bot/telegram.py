"""Senders: python-telegram-bot's Bot, or the console when no token is set.

PTB errors are translated here, at the edge, into the three outcomes the
delivery loop knows: retry later, the chat is gone, the message is rejected.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

from telegram import Bot, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from .deliver import ChatGone, Rejected, RetryLater
from .settings import Settings

__all__ = ["ConsoleSender", "TelegramSender", "make_bot", "quiet_http_loggers"]

log = logging.getLogger(__name__)


def quiet_http_loggers() -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "telegram.request", "telegram.ext.Updater"):
        logging.getLogger(name).setLevel(logging.WARNING)


def make_bot(settings: Settings) -> Bot:
    if settings.token is None:
        raise ValueError("no TELEGRAM_BOT_TOKEN")
    request = HTTPXRequest(connect_timeout=10.0, read_timeout=20.0, write_timeout=20.0,
                           connection_pool_size=8)
    return Bot(settings.token.get(), base_url=settings.api_base, request=request,
               get_updates_request=HTTPXRequest(read_timeout=40.0))


def _retry_seconds(value: object) -> float:
    seconds = getattr(value, "total_seconds", None)
    return float(seconds()) if callable(seconds) else float(value)  # type: ignore[arg-type]


class TelegramSender:
    def __init__(self, bot: Bot, *, link_preview: bool = False) -> None:
        self.bot = bot
        self.link_preview = link_preview

    async def _post(self, chat_id: str, text: str, *, html: bool, reply_to: int | None) -> int:
        reply = (ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                 if reply_to else None)
        message = await self.bot.send_message(
            chat_id=chat_id, text=text, parse_mode=ParseMode.HTML if html else None,
            link_preview_options=LinkPreviewOptions(is_disabled=not self.link_preview),
            reply_parameters=reply)
        return message.message_id

    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None) -> int:
        try:
            try:
                return await self._post(chat_id, html, html=True, reply_to=reply_to)
            except BadRequest as exc:
                text = str(exc).lower()
                if "replied" in text and reply_to:
                    return await self._post(chat_id, html, html=True, reply_to=None)
                if "entit" not in text and "too long" not in text:
                    raise
                # Never lose an alert over markup: send it as plain text.
                log.warning("chat %s: HTML refused (%s); sending plain text", chat_id, exc)
                return await self._post(chat_id, plain[:4096], html=False, reply_to=reply_to)
        except RetryAfter as exc:
            raise RetryLater(_retry_seconds(exc.retry_after), f"Telegram 429: {exc}") from exc
        except Forbidden as exc:
            raise ChatGone(f"Telegram 403: {exc}") from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise ChatGone(f"Telegram 400: {exc}") from exc
            raise Rejected(f"Telegram 400: {exc}") from exc
        except (TimedOut, NetworkError) as exc:
            raise RetryLater(30.0, f"Telegram unreachable: {exc}") from exc


class ConsoleSender:
    """No token: alerts go to stdout, so the tool is usable before Telegram is set up."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None) -> None:
        self.out.write(plain.rstrip() + "\n" + "-" * 72 + "\n")
        self.out.flush()
        return None
