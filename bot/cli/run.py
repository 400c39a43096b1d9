"""`tanfwatch run`: poll the sources and send alerts, as a daemon or once."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import sys
from typing import TYPE_CHECKING

import click

from bot.logsetup import startup_line

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["ALL_SOURCES_FAILED", "run"]


# `run --once` exit codes (README "Operating"): 1 an error (config, archive, token),
# 3 every polled source failed.
ALL_SOURCES_FAILED = 3


@click.command()
@click.option("--once", is_flag=True, help="Poll every enabled source once, deliver, and exit "
              "(exit code 3 when every source failed).")
@click.option("--metrics-port", type=click.IntRange(0, 65535), default=None,
              help="Serve Prometheus metrics on this port (default: off).")
@click.option("--metrics-host", default="127.0.0.1", show_default=True,
              help="Address the metrics endpoint binds to.")
@click.pass_obj
def run(obj: Context, once: bool, metrics_port: int | None, metrics_host: str) -> None:
    """Run the bot: poll sources on their intervals and send alerts (until SIGTERM)."""
    from importlib.metadata import version

    from bot.app import run_once
    from bot.telegram.sender import TokenRejected
    from storage.faults import describe

    obj.setup_logs(default="info")  # an operator sees the startup line and each event
    settings = obj.settings()
    if once and metrics_port is not None:
        raise click.UsageError("--metrics-port is for the daemon, not --once")
    logging.getLogger("bot").info(startup_line(settings, once=once, version=version("tanfwatch")))
    try:
        if not once:
            from bot.daemon import run_daemon  # the scheduler and the bot's commands

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
