"""The `tanfwatch` command line (also `python -m bot`).

The archive-reading commands (search, export, stories, show, serve, report) are defined in
archivecli.py and registered on the `cli` group at the end of this module.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import sys
from pathlib import Path
from typing import Any

import click

from bot.cli.archive import export, report, search, serve, show, stories
from bot.cli.chats import chats
from bot.cli.topics import topics
from bot.logsetup import FORMATS, LEVELS, level_for, setup_logging, startup_line
from bot.maintenance import backup, vacuum
from bot.settings import ConfigError, Settings, load_settings

__all__ = ["cli", "main"]


class _Context:
    def __init__(self, config: str | None, db: str | None, log: tuple[Any, ...] = ()) -> None:
        self.config = config
        self.db = db
        self.log = log  # (--log-level, -v count, -q, --log-format)

    def setup_logs(self, *, default: str = "warning") -> None:
        level, verbose, quiet, fmt = self.log or (None, 0, False, "text")
        setup_logging(level_for(level, verbose, quiet, default=default), fmt)

    def say(self, line: str, level: int = logging.INFO) -> None:
        """A summary line on stderr; with --log-format json a log record, so stderr stays
        JSON Lines."""
        if self.log and self.log[3] == "json":
            logging.getLogger("bot.cli").log(level, line)
        else:
            click.echo(line, err=True)

    def settings(self, db: str | None = None) -> Settings:
        from bot.redact import install as redact_secrets

        try:
            settings = load_settings(self.config, db_path=db or self.db)
        except ConfigError as exc:
            raise click.ClickException(f"config error: {exc}") from exc
        if settings.token is not None:  # before anything can log it (PTB does at -vv)
            redact_secrets([settings.token.get()])
        return settings


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML config file (default: $TANFWATCH_CONFIG, else the built-in sources).")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="SQLite archive (default: $TANFWATCH_DB, else ./data/tanfwatch.db).")
@click.option("-v", "--verbose", count=True, help="More logging (-v info, -vv debug).")
@click.option("-q", "--quiet", is_flag=True, help="Log errors only.")
@click.option("--log-level", type=click.Choice(LEVELS, case_sensitive=False), default=None,
              help="Log level (default: info for `run`, warning otherwise; beats -v/-q).")
@click.option("--log-format", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Log lines as text or JSON Lines (ts, level, logger, message, ids).")
@click.version_option(package_name="tanfwatch")
@click.pass_context
def cli(ctx: click.Context, config: str | None, db: str | None, verbose: int, quiet: bool,
        log_level: str | None, log_format: str) -> None:
    """tanfwatch: alerts on new reports about al-Tanf, Maghawir al-Thawra and the 55-km zone."""
    ctx.obj = _Context(config, db, (log_level and log_level.lower(), verbose, quiet, log_format))
    ctx.obj.setup_logs()


# `run --once` exit codes (README "Operating"): 1 an error (config, archive, token),
# 3 every polled source failed.
ALL_SOURCES_FAILED = 3


@cli.command()
@click.option("--once", is_flag=True, help="Poll every enabled source once, deliver, and exit "
              "(exit code 3 when every source failed).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on this port (default: off).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Address the metrics endpoint binds to.")
@click.pass_obj
def run(obj: _Context, once: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run the bot: poll sources on their intervals and send alerts (until SIGTERM)."""
    from importlib.metadata import version

    from bot.app import run_daemon, run_once
    from bot.telegram.client import TokenRejected
    from storage.faults import describe

    obj.setup_logs(default="info")  # an operator sees the startup line and each event
    settings = obj.settings()
    if once and metrics_port is not None:
        raise click.UsageError("--metrics-port is for the daemon, not --once")
    logging.getLogger("bot").info(startup_line(settings, once=once, version=version("tanfwatch")))
    try:
        if not once:
            asyncio.run(run_daemon(settings, metrics_port=metrics_port,
                                   metrics_host=metrics_host))
            return
        reports, delivery = asyncio.run(run_once(settings))
    except TokenRejected as exc:
        raise click.ClickException(str(exc)) from None
    except sqlite3.Error as exc:  # the archive cannot even be opened (or migrated, seeded)
        raise click.ClickException(f"{describe(exc)}: {settings.db_path}") from None
    except OSError as exc:  # the metrics port is taken (bot.metrics names it)
        raise click.ClickException(str(exc)) from None
    failed = [r for r in reports if not r.ok]
    # each failure was logged once as it happened (with its back-off); this only counts them
    obj.say(f"polled {len(reports)} sources ({len(failed)} failed), "
            f"{sum(r.processed for r in reports)} new articles, "
            f"{sum(r.alerts for r in reports)} alerts queued; "
            f"delivered {delivery.sent}, deferred {delivery.deferred}, failed {delivery.failed}")
    # the archive's faults (locked, full) are logged as errors; exit 3 is about the sources
    if reports and len(failed) == len(reports) and not any(r.archive_fault for r in failed):
        obj.say(f"every source failed ({len(failed)} of {len(reports)})", logging.ERROR)
        sys.exit(ALL_SOURCES_FAILED)


@cli.command()
@click.argument("file", type=click.File("r", encoding="utf-8"), default="-")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive the records into this database as the bot would.")
@click.pass_obj
def classify(obj: _Context, file: Any, db: str | None) -> None:
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


@cli.command()
@click.argument("target")
@click.option("--json", "as_json", is_flag=True, help="Print the explanation as JSON.")
@click.pass_obj
def check(obj: _Context, target: str, as_json: bool) -> None:
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


@cli.group(invoke_without_command=True)
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
def sources_add(obj: _Context, url: str, name: str | None, config: str | None) -> None:
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


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as nested JSON.")
@click.option("--check", is_flag=True,
              help="Health check: exit 1 if the archive cannot be opened, every source fails, "
              "no poll came for 3 intervals or an alert is pending for over an hour.")
@click.pass_obj
def status(obj: _Context, as_json: bool, check: bool) -> None:
    """Sources, outbox, archive and delivery: what an operator checks first."""
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    if check:
        from bot.reports.health import check_archive

        healthy, line = check_archive(Path(obj.settings().db_path), now=now)
        click.echo(line, err=not healthy)
        sys.exit(0 if healthy else 1)
    from bot.reports.status import format_status, status_summary

    summary = status_summary(obj.settings(), now=now)
    click.echo(json.dumps(summary, indent=2, ensure_ascii=False) if as_json
               else format_status(summary))


@cli.command()
@click.option("--export", "export", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the voted articles as labelled JSON Lines (the classify input format).")
@click.pass_obj
def feedback(obj: _Context, export: Any) -> None:
    """List alerts whose users' votes dispute the matcher; export votes as labelled records."""
    from bot.telegram.feedback import disputed, export_labelled
    from storage.archive import Archive

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


for _command in (search, export, stories, show, serve, report):  # the archive-reading ones
    cli.add_command(_command)
for _command in (backup, vacuum):  # keeping the archive: bot/maintenance.py
    cli.add_command(_command)
cli.add_command(chats)
cli.add_command(topics)


def main() -> None:
    cli(prog_name="tanfwatch")
