"""The archive-reading commands of the `tanfwatch` CLI: search, export, stories, show, serve
and report. Defined here, registered on the `cli` group in cli.py."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

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
    from bot.cli.main import _Context

__all__ = ["export", "report", "search", "serve", "show", "stories"]


def _archive_options(command: Any) -> Any:
    """--db and --output: what the archive-reading commands take."""
    command = click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                           default=None, help="Write here instead of stdout.")(command)
    return click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
                        help="SQLite archive (default: $TANFWATCH_DB).")(command)


@contextmanager
def _open_archive(obj: _Context, db: str | None) -> Iterator[Any]:
    from storage.archive import Archive

    path = obj.settings(db).db_path
    if not Path(path).exists():
        raise click.ClickException(f"no archive at {path}")
    archive = Archive.open(path)
    try:
        yield archive
    finally:
        archive.close()


@click.command()
@click.argument("query", nargs=-1, required=True)
@click.option("-n", "--limit", default=10, show_default=True)
@click.option("--offset", default=0, show_default=True, help="Skip this many hits (paging).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Same as --format json.")
@filter_options
@_archive_options
@click.pass_obj
def search(obj: _Context, query: tuple[str, ...], limit: int, offset: int, fmt: str,
           as_json: bool, output: str | None, db: str | None, **options: Any) -> None:
    """Full-text search of the archive, best first, with the matching passage.

    QUERY is FTS5 syntax: words, "a phrase", prefix*, AND/OR/NOT, NEAR(a b, 5).
    Arabic matches with or without harakat.
    """
    from storage.query import QueryError, iter_search

    filters = filters_from(options)
    with _open_archive(obj, db) as archive, open_output(output) as out:
        try:
            hits = list(iter_search(archive.db, " ".join(query), filters, limit=limit,
                                    offset=offset))
        except QueryError as exc:
            raise click.ClickException(str(exc)) from exc
        write_hits(hits, out, "json" if as_json else fmt)
    if not hits:
        click.echo("no match", err=True)


@click.command()
@click.argument("query", nargs=-1)
@click.option("--format", "fmt", type=click.Choice(FORMATS[1:]), default="csv",
              show_default=True)
@click.option("--text/--no-text", "with_text", default=True, show_default=True,
              help="Include each article's full text.")
@filter_options
@_archive_options
@click.pass_obj
def export(obj: _Context, query: tuple[str, ...], fmt: str, with_text: bool,
           output: str | None, db: str | None, **options: Any) -> None:
    """Export the articles matching the filters (and QUERY, if given): all of them."""
    from storage.query import QueryError, iter_search

    filters = filters_from(options)
    with _open_archive(obj, db) as archive, open_output(output) as out:
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
@_archive_options
@click.pass_obj
def stories(obj: _Context, limit: int, include_all: bool, fmt: str, output: str | None,
            db: str | None) -> None:
    """Stories (articles about one event), the most recently updated first."""
    with _open_archive(obj, db) as archive, open_output(output) as out:
        write_stories(archive.stories(limit=limit, relevant_only=not include_all), out, fmt)


@click.command()
@click.argument("article_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="SQLite archive (default: $TANFWATCH_DB).")
@click.pass_obj
def show(obj: _Context, article_id: str, as_json: bool, db: str | None) -> None:
    """One archived article: its story, every URL it was seen at, copies and alerts."""
    with _open_archive(obj, db) as archive:
        detail = article_detail(archive, article_id)
    if detail is None:
        raise click.ClickException(f"no article {article_id!r}")
    click.echo(json.dumps(detail, ensure_ascii=False, indent=2) if as_json
               else format_detail(detail))



@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive to serve (default: the global --db / $TANFWATCH_DB).")
@click.option("--allow-sql", is_flag=True,
              help="Let visitors run their own SQL (?sql=); private data still reads as NULL.")
@click.pass_obj
def serve(obj: _Context, host: str, port: int, db: str | None, allow_sql: bool) -> None:
    """Browse and search the archive in Datasette, read-only, while the bot writes to it.

    Chats, votes and who added a source are never shown; typed SQL is off by default."""
    from bot.serve.datasette import bind, serve_archive

    settings = obj.settings(db)
    path = Path(settings.db_path)
    if not path.is_file():
        raise click.ClickException(f"no archive at {path}")
    try:
        sock = bind(host, port)
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    bound = sock.getsockname()[1]
    click.echo(f"Serving {path} read-only at http://{host}:{bound}/{path.stem} "
               "(Ctrl-C to stop)", err=True)
    verbose = logging.getLogger().getEffectiveLevel() <= logging.INFO
    serve_archive(path, sock, settings.topics,
                  log_level="info" if verbose else "warning",  # -v: access log
                  allow_sql=allow_sql)


@click.command()
@click.option("--plot", type=click.Path(dir_okay=False), default=None,
              help="Draw the coverage chart into this PNG file.")
@click.option("--since", default=None, help="From this ISO date or datetime (UTC).")
@click.option("--until", default=None, help="Up to this ISO date (inclusive) or datetime.")
@click.option("--by", type=click.Choice(["day", "week", "month"]), default="week",
              show_default=True, help="Period to count by.")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive to read (default: the global --db / $TANFWATCH_DB).")
@click.pass_obj
def report(obj: _Context, plot: str | None, since: str | None, until: str | None, by: str,
           db: str | None) -> None:
    """Coverage over time by topic and language, and the top outlets."""
    from bot.reports.coverage import archive_coverage, format_outlets, render_png, summary_text
    from storage.archive import Archive

    settings = obj.settings(db)
    path, labels = Path(settings.db_path), settings.topics.labels()
    if not path.is_file():
        raise click.ClickException(f"no archive at {path}")
    archive = Archive.open(path)
    try:
        coverage = archive_coverage(archive, since=since, until=until, by=by)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        archive.close()
    if plot:
        Path(plot).write_bytes(render_png(coverage, labels=labels))
    click.echo(summary_text(coverage, labels))
    if coverage.outlets:
        click.echo("\n" + format_outlets(coverage))
    if plot:
        click.echo(f"chart written to {plot}", err=True)

