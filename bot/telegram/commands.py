"""The bot people talk to: commands by long-polling getUpdates, and the feedback buttons.

`build_application` makes a PTB Application over the archive; `start_bot`/`stop_bot`
run it beside the scheduler in the daemon. Every reply is HTML with outside strings
escaped, answered in the chat the command came from.

The wiring is here; the command table is in commandspecs.py, the handlers in
archivecommands.py (reading the archive) and chatcommands.py (settings, admin, feedback).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from telegram import BotCommand, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    TypeHandler,
    filters,
)

from bot.settings import Settings
from bot.telegram.archivecommands import _search_page as _search_page  # re-exported for tests
from bot.telegram.archivecommands import (
    cmd_latest,
    cmd_report,
    cmd_search,
    cmd_sources,
    cmd_status,
    cmd_story,
    on_page,
)
from bot.telegram.chatcommands import (
    cmd_addsource,
    cmd_followups,
    cmd_help,
    cmd_pause,
    cmd_preview,
    cmd_removesource,
    cmd_resume,
    cmd_start,
    cmd_subscribe,
    cmd_unsubscribe,
    on_vote,
)
from bot.telegram.commandctx import _Ctx
from bot.telegram.commandspecs import COMMANDS, BotCommandSpec, help_text, topic_names
from bot.telegram.membership import on_any_update, on_my_membership
from storage.archive import Archive

__all__ = ["COMMANDS", "BotCommandSpec", "build_application", "help_text", "start_bot",
           "stop_bot", "topic_names"]

log = logging.getLogger(__name__)

# commands in private chats and groups (also edited) and in channels, where they are posts
_COMMAND_UPDATES = filters.UpdateType.MESSAGES | filters.UpdateType.CHANNEL_POST

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
    app.add_handler(TypeHandler(Update, on_any_update), group=-1)  # a gone chat is back
    app.add_handler(ChatMemberHandler(on_my_membership, ChatMemberHandler.MY_CHAT_MEMBER))
    for spec in COMMANDS:
        app.add_handler(CommandHandler(spec.name, _HANDLERS[spec.name],
                                       filters=_COMMAND_UPDATES))
    app.add_handler(CallbackQueryHandler(on_vote, pattern=r"^fb:"))
    app.add_handler(CallbackQueryHandler(on_page, pattern=r"^s:\d+:"))
    app.add_error_handler(_on_error)
    return app


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    # One bad update never stops the bot; the message names no token (PTB masks URLs).
    log.warning("bot command failed: %s", context.error)


async def start_bot(app: Application, *, poll_timeout: int = 30) -> None:
    """Initialise, register the commands (setMyCommands) and start long-polling.
    Safe to call again after a network error part-way (the daemon retries it)."""
    await app.initialize()
    await app.bot.set_my_commands([BotCommand(s.name, s.description) for s in COMMANDS])
    if not app.running:
        await app.start()
    if app.updater is not None and not app.updater.running:
        await app.updater.start_polling(timeout=poll_timeout, drop_pending_updates=False)


async def stop_bot(app: Application) -> None:
    if app.updater is not None and app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
