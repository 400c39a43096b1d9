"""A gone chat comes back: the bot re-added (my_chat_member) or any message from the chat.

Its parked alerts are queued again and go out with the next delivery, once. The bot removed
or blocked marks the chat gone at once, before a send fails on it.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import ContextTypes

from bot.telegram.commandctx import _ctx

__all__ = ["chat_back", "on_any_update", "on_my_membership"]

log = logging.getLogger(__name__)

_PRESENT = (ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER,
            ChatMember.RESTRICTED)


def chat_back(context: ContextTypes.DEFAULT_TYPE, chat_id: str, why: str) -> int:
    """Mark the chat reachable and queue its parked alerts again; how many (0: was not gone)."""
    ctx = _ctx(context)
    if not ctx.archive.chats.mark_back(chat_id, now=ctx.clock()):
        return 0
    queued = ctx.archive.outbox.unpark(chat_id)
    log.info("chat %s: back (%s); %d parked alerts queued again", chat_id, why, queued)
    return queued


async def on_my_membership(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    chat_id, status = str(change.chat.id), change.new_chat_member.status
    if status in _PRESENT:
        chat_back(context, chat_id, f"bot is {status} again")
    elif status in (ChatMember.LEFT, ChatMember.BANNED):
        ctx = _ctx(context)
        reason = f"bot {'removed' if status == ChatMember.LEFT else 'blocked or kicked'}"
        ctx.archive.chats.mark_gone(chat_id, reason, now=ctx.clock())
        parked = ctx.archive.outbox.park(chat_id, f"chat gone: {reason}")
        log.warning("chat %s: %s; %d alerts parked", chat_id, reason, parked)


async def on_any_update(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before the command handlers: a message from a gone chat proves it is back."""
    if update.effective_message is not None and update.effective_chat is not None \
            and update.my_chat_member is None:
        chat_back(context, str(update.effective_chat.id), "it wrote to the bot")
