"""kill -9 of the daemon at 5 moments of a busy run (benchmarks/crash_daemon.py, small):
every relevant article alerted, doubles only in the documented window, nothing pending."""

from __future__ import annotations

from benchmarks.crash_daemon import progress, run


def test_five_sigkills_of_a_busy_daemon_lose_nothing(tmp_path):
    # kill moments: right after a random number of feed/page requests or of sends
    figures = run(tmp_path, kills=5, feeds=3, entries=30, waves=3, seed=7, settle=60,
                  moment=progress)
    assert figures.kills == 5
    assert figures.relevant > 10 and figures.missing == [], figures.lines()
    assert figures.false_alerts == 0
    # a double needs a kill after Telegram accepted, before the "sent" commit
    assert figures.unexplained == {}, figures.lines()
    assert figures.outbox.get("pending", 0) == 0 and figures.outbox["sent"] == figures.relevant
    assert figures.integrity == "ok"
    assert "Traceback" not in (tmp_path / "daemon.log").read_text()
