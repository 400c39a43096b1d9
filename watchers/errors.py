"""The watchers' exception tree.

    WatchError            anything that went wrong watching one URL (carries .url)
    ├── FetchError        network / HTTP failure (.status, .retry_after)
    ├── ParseError        the body is not a usable feed / sitemap / page
    └── BlockedError      refused before fetching: robots.txt or an unsafe address

``str(error)`` is a specific one-line message ("HTTP 503", "timeout after 20 s",
"body over 10 MB", "not a feed: text/html", "redirect loop", ...) meant to be
stored on the source as its ``last_error``.
"""

from __future__ import annotations

__all__ = ["BlockedError", "FetchError", "ParseError", "WatchError"]


class WatchError(Exception):
    """Base of every watcher error; ``url`` names what was being watched."""

    def __init__(self, message: str, *, url: str) -> None:
        super().__init__(message)
        self.message = message
        self.url = url

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, url={self.url!r})"


class FetchError(WatchError):
    """The URL could not be fetched (HTTP status, timeout, size cap, connection)."""

    def __init__(
        self,
        message: str,
        *,
        url: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class ParseError(WatchError):
    """The body was fetched but nothing usable could be parsed from it."""


class BlockedError(WatchError):
    """The fetch was refused on purpose (robots.txt, private or non-http address)."""
