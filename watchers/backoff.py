"""Exponential back-off with jitter for failing sources (pure: the caller passes the RNG)."""

from __future__ import annotations

import random

__all__ = ["MAX_RETRY_AFTER", "next_delay"]

MAX_RETRY_AFTER = 7 * 86400.0  # a Retry-After beyond a week is a misconfigured server


def next_delay(
    failures: int,
    *,
    base: float,
    cap: float,
    retry_after: float | None = None,
    rng: random.Random,
) -> float:
    """Seconds to wait before the next attempt after ``failures`` consecutive failures.

    The delay doubles with each failure from ``base`` up to ``cap``, then "equal jitter"
    spreads it over [half, full] so failing sources do not retry in lockstep. A server's
    ``Retry-After`` is a floor: it is honoured even above ``cap`` (within a week).
    """
    if failures <= 0:
        delay = 0.0
    else:
        ceiling = min(cap, base * 2.0 ** min(failures - 1, 60))
        delay = ceiling / 2 + rng.uniform(0, ceiling / 2)
    if retry_after is not None and retry_after > 0:
        delay = max(delay, min(retry_after, MAX_RETRY_AFTER))
    return delay
