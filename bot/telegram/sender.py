"""The sending seam of delivery: the `Sender` protocol, the outcomes it raises (retry later,
chat gone, rejected), the retry policy, the report of one delivery run, and the
console sender used when no token is set."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TextIO

__all__ = ["ChatGone", "ConsoleSender", "DeliveryReport", "Rejected", "RetryLater", "RetryPolicy",
           "Sender", "TokenRejected"]


class RetryLater(Exception):
    """Try again later: after `delay` seconds (Retry-After), or by back-off when it is None.

    `maybe_sent`: the request reached Telegram but its answer was lost (a read timeout, the
    connection dropped while waiting): Telegram may have accepted it, and sending again may
    double it. It is still sent again (an alert is never dropped on a guess), and counted."""

    def __init__(self, delay: float | None, reason: str, *, maybe_sent: bool = False) -> None:
        super().__init__(reason)
        self.delay = delay
        self.maybe_sent = maybe_sent


class ChatGone(Exception):
    """The bot was blocked, kicked or the chat does not exist: stop sending there."""


class Rejected(Exception):
    """Telegram refused this message for good (not the chat)."""


class Sender(Protocol):
    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None,
                   feedback: str | None = None) -> int | None: ...


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    digests: int = 0
    muted: int = 0
    paused: bool = False
    uncertain: int = 0  # answers lost after sending: these alerts may arrive twice


@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait. A Retry-After up to `max_wait` is slept out in place (the daemon
    gives minutes, `run --once` a few seconds); longer ones, and network errors (back-off
    `base * 2**attempts`, capped), are recorded as the alert's next attempt."""

    max_wait: float = 0.0
    backoff_base: float = 15.0
    backoff_cap: float = 900.0
    max_sleeps: int = 5  # Retry-Afters slept out per chat and run, then defer
    # how long one run retries writing what Telegram accepted (another writer holds the
    # database, a full disk) before it stops; the accepted alerts are never sent again
    write_patience: float = 600.0
    reprobe_every: timedelta = timedelta(hours=6)  # a gone chat is tried again this often

    def backoff(self, attempts: int) -> float:
        return min(self.backoff_cap, self.backoff_base * 2 ** min(attempts, 20))


class ConsoleSender:
    """No token: alerts go to stdout, so the tool is usable before Telegram is set up."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    async def send(self, chat_id: str, html: str, plain: str, *, reply_to: int | None,
                   feedback: str | None = None) -> None:
        self.out.write(plain.rstrip() + "\n" + "-" * 72 + "\n")
        self.out.flush()
        return None


class TokenRejected(Exception):
    """Telegram refused the bot token (getMe answered 401/404): the configuration is wrong."""
