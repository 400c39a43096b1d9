"""How the CLI logs: a level, text or JSON lines on stderr, the token masked on every handler.

A JSON line holds ts (UTC), level, logger and message, plus `source` and `article` when the
call passed them (``log.info(..., extra={"source": name, "article": aid})``), and `exc` for a
traceback. The redaction filter (bot/redact.py) runs on the record before either formatter
sees it, so the JSON handler never holds the token either.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.settings import Settings

__all__ = ["FORMATS", "IDS", "LEVELS", "JsonFormatter", "level_for", "setup_logging",
           "startup_line"]

LEVELS = ("debug", "info", "warning", "error")
FORMATS = ("text", "json")
IDS = ("source", "article", "chat", "alert")  # `extra` keys a JSON line carries when present
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# APScheduler logs "Running job ..." / "executed successfully" for every job, every 10 s.
QUIET = ("apscheduler",)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (JSON Lines)."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in IDS:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exc"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


def level_for(level: str | None, verbose: int, quiet: bool, *, default: str) -> int:
    """--log-level wins; else -q (errors only), -v (info), -vv (debug); else ``default``."""
    if level is None:
        level = ("error" if quiet else "debug" if verbose > 1 else "info" if verbose
                 else default)
    return logging.getLevelNamesMapping()[level.upper()]


def quiet_http_loggers() -> None:
    # httpx logs every request URL at INFO, and Bot API URLs contain the token.
    for name in ("httpx", "httpcore", "telegram.request", "telegram.ext.Updater"):
        logging.getLogger(name).setLevel(logging.WARNING)


def setup_logging(level: int, fmt: str = "text") -> None:
    """Log to stderr at ``level`` as ``fmt`` ("text" or "json"); replaces earlier handlers."""
    from bot.redact import current

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(TEXT_FORMAT))
    redactor = current()
    if redactor is not None:  # installed already: this handler gets it too
        handler.addFilter(redactor)
    logging.basicConfig(level=level, handlers=[handler], force=True)
    quiet_http_loggers()
    for name in QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))


def startup_line(settings: Settings, *, once: bool, version: str) -> str:
    """What `run` says first: version, config, sources, archive, where alerts go (no token)."""
    config = settings.config_path or "built-in default"
    enabled = sum(1 for s in settings.sources if s.enabled)
    if settings.token is None:
        target = "console (no token)"
    else:
        target = f"chat {settings.chat_id or '(none set)'}"
    mode = "run --once" if once else "daemon"
    return (f"tanfwatch {version} starting ({mode}): config {config}; {enabled} sources "
            f"({len(settings.sources)} configured); archive {settings.db_path}; "
            f"alerts to {target}")
