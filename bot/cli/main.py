"""The `tanfwatch` root group: its options, and every command registered on it.

Each family of commands lives in a module of its own beside this one."""

from __future__ import annotations

import click

from bot.cli.archive import export, search, show, stories
from bot.cli.chats import chats
from bot.cli.context import Context
from bot.cli.feedback import feedback
from bot.cli.judge import check, classify
from bot.cli.maintenance import backup, vacuum
from bot.cli.report import report
from bot.cli.run import run
from bot.cli.serve import serve
from bot.cli.sources import sources
from bot.cli.status import status
from bot.cli.topics import topics
from bot.logsetup import FORMATS, LEVELS

__all__ = ["cli", "main"]


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
    ctx.obj = Context(config, db, (log_level and log_level.lower(), verbose, quiet, log_format))
    ctx.obj.setup_logs()


for _command in (run, classify, check, sources, status, feedback,  # running and judging
                 search, export, stories, show, serve, report,  # reading the archive
                 backup, vacuum, chats, topics):  # keeping the archive, chats, topics
    cli.add_command(_command)


def main() -> None:
    cli(prog_name="tanfwatch")
