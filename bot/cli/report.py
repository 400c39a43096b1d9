"""`tanfwatch report`: coverage over time, as a table or a plot."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["report"]


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
def report(obj: Context, plot: str | None, since: str | None, until: str | None, by: str,
           db: str | None) -> None:
    """Coverage over time by topic and language, and the top outlets."""
    from bot.reports.coverage import archive_coverage, format_outlets, summary_text
    from bot.reports.plot import render_png
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
