"""The daemon's daily retention pass: irrelevant articles past `keep_irrelevant_days` go.

`tanfwatch backup` and `vacuum` are in bot/cli/maintenance.py."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta

from storage.archive import Archive
from storage.faults import describe
from storage.maintenance import prune_irrelevant

__all__ = ["prune", "prune_job"]

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






