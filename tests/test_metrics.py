"""Prometheus metrics (`run --metrics-port`), scraped over HTTP from a real endpoint after a
real poll of a loopback feed and a delivery to the fake Bot API; and prompt delivery: the
daemon sends an alert as soon as a poll queues it, not at its delivery job's interval."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import run_once
from bot.daemon import run_daemon
from bot.metrics import Metrics, outbox_pending, serve_metrics
from bot.settings import load_settings
from tests.articles import TANF_DRONE
from tests.conftest import article_html, bot_env, rss, run_cli

CHAT = "-1001234567890"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def config(tmp_path: Path, site, *, broken: bool = True) -> Path:
    link = site.add("news/tanf.html", article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    feed = site.add("feed.xml", rss([{"title": TANF_DRONE["title"], "link": link,
                                      "published": datetime.now(UTC) - timedelta(hours=1),
                                      "summary": TANF_DRONE["paragraphs"][0]}]),
                    content_type="application/rss+xml")
    path = tmp_path / "tanfwatch.toml"
    text = f'[[sources]]\nname = "news"\nurl = "{feed}"\n'
    if broken:
        text += f'[[sources]]\nname = "down"\nurl = "{site.url_for("/_fault/status/503")}"\n'
    path.write_text(text)
    return path


async def scrape(port: int) -> dict[str, float]:
    """name{labels} -> value, as a Prometheus server reads them."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    assert response.status_code == 200
    values = {}
    for family in text_string_to_metric_families(response.text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            values[f"{s.name}{{{labels}}}" if labels else s.name] = s.value
    return values


async def test_the_endpoint_counts_fetches_errors_judgements_alerts_and_times(
        tmp_path, site, fake_telegram):
    db = tmp_path / "a.db"
    settings = load_settings(env=bot_env(fake_telegram, config=config(tmp_path, site), db=db,
                                         chat=CHAT))
    metrics = Metrics()
    metrics.queue_length(outbox_pending(db))
    with serve_metrics(metrics, free_port()) as port:
        reports, delivery = await run_once(settings, metrics=metrics)
        got = await scrape(port)
    assert delivery.sent == 1 and len(fake_telegram.messages(CHAT)) == 1
    assert got["tanfwatch_fetches_total{kind=feed}"] == 2
    assert got["tanfwatch_errors_total{kind=fetch}"] == 1  # the 503 source
    assert got["tanfwatch_articles_judged_total{relevant=true}"] == 1
    assert got["tanfwatch_alerts_queued_total"] == 1
    assert got["tanfwatch_alerts_sent_total"] == 1
    assert got["tanfwatch_alerts_failed_total"] == 0
    assert got["tanfwatch_outbox_pending"] == 0  # read at scrape time, after delivery
    assert got["tanfwatch_extraction_seconds_count"] == 1
    assert got["tanfwatch_matching_seconds_count"] == 1
    assert got["tanfwatch_matching_seconds_sum"] > 0


async def test_the_queue_length_is_read_when_scraped_and_registries_do_not_collide(tmp_path):
    from storage.archive import Archive

    db = tmp_path / "a.db"
    archive = Archive.open(db)
    archive.db["articles"].insert({"id": "x", "text": "t"})
    archive.outbox.enqueue("x", "1")
    first, second = Metrics(), Metrics()  # two runtimes in one process: each its own registry
    first.queue_length(outbox_pending(db))
    second.queue_length(outbox_pending(tmp_path / "none.db"))
    with serve_metrics(first, free_port()) as one, serve_metrics(second, free_port()) as two:
        assert (await scrape(one))["tanfwatch_outbox_pending"] == 1
        archive.outbox.mark_failed(1, "test")
        assert (await scrape(one))["tanfwatch_outbox_pending"] == 0
        unreadable = (await scrape(two))["tanfwatch_outbox_pending"]
    archive.close()
    assert unreadable != unreadable  # NaN: unknown, never a misleading 0


def test_a_taken_metrics_port_is_one_line_and_once_refuses_it(tmp_path, site):
    env = {"TANFWATCH_CONFIG": str(config(tmp_path, site)), "TANFWATCH_DB": str(tmp_path / "a.db")}
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli(["run", "--metrics-port", str(port)], env, timeout=60)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"Error: metrics endpoint 127.0.0.1:{port}: ")
    once = run_cli(["run", "--once", "--metrics-port", "9"], env)
    assert once.returncode == 2 and "--metrics-port is for the daemon" in once.stderr


class _Console:
    """The console sender's stdout: tells the test when an alert was printed."""

    def __init__(self) -> None:
        self.text = ""
        self.alert = asyncio.Event()

    def write(self, text: str) -> int:
        self.text += text
        if TANF_DRONE["title"] in text:
            self.alert.set()
        return len(text)

    def flush(self) -> None:
        pass


async def test_the_daemon_delivers_an_alert_as_soon_as_a_poll_queues_it(
        tmp_path, site, monkeypatch):
    db = tmp_path / "a.db"
    env = {"TANFWATCH_CONFIG": str(config(tmp_path, site, broken=False)), "TANFWATCH_DB": str(db)}
    settings = load_settings(env=env)  # no token: alerts go to the console
    console = _Console()
    monkeypatch.setattr(sys, "stdout", console)
    stop, port = asyncio.Event(), free_port()
    # The delivery job's own interval is an hour, and its first run is at the start, before
    # the poll has queued anything: only the wake can deliver within the test.
    daemon = asyncio.create_task(run_daemon(settings, stop=stop, deliver_every=3600,
                                            metrics_port=port))
    try:
        await asyncio.wait_for(console.alert.wait(), 60)
        got = await scrape(port)
    finally:
        stop.set()
        await asyncio.wait_for(daemon, 30)
    assert got["tanfwatch_alerts_queued_total"] == 1
    with sqlite3.connect(db) as conn:
        assert conn.execute("select status, attempts from outbox").fetchall() == [("sent", 1)]
    assert console.text.count("-" * 72 + "\n") == 1  # one alert, printed once


@pytest.mark.parametrize("running", [False, True])
async def test_a_wake_runs_the_deliver_job_now_or_once_more_if_it_is_running(running):
    from apscheduler.schedulers.asyncio import AsyncIOScheduler

    from bot.wake import DeliveryWake

    scheduler = AsyncIOScheduler(timezone=UTC)
    wake = DeliveryWake(scheduler, lambda: datetime.now(UTC))
    runs: list[int] = []
    done = asyncio.Event()

    async def deliver() -> None:
        runs.append(len(runs))
        if running and len(runs) == 1:
            wake()  # an alert queued while this delivery runs
        if len(runs) == 2 or not running:
            done.set()

    far = datetime.now(UTC) + timedelta(hours=1)
    scheduler.add_job(wake.run, "interval", args=[deliver], id="deliver", hours=1,
                      next_run_time=far, max_instances=1, coalesce=True, misfire_grace_time=None)
    scheduler.start()
    try:
        wake()
        await asyncio.wait_for(done.wait(), 30)
        next_run = scheduler.get_job("deliver").next_run_time
    finally:
        scheduler.shutdown(wait=False)
    assert runs == ([0, 1] if running else [0])
    assert wake.wakes == 1 and next_run > datetime.now(UTC) + timedelta(minutes=30)
