"""Incremental decompression of response bodies with bounded output per step.

A gzip bomb (a few kB expanding to gigabytes) never becomes a memory spike: each step yields at
most ``CHUNK`` bytes, so the fetcher's size cap stops it after 10 MB of output.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from watchers.errors import FetchError

try:  # brotli is an optional extra of httpx
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

__all__ = ["ACCEPT_ENCODING", "CHUNK", "BoundedDecoder"]

CHUNK = 65_536
ACCEPT_ENCODING = "gzip, deflate, br" if brotli else "gzip, deflate"


class BoundedDecoder:
    """Incremental decompression whose output per step is bounded (gzip-bomb safe)."""

    def __init__(self, coding: str, url: str) -> None:
        self._coding = coding
        self._url = url
        self._zlib: zlib._Decompress | None = None
        self._brotli = None
        self._fed = False
        if coding in ("gzip", "x-gzip", "deflate"):
            self._zlib = zlib.decompressobj(47)  # 32 + 15: auto-detect gzip or zlib header
        elif coding == "br" and brotli is not None:
            self._brotli = brotli.Decompressor()
        elif coding not in ("", "identity"):
            raise FetchError(f"unsupported content-encoding: {coding}", url=url)

    def feed(self, data: bytes) -> Iterator[bytes]:
        try:
            if self._zlib is not None:
                yield from self._feed_zlib(data)
            elif self._brotli is not None:
                yield from self._feed_brotli(data)
            else:
                yield data
        except (zlib.error, getattr(brotli, "error", zlib.error)) as exc:
            raise FetchError(f"bad {self._coding} body: {exc}", url=self._url) from None

    def _feed_zlib(self, data: bytes) -> Iterator[bytes]:
        assert self._zlib is not None
        first, self._fed = not self._fed, True
        try:
            out = self._zlib.decompress(data, CHUNK)
        except zlib.error:
            if self._coding != "deflate" or not first:
                raise
            self._zlib = zlib.decompressobj(-15)  # "deflate" servers often send raw deflate
            out = self._zlib.decompress(data, CHUNK)
        yield out
        while self._zlib.unconsumed_tail:
            yield self._zlib.decompress(self._zlib.unconsumed_tail, CHUNK)

    def _feed_brotli(self, data: bytes) -> Iterator[bytes]:
        yield self._brotli.process(data, output_buffer_limit=CHUNK)
        while not self._brotli.can_accept_more_data():
            yield self._brotli.process(b"", output_buffer_limit=CHUNK)
