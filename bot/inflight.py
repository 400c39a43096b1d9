"""The delivery run in flight, kept whole across a shutdown.

APScheduler cancels a running job when the daemon stops. Cancelled mid-send, an alert Telegram
accepted is never recorded as sent and goes out again at the next start. So the delivery job
runs its work in a task of its own, shielded from that cancellation; at shutdown `settle` lets
it finish the message in flight (delivery checks `stopping` between messages) and record it,
for up to a grace period.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ["InFlight"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class InFlight(Generic[T]):
    def __init__(self) -> None:
        self.stopping = False  # shutdown: no new run, and the current one ends early
        self._task: asyncio.Task[T] | None = None

    async def run(self, work: Callable[[], Awaitable[T]]) -> T:
        """Run `work`, or join the run already going; a cancelled caller leaves it running
        (CancelledError is raised to the caller only)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(work())
        return await asyncio.shield(self._task)

    async def settle(self, grace: float) -> None:
        """Stop: wait up to `grace` s for the run in flight, then cut it."""
        self.stopping = True
        task = self._task
        if task is None or task.done():
            return
        log.info("stopping: waiting for the alert being sent to be recorded")
        done, _ = await asyncio.wait({task}, timeout=grace)
        if not done:
            log.warning("stopping: Telegram did not answer in %.0f s; that alert may be sent "
                        "again at the next start", grace)
            task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("stopping: the last delivery run failed")
