"""The Datasette plugin that keeps the bot's users private in `tanfwatch serve`.

An SQLite authorizer on every connection to a database whose metadata configures this plugin
(ours): reads of the private tables and columns give NULL, in any query Datasette runs for a
page, a facet, a filter, a canned query or typed SQL; ATTACH is refused (it would open the
file again under another name). The module itself is the plugin, as Datasette expects.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from datasette import hookimpl

__all__ = ["PLUGIN", "PRIVATE_COLUMNS", "PRIVATE_TABLES", "private_authorizer", "register"]

PLUGIN = "tanfwatch-private"
PRIVATE_TABLES = ("chats", "feedback", "bot_state")  # Telegram chat and user ids, bot state
PRIVATE_COLUMNS: Mapping[str, tuple[str, ...]] = {"outbox": ("chat_id",),
                                                  "bot_sources": ("added_by",)}
Authorizer = Callable[[int, str | None, str | None, str | None, str | None], int]


def private_authorizer(tables: Sequence[str], columns: Mapping[str, Sequence[str]]
                       ) -> Authorizer:
    """An sqlite3 authorizer: reads of `tables` and `columns` give NULL; ATTACH is denied."""
    hidden = {(t, None) for t in tables} | {(t, c) for t, cols in columns.items() for c in cols}

    def authorize(action: int, table: str | None, column: str | None, _db: str | None,
                  _trigger: str | None) -> int:
        if action == sqlite3.SQLITE_ATTACH:
            return sqlite3.SQLITE_DENY
        if action == sqlite3.SQLITE_READ and ((table, None) in hidden or (table, column) in hidden):
            return sqlite3.SQLITE_IGNORE
        return sqlite3.SQLITE_OK

    return authorize


@hookimpl
def prepare_connection(conn: sqlite3.Connection, database: str, datasette: Any) -> None:
    config = datasette.plugin_config(PLUGIN, database=database, fallback=False)
    if config:
        conn.set_authorizer(private_authorizer(config["tables"], config["columns"]))


def register() -> None:
    """Register this module with Datasette's plugin manager (once per process)."""
    import sys

    from datasette.plugins import pm

    if pm.get_plugin(PLUGIN) is None:
        pm.register(sys.modules[__name__], name=PLUGIN)
