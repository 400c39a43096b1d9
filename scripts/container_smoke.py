"""The smoke run inside the image (scripts/container-smoke passes it as `python -c`).

A loopback world: `python -m http.server` on 127.0.0.1 serves one feed with one relevant article;
a config points at it. Then, as the image's user with the image's defaults (archive in /data):
`tanfwatch run --once` must poll it and alert once (on the console: no token), `tanfwatch status
--check` must pass, and a daemon (`tanfwatch run`) sent SIGTERM, as `docker stop` does, must exit
0 and leave an archive that passes PRAGMA integrity_check. Prints each step; exits 1 on a failure.
Standard library only: it runs with the image's Python before anything else is known to work.
"""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

TITLE = "Drones target US garrison at al-Tanf near Syria's border with Jordan and Iraq"
PARAGRAPHS = [
    "Two drones were shot down on Tuesday as they approached the al-Tanf garrison in south-eastern "
    "Syria, a coalition spokesman said, adding that no personnel were hurt.",
    "The base sits inside the 55-kilometre deconfliction zone that US forces declared around the "
    "At Tanf border crossing, close to the Rukban camp for displaced Syrians.",
    "Fighters of Maghawir al-Thawra, the Syrian rebel group trained by US special forces at the "
    "outpost, took positions along the perimeter after the attack, a spokesman said.",
]
FAILED: list[str] = []


def step(name: str, ok: bool, detail: str = "") -> None:
    print(f"[{'ok' if ok else 'FAIL'}] {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        FAILED.append(name)


def serve(site: Path) -> tuple[subprocess.Popen[str], int]:
    server = subprocess.Popen(
        [sys.executable, "-u", "-m", "http.server", "0", "--bind", "127.0.0.1",
         "--directory", str(site)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert server.stdout is not None
    found = re.search(r"port (\d+)", server.stdout.readline())  # "Serving HTTP on ... port N"
    if not found:
        server.kill()
        sys.exit("http.server did not say its port")
    return server, int(found.group(1))


def publish(site: Path, port: int, count: int) -> None:
    """The feed with ``count`` articles (the first one alone, then one more: new for the daemon)."""
    items = []
    for n in range(count):
        title = TITLE if n == 0 else f"{TITLE}: second attack in a week"
        body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
        (site / "news" / f"tanf{n}.html").write_text(
            f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>'
            f"</head><body><article><h1>{title}</h1>{body}</article></body></html>", "utf-8")
        link = f"http://127.0.0.1:{port}/news/tanf{n}.html"
        items.append(f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
                     f"<pubDate>{format_datetime(datetime.now(UTC))}</pubDate>"
                     f"<description>{PARAGRAPHS[0]}</description></item>")
    (site / "feed.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Loopback</title>'
        f"<link>http://127.0.0.1:{port}/</link><description>smoke</description>"
        f"{''.join(items)}</channel></rss>", "utf-8")


def world(work: Path) -> tuple[subprocess.Popen[str], Path, int]:
    site = work / "site"
    (site / "news").mkdir(parents=True)
    server, port = serve(site)
    publish(site, port, 1)
    config = work / "tanfwatch.toml"
    config.write_text(f'[[sources]]\nname = "loopback"\nurl = "http://127.0.0.1:{port}/feed.xml"\n'
                      'kind = "feed"\n', "utf-8")
    return server, config, port


def tanfwatch(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(["tanfwatch", *args], env=env, capture_output=True, text=True,
                          timeout=240, check=False)
    print(f"$ tanfwatch {' '.join(args)}  (exit {proc.returncode})")
    for line in (proc.stdout + proc.stderr).splitlines():
        print(f"    {line}")
    return proc


def _children(pid: int) -> set[int]:
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.add(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return found


def stop_daemon(env: dict[str, str], db: Path) -> None:
    """`tanfwatch run` (the image's defaults: a pool on a machine with two cores or more) until
    it has archived the new article, then SIGTERM: it must exit 0, promptly."""
    with sqlite3.connect(db, timeout=30) as conn:
        before = conn.execute("select count(*) from articles").fetchone()[0]
    daemon = subprocess.Popen(["tanfwatch", "run"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    archived = before
    while archived == before and time.monotonic() < deadline and daemon.poll() is None:
        time.sleep(0.2)  # a script, not a test: wait for the new article to be archived
        with sqlite3.connect(db, timeout=30) as conn:
            archived = conn.execute("select count(*) from articles").fetchone()[0]
    step("daemon archived the new article", archived == before + 1,
         f"{archived - before} new")
    # the extraction pool: a forkserver under the daemon, its workers under the forkserver
    workers = {w for child in _children(daemon.pid) for w in _children(child)}
    cores = len(os.sched_getaffinity(0))
    step("daemon extracts in a process pool" if cores > 1 else "one core: no pool",
         bool(workers) == (cores > 1), f"{len(workers)} workers on {cores} cores")
    sent = time.monotonic()
    daemon.send_signal(signal.SIGTERM)
    try:
        _, stderr = daemon.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        daemon.kill()
        _, stderr = daemon.communicate()
    took = time.monotonic() - sent
    step("daemon stopped on SIGTERM with exit 0, no traceback",
         daemon.returncode == 0 and "Traceback" not in stderr,
         f"exit {daemon.returncode} after {took:.1f} s" + (f"; {stderr.strip()}" if stderr else ""))


def main() -> int:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    db = Path(env.get("TANFWATCH_DB", "/data/tanfwatch.db"))
    print(f"uid {os.getuid()}, archive {db}, python {sys.version.split()[0]}")
    step("runs as a non-root user", os.getuid() != 0)
    work = Path(tempfile.mkdtemp(prefix="smoke-"))
    server, config, port = world(work)
    env["TANFWATCH_CONFIG"] = str(config)
    try:
        once = tanfwatch("run", "--once", env=env)
        # the summary line, after the startup line and the event lines
        summary = next((line for line in once.stderr.splitlines() if line.startswith("polled")),
                       "")
        step("run --once polled the loopback feed and alerted once", once.returncode == 0
             and "(0 failed)" in summary and "1 alerts queued" in summary
             and TITLE in once.stdout)
        check = tanfwatch("status", "--check", env=env)
        step("status --check passes", check.returncode == 0)
        publish(work / "site", port, 2)
        stop_daemon(env, db)
        with sqlite3.connect(db) as conn:
            integrity = conn.execute("pragma integrity_check").fetchone()[0]
        step("archive integrity_check after the stop", integrity == "ok", integrity)
        again = tanfwatch("status", "--check", env=env)
        step("status --check still passes", again.returncode == 0)
    finally:
        server.terminate()
        server.wait()
    print("container smoke: " + ("OK" if not FAILED else "FAILED: " + "; ".join(FAILED)))
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main())
