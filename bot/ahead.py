"""Pages fetched and extracted ahead of judging, and the extraction job a pool worker runs."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

from bot.settings import Source
from matchers.urls import unwrap_redirect
from watchers.feedmodel import FeedEntry

if TYPE_CHECKING:
    from watchers.extract import Extracted

# fetch and extract one page of a source: (url, source, with_date=) -> the article or None
Extract = Callable[..., Awaitable["Extracted | None"]]

__all__ = ["Ahead", "extract_job"]


def extract_job(content: bytes, url: str, headers: Mapping[str, str],
                with_date: bool = True) -> Extracted | None:
    # trafilatura (~0.1 s to import) only once a page is extracted: a run with no sources
    # never needs it; pool workers have it preloaded (bot.workpool)
    from watchers.extract import extract_article

    # the language a page declares only: process_entry detects it after the source's own,
    # once, in this process (a pool worker would load its own copy of the model)
    return extract_article(content, url=url, headers=headers, detect=False, with_date=with_date)


class Ahead:
    """Pages being fetched and extracted ahead of judging: at most ``window`` not yet taken."""

    def __init__(self, extract: Extract, source: Source, todo: list[FeedEntry],
                 window: int) -> None:
        self.extract, self.source, self.todo, self.window = extract, source, todo, window
        self.tasks: dict[str, asyncio.Task[Extracted | None]] = {}

    def top_up(self) -> None:
        while self.todo and len(self.tasks) < self.window:
            e = self.todo.pop(0)
            self.tasks[e.key] = asyncio.ensure_future(self.extract(
                unwrap_redirect(e.url or ""), self.source, with_date=e.published is None))

    def take(self, key: str) -> asyncio.Task[Extracted | None] | None:
        task = self.tasks.pop(key, None)
        self.top_up()
        return task

    async def close(self) -> None:
        self.todo.clear()
        for task in self.tasks.values():  # an entry not reached (a failure): not needed
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
