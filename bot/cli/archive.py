"""The archive-reading commands of the `tanfwatch` CLI: search, export, stories and show.
Registered on the `cli` group in main.py."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from bot.cli.context import archive_options, open_archive
from bot.cli.exports import (
    FORMATS,
    article_detail,
    filter_options,
    filters_from,
    format_detail,
    open_output,
    write_hits,
    write_stories,
)

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["export", "search", "show", "stories"]






@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--offset", default=0, show_default=True, help="Skip this many hits (paging).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@filter_options
@archive_options
@click.pass_obj
def search(obj: Context, query: tuple[str, ...], limit: int, offset: int, fmt: str,
           as_json: bool, output: str | None, db: str | None, **options: Any) -> None:
    """Full-text search of the archive, best first, with the matching passage.

    QUERY is FTS5 syntax: words, "a phrase", prefix*, AND/OR/NOT, NEAR(a b, 5).
    Arabic matches with or without harakat.
    """
    from storage.query import QueryError, iter_search

    filters = filters_from(options)
    with open_archive(obj, db) as archive, open_output(output) as out:
        try:
            hits = list(iter_search(archive.db, " ".join(query), filters, limit=limit,
                                    offset=offset))
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc
        write_hits(hits, out, "json" if as_json else fmt)
    if not hits:
        click.echo("no match", err=True)
    elif hits[0].window:  # a very common word or short prefix: ranked among the newest only
        click.echo(f"ranked among the newest {hits[0].window:,} matches only; "
                   "narrow it with --since or other filters", err=True)


@click.command()
@click.argument("query", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(FORMATS[1:]), default="csv",
              show_default=True)
@click.option("--text/--no-text", "with_text", default=True, show_default=True,
              help="Include each article's full text.")
@filter_options
@archive_options
@click.pass_obj
def export(obj: Context, query: tuple[str, ...], fmt: str, with_text: bool,
           output: str | None, db: str | None, **options: Any) -> None:
    """Export the articles matching the filters (and QUERY, if given): all of them."""
    from storage.query import QueryError, iter_search

    filters = filters_from(options)
    with open_archive(obj, db) as archive, open_output(output) as out:
        try:
            hits = iter_search(archive.db, " ".join(query), filters, with_text=with_text)
            count = write_hits(hits, out, fmt, with_text=with_text)
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc
    click.echo(f"exported {count} articles", err=True)


@click.command()
@click.option("-n", "--limit", default=20, show_default=True)
@click.option("--all", "include_all", is_flag=True,
              help="Include stories with no relevant article.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@archive_options
@click.pass_obj
def stories(obj: Context, limit: int, include_all: bool, fmt: str, output: str | None,
            db: str | None) -> None:
    """Stories (articles about one event), the most recently updated first."""
    with open_archive(obj, db) as archive, open_output(output) as out:
        write_stories(archive.stories(limit=limit, relevant_only=not include_all), out, fmt)


@click.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="SQLite archive (default: $TANFWATCH_DB).")
@click.pass_obj
def show(obj: Context, article_id: str, as_json: bool, db: str | None) -> None:
    """One archived article: its story, every URL it was seen at, copies and alerts."""
    with open_archive(obj, db) as archive:
        detail = article_detail(archive, article_id)
    if detail is None:
        raise click.ClickException(f"no article {article_id!r}")
    click.echo(json.dumps(detail, ensure_ascii=False, indent=2) if as_json
               else format_detail(detail))






