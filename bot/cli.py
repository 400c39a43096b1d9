"""The `tanfwatch` command line (also `python -m bot`)."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from .exports import (
    FORMATS,
    article_detail,
    filter_options,
    filters_from,
    format_detail,
    open_output,
    write_hits,
    write_stories,
)
from .settings import ConfigError, Settings, load_settings

__all__ = ["cli", "main"]


def _setup_logging(verbose: int) -> None:
    from .telegram import quiet_http_loggers

    level = logging.DEBUG if verbose > 1 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=level, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    quiet_http_loggers()


class _Context:
    def __init__(self, config: str | None, db: str | None) -> None:
        self.config = config
        self.db = db

    def settings(self, db: str | None = None) -> Settings:
        try:
            return load_settings(self.config, db_path=db or self.db)
        except ConfigError as exc:
            raise click.ClickException(f"config error: {exc}") from exc


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML config file (default: $TANFWATCH_CONFIG, else the built-in sources).")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="SQLite archive (default: $TANFWATCH_DB, else ./data/tanfwatch.db).")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.version_option(package_name="tanfwatch")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None, verbose: int) -> None:
    """tanfwatch: alerts on new reports about al-Tanf, Maghawir al-Thawra and the 55-km zone."""
    _setup_logging(verbose)
    ctx.obj = _Context(config, db)


@cli.command()
@click.option("--once", is_flag=True, help="Poll every enabled source once, deliver, and exit.")
@click.pass_obj
def run(obj: _Context, once: bool) -> None:
    """Run the bot: poll sources on their intervals and send alerts (until SIGTERM)."""
    from .app import run_daemon, run_once

    settings = obj.settings()
    if not once:
        asyncio.run(run_daemon(settings))
        return
    reports, delivery = asyncio.run(run_once(settings))
    failed = [r for r in reports if not r.ok]
    click.echo(
        f"polled {len(reports)} sources ({len(failed)} failed), "
        f"{sum(r.processed for r in reports)} new articles, "
        f"{sum(r.alerts for r in reports)} alerts queued; "
        f"delivered {delivery.sent}, deferred {delivery.deferred}, failed {delivery.failed}",
        err=True,
    )
    for r in failed:
        click.echo(f"  source {r.source}: {r.error}", err=True)


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive the records into this database as the bot would.")
@click.pass_obj
def classify(obj: _Context, file: Any, db: str | None) -> None:
    """Judge JSON Lines records ({"id","text",...}) and print one JSON verdict per line.

    Each record is judged against the seed articles and every earlier record.
    """
    from .classify import classify_stream

    settings = obj.settings(db) if db else None
    errors = classify_stream(file, sys.stdout, settings=settings,
                             threshold=None if settings is None else settings.threshold)
    for message in errors:
        click.echo(message, err=True)
    if errors:
        sys.exit(1)


@cli.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.pass_obj
def check(obj: _Context, target: str, as_json: bool) -> None:
    """Explain the decision for one article: a URL, an HTML file or a text file."""
    from watchers.errors import WatchError

    from .reports import check_target, format_check

    try:
        result = asyncio.run(check_target(target, obj.settings()))
    except (OSError, ValueError, WatchError) as exc:
        raise click.ClickException(str(exc)) from exc
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        click.echo(format_check(result))


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


@cli.command()
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


@cli.command()
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


@cli.command()
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


@cli.command()
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


@cli.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print sources as a JSON array.")
@click.pass_context
def sources(ctx: click.Context, as_json: bool) -> None:
    """List sources with their health (subcommand `add URL` adds one)."""
    if ctx.invoked_subcommand is not None:
        return
    from .reports import format_sources, source_rows

    rows = source_rows(ctx.obj.settings())
    click.echo(json.dumps(rows, ensure_ascii=False, indent=2) if as_json else format_sources(rows))


@sources.command("add")
@click.argument("url")
@click.option("--name", default=None, help="Source name (default: from the URL).")
@click.option("--config", "config", type=click.Path(dir_okay=False), default=None,
              help="Config file to append to (default: the config in use).")
@click.pass_obj
def sources_add(obj: _Context, url: str, name: str | None, config: str | None) -> None:
    """Find out what URL is (feed, page with a feed, sitemap, Telegram channel, page) and add it."""
    from watchers.errors import WatchError

    from .sourceadd import add_source

    try:
        added = asyncio.run(add_source(url, obj.settings(), name=name,
                                       config=Path(config) if config else None))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
    except WatchError as exc:
        raise click.ClickException(f"cannot add {url}: {exc}") from exc
    click.echo(f"added {added.kind} source {added.name!r}: {added.url} (to {added.config})")


@cli.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def status(obj: _Context, as_json: bool) -> None:
    """Archive and delivery status: articles, alerts pending/sent, source health."""
    from .reports import status_summary

    summary = status_summary(obj.settings())
    if as_json:
        click.echo(json.dumps(summary, indent=2))
        return
    for key, value in summary.items():
        click.echo(f"{key:>16}: {value}")


@cli.command()
@click.option("--export", "export", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the voted articles as labelled JSON Lines (the classify input format).")
@click.pass_obj
def feedback(obj: _Context, export: Any) -> None:
    """List alerts whose users' votes dispute the matcher; export votes as labelled records."""
    from storage.archive import Archive

    from .feedback import disputed, export_labelled

    settings = obj.settings()
    if not Path(settings.db_path).exists():
        raise click.ClickException(f"no archive at {settings.db_path}")
    archive = Archive.open(settings.db_path)
    try:
        if export is not None:
            for record in export_labelled(archive):
                export.write(json.dumps(record, ensure_ascii=False) + "\n")
            return
        rows = disputed(archive)
    finally:
        archive.close()
    for d in rows:
        said = "relevant" if d.matched else "not relevant"
        click.echo(f"{d.article_id}  matcher: {said}; votes +{d.relevant_votes} "
                   f"-{d.not_relevant_votes}  {d.title}\n    {d.url or ''}")
    if not rows:
        click.echo("no disputed alerts", err=True)


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive to serve (default: the global --db / $TANFWATCH_DB).")
@click.pass_obj
def serve(obj: _Context, host: str, port: int, db: str | None) -> None:
    """Browse and search the archive in Datasette, read-only, while the bot writes to it."""
    from .serve import bind, serve_archive

    path = Path(obj.settings(db).db_path)
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
    serve_archive(path, sock, log_level="info" if verbose else "warning")  # -v: access log


@cli.command()
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
    from storage.archive import Archive

    from .coverage import archive_coverage, format_outlets, render_png, summary_text

    path = Path(obj.settings(db).db_path)
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
        Path(plot).write_bytes(render_png(coverage))
    click.echo(summary_text(coverage))
    if coverage.outlets:
        click.echo("\n" + format_outlets(coverage))
    if plot:
        click.echo(f"chart written to {plot}", err=True)


def main() -> None:
    cli(prog_name="tanfwatch")
