"""Command handlers that change this chat's or the bot's settings: /start, /help,
/subscribe, /unsubscribe, /preview, /followups, the admin commands, and the feedback buttons."""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from telegram import Update
from telegram.ext import ContextTypes

from bot.telegram.commandctx import _admin_only, _chat, _ctx, _may_set_chat, _reply
from bot.telegram.commandspecs import help_text, topic_list, topic_names
from bot.telegram.feedback import parse_vote
from storage.chats import ALL_TOPICS, FOLLOW_UP_MODES
from watchers.errors import WatchError
from watchers.fetch import check_public_url

__all__ = ["cmd_addsource", "cmd_followups", "cmd_help", "cmd_pause", "cmd_preview",
           "cmd_removesource", "cmd_resume", "cmd_start", "cmd_subscribe", "cmd_unsubscribe",
           "on_vote"]


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    labels = [t.label for t in _ctx(context).settings.topics]
    about = ", ".join(labels[:-1]) + " and " + labels[-1] if len(labels) > 1 else labels[0]
    await _reply(update, f"tanfwatch watches the news about {escape(about)}. "
                         "/subscribe for alerts here, /help for every command.")


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, help_text(_ctx(context).settings.topics))


async def _topics_or_complain(update: Update, context: ContextTypes.DEFAULT_TYPE,
                              ) -> tuple[str, ...] | None:
    registry = _ctx(context).settings.topics
    topics = topic_names(context.args or [], registry)
    if topics is None:
        await _reply(update, "Unknown topic. Topics: " + escape(topic_list(registry)))
    return topics


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    topics = await _topics_or_complain(update, context)
    if topics is None:
        return
    known = ctx.settings.topics.ids
    sub = ctx.archive.chats.subscribe(_chat(update), topics or [ALL_TOPICS], now=ctx.clock(),
                                      known=known)
    chosen = (f"all topics ({', '.join(known)})" if sub.topics == (ALL_TOPICS,)
              else ", ".join(sub.topics))
    await _reply(update, "Subscribed here to: " + escape(chosen))


async def cmd_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    topics = await _topics_or_complain(update, context)
    if topics is None:
        return
    sub = ctx.archive.chats.unsubscribe(_chat(update), topics or None, now=ctx.clock(),
                                        known=ctx.settings.topics.ids)
    left = ", ".join(sub.topics)
    await _reply(update, f"Still subscribed to: {escape(left)}" if left else "Unsubscribed.")


def _source_name(url: str, taken: set[str]) -> str:
    host = (urlsplit(url).hostname or "source").removeprefix("www.")
    name, i = host, 2
    while name in taken:
        name, i = f"{host}-{i}", i + 1
    return name


async def cmd_addsource(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    if not await _admin_only(update, ctx):
        return
    url = (context.args or [""])[0]
    try:
        await check_public_url(url)  # untrusted: http(s) and public addresses only
    except WatchError as exc:
        await _reply(update, f"Refused: {escape(str(exc))}")
        return
    taken = {s["name"] for s in ctx.archive.sources.all()}
    taken |= {name for name, _ in ctx.archive.chats.bot_sources()}
    name = _source_name(url, taken)
    added = ctx.archive.chats.add_source(name, url, added_by=update.effective_user.id,
                                         now=ctx.clock())
    await _reply(update, f"Added source <b>{escape(name)}</b>." if added
                 else "That source is already watched.")


async def cmd_removesource(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    if not await _admin_only(update, ctx):
        return
    name = (context.args or [""])[0]
    removed = ctx.archive.chats.remove_source(name)
    await _reply(update, f"Removed <b>{escape(name)}</b>." if removed
                 else f"No bot-added source named <b>{escape(name)}</b>.")


async def cmd_preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    choice = (context.args or [""])[0].lower()
    if choice not in ("on", "off"):
        await _reply(update, "Usage: /preview on|off")
        return
    if not await _may_set_chat(update, ctx):
        return  # in groups only the bot's admins change it
    ctx.archive.chats.set_link_preview(_chat(update), choice == "on")
    await _reply(update, f"Link previews are <b>{choice}</b> for alerts in this chat.")


async def cmd_followups(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Thread follow-ups as replies, gather them per story ("also reported by"), or mute them."""
    ctx = _ctx(context)
    chat_id = _chat(update)
    choice = (context.args or [""])[0].lower()
    if not choice:
        mode = ctx.archive.chats.follow_ups(chat_id)
        shown = mode or f"{ctx.settings.follow_ups} (default)"
        await _reply(update, f"Follow-ups here: <b>{escape(shown)}</b>. "
                             "Usage: /followups thread|digest|mute")
        return
    if choice not in FOLLOW_UP_MODES:
        await _reply(update, "Usage: /followups thread|digest|mute")
        return
    if not await _may_set_chat(update, ctx):
        return  # in groups only the bot's admins change it
    ctx.archive.chats.set_follow_ups(chat_id, choice, now=ctx.clock())
    await _reply(update, f"Follow-ups are <b>{choice}</b> in this chat.")


async def cmd_pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    if await _admin_only(update, ctx):
        ctx.archive.chats.set_paused(True)
        await _reply(update, "Delivery paused; alerts keep queueing. /resume to send them.")


async def cmd_resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    if await _admin_only(update, ctx):
        ctx.archive.chats.set_paused(False)
        await _reply(update, "Delivery resumed.")


async def on_vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    ctx = _ctx(context)
    vote = parse_vote(query.data or "")
    if vote is None or ctx.archive.article(vote[0]) is None:
        await query.answer("Unknown report.")
        return
    ctx.archive.chats.vote(vote[0], query.from_user.id, vote[1],
                           chat_id=str(query.message.chat.id) if query.message else "",
                           now=ctx.clock())
    await query.answer("Thanks: " + ("relevant" if vote[1] else "not relevant"))
