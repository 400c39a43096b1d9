"""Command handlers that read the archive: /latest, /search (and its paging), /story,
/status, /sources and /report."""

from __future__ import annotations

import asyncio
import re
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.ext import ContextTypes

from bot.alerts.tgtext import fit_html
from bot.reports.coverage import PERIODS, count_coverage, coverage_rows, summary_text
from bot.reports.plot import render_png
from bot.telegram.commandctx import _ctx, _link, _reply
from storage.archive import Archive

__all__ = ["cmd_latest", "cmd_report", "cmd_search", "cmd_sources", "cmd_status", "cmd_story",
           "on_page"]

PAGE = 5
_QUERY_SHOWN = 200  # a long query is echoed shortened: the results need the room


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
    shown = query if len(query) <= _QUERY_SHOWN else query[:_QUERY_SHOWN] + "…"
    if not hits:
        return f"No results for <i>{escape(shown)}</i>.", None
    lines = [f"Results for <i>{escape(shown)}</i> (page {page + 1}):"]
    if hits[0].window:  # a very common word or a short prefix
        lines[0] += f"\n<i>ranked among the newest {hits[0].window:,} matches only</i>"
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
        html, markup = f"Cannot search for <i>{escape(query[:_QUERY_SHOWN])}</i>.", None
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
    labels = _ctx(context).settings.topics.labels()
    # ~0.5 s of drawing off the loop
    png = await asyncio.to_thread(lambda: render_png(coverage, labels=labels))
    caption = "<b>Coverage</b>\n" + escape(summary_text(coverage, labels)[:1000], quote=False)
    await update.effective_message.reply_photo(png, caption=caption, parse_mode=ParseMode.HTML,
                                               filename="coverage.png")


async def on_page(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    _, page, text = (query.data or "s:0:").split(":", 2)
    html, markup = _search_page(_ctx(context).archive, text, int(page))
    await query.answer()
    await query.edit_message_text(fit_html(html), parse_mode=ParseMode.HTML, reply_markup=markup,
                                  disable_web_page_preview=True)
