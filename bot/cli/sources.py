"""`tanfwatch sources`: the sources with their health, and `sources add URL`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.settings import ConfigError

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["sources"]


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print sources as a JSON array.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List sources with their health (subcommand `add URL` adds one)."""
    if ctx.invoked_subcommand is not None:
        return
    from bot.reports.check import format_sources, source_rows

    rows = source_rows(ctx.obj.settings())
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else format_sources(rows))


@sources.command("add")
@click.argument("url")
@click.option("--name", default=None, help="Source name (default: from the URL).")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Config file to append to (default: the config in use).")
@click.pass_obj
def sources_add(obj: Context, url: str, name: str | None, config: str | None) -> None:
    """Find out what URL is (feed, page with a feed, sitemap, Telegram channel, page) and add it."""
    from bot.cli.sourceadd import add_source
    from watchers.errors import WatchError

    try:
        added = asyncio.run(add_source(url, obj.settings(), name=name,
                                       config=Path(config) if config else None))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except WatchError as exc:
        raise click.ClickException(f"cannot add {url}: {exc}") from exc
    click.echo(f"added {added.kind} source {added.name!r}: {added.url} (to {added.config})")
