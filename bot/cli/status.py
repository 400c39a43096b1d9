"""`tanfwatch status` (and `status --check`, the container's health check)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["status"]


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the status as nested JSON.")
@click.option("--check", is_flag=True,
              help="Health check: exit 1 if the archive cannot be opened, every source fails, "
              "no poll came for 3 intervals or an alert is pending for over an hour.")
@click.pass_obj
def status(obj: Context, as_json: bool, check: bool) -> None:
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
