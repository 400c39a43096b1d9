"""What every command handler shares: the context in bot_data and the reply helpers.

Package-internal (used by archivecommands.py and chatcommands.py beside it): nothing public.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.alerts.tgtext import fit_html
from bot.settings import Settings
from storage.archive import Archive

__all__: list[str] = []


@dataclass(frozen=True)
class _Ctx:
    settings: Settings
    archive: Archive
    clock: Callable[[], datetime]


def _ctx(context: ContextTypes.DEFAULT_TYPE) -> _Ctx:
    return context.bot_data["tanfwatch"]


async def _reply(update: Update, html: str,
                 markup: InlineKeyboardMarkup | None = None) -> None:
    # fitted by Telegram's rules: a cut falls between characters, the open tags are closed
    await update.effective_message.reply_html(fit_html(html), reply_markup=markup,
                                              disable_web_page_preview=True)


def _chat(update: Update) -> str:
    return str(update.effective_chat.id)


def _link(title: str, url: str | None) -> str:
    text = escape(title or url or "(untitled)")
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{escape(url, quote=True)}">{text}</a>'
    return text


def _is_admin(update: Update, settings: Settings) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.admin_ids


async def _may_set_chat(update: Update, ctx: _Ctx) -> bool:
    """This chat's own settings: anyone in a private chat, the channel itself in a channel
    (only its admins can post there), the bot's admins in groups."""
    chat = update.effective_chat
    if chat is None or chat.type in ("private", "channel"):
        return True
    return await _admin_only(update, ctx)


async def _admin_only(update: Update, ctx: _Ctx) -> bool:
    if _is_admin(update, ctx.settings):
        return True
    await _reply(update, "Only the bot's admins can do that.")
    return False
