"""`tanfwatch serve`: Datasette over the archive, read-only, with our metadata.

The archive is opened as a mutable database, which Datasette reads through a
`mode=ro` connection: the bot keeps writing to the same file (WAL) and each page
shows the rows committed so far. (`--immutable` would let Datasette assume the
file never changes, and count and cache accordingly.)

Private data stays private: the chats, their votes and who added a source are the bot's
users, not the archive. Their tables are refused (403), their columns hidden, and an SQLite
authorizer on every Datasette connection reads them as NULL in any query, canned, faceted,
filtered or typed (`?sql=`, which is off unless `--allow-sql`).

Signals: uvicorn stops gracefully on SIGINT/SIGTERM and then re-raises the signal
to the handler that was there before it; we install no-op handlers first, so the
command returns and exits 0.
"""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

from bot.serve import private as serveprivate
from bot.serve.private import PRIVATE_COLUMNS, PRIVATE_TABLES
from matchers.registry import TopicRegistry
from storage.query import fold_query

__all__ = ["HIDDEN_COLUMNS", "PRIVATE_COLUMNS", "PRIVATE_TABLES", "bind", "build_datasette",
           "hide_columns", "load_metadata", "serve_archive"]

log = logging.getLogger(__name__)
HIDDEN_COLUMNS: Mapping[str, tuple[str, ...]] = {"articles": ("signature",),  # MinHash BLOB
                                                 **PRIVATE_COLUMNS}
_SETTINGS = {"truncate_cells_html": 400, "default_page_size": 50, "sql_time_limit_ms": 3000,
             "allow_download": False}

Asgi = Callable[[dict, Callable[[], Awaitable[dict]], Callable[[dict], Awaitable[None]]],
                Awaitable[None]]


def load_metadata(db_name: str, topics: TopicRegistry) -> dict[str, Any]:
    """The shipped metadata, with the database section under `db_name` (the file's stem),
    the topics' labels and ids filled in, the private tables refused to everyone and the
    authorizer's configuration."""
    text = resources.files("bot").joinpath("datasette_metadata.json").read_text("utf-8")
    fill = {"{topics}": ", ".join(t.label for t in topics), "{ids}": ", ".join(topics.ids)}
    for key, value in fill.items():  # (json.dumps: a label may hold a quote)
        text = text.replace(key, json.dumps(value)[1:-1])
    data = json.loads(text)
    database = data.pop("database")
    for table in PRIVATE_TABLES:
        database["tables"][table] = {"hidden": True, "allow": False}
    database["plugins"] = {serveprivate.PLUGIN: {"tables": list(PRIVATE_TABLES),
                                     "columns": {t: list(c) for t, c in PRIVATE_COLUMNS.items()}}}
    return {**data, "databases": {db_name: database}}


def hide_columns(app: Asgi, db_name: str,
                 hidden: Mapping[str, Sequence[str]] = HIDDEN_COLUMNS) -> Asgi:
    """Wrap Datasette so table pages leave `hidden` columns out unless the URL picks columns,
    and fold `_search` queries the way the archive's index is folded.

    Datasette's metadata cannot hide a column; its `_nocol=` parameter can, so we add it
    to requests for those tables (HTML, JSON and CSV) that carry no `_col`/`_nocol`. The
    index drops Arabic harakat and unifies alef forms and ё (migration m003); a query typed
    with them would find nothing unless it is folded the same way.
    """
    from datasette.utils import tilde_encode  # how Datasette spells names in its URLs

    paths = {f"/{tilde_encode(db_name)}/{tilde_encode(table)}{ext}": cols
             for table, cols in hidden.items() for ext in ("", ".json", ".csv")}

    async def wrapped(scope: dict, receive: Any, send: Any) -> None:
        if scope.get("type") == "http":
            query = scope.get("query_string", b"").decode("latin-1")
            rewritten = _rewrite_query(query, paths.get(scope.get("path", ""), ()))
            if rewritten != query:
                scope = {**scope, "query_string": rewritten.encode("latin-1")}
        await app(scope, receive, send)

    return wrapped


def _rewrite_query(query: str, hidden: Sequence[str]) -> str:
    """The query string with `_search` values folded and `_nocol=` added for `hidden`."""
    pairs = parse_qsl(query, keep_blank_values=True)
    if not pairs and not hidden:
        return query
    keys = {key for key, _ in pairs}
    folded = [(k, fold_query(v) if k.startswith("_search") else v) for k, v in pairs]
    if hidden and not keys & {"_col", "_nocol"}:
        folded += [("_nocol", col) for col in hidden]
    return query if folded == pairs else urlencode(folded)


def build_datasette(db_path: Path, topics: TopicRegistry, *, allow_sql: bool = False) -> Any:
    """A Datasette over `db_path` (mutable, so opened read-only) with our metadata; typed
    SQL only with `allow_sql` (private data reads as NULL even then)."""
    from datasette.app import Datasette

    serveprivate.register()
    return Datasette([str(db_path)], metadata=load_metadata(db_path.stem, topics),
                     settings={**_SETTINGS, "default_allow_sql": allow_sql})


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one. Bound before serving so the URL we
    print is already accepting connections (they wait in the backlog)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        raise
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@contextmanager
def _quiet_exit() -> Iterator[list[int]]:
    """Record SIGINT/SIGTERM instead of dying: one before uvicorn listens stops the start."""
    received: list[int] = []
    previous = {sig: signal.signal(sig, lambda signum, _: received.append(signum))
                for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve_archive(db_path: Path, sock: socket.socket, topics: TopicRegistry, *,
                  log_level: str = "warning", allow_sql: bool = False) -> None:
    """Serve until SIGINT/SIGTERM, then return. `sock` comes from `bind`."""
    import uvicorn

    ds = build_datasette(db_path, topics, allow_sql=allow_sql)
    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(hide_columns(ds.app(), db_path.stem), host=host, port=port,
                            log_level=log_level, lifespan="on", workers=1)
    server = uvicorn.Server(config)

    async def run(stopped: list[int]) -> None:
        await ds.invoke_startup()
        if not stopped:
            await server.serve(sockets=[sock])

    with _quiet_exit() as stopped:
        asyncio.run(run(stopped))
    log.info("datasette on %s:%s stopped", host, port)
