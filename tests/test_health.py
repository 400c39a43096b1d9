"""`tanfwatch status --check`, the container's HEALTHCHECK, over real runs and archives."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

from bot.reports.health import sources_problem
from tests.articles import TANF_DRONE
from tests.conftest import article_html, rss, run_cli
from tests.test_end_to_end import write_config


def dead_url() -> str:
    """A loopback URL nobody listens on: connections are refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/feed.xml"


def live_feed(site) -> str:
    link = site.add("news/tanf.html", article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    item = {"title": TANF_DRONE["title"], "link": link, "published": datetime.now(UTC),
            "summary": TANF_DRONE["paragraphs"][0]}
    return site.add("feed.xml", rss([item]), content_type="application/rss+xml")


def env_for(tmp_path, feed_url: str) -> dict[str, str]:
    return {"TANFWATCH_CONFIG": str(write_config(tmp_path, feed_url)),
            "TANFWATCH_DB": str(tmp_path / "a.db")}


def test_healthy_after_a_run_with_a_working_source(tmp_path, site):
    env = env_for(tmp_path, live_feed(site))
    assert run_cli(["run", "--once"], env).returncode == 0
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith("ok: archive") and "1 ok" in check.stdout


def test_unhealthy_when_every_source_failed(tmp_path):
    env = env_for(tmp_path, dead_url())
    run_cli(["run", "--once"], env)
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 1
    assert check.stderr.strip().splitlines() == [
        f"every source is failing (1 of 1); archive {tmp_path / 'a.db'}"]


def test_unhealthy_without_an_archive_and_does_not_create_one(tmp_path):
    env = env_for(tmp_path, dead_url())
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 1
    assert check.stderr.strip() == f"no archive at {tmp_path / 'a.db'}"
    assert not (tmp_path / "a.db").exists()


def test_unhealthy_when_the_archive_cannot_be_opened(tmp_path):
    env = env_for(tmp_path, dead_url())
    (tmp_path / "a.db").write_bytes(b"not a database, " * 64)
    check = run_cli(["status", "--check"], env)
    assert check.returncode == 1
    lines = check.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"cannot open the archive {tmp_path / 'a.db'}")
    assert "Traceback" not in check.stderr


def test_sources_problem_counts_error_and_disabled_as_failing():
    assert sources_problem({}) is None  # nothing configured yet is not a failure
    assert sources_problem({"new": 3}) is None
    assert sources_problem({"ok": 1, "error": 9}) is None
    assert sources_problem({"error": 2, "disabled": 1}) == "every source is failing (3 of 3)"
