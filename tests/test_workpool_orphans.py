"""A daemon that dies without shutting its pool down (SIGKILL, the OOM killer) takes its
workers with it: none lingers holding the dead daemon's stderr open, so whoever waits for that
pipe to close (a supervisor, the container smoke's ``communicate()``) is not hung."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

OWNER = """
import sys, threading
from bot.workpool import WorkerPool
pool = WorkerPool(2)
assert pool.submit(int, "7").result() == 7
print("ready", flush=True)
threading.Event().wait()
"""


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_workers_end_with_a_daemon_killed_without_shutting_them_down():
    proc = subprocess.Popen([sys.executable, "-c", OWNER], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    helpers: set[int] = set()
    try:
        assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
        helpers = _children(proc.pid)  # the forkserver and the resource tracker
        workers = {w for child in helpers for w in _children(child)}
        assert workers
        proc.send_signal(signal.SIGKILL)
        # EOF on the pipes once every process holding them has ended (a guard, not a timing)
        proc.communicate(timeout=30)
    finally:
        for pid in (helpers | {w for c in helpers for w in _children(c)}) - {proc.pid}:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert not [pid for pid in workers | helpers if _alive(pid)]
