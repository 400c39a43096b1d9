"""The bot people talk to: commands by long-polling getUpdates, and the feedback buttons.

`build_application` makes a PTB Application over the archive; `start_bot`/`stop_bot`
run it beside the scheduler in the daemon. Every reply is HTML with outside strings
escaped, answered in the chat the command came from.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from html import escape
from urllib.parse import urlsplit

from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from storage.archive import Archive
from storage.chats import ALL_TOPICS, FOLLOW_UP_MODES
from watchers.errors import WatchError
from watchers.fetch import check_public_url

from .coverage import PERIODS, count_coverage, coverage_rows, render_png, summary_text
from .feedback import parse_vote
from .settings import Settings

__all__ = ["COMMANDS", "BotCommandSpec", "build_application", "help_text", "start_bot",
           "stop_bot", "topic_names"]

log = logging.getLogger(__name__)
PAGE = 5
_TOPIC_ALIASES = {
    "al-tanf": "al-tanf", "tanf": "al-tanf", "altanf": "al-tanf",
    "maghawir-al-thawra": "maghawir-al-thawra", "maghawir": "maghawir-al-thawra",
    "mat": "maghawir-al-thawra", "55km-zone": "55km-zone", "55km": "55km-zone",
    "zone": "55km-zone",
}


@dataclass(frozen=True)
class BotCommandSpec:
    name: str
    args: str
    description: str
    admin: bool = False


COMMANDS: tuple[BotCommandSpec, ...] = (
    BotCommandSpec("start", "", "what this bot does"),
    BotCommandSpec("help", "", "list the commands"),
    BotCommandSpec("subscribe", "[topic]", "get alerts here (all topics, or one)"),
    BotCommandSpec("unsubscribe", "[topic]", "stop alerts here (all topics, or one)"),
    BotCommandSpec("latest", "[n]", "the n latest relevant reports (default 5)"),
    BotCommandSpec("search", "<query>", "full-text search of the archive"),
    BotCommandSpec("story", "<id>", "one archived report and its story"),
    BotCommandSpec("status", "", "sources healthy/failing, last poll, pending alerts"),
    BotCommandSpec("sources", "", "the sources watched"),
    BotCommandSpec("report", "[day|week|month]",
                   "chart of coverage over time by topic and language, top outlets"),
    BotCommandSpec("preview", "on|off", "link previews under alerts in this chat"),
    BotCommandSpec("followups", "thread|digest|mute", "how follow-ups of a story arrive here"),
    BotCommandSpec("addsource", "<url>", "admin: watch a new feed", admin=True),
    BotCommandSpec("removesource", "<name>", "admin: stop watching a bot-added source",
                   admin=True),
    BotCommandSpec("pause", "", "admin: pause alert delivery", admin=True),
    BotCommandSpec("resume", "", "admin: resume alert delivery", admin=True),
)


def help_text() -> str:
    lines = ["<b>tanfwatch</b> commands:"]
    for spec in COMMANDS:
        args = f" {escape(spec.args)}" if spec.args else ""
        lines.append(f"/{spec.name}{args} — {escape(spec.description)}")
    lines.append("Topics: " + ", ".join(ALL_TOPICS))
    return "\n".join(lines)


def topic_names(args: list[str]) -> tuple[str, ...] | None:
    """Topic aliases -> canonical names; None if any is unknown."""
    out = [_TOPIC_ALIASES.get(a.lower().lstrip("#")) for a in args]
    return None if None in out else tuple(dict.fromkeys(t for t in out if t))


@dataclass(frozen=True)
class _Ctx:
    settings: Settings
    archive: Archive
    clock: Callable[[], datetime]


def _ctx(context: ContextTypes.DEFAULT_TYPE) -> _Ctx:
    return context.bot_data["tanfwatch"]


async def _reply(update: Update, html: str,
                 markup: InlineKeyboardMarkup | None = None) -> None:
    await update.effective_message.reply_html(html[:4000], reply_markup=markup,
                                              disable_web_page_preview=True)


def _chat(update: Update) -> str:
    return str(update.effective_chat.id)


def _link(title: str, url: str | None) -> str:
    text = escape(title or url or "(untitled)")
    if url and url.startswith(("http://", "https://")):
        return f'<a href="{escape(url, quote=True)}">{text}</a>'
    return text


async def cmd_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, "tanfwatch watches the news about al-Tanf, Maghawir al-Thawra and the "
                         "55-km zone. /subscribe for alerts here, /help for every command.")


async def cmd_help(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _reply(update, help_text())


async def _topics_or_complain(update: Update, args: list[str]) -> tuple[str, ...] | None:
    topics = topic_names(args)
    if topics is None:
        await _reply(update, "Unknown topic. Topics: " + ", ".join(ALL_TOPICS))
    return topics


async def cmd_subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    topics = await _topics_or_complain(update, context.args or [])
    if topics is None:
        return
    sub = ctx.archive.chats.subscribe(_chat(update), topics or ALL_TOPICS, now=ctx.clock())
    await _reply(update, "Subscribed here to: " + escape(", ".join(sub.topics)))


async def cmd_unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    ctx = _ctx(context)
    topics = await _topics_or_complain(update, context.args or [])
    if topics is None:
        return
    sub = ctx.archive.chats.unsubscribe(_chat(update), topics or None, now=ctx.clock())
    left = ", ".join(sub.topics)
    await _reply(update, f"Still subscribed to: {escape(left)}" if left else "Unsubscribed.")


async def cmd_latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    args = context.args or []
    n = int(args[0]) if args and args[0].isdigit() else 5
    rows = _ctx(context).archive.latest(max(1, min(n, 20)))
    if not rows:
        await _reply(update, "No relevant reports archived yet.")
        return
    lines = [f"• {_link(r['title'], r['url'])} <code>{escape(r['id'])}</code>" for r in rows]
    await _reply(update, "\n".join(lines))


def _search_page(archive: Archive, query: str, page: int
                 ) -> tuple[str, InlineKeyboardMarkup | None]:
    hits = archive.search(query, limit=PAGE + 1, offset=page * PAGE)
    if not hits:
        return f"No results for <i>{escape(query)}</i>.", None
    lines = [f"Results for <i>{escape(query)}</i> (page {page + 1}):"]
    for hit in hits[:PAGE]:
        snippet = re.sub(r"\[([^\[\]]*)\]", r"<b>\1</b>", escape(hit.snippet, quote=False))
        lines.append(f"• {_link(hit.title, hit.url)} <code>{escape(hit.id)}</code>\n  {snippet}")
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀ previous", callback_data=_page_data(page - 1,
                                                                                   query)))
    if len(hits) > PAGE:
        buttons.append(InlineKeyboardButton("next ▶", callback_data=_page_data(page + 1, query)))
    return "\n".join(lines), InlineKeyboardMarkup([buttons]) if buttons else None


def _page_data(page: int, query: str) -> str:
    data = f"s:{page}:{query}"
    while len(data.encode("utf-8")) > 64:  # Telegram's callback_data limit
        data = data[:-1]
    return data


async def cmd_search(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = " ".join(context.args or []).strip()
    if not query:
        await _reply(update, "Usage: /search &lt;query&gt;")
        return
    try:
        html, markup = _search_page(_ctx(context).archive, query, 0)
    except ValueError:
        html, markup = f"Cannot search for <i>{escape(query)}</i>.", None
    await _reply(update, html, markup)


async def cmd_story(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    archive = _ctx(context).archive
    article = archive.article(context.args[0]) if context.args else None
    if article is None:
        await _reply(update, "Usage: /story &lt;id&gt; (ids are shown by /latest and /search)")
        return
    lines = [f"<b>{_link(article['title'], article['url'])}</b>",
             escape(f"{article.get('outlet') or article.get('source') or ''} "
                    f"{article.get('published') or ''}".strip())]
    members = archive.story_articles(article["story"]) if article.get("story") else []
    others = [m for m in members if m["id"] != article["id"]]
    if others:
        lines.append("Same story:")
        lines += [f"• {_link(m['title'], m['url'])} <code>{escape(m['id'])}</code>"
                  for m in others[:10]]
    await _reply(update, "\n".join(lines))


async def cmd_status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    archive = _ctx(context).archive
    summary = archive.summary()
    health = ", ".join(f"{k}: {v}" for k, v in sorted(summary["sources"].items())) or "none"
    lines = [f"Sources — {escape(health)}",
             f"Last poll: {escape(str(summary['last_poll'] or 'never'))}",
             f"Pending alerts: {summary['pending_alerts']}, sent: {summary['sent_alerts']}",
             f"Articles: {summary['articles']} ({summary['relevant']} relevant)",
             "Delivery: " + ("paused" if archive.chats.paused() else "running")]
    await _reply(update, "\n".join(lines))


async def cmd_sources(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    archive = _ctx(context).archive
    lines = [f"• {escape(s['name'])} ({escape(s.get('status') or 'new')})"
             for s in archive.sources.all()]
    lines += [f"• {escape(name)} (added through the bot) {escape(url)}"
              for name, url in archive.chats.bot_sources()]
    await _reply(update, "\n".join(lines) or "No sources configured.")


def _is_admin(update: Update, settings: Settings) -> bool:
    user = update.effective_user
    return user is not None and user.id in settings.admin_ids


async def _admin_only(update: Update, ctx: _Ctx) -> bool:
    if _is_admin(update, ctx.settings):
        return True
    await _reply(update, "Only the bot's admins can do that.")
    return False


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
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and not await _admin_only(update, ctx):
        return  # in groups and channels only the bot's admins change it
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
    chat = update.effective_chat
    if chat is not None and chat.type != "private" and not await _admin_only(update, ctx):
        return  # in groups and channels only the bot's admins change it
    ctx.archive.chats.set_follow_ups(chat_id, choice, now=ctx.clock())
    await _reply(update, f"Follow-ups are <b>{choice}</b> in this chat.")


async def cmd_report(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The `tanfwatch report --plot` chart as a photo, its summary as the caption."""
    by = (context.args or ["week"])[0].lower()
    if by not in PERIODS:
        await _reply(update, "Usage: /report [day|week|month]")
        return
    coverage = count_coverage(coverage_rows(_ctx(context).archive), by=by)
    if not coverage.total:
        await _reply(update, "No relevant reports archived yet.")
        return
    png = await asyncio.to_thread(render_png, coverage)  # ~0.5 s of drawing off the loop
    caption = "<b>Coverage</b>\n" + escape(summary_text(coverage)[:1000], quote=False)
    await update.effective_message.reply_photo(png, caption=caption, parse_mode=ParseMode.HTML,
                                               filename="coverage.png")


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


