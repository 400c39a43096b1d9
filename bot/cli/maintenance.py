"""`tanfwatch backup` and `vacuum`: keeping the archive.

Both are safe while the daemon runs: backup reads one consistent snapshot; vacuum waits for
the daemon's writes (db_timeout) and holds the write lock while it rebuilds.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

import click

from bot.maintenance import prune
from storage.archive import Archive
from storage.faults import describe
from storage.maintenance import backup as backup_archive
from storage.maintenance import file_size
from storage.maintenance import vacuum as vacuum_archive

if TYPE_CHECKING:
    from bot.cli.context import Context

__all__ = ["backup", "vacuum"]


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_obj
def backup(obj: Context, path: Path, force: bool) -> None:
    """Copy the archive to PATH, consistently, even while the bot runs (SQLite backup API)."""
    source = Path(obj.settings().db_path)
    try:
        check = backup_archive(source, path, force=force)
    except (FileExistsError, FileNotFoundError) as exc:
        raise click.ClickException(str(exc)) from None
    except (sqlite3.Error, OSError) as exc:
        raise click.ClickException(f"backup to {path} failed: {describe(exc)}") from None
    if check != "ok":
        raise click.ClickException(f"backup {path}: integrity_check says {check}")
    click.echo(f"backed up {source} to {path} ({_mb(file_size(path))}, integrity ok)")


@click.command()
@click.pass_obj
def vacuum(obj: Context) -> None:
    """Delete irrelevant articles past `keep_irrelevant_days`, then VACUUM the archive."""
    from bot.app import utcnow

    settings = obj.settings()
    path = Path(settings.db_path)
    if not path.exists():
        raise click.ClickException(f"no archive at {path}")
    before = file_size(path)
    try:
        archive = Archive.open(path, timeout=settings.db_timeout)
        try:
            pruned = prune(archive, days=settings.keep_irrelevant_days, now=utcnow())
            vacuum_archive(archive.db)
        finally:
            archive.close()
    except sqlite3.Error as exc:
        raise click.ClickException(f"vacuum {path}: {describe(exc)}") from None
    kept = ("kept for ever" if settings.keep_irrelevant_days == 0
            else f"{pruned} deleted, older than {settings.keep_irrelevant_days} days")
    click.echo(f"vacuumed {path}: {_mb(before)} -> {_mb(file_size(path))} "
               f"(irrelevant articles: {kept})")
