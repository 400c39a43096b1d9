"""The operator's view of `run`: the startup line, one log line per event with its ids,
--log-level / --log-format json (token masked there too), and `run --once` exit codes."""

from __future__ import annotations

import io
import json
import logging
from importlib.metadata import version

import pytest

from bot.logsetup import setup_logging
from bot.redact import MASK, current, install
from tests.conftest import bot_env, run_cli
from tests.test_health import dead_url
from tests.test_telegram_down import feed_config

CHAT = "-1001234567890"


@pytest.fixture
def root_logging():
    """setup_logging replaces the root handlers (pytest's too): put them back after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    quiet = logging.getLogger("apscheduler").level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    logging.getLogger("apscheduler").setLevel(quiet)


def two_dead_sources(tmp_path) -> dict[str, str]:
    config = tmp_path / "tanfwatch.toml"
    config.write_text("".join(f'[[sources]]\nname = "dead-{i}"\nurl = "{dead_url()}"\n'
                              for i in (1, 2)))
    return {"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(tmp_path / "a.db")}


def test_run_once_says_what_it_runs_on_first_and_never_the_token(tmp_path, site, fake_telegram):
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=tmp_path / "a.db",
                  chat=CHAT)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 0, result.stderr
    first = result.stderr.splitlines()[0]
    assert first.endswith(
        f"INFO bot: tanfwatch {version('tanfwatch')} starting (run --once): config "
        f"{tmp_path / 'tanfwatch.toml'}; 1 sources (1 configured); archive {tmp_path / 'a.db'}; "
        f"alerts to chat {CHAT}")
    assert fake_telegram.token not in result.stderr


def test_run_once_logs_one_line_per_event_with_ids(tmp_path, site):
    env = {"TANFWATCH_CONFIG": str(feed_config(tmp_path, site)),
           "TANFWATCH_DB": str(tmp_path / "a.db")}
    result = run_cli(["--log-format", "json", "run", "--once"], env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]  # every line is JSON
    assert all({"ts", "level", "logger", "message"} <= set(line) for line in lines)
    archived = [x for x in lines if " archived: relevant=True" in x["message"]]
    queued = [x for x in lines if "alert queued for console" in x["message"]]
    assert len(archived) == len(queued) == 1
    assert archived[0]["source"] == queued[0]["source"] == "loopback-news"
    assert archived[0]["article"] == queued[0]["article"]
    assert lines[-1]["message"].startswith("polled 1 sources (0 failed), 1 new articles")


def test_json_logs_mask_the_token_at_debug(tmp_path, site, fake_telegram):
    env = bot_env(fake_telegram, config=feed_config(tmp_path, site), db=tmp_path / "a.db",
                  chat=CHAT)
    result = run_cli(["--log-format", "json", "--log-level", "debug", "run", "--once"], env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    sent = [x for x in lines if x["message"].startswith(f"chat {CHAT}: alert ")]
    assert len(sent) == 1 and sent[0]["chat"] == CHAT and sent[0]["article"].startswith("a")
    assert any(MASK in x["message"] for x in lines)  # PTB logs its URL at debug: masked
    secret = fake_telegram.token.split(":")[1]
    assert secret not in result.stderr and secret not in result.stdout


def test_a_handler_made_after_install_masks_secrets_in_json_and_tracebacks(monkeypatch,
                                                                          root_logging):
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    install(["s3cr3t-token-value"])
    setup_logging(logging.INFO, "json")
    log = logging.getLogger("tests.operating")
    log.info("url /bots3cr3t-token-value/getMe", extra={"source": "x"})
    try:
        raise ValueError("bad s3cr3t-token-value")
    except ValueError:
        log.exception("failed")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines[0]["message"] == f"url /bot{MASK}/getMe" and lines[0]["source"] == "x"
    assert "ValueError: bad <token>" in lines[1]["exc"]
    assert "s3cr3t" not in stream.getvalue()
    assert all(current() in h.filters for h in logging.getLogger().handlers)


@pytest.mark.parametrize(("args", "level"), [
    ([], logging.INFO), (["-v", "-v"], logging.DEBUG), (["-q"], logging.ERROR),
    (["--log-level", "warning", "-v"], logging.WARNING)])
def test_apscheduler_chatter_stays_at_warning(args, level, root_logging):
    from bot.logsetup import level_for

    verbose = args.count("-v")
    chosen = args[args.index("--log-level") + 1] if "--log-level" in args else None
    setup_logging(level_for(chosen, verbose, "-q" in args, default="info"))
    assert logging.getLogger().level == level
    assert logging.getLogger("apscheduler").getEffectiveLevel() >= logging.WARNING


def test_run_once_exits_3_when_every_source_failed_and_says_each_failure_once(tmp_path):
    env = two_dead_sources(tmp_path)
    result = run_cli(["run", "--once"], env)
    assert result.returncode == 3, result.stderr
    for name in ("dead-1", "dead-2"):
        said = [line for line in result.stderr.splitlines() if name in line]
        assert len(said) == 1, result.stderr
        # run --once polls every run: the daemon is what waits for the back-off
        assert "(failure 1; back-off until 20" in said[0]
    assert result.stderr.splitlines()[-1] == "every source failed (2 of 2)"


def test_run_once_exits_0_when_some_source_worked(tmp_path, site):
    config = feed_config(tmp_path, site)
    config.write_text(config.read_text() + f'[[sources]]\nname = "dead"\nurl = "{dead_url()}"\n')
    env = {"TANFWATCH_CONFIG": str(config), "TANFWATCH_DB": str(tmp_path / "a.db")}
    result = run_cli(["-q", "run", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert "polled 2 sources (1 failed)" in result.stderr
    assert "starting" not in result.stderr  # -q: errors only



def test_the_daemon_says_its_startup_line_then_events_and_no_scheduler_chatter(
        tmp_path, site, fake_telegram):
    import os
    import signal
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "TANFWATCH_"))}
    env.update(bot_env(fake_telegram, config=feed_config(tmp_path, site), db=tmp_path / "a.db",
                       chat=CHAT))
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert fake_telegram.wait_for(lambda f: bool(f.messages(CHAT)), timeout=60)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, stderr
    lines = stderr.splitlines()
    assert "starting (daemon): config " in lines[0] and f"alerts to chat {CHAT}" in lines[0]
    assert any(" archived: relevant=True" in line for line in lines), stderr
    assert sum(f"chat {CHAT}: alert " in line and " sent (article a" in line
               for line in lines) in (0, 1)  # 0: SIGTERM came before its record
    assert not any("apscheduler" in line for line in lines), stderr
    assert fake_telegram.token.split(":")[1] not in stderr
