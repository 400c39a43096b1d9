"""`tanfwatch status` for an operator: plain nested JSON, seeds counted apart, delivery paused
and why; `--check` on a stale scheduler and a stuck outbox; and one count of relevant articles
that status, export, report and stories agree on."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

from bot.reports.health import outbox_problem, scheduler_problem
from storage.archive import Archive, ArticleRecord
from tests.conftest import bot_env, run_cli
from tests.test_health import dead_url, env_for, live_feed
from tests.test_telegram_down import feed_config

CHAT = "-1001234567890"


def status_json(env: dict[str, str]) -> dict:
    result = run_cli(["status", "--json"], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_fresh_archive_has_no_articles_the_seeds_apart_and_plain_nested_json(tmp_path):
    env = env_for(tmp_path, dead_url())
    assert run_cli(["run", "--once"], env).returncode == 3
    status = status_json(env)
    assert status["articles"] == {"total": 0, "relevant": 0, "copies": 0, "seeds": 5}
    assert status["sources"]["configured"] == 1 and status["sources"]["failing"] == 1
    assert status["sources"]["last_poll"] is not None
    assert status["outbox"]["pending"] == 0 and status["archive"]["size_bytes"] > 0
    assert status["healthy"] is False and status["problems"] == [
        "every source is failing (1 of 1)"]
    text = run_cli(["status"], env).stdout
    assert "articles:   0 (0 relevant, 0 copies; seeds: 5)" in text


def test_status_after_a_run_counts_the_alert_sent_and_when(tmp_path, site):
    env = env_for(tmp_path, live_feed(site))
    assert run_cli(["run", "--once"], env).returncode == 0
    status = status_json(env)
    assert status["articles"]["total"] == status["articles"]["relevant"] == 1
    assert status["outbox"] | {"oldest_pending": None} == {
        "pending": 0, "sent": 1, "failed": 0, "parked": 0, "muted": 0, "oldest_pending": None}
    assert status["last_alert"] is not None and status["healthy"] is True
    assert status["delivery"] == {"to": "console (no token)", "paused": False, "why": []}


def test_status_says_delivery_is_paused_while_telegram_is_unreachable(tmp_path, site,
                                                                      fake_telegram):
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=tmp_path / "a.db",
                  chat=CHAT)
    fake_telegram.outage(True)
    assert run_cli(["run", "--once"], env).returncode == 0
    delivery = status_json(env)["delivery"]
    assert delivery["to"] == f"Telegram chat {CHAT}" and delivery["paused"] is True
    assert delivery["why"] == ["Telegram unreachable: NetworkError: Bad Gateway"]
    fake_telegram.outage(False)
    assert run_cli(["run", "--once"], env).returncode == 0
    status = status_json(env)
    assert status["delivery"]["paused"] is False and status["outbox"]["sent"] == 1
    assert fake_telegram.token not in json.dumps(status)


def test_status_says_why_delivery_is_paused_by_an_admin_or_a_gone_chat(tmp_path):
    db = tmp_path / "a.db"
    archive = Archive.open(db)
    archive.chats.set_paused(True)
    archive.chats.mark_gone("-100777", "bot was kicked", now=datetime.now(UTC))
    archive.close()
    env = env_for(tmp_path, dead_url())
    delivery = status_json(env)["delivery"]
    assert delivery["paused"] is True and delivery["why"] == [
        "paused by an admin (/resume)", "chats gone: -100777"]


def age(db, sql: str, delta: timedelta) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, [(datetime.now(UTC) - delta).isoformat(timespec="seconds")])


def test_check_fails_when_the_scheduler_is_stale(tmp_path, site):
    env = env_for(tmp_path, live_feed(site))
    assert run_cli(["run", "--once"], env).returncode == 0
    assert run_cli(["status", "--check"], env).returncode == 0
    # the only source (every 600 s) was last polled 31 minutes ago: over 3 intervals
    age(tmp_path / "a.db", "update sources set last_checked = ?", timedelta(minutes=31))
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 1
    assert check.stderr.startswith("scheduler stale: no poll since ")
    assert "(over 3 x 600 s)" in check.stderr and len(check.stderr.splitlines()) == 1


def test_check_fails_when_an_alert_is_pending_for_over_an_hour(tmp_path, site):
    env = env_for(tmp_path, live_feed(site))
    assert run_cli(["run", "--once"], env).returncode == 0
    age(tmp_path / "a.db", "update outbox set status = 'pending', created_at = ?",
        timedelta(minutes=61))
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 1
    assert check.stderr.startswith("outbox stuck: an alert pending for 61 min; archive ")
    assert status_json(env)["problems"] == ["outbox stuck: an alert pending for 61 min"]


def test_staleness_and_stuckness_edges():
    now = datetime(2026, 12, 1, 12, tzinfo=UTC)
    assert scheduler_problem(None, 600, now) is None  # never polled yet: starting
    assert scheduler_problem(now - timedelta(seconds=1800), 600, now) is None  # 3 intervals
    assert scheduler_problem(now - timedelta(seconds=1801), 600, now) is not None
    assert scheduler_problem(now - timedelta(days=9), None, now) is None  # no sources
    assert outbox_problem(now - timedelta(hours=1), now, paused=False) is None
    assert outbox_problem(now - timedelta(hours=2), now, paused=False) is not None
    assert outbox_problem(now - timedelta(hours=2), now, paused=True) is None  # /pause


def build_mixed(path) -> None:
    """Relevant reports, a relevant copy, an irrelevant one and a relevant seed, in stories."""
    archive = Archive.open(path)
    rows = [("r1", True, None, "s1", "feed"), ("r2", True, "r1", "s1", "feed"),
            ("r3", True, None, "s2", "feed"), ("x1", False, None, "s3", "feed"),
            ("seed-a", True, None, "s4", "seed")]
    for aid, relevant, copy_of, story, origin in rows:
        archive.add_article(ArticleRecord(
            id=aid, title=f"Report {aid}", text=f"A report {aid} on the garrison at al-Tanf.",
            published="2026-11-02T09:00:00+00:00", fetched_at="2026-11-02T10:00:00+00:00",
            relevant=relevant, duplicate_of=copy_of, story=story, origin=origin,
            topics=("al-tanf",), language="en", outlet="Desert Courier"))
    archive.close()


def test_status_export_report_and_stories_count_the_same_relevant_articles(tmp_path):
    env = env_for(tmp_path, dead_url())
    build_mixed(tmp_path / "a.db")
    counted = status_json(env)["articles"]
    exported = json.loads(run_cli(["export", "--format", "json", "--no-text"], env).stdout)
    report = run_cli(["report"], env).stdout
    stories = json.loads(run_cli(["stories", "--all", "--format", "json"], env).stdout)
    relevant_stories = json.loads(run_cli(["stories", "--format", "json"], env).stdout)
    assert counted["relevant"] == 2 and counted["copies"] == 1  # r1, r3; r2 is r1's copy
    assert sorted(r["id"] for r in exported) == ["r1", "r3"]
    assert report.startswith("2 relevant reports")
    assert sum(s["relevant"] for s in stories) == 2
    assert sorted(s["id"] for s in relevant_stories) == ["s1", "s2"]
    with_copies = run_cli(["export", "--format", "json", "--no-text", "--include-duplicates"],
                          env)
    assert len(json.loads(with_copies.stdout)) == counted["relevant"] + counted["copies"]
