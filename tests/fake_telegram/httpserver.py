"""The HTTP side: a threading server whose handler hands each request to the fake, and
error answers in the Bot API's JSON shape."""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from .apitypes import ApiError
from .state import _Fault

if TYPE_CHECKING:
    from .server import FakeTelegram

__all__: list[str] = []

_PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


def _error_payload(error: ApiError) -> dict:
    payload: dict[str, Any] = {
        "ok": False, "error_code": error.status, "description": error.description,
    }
    if error.parameters:
        payload["parameters"] = error.parameters
    return payload


def _fault_error(fault: _Fault) -> ApiError:
    if fault.status == 429:
        seconds = fault.retry_after if fault.retry_after is not None else 1
        return ApiError(429, fault.description or f"Too Many Requests: retry after {seconds}",
                        {"retry_after": seconds})
    return ApiError(fault.status, fault.description or _PHRASES.get(fault.status, "Error"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeTelegram

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # a client killed mid-request (the crash benchmark does it on purpose)
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out in two writes: avoid 40 ms stalls
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.fake._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.fake._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return  # keep test output clean; the token is in every path

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._serve()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.fake._handle(self.path, self.headers.get("Content-Type", ""), body)
        if reply is None:  # simulated dropped connection
            self.close_connection = True
            return
        status, payload = reply
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except OSError:
            self.close_connection = True  # the client went away (a cancelled long poll)

