"""`tanfwatch chats`: the chats the bot sends to, and putting a gone chat back in service.
Registered on the `cli` group in main.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click

from storage.chats import ALL_TOPICS

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["chats"]


@click.group()
def chats() -> None:
    """The chats alerts go to: `list` them, `reset` one that blocked or removed the bot."""


@chats.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the chats as a JSON array.")
@click.pass_obj
def chats_list(obj: Context, as_json: bool) -> None:
    """Every chat with its state (ok or gone, and why), topics and alerts by status."""
    from bot.cli.context import open_archive

    with open_archive(obj, None) as archive:
        rows = archive.chats.overview()
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        topics = ("-" if not row["subscribed"] else "all" if row["topics"] == [ALL_TOPICS]
                  else ",".join(row["topics"]))
        reason = f" ({row['reason']})" if row["status"] == "gone" and row["reason"] else ""
        click.echo(f"{row['chat_id']:>16}  {row['status']}{reason}  topics: {topics}  "
                   f"pending {row['pending']}, sent {row['sent']}, parked {row['parked']}, "
                   f"failed {row['failed']}")
    if not rows:
        click.echo("no chats yet", err=True)


@chats.command("reset", context_settings={"ignore_unknown_options": True})
@click.argument("chat_id")  # group and channel ids are negative: not options
@click.pass_obj
def chats_reset(obj: Context, chat_id: str) -> None:
    """Mark CHAT_ID reachable again and queue its parked alerts (sent at the next delivery)."""
    from bot.cli.context import open_archive

    with open_archive(obj, None) as archive:
        known = {row["chat_id"] for row in archive.chats.overview()}
        if chat_id not in known:
            raise click.ClickException(f"no chat {chat_id} in the archive")
        was_gone = archive.chats.mark_back(chat_id, now=datetime.now(UTC))
        queued = archive.outbox.unpark(chat_id)
    state = "was gone, now ok" if was_gone else "was not gone"
    click.echo(f"chat {chat_id}: {state}; {queued} parked alerts queued again")
