"""Telegram is never needed to watch: a rejected token is one clean line that never shows the
token, and while the Bot API is down (connection refused, 5xx) articles are archived and
alerts queued, then delivered once when it is back (`run --once` and the daemon)."""

from __future__ import annotations

import asyncio
import io
import logging
import socket
import sqlite3
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.redact import MASK, install
from tests.articles import TANF_DRONE
from tests.conftest import article_html, bot_env, rss, run_cli

CHAT = "-1001234567890"
WRONG_TOKEN = "987654321:AAWrongTokenTheFakeRejects_abcdefghij"


def feed_config(tmp_path: Path, site) -> Path:
    link = site.add("news/tanf.html", article_html(TANF_DRONE["title"], TANF_DRONE["paragraphs"]))
    feed = site.add("feed.xml", rss([{"title": TANF_DRONE["title"], "link": link,
                                      "published": datetime.now(UTC) - timedelta(hours=1),
                                      "summary": TANF_DRONE["paragraphs"][0]}]),
                    content_type="application/rss+xml")
    path = tmp_path / "tanfwatch.toml"
    path.write_text(f'[[sources]]\nname = "loopback-news"\nurl = "{feed}"\n')
    return path


def outbox(db: Path) -> list[tuple[str, int]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select status, attempts from outbox").fetchall()


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and nobody else takes it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


@pytest.mark.parametrize("args", [["-vv", "run", "--once"], ["-vv", "run"]])
def test_a_rejected_token_is_one_line_and_never_printed(tmp_path, site, fake_telegram, args):
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=tmp_path / "a.db",
                  chat=CHAT)
    env["TELEGRAM_BOT_TOKEN"] = WRONG_TOKEN  # the fake answers 401 Unauthorized
    result = run_cli(args, env, timeout=60)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert WRONG_TOKEN not in output and WRONG_TOKEN.split(":")[1] not in output
    assert "Traceback" not in output
    assert result.stderr.splitlines()[-1] == (
        "Error: Telegram rejected the bot token (TELEGRAM_BOT_TOKEN or TELEGRAM_BOT_TOKEN_FILE):"
        " check it with @BotFather")
    assert f"Set Bot API URL: {fake_telegram.base_url}{MASK}" in result.stderr  # -vv ran


@pytest.fixture
def redactor_installed(monkeypatch):
    """install() changes process-wide logging state: put it back after the test."""
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    monkeypatch.setattr(threading, "excepthook", threading.excepthook)
    yield
    logging.setLogRecordFactory(factory)
    for handler in logging.getLogger().handlers:
        for f in [f for f in handler.filters if type(f).__name__ == "Redactor"]:
            handler.removeFilter(f)


def test_the_token_is_masked_in_args_tracebacks_and_handlers_added_later(redactor_installed,
                                                                        capsys):
    token = "4242:SECRETsecretSECRET"
    install([token])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after install, on a non-propagating logger
    handler.setFormatter(logging.Formatter("%(message)s"))
    logger = logging.getLogger("tests.redact.later")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("url %s/bot%s/getMe", "http://x", token)
        logger.warning("quoted %s", token.replace(":", "%3A"))
        try:
            raise RuntimeError(f"The token `{token}` was rejected by the server.")
        except RuntimeError:
            logger.exception("failed with %r", {"token": token})
    finally:
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "SECRET" not in text
    assert f"url http://x/bot{MASK}/getMe" in text and f"quoted {MASK}" in text
    assert f"RuntimeError: The token `{MASK}` was rejected" in text  # the traceback, scrubbed
    try:
        raise ValueError(token)
    except ValueError:
        sys.excepthook(*sys.exc_info())  # an uncaught exception's report
    thread = threading.Thread(target=lambda: int(token), name="worker")
    thread.start()
    thread.join()
    err = capsys.readouterr().err
    assert "SECRET" not in err
    assert f"ValueError: {MASK}" in err and "Exception in thread worker:" in err
    assert f"invalid literal for int() with base 10: '{MASK}'" in err


@pytest.mark.parametrize("down", ["refused", "502"])
def test_run_once_with_telegram_down_archives_and_queues_then_delivers_once(
        tmp_path, site, fake_telegram, closed_port, down):
    db = tmp_path / "a.db"
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=db, chat=CHAT)
    if down == "refused":
        env["TELEGRAM_API_BASE"] = f"http://127.0.0.1:{closed_port}/bot"
    else:
        fake_telegram.outage(True)
    first = run_cli(["run", "--once"], env)
    assert first.returncode == 0, first.stderr
    warnings = [line for line in first.stderr.splitlines() if "Telegram Bot API" in line]
    assert len(warnings) == 1 and "alerts stay queued" in warnings[0], first.stderr
    assert "1 alerts stay queued" in warnings[0] and "Traceback" not in first.stderr
    assert "1 new articles, 1 alerts queued; delivered 0, deferred 1" in first.stderr
    assert outbox(db) == [("pending", 0)]  # queued, never attempted: no back-off to wait out

    fake_telegram.outage(False)
    env["TELEGRAM_API_BASE"] = fake_telegram.base_url
    second = run_cli(["run", "--once"], env)
    assert second.returncode == 0, second.stderr
    assert "Telegram" not in second.stderr
    if down == "refused":  # once sent, never again (the same for both kinds of outage)
        third = run_cli(["run", "--once"], env)
        assert third.returncode == 0, third.stderr
    sent = fake_telegram.messages(CHAT)
    assert len(sent) == 1 and TANF_DRONE["title"] in sent[0].plain_text
    assert outbox(db) == [("sent", 1)]


async def test_the_daemon_watches_while_telegram_is_down_and_delivers_when_it_is_back(
        tmp_path, site, fake_telegram):
    from bot.daemon import run_daemon
    from bot.settings import load_settings

    db = tmp_path / "a.db"
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=db, chat=CHAT)
    settings = load_settings(env=env)
    fake_telegram.outage(True)
    stop = asyncio.Event()
    daemon = asyncio.create_task(run_daemon(settings, stop=stop, reconnect_base=0.02,
                                            reconnect_cap=0.2))
    try:
        def queued(_fake) -> bool:  # re-checked on each of the daemon's getMe retries
            try:
                return ("pending", 0) in outbox(db)
            except sqlite3.Error:  # the daemon is still creating the archive
                return False

        assert await fake_telegram.wait_for_async(queued, timeout=60)
        assert fake_telegram.messages() == [] and not daemon.done()
        refused = [c for c in fake_telegram.calls("getMe") if c.status == 502]
        assert len(refused) >= 2  # retried with back-off, while the source was polled
        fake_telegram.outage(False)
        assert await fake_telegram.wait_for_async(lambda f: len(f.messages(CHAT)) == 1, 30)
        assert await fake_telegram.wait_for_async(lambda f: f.waiting_pollers > 0, 30)
    finally:
        stop.set()
        await asyncio.wait_for(daemon, 30)
    assert len(fake_telegram.messages(CHAT)) == 1
    assert outbox(db) == [("sent", 1)]
    assert fake_telegram.calls("setMyCommands")  # the command bot started once it could
