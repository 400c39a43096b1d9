"""A process pool for the CPU work (article extraction, large feeds) that survives its workers.

Extraction in a thread keeps to one core (the GIL); in worker processes it uses them all while
the event loop fetches and judges. A worker that dies (a hostile page crashing lxml, the OOM
killer) breaks a ``ProcessPoolExecutor`` for good: here the pool is replaced and the jobs it
was running are retried once, one at a time; a job that kills its worker twice fails with
:class:`WorkerCrashed` and the run goes on. Workers ignore SIGINT/SIGTERM: the daemon shuts
the pool down itself when it stops (``shutdown`` cancels what is queued, finishes what runs).
Workers come from a forkserver that has imported the extraction code once (never a plain
fork of this process: its threads could hold locks the child would inherit).

Workers also end when the process that owns the pool dies without shutting it down (SIGKILL,
the OOM killer, a crash): a ``ProcessPoolExecutor`` worker never notices its owner's death (it
holds its own job queue's write end) and the forkserver lives as long as its children, so
without this they lingered for ever holding the owner's stdout and stderr open; whoever waited
for those pipes to close (a supervisor, ``communicate()``) hung.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import select
import signal
import threading
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, InvalidStateError, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

__all__ = ["WorkerCrashed", "WorkerPool", "available_cores"]

log = logging.getLogger(__name__)
# what the jobs need, imported once in the forkserver (the parent imports the parsers and
# trafilatura only when it uses them itself)
_PRELOAD = ["bot.pipeline", "bot.sourcekinds", "watchers.extract", "watchers.feeds"]


class WorkerCrashed(RuntimeError):
    """A job's worker process died twice running it."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity, as a container sets it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _start_worker(owner: int) -> None:
    """In each worker: the daemon stops it, not a signal; it ends when ``owner`` is gone."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    threading.Thread(target=_exit_with, args=(owner,), name="owner-watch", daemon=True).start()


def _exit_with(owner: int) -> None:
    try:  # a pidfd turns readable when the process exits (Linux >= 5.3)
        pidfd = os.pidfd_open(owner)
    except ProcessLookupError:  # already gone
        os._exit(1)
    except (AttributeError, OSError):  # no pidfd: ask every second
        while _alive(owner):
            threading.Event().wait(1.0)
        os._exit(1)
    select.select([pidfd], [], [])
    os._exit(1)  # no clean-up to do: the owner, who wanted the results, is dead


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process now: ours is gone
        return False
    return True


Call = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]


class WorkerPool(Executor):
    """``workers`` processes, started on first use; broken pools are replaced.

    The jobs a dead worker took down with it are retried one at a time in a one-worker
    pool: there a job that kills its worker again is alone, and only it fails."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.restarts = 0
        self._ctx = multiprocessing.get_context("forkserver")
        self._ctx.set_forkserver_preload(_PRELOAD)
        self._lock = threading.Lock()
        self._closed = False
        # made by the first job: a run with nothing to extract starts no processes (nor
        # multiprocessing's resource tracker, a process of its own)
        self._pool: ProcessPoolExecutor | None = None
        self._solo: ProcessPoolExecutor | None = None  # for retries, one at a time
        self._retries: deque[tuple[Future[Any], Call]] = deque()
        self._retrying = False

    def _new(self, workers: int) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(workers, mp_context=self._ctx, initializer=_start_worker,
                                   initargs=(os.getpid(),))

    def warm_up(self) -> None:
        """Start the forkserver and a worker now (blocking: call it in a thread)."""
        try:
            self.submit(int).result()
        except Exception as exc:  # noqa: BLE001 - shut down meanwhile; the first job retries
            # shut down meanwhile is normal; anything else is why the first jobs will fail
            (log.debug if self._closed else log.warning)("worker pool not started: %r", exc)

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        outer: Future[Any] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("worker pool shut down")
            pool = self._pool = self._pool or self._new(self.workers)
            try:
                inner = pool.submit(fn, *args, **kwargs)
            except BrokenProcessPool:  # broken by an earlier job: replace it first
                pool = self._replace(pool)
                inner = pool.submit(fn, *args, **kwargs)
        call = (fn, args, kwargs)
        inner.add_done_callback(lambda done: self._done(outer, done, pool, call, retry=False))
        return outer

    def _done(self, outer: Future[Any], inner: Future[Any], pool: ProcessPoolExecutor,
              call: Call, *, retry: bool) -> None:
        exc = None if inner.cancelled() else inner.exception()
        if isinstance(exc, BrokenProcessPool):
            with self._lock:
                self._replace(pool)
            if not retry:
                self._queue_retry(outer, call)
                return
            name = getattr(call[0], "__name__", "a job")
            exc = WorkerCrashed(f"a worker process died running {name}")
        try:
            if inner.cancelled():
                outer.cancel()
            elif exc is not None:
                outer.set_exception(exc)
            else:
                outer.set_result(inner.result())
        except InvalidStateError:  # the caller cancelled it meanwhile
            pass
        if retry:
            self._next_retry()

    def _queue_retry(self, outer: Future[Any], call: Call) -> None:
        with self._lock:
            self._retries.append((outer, call))
            if self._retrying:
                return
            self._retrying = True
        self._next_retry()

    def _next_retry(self) -> None:
        with self._lock:
            while self._retries and self._retries[0][0].cancelled():
                self._retries.popleft()
            if not self._retries or self._closed:
                for outer, _ in self._retries:
                    with contextlib.suppress(InvalidStateError):  # cancelled meanwhile
                        outer.set_exception(RuntimeError("worker pool shut down"))
                self._retries.clear()
                self._retrying = False
                return
            outer, call = self._retries.popleft()
            self._solo = self._solo or self._new(1)
            solo = self._solo
            inner = solo.submit(call[0], *call[1], **call[2])
        inner.add_done_callback(lambda done: self._done(outer, done, solo, call, retry=True))

    def _replace(self, broken: ProcessPoolExecutor) -> ProcessPoolExecutor:
        """A fresh pool for a broken one (once, however many of its jobs report it)."""
        if broken is self._solo:
            broken.shutdown(wait=False, cancel_futures=True)
            self._solo = None
        elif broken is self._pool:
            broken.shutdown(wait=False, cancel_futures=True)
            self._pool = self._new(self.workers)
            self.restarts += 1
            log.warning("a worker process died; worker pool restarted (%d so far)",
                        self.restarts)
        if self._pool is None:  # only a retry broke: the main pool exists then, but be sure
            self._pool = self._new(self.workers)
        return self._pool

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._closed = True
            pools = [p for p in (self._pool, self._solo) if p is not None]
        for pool in pools:
            pool.shutdown(wait=wait, cancel_futures=cancel_futures)
