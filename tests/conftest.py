"""Shared fixtures: loopback servers for feeds/pages and for the Telegram Bot API."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from tests.fake_telegram import FakeTelegram
from tests.loopback import LoopbackServer

# PTB 22 warns when it builds RetryAfter unless timedeltas are opted in; warnings are errors here.
os.environ.setdefault("PTB_TIMEDELTA", "true")

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture
def fake_telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram() as fake:
        yield fake


@pytest.fixture
def archive(tmp_path: Path):
    """A fresh archive file in tmp_path (storage is imported lazily: conftest loads first)."""
    from storage.archive import Archive

    archive = Archive.open(tmp_path / "a.db")
    yield archive
    archive.close()


@pytest.fixture
async def bot(fake_telegram: FakeTelegram):
    """A python-telegram-bot Bot talking to the fake Bot API."""
    from telegram import Bot

    bot = Bot(fake_telegram.token, base_url=fake_telegram.base_url)
    await bot.initialize()
    yield bot
    await bot.shutdown()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[LoopbackServer]:
    """A loopback web server over an empty folder; tests add routes to it."""
    root = tmp_path / "site"
    root.mkdir()
    with LoopbackServer(root) as server:
        yield server


@contextlib.asynccontextmanager
async def open_pipeline(tmp_path: Path, sources: tuple, *, clock: Callable[[], datetime],
                        **fetcher_kwargs: Any) -> AsyncIterator[Any]:
    """A Pipeline over a fresh archive in tmp_path, with the seeded judge and our Fetcher."""
    from bot.pipeline import Pipeline
    from bot.settings import Settings
    from matchers.relevance import load_matcher
    from storage.archive import Archive
    from storage.known import load_judge
    from watchers.fetch import Fetcher

    settings = Settings(sources=sources, db_path=tmp_path / "a.db")
    archive = Archive.open(settings.db_path)
    try:
        judge = load_judge(archive, load_matcher(), now=clock())
        async with Fetcher(**fetcher_kwargs) as fetcher:
            yield Pipeline(settings, archive, fetcher, judge, clock=clock)
    finally:
        archive.close()


def fetch_fixtures(paths: list[str]) -> dict:
    """Fetch fixture files from a loopback server with our Fetcher: {path: FetchResult}."""
    import asyncio

    from watchers.fetch import Fetcher

    async def fetch_all(server: LoopbackServer) -> dict:
        async with Fetcher(per_host=8) as fetcher:
            results = await asyncio.gather(*(fetcher.fetch(server.url_for(p)) for p in paths))
        return dict(zip(paths, results, strict=True))

    with LoopbackServer() as server:
        return asyncio.run(fetch_all(server))


def rss(items: list[dict], *, title: str = "Test outlet") -> str:
    """A small RSS 2.0 document; items carry title, link, guid, published (aware), summary."""
    from html import escape

    parts = []
    for item in items:
        parts.append(
            "<item>"
            f"<title>{escape(item['title'])}</title><link>{escape(item['link'])}</link>"
            f"<guid>{escape(item.get('guid', item['link']))}</guid>"
            f"<pubDate>{format_datetime(item['published'])}</pubDate>"
            f"<description>{escape(item.get('summary', ''))}</description></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>http://127.0.0.1/</link>"
        f"<description>test</description>{''.join(parts)}</channel></rss>"
    )


def article_html(title: str, paragraphs: list[str], *, canonical: str | None = None,
                 lang: str = "en") -> str:
    from html import escape

    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    link = f'<link rel="canonical" href="{escape(canonical)}">' if canonical else ""
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>{link}</head><body>"
        "<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
        f"<article><h1>{escape(title)}</h1>{body}</article>"
        "<footer>Copyright Test Outlet</footer></body></html>"
    )


def bot_env(fake: FakeTelegram, *, config: Path, db: Path, chat: str) -> dict[str, str]:
    """The environment a user sets to run the bot against our fake Bot API."""
    return {
        "TANFWATCH_CONFIG": str(config),
        "TANFWATCH_DB": str(db),
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_CHAT_ID": chat,
        "TELEGRAM_API_BASE": fake.base_url,
    }


def seeded_known():
    """A KnownArticles holding the shipped seed texts, as dedup tests start from."""
    from matchers.dedup import KnownArticles, signature

    known = KnownArticles()
    for path in sorted((ROOT / "storage" / "seeds").glob("*.txt")):
        sig = signature(path.read_text(encoding="utf-8"))
        res = known.check(sig)
        known.add(path.stem, sig, story=res.story or path.stem, duplicate_of=res.duplicate_of)
    return known


def run_cli(args: list[str], env: dict[str, str], *, timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot ...` as a user would, with only the given environment on top."""
    prefixes = ("TELEGRAM_", "TANFWATCH_")
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(prefixes)}
    full_env.update(env)
    return subprocess.run([sys.executable, "-m", "bot", *args], env=full_env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False)
