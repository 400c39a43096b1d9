"""What every command shares: the settings, logging, summary lines and the archive."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from bot.logsetup import level_for, setup_logging
from bot.settings import ConfigError, Settings, load_settings

__all__ = ["Context", "archive_options", "open_archive"]


class Context:
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


def archive_options(command: Any) -> Any:
    """--db and --output: what the archive-reading commands take."""
    command = click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True),
                           default=None, help="Write here instead of stdout.")(command)
    return click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
                        help="SQLite archive (default: $TANFWATCH_DB).")(command)


@contextmanager
def open_archive(obj: Context, db: str | None) -> Iterator[Any]:
    from storage.archive import Archive

    path = obj.settings(db).db_path
    if not Path(path).exists():
        raise click.ClickException(f"no archive at {path}")
    archive = Archive.open(path)
    try:
        yield archive
    finally:
        archive.close()
