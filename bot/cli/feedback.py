"""`tanfwatch feedback`: alerts whose votes dispute the matcher, and the votes as labels."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["feedback"]


@click.command()
@click.option("--export", "export", type=click.File("w", encoding="utf-8"), default=None,
              help="Write the voted articles as labelled JSON Lines (the classify input format).")
@click.pass_obj
def feedback(obj: Context, export: Any) -> None:
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
