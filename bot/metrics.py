"""Prometheus metrics: one `Metrics` per runtime, over its own `CollectorRegistry`.

Nothing is registered at import time (prometheus-client's default registry is a module-level
global: two runtimes in one test process would collide). `serve_metrics` exposes a registry
over HTTP (`tanfwatch run --metrics-port`), bound to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, start_http_server

__all__ = ["Metrics", "error_kind", "outbox_pending", "serve_metrics"]

log = logging.getLogger(__name__)
# Extraction is ~20 ms a page, matching ~1 ms an article: buckets from 1 ms to 10 s.
_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0)


class Metrics:
    """The daemon's counters and histograms, registered on ``registry`` (a fresh one if None)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = registry or CollectorRegistry()
        self.fetches = Counter("tanfwatch_fetches", "Source polls, by source kind", ["kind"],
                               registry=r)
        self.errors = Counter("tanfwatch_errors", "Failed polls, by error kind (fetch, parse, "
                              "blocked, storage, internal)", ["kind"], registry=r)
        self.judged = Counter("tanfwatch_articles_judged", "Articles judged", ["relevant"],
                              registry=r)
        self.queued = Counter("tanfwatch_alerts_queued", "Alerts put in the outbox", registry=r)
        self.sent = Counter("tanfwatch_alerts_sent", "Alerts Telegram accepted", registry=r)
        self.failed = Counter("tanfwatch_alerts_failed", "Alerts given up on", registry=r)
        self.extraction = Histogram("tanfwatch_extraction_seconds", "Article extraction time",
                                    buckets=_BUCKETS, registry=r)
        self.matching = Histogram("tanfwatch_matching_seconds", "Judging time of one article",
                                  buckets=_BUCKETS, registry=r)

    def queue_length(self, read: Callable[[], float]) -> None:
        """The outbox's pending alerts as a gauge, read when scraped (never stale)."""
        Gauge("tanfwatch_outbox_pending", "Alerts waiting in the outbox",
              registry=self.registry).set_function(read)


def error_kind(exc: BaseException) -> str:
    """A short label for a failed poll: the watcher error's class, storage or internal."""
    from watchers.errors import WatchError

    if isinstance(exc, sqlite3.Error):
        return "storage"
    if isinstance(exc, WatchError):
        return type(exc).__name__.removesuffix("Error").lower() or "watch"
    return "internal"


def outbox_pending(db_path: Path) -> Callable[[], float]:
    """Counts pending alerts on a read-only connection of its own: a scrape comes on the HTTP
    server's thread, and must never use the daemon's connection mid-transaction."""
    def read() -> float:
        try:
            with contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True,
                                                    timeout=1.0)) as conn:
                sql = "select count(*) from outbox where status = 'pending'"
                return float(conn.execute(sql).fetchone()[0])
        except sqlite3.Error as exc:  # NaN: "unknown", not a misleading 0
            log.warning("metrics: outbox not readable: %s", exc)
            return math.nan
    return read


@contextlib.contextmanager
def serve_metrics(metrics: Metrics, port: int, host: str = "127.0.0.1") -> Iterator[int]:
    """Serve /metrics on host:port while in the block; yields the bound port."""
    try:
        server, thread = start_http_server(port, addr=host, registry=metrics.registry)
    except OSError as exc:
        raise OSError(f"metrics endpoint {host}:{port}: {exc.strerror or exc}") from None
    log.info("metrics on http://%s:%d/metrics", host, server.server_port)
    try:
        yield server.server_port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