async def on_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    _, page, text = (query.data or "s:0:").split(":", 2)
    html, markup = _search_page(_ctx(context).archive, text, int(page))
    await query.answer()
    await query.edit_message_text(html, parse_mode=ParseMode.HTML, reply_markup=markup,
                                  disable_web_page_preview=True)


_HANDLERS = {
    "report": cmd_report,
    "start": cmd_start, "help": cmd_help, "subscribe": cmd_subscribe,
    "unsubscribe": cmd_unsubscribe, "latest": cmd_latest, "search": cmd_search,
    "story": cmd_story, "status": cmd_status, "sources": cmd_sources,
    "addsource": cmd_addsource, "removesource": cmd_removesource, "pause": cmd_pause,
    "resume": cmd_resume, "preview": cmd_preview,
    "followups": cmd_followups,
}


def build_application(settings: Settings, archive: Archive, *,
                      clock: Callable[[], datetime]) -> Application:
    """A PTB Application with the same token and API base as the alert sender."""
    if settings.token is None:
        raise ValueError("no TELEGRAM_BOT_TOKEN")
    app = (Application.builder().token(settings.token.get()).base_url(settings.api_base)
           .job_queue(None).build())
    app.bot_data["tanfwatch"] = _Ctx(settings, archive, clock)
    for spec in COMMANDS:
        app.add_handler(CommandHandler(spec.name, _HANDLERS[spec.name]))
    app.add_handler(CallbackQueryHandler(on_vote, pattern=r"^fb:"))
    app.add_handler(CallbackQueryHandler(on_page, pattern=r"^s:\d+:"))
    app.add_error_handler(_on_error)
    return app


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # One bad update never stops the bot; the message names no token (PTB masks URLs).
    log.warning("bot command failed: %s", context.error)


async def start_bot(app: Application, *, poll_timeout: int = 30) -> None:
    """Initialise, register the commands (setMyCommands) and start long-polling."""
    await app.initialize()
    await app.bot.set_my_commands([BotCommand(s.name, s.description) for s in COMMANDS])
    await app.start()
    await app.updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)


async def stop_bot(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
