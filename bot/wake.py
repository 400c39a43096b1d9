"""Prompt delivery: the daemon's deliver job runs as soon as a poll queues alerts.

The interval job stays (retries, digests, alerts left from a previous run); a wake only moves
its next run to now. It still never overlaps itself (max_instances=1), and `deliver` paces
each chat as Telegram asks, so a burst of alerts is as rate-limited as before. An alert queued
while the job runs makes it go round once more instead of waiting for the next interval.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.base import BaseScheduler

__all__ = ["DeliveryWake"]

log = logging.getLogger(__name__)


class DeliveryWake:
    def __init__(self, scheduler: BaseScheduler, clock: Callable[[], datetime],
                 job_id: str = "deliver") -> None:
        self.scheduler = scheduler
        self.clock = clock
        self.job_id = job_id
        self.running = False
        self.again = False
        self.wakes = 0  # how many times queued alerts moved the job to now

    def __call__(self) -> None:
        """Alerts were queued (and committed): deliver now."""
        if self.running:
            self.again = True
            return
        self.wakes += 1
        with contextlib.suppress(JobLookupError):  # shutting down: sent at the next start
            self.scheduler.modify_job(self.job_id, next_run_time=self.clock())

    async def run(self, deliver: Callable[[], Awaitable[object]]) -> None:
        """The job's body: deliver, and again while alerts were queued meanwhile."""
        self.running = True
        try:
            while True:
                self.again = False
                await deliver()
                if not self.again:
                    return
                log.debug("alerts queued during delivery: delivering again")
        finally:
            self.running = False
