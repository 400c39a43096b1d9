"""`tanfwatch classify` and `check`: the judge's verdicts on records and on one article."""

from __future__ import annotations

import asyncio
import json
import sys
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["check", "classify"]


@click.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive the records into this database as the bot would.")
@click.pass_obj
def classify(obj: Context, file: Any, db: str | None) -> None:
    """Judge JSON Lines records ({"id","text",...}) and print one JSON verdict per line.

    Each record is judged against the seed articles and every earlier record.
    """
    from bot.classify import classify_stream

    settings = obj.settings(db)  # the config's threshold and topics; the archive only with --db
    errors = classify_stream(file, sys.stdout, settings=settings if db else None,
                             threshold=settings.threshold, topics=settings.topics)
    for message in errors:
        click.echo(message, err=True)
    if errors:
        sys.exit(1)


@click.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.pass_obj
def check(obj: Context, target: str, as_json: bool) -> None:
    """Explain the decision for one article: a URL, an HTML file or a text file."""
    from bot.reports.check import check_target, format_check
    from watchers.errors import WatchError

    try:
        result = asyncio.run(check_target(target, obj.settings()))
    except (OSError, ValueError, WatchError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(format_check(result))
