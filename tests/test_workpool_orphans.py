"""A daemon that dies without shutting its pool down (SIGKILL, the OOM killer) takes its
workers with it: none lingers holding the dead daemon's stderr open, so whoever waits for that
pipe to close (a supervisor, the container smoke's ``communicate()``) is not hung."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests.conftest import ROOT
from tests.processes import alive, children

OWNER = """
import sys, threading
from bot.workpool import WorkerPool
pool = WorkerPool(2)
assert pool.submit(int, "7").result() == 7
print("ready", flush=True)
threading.Event().wait()
"""


def test_workers_end_with_a_daemon_killed_without_shutting_them_down():
    proc = subprocess.Popen([sys.executable, "-c", OWNER], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    helpers: set[int] = set()
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        helpers = children(proc.pid)  # the forkserver and the resource tracker
        workers = {w for child in helpers for w in children(child)}
        assert workers
        proc.send_signal(signal.SIGKILL)
        # EOF on the pipes once every process holding them has ended (a guard, not a timing)
        proc.communicate(timeout=30)
    finally:
        for pid in (helpers | {w for c in helpers for w in children(c)}) - {proc.pid}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not [pid for pid in workers | helpers if alive(pid)]
