"""A reusable loopback HTTP server for tests and benchmarks (stdlib only).

Serves files from a directory (the shared fixtures by default; names are URL-quoted) with
ETag / Last-Modified and 304 support, in-memory routes added with :meth:`add`, and fault
routes under ``/_fault/``:

    /_fault/status/<code>[?retry_after=N|date]   that status (Retry-After optional)
    /_fault/hang                                 accepts, never answers
    /_fault/slow[?delay=0.05]                    a small feed after a delay
    /_fault/drip[?interval=0.05]                 headers, then one byte per interval forever
    /_fault/truncated                            Content-Length 100000, sends 10 bytes, closes
    /_fault/big[?mb=50]                          a body of that many MB (streamed)
    /_fault/gzipbomb[?mb=200]                    gzip body expanding to that many MB of zeros
    /_fault/redirect-loop[/b]                    two URLs redirecting to each other
    /_fault/redirect/<n>?to=/path                n redirects, then ``to``
    /_fault/binary                               random bytes labelled application/rss+xml

Any file route takes ``?ctype=`` (override Content-Type, e.g. a wrong charset) and
``?plain=1`` (send gzip fixtures as-is, without Content-Encoding).
Bind any 127.x.y.z address: the whole 127.0.0.0/8 range is loopback.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import http.server
import os
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["FIXTURES", "LoopbackServer", "gzip_bytes"]

FIXTURES = Path(os.environ.get("TANFWATCH_FIXTURES", "/work/shared/fixtures"))

CTYPES = {
    ".rss": "application/rss+xml",
    ".atom": "application/atom+xml",
    ".xml": "application/xml",
    ".json": "application/json",
    ".html": "text/html",
    ".htm": "text/html",
    ".txt": "text/plain",
    ".gz": "text/html",
}
_HEADER_LINE = re.compile(rb"^Header:\s+([^:\r\n]+):(.*)$", re.M)
_BOMB_CACHE: dict[int, bytes] = {}


def _gzip_bomb(mb: int) -> bytes:
    if mb not in _BOMB_CACHE:
        zero = bytes(1_000_000)
        comp = __import__("zlib").compressobj(9, 8, 31)  # 31: gzip container
        _BOMB_CACHE[mb] = b"".join([*(comp.compress(zero) for _ in range(mb)), comp.flush()])
    return _BOMB_CACHE[mb]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - silence stderr
        pass

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        split = urllib.parse.urlsplit(self.path)
        path = urllib.parse.unquote(split.path)
        query = dict(urllib.parse.parse_qsl(split.query))
        owner = self.server.owner
        with owner.lock:
            owner.requests.append((path, dict(self.headers.items())))
            owner.active += 1
            owner.max_active = max(owner.max_active, owner.active)
            owner.changed.notify_all()
        try:
            self._dispatch(path, query)
        finally:
            with owner.lock:
                owner.active -= 1

    def _dispatch(self, path: str, query: Mapping[str, str]) -> None:
        if path.startswith("/_fault/"):
            self._fault(path[len("/_fault/") :], query)
        elif path in self.server.owner.routes:
            body, headers = self.server.owner.routes[path]
            self._send_cached(body, dict(headers), mtime=self.server.owner.started)
        else:
            self._file(path, query)

    # -- files and routes -------------------------------------------------------------------
    def _file(self, path: str, query: Mapping[str, str]) -> None:
        root = self.server.owner.root.resolve()
        target = (root / path.lstrip("/")).resolve()
        if target != root and root not in target.parents or not target.is_file():
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        body = target.read_bytes()
        headers = {"Content-Type": CTYPES.get(target.suffix.lower(), "application/octet-stream")}
        if body[:2] == b"\x1f\x8b" and not query.get("plain"):
            headers["Content-Encoding"] = "gzip"  # *.html.gz and gzip bodies named .xml
            if target.suffix == ".xml":
                headers["Content-Type"] = "application/rss+xml"
        if "feedparser" in target.parts:  # feedparser cases state the headers to send
            for name, value in _HEADER_LINE.findall(body[:2000]):
                headers[name.decode().strip().title()] = value.decode("latin-1").strip()
        if "ctype" in query:
            headers["Content-Type"] = query["ctype"]
        self._send_cached(body, headers, mtime=target.stat().st_mtime)

    def _send_cached(self, body: bytes, headers: dict[str, str], *, mtime: float) -> None:
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        modified = email.utils.formatdate(int(mtime), usegmt=True)
        headers |= {"ETag": etag, "Last-Modified": modified}
        match = self.headers.get("If-None-Match")
        if match == etag or (match is None and self.headers.get("If-Modified-Since") == modified):
            self._send(304, b"", headers | {"Content-Type": ""})
            return
        self._send(200, body, headers)

    def _send(self, status: int, body: bytes, headers: Mapping[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if value:
                self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up; that is its right

    # -- faults -----------------------------------------------------------------------------
    def _fault(self, name: str, query: Mapping[str, str]) -> None:
        head, _, rest = name.partition("/")
        handler = getattr(self, "_fault_" + head.replace("-", "_"), None)
        if handler is None:
            self._send(404, b"no such fault", {"Content-Type": "text/plain"})
        else:
            handler(rest, query)

    def _fault_status(self, rest: str, query: Mapping[str, str]) -> None:
        headers = {"Content-Type": "text/plain"}
        if query.get("retry_after") == "date":
            headers["Retry-After"] = email.utils.formatdate(time.time() + 120, usegmt=True)
        elif "retry_after" in query:
            headers["Retry-After"] = query["retry_after"]
        self._send(int(rest or 500), b"fault", headers)

    def _fault_hang(self, rest: str, query: Mapping[str, str]) -> None:
        self.server.owner.stopping.wait()
        self.close_connection = True

    def _fault_slow(self, rest: str, query: Mapping[str, str]) -> None:
        self.server.owner.stopping.wait(float(query.get("delay", "0.05")))
        self._send(200, b"<rss version='2.0'><channel/></rss>", {"Content-Type": "text/xml"})

    def _fault_drip(self, rest: str, query: Mapping[str, str]) -> None:
        interval = float(query.get("interval", "0.05"))
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()  # no length: the body runs until the connection closes
        self.close_connection = True
        try:
            while not self.server.owner.stopping.wait(interval):
                self.wfile.write(b" ")
                self.wfile.flush()
        except OSError:
            pass

    def _fault_truncated(self, rest: str, query: Mapping[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"<rss><chan")
        self.close_connection = True

    def _fault_big(self, rest: str, query: Mapping[str, str]) -> None:
        size = int(query.get("mb", "50")) * 1_000_000
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        if not query.get("chunked"):
            self.send_header("Content-Length", str(size))
        self.end_headers()
        self.close_connection = True
        block = b"x" * 65_536
        try:
            for _ in range(size // len(block)):
                self.wfile.write(block)
        except OSError:
            pass

    def _fault_gzipbomb(self, rest: str, query: Mapping[str, str]) -> None:
        body = _gzip_bomb(int(query.get("mb", "200")))
        headers = {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"}
        self._send(200, body, headers)

    def _fault_redirect_loop(self, rest: str, query: Mapping[str, str]) -> None:
        target = "/_fault/redirect-loop" if rest == "b" else "/_fault/redirect-loop/b"
        self._send(302, b"", {"Location": target})

    def _fault_redirect(self, rest: str, query: Mapping[str, str]) -> None:
        left = int(rest or 1)
        to = query.get("to", "/")
        target = to if left <= 1 else f"/_fault/redirect/{left - 1}?to={urllib.parse.quote(to)}"
        self._send(302, b"", {"Location": target})

    def _fault_binary(self, rest: str, query: Mapping[str, str]) -> None:
        body = hashlib.sha256(b"seed").digest() * 2000 + bytes(range(256)) * 40
        self._send(200, body, {"Content-Type": query.get("ctype", "application/rss+xml")})


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients hanging up mid-fault is expected


class LoopbackServer:
    """A threaded HTTP server on a loopback address; use as a context manager."""

    def __init__(self, root: str | Path = FIXTURES, *, host: str = "127.0.0.1", port: int = 0):
        if not host.startswith("127."):
            raise ValueError("loopback addresses only (127.0.0.0/8)")
        self.root = Path(root)
        self.host = host
        self.port = port
        self.routes: dict[str, tuple[bytes, Mapping[str, str]]] = {}
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)  # notified on every request
        self.active = 0  # requests in flight, and the most seen at once
        self.max_active = 0
        self.started = time.time()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def add(
        self,
        path: str,
        body: bytes | str,
        content_type: str = "text/html",
        headers: Mapping[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` (with ETag/304 support); return its URL."""
        data = body.encode("utf-8") if isinstance(body, str) else body
        all_headers = {"Content-Type": content_type, **(headers or {})}
        self.routes["/" + path.lstrip("/")] = (data, all_headers)
        return self.url_for(path)

    def start(self) -> LoopbackServer:
        self._server = _Server((self.host, self.port), _Handler)
        self._server.owner = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases hanging and dripping handlers
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def wait_for(self, predicate: Callable[[LoopbackServer], bool], timeout: float = 10.0
                 ) -> bool:
        """Block until predicate(self) holds (re-checked on every request); False on timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/"

    def url_for(self, path: str) -> str:
        """URL of a file or route; ``path`` is relative to the root and gets URL-quoted."""
        path, _, query = path.lstrip("/").partition("?")
        quoted = urllib.parse.quote(path, safe="/")
        return self.base_url + quoted + (f"?{query}" if query else "")

    def __enter__(self) -> LoopbackServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def gzip_bytes(data: bytes) -> bytes:
    """Helper for tests that want a gzip body in a route."""
    return gzip.compress(data)
