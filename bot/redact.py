"""Keep secrets (the bot token) out of every log line, traceback and uncaught-exception report.

One `Redactor` filter rewrites each record: the message with its args merged, the formatted
traceback (exc_info) and stack. It is put on every handler that exists when `install` runs and,
through the log-record factory, applied to every record made later, so a handler added afterwards
(uvicorn's, a library's) never sees the token either. PTB itself logs "Set Bot API URL:
…/bot<token>" at debug and puts the token into its InvalidToken message.
"""

from __future__ import annotations

import logging
import sys
import threading
import traceback
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any
from urllib.parse import quote

__all__ = ["MASK", "Redactor", "current", "install"]

MASK = "<token>"
_formatter = logging.Formatter()


class Redactor(logging.Filter):
    """A filter that never drops a record, only masks the secrets in it."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: tuple[str, ...] = ()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        forms = {form for s in secrets if s for form in (s, quote(s, safe=""))}
        # longest first: a secret containing another is masked whole
        self.secrets = tuple(sorted(set(self.secrets) | forms, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets or getattr(record, "_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what logging would show
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.scrub(message), None
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = _formatter.formatException(record.exc_info)
        record.exc_info = None  # the text is kept (scrubbed below); the objects hold the token
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)
        record._redacted = True
        return True


def install(secrets: Iterable[str]) -> Redactor:
    """Mask `secrets` in all logging from now on, and in uncaught exceptions' tracebacks."""
    redactor = _current() or Redactor()
    redactor.add(secrets)
    for handler in _handlers():
        if redactor not in handler.filters:
            handler.addFilter(redactor)
    if _current() is None:
        logging.setLogRecordFactory(_factory(logging.getLogRecordFactory(), redactor))
        sys.excepthook = _excepthook(redactor)
        threading.excepthook = _thread_hook(redactor)
    return redactor


def current() -> Redactor | None:
    """The installed redactor, for a handler made after `install` (bot/logsetup.py)."""
    return _current()


def _current() -> Redactor | None:
    return getattr(logging.getLogRecordFactory(), "redactor", None)


def _handlers() -> list[logging.Handler]:
    loggers: list[Any] = [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
    return [h for lg in loggers for h in getattr(lg, "handlers", ())]


def _factory(make: Callable[..., logging.LogRecord],
             redactor: Redactor) -> Callable[..., logging.LogRecord]:
    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        redactor.filter(record)
        return record

    factory.redactor = redactor  # type: ignore[attr-defined]
    return factory


def _excepthook(redactor: Redactor) -> Callable[..., None]:
    def hook(kind: type[BaseException], value: BaseException,
             tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        sys.stderr.write(redactor.scrub(text))

    return hook


def _thread_hook(redactor: Redactor) -> Callable[[Any], None]:
    def hook(args: Any) -> None:
        if args.exc_type is SystemExit:  # as threading's own hook does
            return
        text = "".join(traceback.format_exception(args.exc_type, args.exc_value,
                                                  args.exc_traceback))
        name = args.thread.name if args.thread is not None else "?"
        sys.stderr.write(redactor.scrub(f"Exception in thread {name}:\n{text}"))

    return hook
