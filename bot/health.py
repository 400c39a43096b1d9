"""`tanfwatch status --check`: one line and an exit code for a container's HEALTHCHECK.

Unhealthy when the archive cannot be opened or every polled source is failing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path

from storage.archive import Archive

__all__ = ["FAILING", "check_archive", "sources_problem"]

FAILING = ("error", "disabled")  # source statuses that count as failing


def sources_problem(counts: Mapping[str, int]) -> str | None:
    """Why the sources make the bot unhealthy (statuses -> counts), or None."""
    total = sum(counts.values())
    failing = sum(counts.get(status, 0) for status in FAILING)
    if total and failing == total:
        return f"every source is failing ({failing} of {total})"
    return None


def check_archive(path: Path) -> tuple[bool, str]:
    """(healthy, one line) for the archive at ``path``; never creates it."""
    if not path.is_file():
        return False, f"no archive at {path}"
    try:
        archive = Archive.open(path)
        try:
            counts = archive.sources.counts()
        finally:
            archive.close()
    except (sqlite3.Error, OSError) as exc:
        return False, f"cannot open the archive {path}: {exc}"
    problem = sources_problem(counts)
    if problem is not None:
        return False, f"{problem}; archive {path}"
    listed = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none yet"
    return True, f"ok: archive {path}; sources: {listed}"
