"""A Matcher compiled at its first match: a run that judges no article (nothing new, or a fresh
archive seeded from storage/seedcache.py) does not pay for compiling the topics (~60 ms)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from matchers.relevance import Matcher, MatchResult

__all__ = ["LazyMatcher"]


class LazyMatcher(Matcher):
    """Stands in for the Matcher ``load`` returns, which it builds when first needed."""

    def __init__(self, load: Callable[[], Matcher]) -> None:  # Matcher's own: not yet
        self._load = load
        self._compiled: Matcher | None = None

    def compiled(self) -> Matcher:
        if self._compiled is None:
            self._compiled = self._load()
        return self._compiled

    def match(self, text: str, title: str = "", language: str | None = None) -> MatchResult:
        return self.compiled().match(text, title=title, language=language)

    def __getattr__(self, name: str) -> Any:  # any other attribute: the compiled one's
        if name.startswith("__") or name in ("_load", "_compiled"):
            raise AttributeError(name)
        return getattr(self.compiled(), name)
