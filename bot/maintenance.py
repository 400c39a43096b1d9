"""`tanfwatch backup` and `tanfwatch vacuum`, and the daemon's daily retention pass.

Both commands are safe while the daemon runs: backup reads one consistent snapshot; vacuum
waits for the daemon's writes (db_timeout) and holds the write lock while it rebuilds.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import click

from storage.archive import Archive
from storage.faults import describe
from storage.maintenance import backup as backup_archive
from storage.maintenance import file_size, prune_irrelevant
from storage.maintenance import vacuum as vacuum_archive

__all__ = ["backup", "prune", "prune_job", "vacuum"]

if TYPE_CHECKING:
    from bot.cli.main import _Context

log = logging.getLogger(__name__)


def prune(archive: Archive, *, days: int, now: datetime) -> int:
    """Apply the retention of irrelevant articles (`keep_irrelevant_days`; 0 keeps them)."""
    if days == 0:
        return 0
    before, total = now - timedelta(days=days), 0
    while count := prune_irrelevant(archive.db, before=before):
        total += count
    return total


async def prune_job(archive: Archive, days: int, clock: Callable[[], datetime]) -> None:
    """The daemon's daily pass, in short transactions that let polls in between."""
    if days == 0:
        return
    before, total = clock() - timedelta(days=days), 0
    try:
        while count := prune_irrelevant(archive.db, before=before):
            total += count
            await asyncio.sleep(0)  # the event loop (polls, delivery) runs between batches
    except sqlite3.Error as exc:
        log.error("retention: stopped after %d articles: %s; tried again tomorrow", total,
                  describe(exc))
        return
    if total:
        log.info("retention: deleted %d irrelevant articles first seen before %s", total,
                 before.date())


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"


@click.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Overwrite PATH if it exists.")
@click.pass_obj
def backup(obj: _Context, path: Path, force: bool) -> None:
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
def vacuum(obj: _Context) -> None:
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
