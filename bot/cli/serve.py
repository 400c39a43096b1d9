"""`tanfwatch serve`: Datasette over the archive."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["serve"]


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8001, show_default=True, type=click.IntRange(0, 65535),
              help="Port (0 picks a free one).")
@click.option("--db", "db", type=click.Path(dir_okay=False), default=None,
              help="Archive to serve (default: the global --db / $TANFWATCH_DB).")
@click.option("--allow-sql", is_flag=True,
              help="Let visitors run their own SQL (?sql=); private data still reads as NULL.")
@click.pass_obj
def serve(obj: Context, host: str, port: int, db: str | None, allow_sql: bool) -> None:
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
