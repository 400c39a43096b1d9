"""Senders: python-telegram-bot's Bot, or the console when no token is set.

PTB errors are translated here, at the edge, into the three outcomes the
delivery loop knows: retry later, the chat is gone, the message is rejected.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.alerts.tgtext import tg_safe
from bot.settings import Settings
from bot.telegram.deliver import ChatGone, Rejected, RetryLater
from bot.telegram.sender import TokenRejected

__all__ = [
    "RateLimiter",
    "RateLimits",
    "TelegramSender",
    "connect",
    "feedback_markup",
    "make_bot",
    "reachable",
]

log = logging.getLogger(__name__)


def make_bot(settings: Settings) -> Bot:
    if settings.token is None:
        raise ValueError("no TELEGRAM_BOT_TOKEN")
    request = HTTPXRequest(connect_timeout=10.0, read_timeout=20.0, write_timeout=20.0,
                           connection_pool_size=8)
    return Bot(settings.token.get(), base_url=settings.api_base, request=request,
               get_updates_request=HTTPXRequest(read_timeout=40.0))


async def reachable(call: Callable[[], Awaitable[object]]) -> str | None:
    """Await `call()` (getMe, start polling...): None once done, else why the Bot API is
    unreachable (connection refused, timeout, 5xx, 429). Raises TokenRejected for a refused
    token."""
    try:
        await call()
    except InvalidToken:  # PTB's message holds the token itself; the cause is dropped too
        raise TokenRejected("Telegram rejected the bot token (TELEGRAM_BOT_TOKEN or "
                            "TELEGRAM_BOT_TOKEN_FILE): check it with @BotFather") from None
    except (NetworkError, RetryAfter) as exc:  # TimedOut and 5xx are NetworkErrors
        return f"{type(exc).__name__}: {exc}"
    return None


async def connect(bot: Bot) -> str | None:
    """Initialise `bot` (getMe), as `reachable` does."""
    return await reachable(lambda: _get_me(bot))


async def _get_me(bot: Bot) -> None:
    # PTB 22.1 marks a bot initialised before its getMe answers, so after a failed first try
    # `initialize()` returns at once: ask getMe until the bot knows who it is.
    await bot.initialize()
    try:
        bot.bot  # noqa: B018 - raises RuntimeError while getMe never answered
    except RuntimeError:
        await bot.get_me()


def _retry_seconds(value: object) -> float:
    seconds = getattr(value, "total_seconds", None)
    return float(seconds()) if callable(seconds) else float(value)  # type: ignore[arg-type]


@dataclass(frozen=True)
class RateLimits:
    """Telegram's documented limits: ~20 messages a minute into a group or channel,
    about one a second into a private chat, 30 a second overall."""

    group: int = 20
    group_period: float = 60.0
    private: int = 1
    private_period: float = 1.0
    overall: int = 30
    overall_period: float = 1.0


class RateLimiter:
    """Sliding windows per chat and overall; `acquire` waits until a send fits in both."""

    def __init__(self, limits: RateLimits | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        self.limits = limits or RateLimits()
        self.clock = clock
        self.sleep = sleep
        self._chats: dict[str, deque[float]] = {}
        self._all: deque[float] = deque()

    def _window(self, chat_id: str) -> tuple[deque[float], int, float]:
        lim = self.limits
        group = chat_id.startswith(("-", "@"))
        return (self._chats.setdefault(chat_id, deque()),
                lim.group if group else lim.private,
                lim.group_period if group else lim.private_period)

    def wait_time(self, chat_id: str) -> float:
        now = self.clock()
        chat, limit, period = self._window(chat_id)
        wait = 0.0
        for stamps, cap, span in ((chat, limit, period),
                                  (self._all, self.limits.overall, self.limits.overall_period)):
            while stamps and stamps[0] <= now - span:
                stamps.popleft()
            if len(stamps) >= cap:
                wait = max(wait, stamps[-cap] + span - now)
        return wait

    async def acquire(self, chat_id: str) -> None:
        while (wait := self.wait_time(chat_id)) > 0:
            await self.sleep(wait)
        now = self.clock()
        self._window(chat_id)[0].append(now)
        self._all.append(now)


def feedback_markup(article_id: str) -> InlineKeyboardMarkup:
    """The two vote buttons under an alert; data `fb:<1|0>:<article id>` (< 64 bytes)."""
    return InlineKeyboardMarkup([[
        InlineKeyboardButton("\N{THUMBS UP SIGN} relevant", callback_data=f"fb:1:{article_id}"),
        InlineKeyboardButton("\N{THUMBS DOWN SIGN} not relevant",
                             callback_data=f"fb:0:{article_id}"),
    ]])


class TelegramSender:
    def __init__(self, bot: Bot, *, link_preview: bool = False,
                 limiter: RateLimiter | None = None, feedback_buttons: bool = True,
                 preview_for: Callable[[str], bool | None] | None = None) -> None:
        self.bot = bot
        self.link_preview = link_preview
        self.preview_for = preview_for  # a chat's own /preview choice wins over the default
        self.limiter = limiter or RateLimiter()
        self.feedback_buttons = feedback_buttons

    def _preview(self, chat_id: str) -> bool:
        chosen = self.preview_for(chat_id) if self.preview_for else None
        return self.link_preview if chosen is None else chosen

    async def _post(self, chat_id: str, text: str, *, html: bool, reply_to: int | None,
                    feedback: str | None) -> int:
        await self.limiter.acquire(chat_id)
        reply = (ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)
                 if reply_to else None)
        markup = feedback_markup(feedback) if feedback and self.feedback_buttons else None
        message = await self.bot.send_message(
            chat_id=chat_id, text=tg_safe(text), parse_mode=ParseMode.HTML if html else None,
            link_preview_options=LinkPreviewOptions(is_disabled=not self._preview(chat_id)),
            reply_parameters=reply, reply_markup=markup)
        return message.message_id

    async def _send_html(self, chat_id: str, html: str, plain: str, *, reply_to: int | None,
                         feedback: str | None) -> int:
        try:
            return await self._post(chat_id, html, html=True, reply_to=reply_to,
                                    feedback=feedback)
        except BadRequest as exc:
            text = str(exc).lower()
            if "replied" in text and reply_to:
                return await self._post(chat_id, html, html=True, reply_to=None,
                                        feedback=feedback)
            if "entit" not in text and "too long" not in text:
                raise
            # Never lose an alert over markup: send it as plain text.
            log.warning("chat %s: HTML refused (%s); sending plain text", chat_id, exc)
            return await self._post(chat_id, plain[:4096], html=False, reply_to=reply_to,
                                    feedback=feedback)

    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None,
                   feedback: str | None = None) -> int:
        try:
            return await self._send_html(chat_id, html, plain, reply_to=reply_to,
                                         feedback=feedback)
        except RetryAfter as exc:
            raise RetryLater(_retry_seconds(exc.retry_after), f"Telegram 429: {exc}") from exc
        except Forbidden as exc:
            raise ChatGone(f"Telegram 403: {exc}") from exc
        except BadRequest as exc:
            if "chat not found" in str(exc).lower():
                raise ChatGone(f"Telegram 400: {exc}") from exc
            raise Rejected(f"Telegram 400: {exc}") from exc
        except (TimedOut, NetworkError) as exc:
            # 5xx and lost connections: back off by attempts (the delivery loop decides).
            if _answer_lost(exc):
                raise RetryLater(None, f"Telegram's answer lost after sending (it may have "
                                       f"arrived): {exc}", maybe_sent=True) from exc
            raise RetryLater(None, f"Telegram unreachable: {exc}") from exc


def _answer_lost(exc: Exception) -> bool:
    """The request was written but no answer came: a read timeout, or the connection closed
    while we waited. Connect, write and pool timeouts mean Telegram never had it."""
    return isinstance(exc.__cause__, (httpx.ReadTimeout, httpx.ReadError,
                                      httpx.RemoteProtocolError))
