"""The process pool: a worker that dies (a hostile page) costs that page only; `workers = 1`
turns the pool off; it is on by default where there is more than one core."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.app import _worker_pool
from bot.settings import ConfigError, Settings, Source, load_settings
from bot.workpool import WorkerCrashed, WorkerPool, available_cores
from tests.articles import TANF_DRONE
from tests.conftest import article_html, open_pipeline, rss

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)


def _die() -> None:
    os._exit(70)  # what a segfault in lxml or the OOM killer does to a worker


def _square(n: int) -> int:
    return n * n


def _crashing(fn, content: bytes, url: str, *args):  # noqa: ANN001, ANN002
    if url.endswith("/crash"):
        _die()
    return fn(content, url, *args)


class _HostilePool(WorkerPool):
    """Each job's worker dies on the page at /crash (as one crashing lxml would)."""

    def submit(self, fn, /, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        return super().submit(_crashing, fn, *args, **kwargs)


def test_a_dead_worker_fails_its_own_job_only_and_the_pool_goes_on():
    pool = WorkerPool(2)
    try:
        dying, innocent = pool.submit(_die), pool.submit(_square, 3)
        with pytest.raises(WorkerCrashed, match="died running _die"):
            dying.result(timeout=60)
        assert innocent.result(timeout=60) == 9  # retried on the fresh pool
        assert pool.submit(_square, 4).result(timeout=60) == 16
        assert pool.restarts == 1  # the retry, alone in a one-worker pool, broke only that
    finally:
        pool.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        pool.submit(_square, 5)


async def test_a_page_that_kills_its_worker_is_archived_from_the_feed(tmp_path, site):
    paragraphs = TANF_DRONE["paragraphs"]
    pages = {slug: site.add(f"news/{slug}", article_html(f"Page {slug}", paragraphs))
             for slug in ("before", "crash", "after")}
    items = [{"title": f"Feed {slug}", "link": url, "summary": paragraphs[0] * 3,
              "published": NOW - timedelta(hours=3 - i)}
             for i, (slug, url) in enumerate(pages.items())]
    source = Source("wire", site.add("feed.xml", rss(items), "application/rss+xml"))
    pool = _HostilePool(2)
    try:
        async with open_pipeline(tmp_path, (source,), clock=lambda: NOW) as pipeline:
            pipeline.executor = pool
            report = (await pipeline.poll_all([source]))[0]
            rows = dict(pipeline.archive.db.execute(
                "select url, title from articles where origin is null or origin != 'seed'"))
    finally:
        pool.shutdown()
    assert report.ok and report.processed == 3, report
    assert rows == {pages["before"]: "Page before", pages["crash"]: "Feed crash",
                    pages["after"]: "Page after"}
    assert pool.restarts >= 1


def test_the_pool_is_on_by_default_on_several_cores_and_off_with_one_worker(tmp_path):
    assert Settings(sources=(), db_path=tmp_path / "a.db").workers is None  # one per core
    pool = _worker_pool(Settings(sources=(), db_path=tmp_path / "a.db"))
    try:
        assert (pool.workers if pool else 1) == available_cores()
    finally:
        if pool is not None:
            pool.shutdown()
    assert _worker_pool(Settings(sources=(), db_path=tmp_path / "a.db", workers=1)) is None
    config = tmp_path / "c.toml"
    config.write_text("[tanfwatch]\n")
    assert load_settings(config, env={}).workers is None
    config.write_text("[tanfwatch]\nworkers = 1\n")
    assert load_settings(config, env={}).workers == 1
    config.write_text("[tanfwatch]\nworkers = 0\n")
    with pytest.raises(ConfigError, match="workers: 0 is out of range"):
        load_settings(config, env={})


def test_a_pool_with_no_job_yet_starts_no_process():
    """`run --once` with nothing to extract must not pay for processes (nor for the
    resource tracker multiprocessing starts with a pool's first queue)."""
    code = ("import os, pathlib\n"
            "from bot.workpool import WorkerPool\n"
            "pool = WorkerPool(2)\n"
            "kids = [c for t in pathlib.Path(f'/proc/{os.getpid()}/task').iterdir()\n"
            "        for c in (t / 'children').read_text().split()]\n"
            "pool.shutdown()\n"
            "print(len(kids))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).resolve().parents[1]).stdout
    assert out.strip() == "0"
