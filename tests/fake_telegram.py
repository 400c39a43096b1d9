"""A fake Telegram Bot API server on 127.0.0.1 for tests.

python-telegram-bot talks to it through ``Bot(token, base_url=fake.base_url)``: PTB builds
``{base_url}{token}/{method}`` and POSTs form data (non-string values JSON-encoded); plain
JSON bodies and GET query strings are accepted too, and multipart/form-data uploads (sendPhoto:
a PNG or JPEG, caption up to 1024 characters after entity parsing; the image is kept in
``SentMessage.photo``). Answers and error descriptions follow the real Bot API (tdlib's HTML
parser messages, "message is too long", 429 with ``retry_after``...).

One deliberate difference: tdlib keeps a bare ``&`` (or an unknown entity such as ``&nbsp;``)
as literal text; here it is a 400 by default (``strict_ampersand``), because our contract is
"every outside string escaped" and a fake that tolerates a missed escape would hide the bug.

Usage::

    with FakeTelegram() as tg:
        bot = Bot(tg.token, base_url=tg.base_url)
        ...
        assert [m.plain_text for m in tg.messages(chat_id=-100123)] == [...]
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import socket
import struct
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

__all__ = [
    "DEFAULT_TOKEN",
    "MAX_MESSAGE_LENGTH",
    "ApiCall",
    "ApiError",
    "Entity",
    "MAX_CAPTION_LENGTH",
    "FakeTelegram",
    "ParsedText",
    "SentMessage",
    "Upload",
    "check_caption",
    "check_message_text",
    "image_size",
    "parse_html",
    "utf16_len",
]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTanfwatchTests_0123456789"
MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_PHOTO_BYTES = 10 * 1024 * 1024
_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "tg-emoji", "code", "pre", "blockquote",
})
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "tg-emoji": "custom_emoji", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "a": "text_link",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPACE = " \t\r\n\v\f"
_CANT_PARSE = "Bad Request: can't parse entities: "
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)


class ApiError(Exception):
    """An error answer of the Bot API: HTTP status, description, optional parameters."""

    def __init__(self, status: int, description: str, parameters: dict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters


@dataclass(frozen=True)
class Entity:
    type: str
    offset: int  # UTF-16 code units, as Telegram counts
    length: int
    url: str | None = None

    def to_dict(self) -> dict:
        data: dict[str, Any] = {"type": self.type, "offset": self.offset, "length": self.length}
        if self.url is not None:
            data["url"] = self.url
        return data


@dataclass(frozen=True)
class ParsedText:
    text: str
    entities: tuple[Entity, ...]


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (astral characters count two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


class _HtmlParser:
    """A port of tdlib's ``parse_html`` (the Bot API's HTML mode), error texts included."""

    def __init__(self, src: str, strict_ampersand: bool) -> None:
        self.src = src
        self.strict = strict_ampersand
        self.i = 0
        self.out: list[str] = []
        self.utf16 = 0
        self.stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 start, out idx
        self.entities: list[Entity] = []

    def fail(self, message: str) -> ApiError:
        return ApiError(400, _CANT_PARSE + message)

    def byte_offset(self, pos: int) -> int:
        return len(self.src[:pos].encode("utf-8", "surrogatepass"))

    def at(self, pos: int) -> str:
        return self.src[pos] if pos < len(self.src) else ""

    def emit(self, ch: str) -> None:
        self.out.append(ch)
        self.utf16 += utf16_len(ch)

    def run(self) -> ParsedText:
        while self.i < len(self.src):
            ch = self.src[self.i]
            if ch == "&":
                self.ampersand()
            elif ch == "<":
                self.tag()
            else:
                self.emit(ch)
                self.i += 1
        if self.stack:
            raise self.fail(f"Can't find end tag corresponding to start tag {self.stack[-1][0]}")
        return ParsedText("".join(self.out), tuple(sorted(self.entities, key=_entity_order)))

    def decode_entity(self, pos: int) -> tuple[str, int] | None:
        """The character an entity at ``pos`` stands for and the position after it."""
        end = pos + 1
        if self.at(end) == "#":
            end += 1
            hexa = self.at(end) == "x"
            end += hexa
            digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
            while self.at(end) and self.at(end) in digits:
                end += 1
            number = self.src[pos + 2 + hexa:end]
            code = int(number, 16 if hexa else 10) if number else 0
            if code == 0 or code >= 0x10FFFF or end - pos >= 10:
                return None
            char = chr(code)
        else:
            while self.at(end).isascii() and self.at(end).isalpha():
                end += 1
            char = _NAMED.get(self.src[pos + 1:end], "")
            if not char:
                return None
        return char, end + (self.at(end) == ";")

    def ampersand(self) -> None:
        decoded = self.decode_entity(self.i)
        if decoded is None:
            if self.strict:
                raise self.fail(
                    f"Character '&' at byte offset {self.byte_offset(self.i)} is not a part of a "
                    "supported HTML entity; use &amp;"
                )
            self.emit("&")
            self.i += 1
            return
        self.emit(decoded[0])
        self.i = decoded[1]

    def skip_spaces(self) -> None:
        while self.at(self.i) and self.at(self.i) in _SPACE:
            self.i += 1

    def tag(self) -> None:
        begin = self.i
        self.i += 1
        if self.at(self.i) == "/":
            self.end_tag(begin)
        else:
            self.start_tag(begin)

    def start_tag(self, begin: int) -> None:
        while self.at(self.i) and self.at(self.i) not in _SPACE + ">":
            self.i += 1
        if not self.at(self.i):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        name = self.src[begin + 1:self.i].lower()
        if name not in _TAGS:
            raise self.fail(
                f'Unsupported start tag "{name}" at byte offset {self.byte_offset(begin)}'
            )
        argument = ""
        while self.at(self.i) != ">":
            attribute = self.attribute(name, begin)
            if attribute is not None:
                argument = _tag_argument(name, *attribute) or argument
        self.i += 1
        if name == "span" and argument != "spoiler":
            raise self.fail(
                f'Tag "span" must have class "tg-spoiler" at byte offset {self.byte_offset(begin)}'
            )
        self.stack.append((name, argument, self.utf16, len(self.out)))

    def attribute(self, tag: str, begin: int) -> tuple[str, str] | None:
        """Read one ``name=value`` (or a bare ``expandable``); None when at ``>``."""
        self.skip_spaces()
        if self.at(self.i) == ">":
            return None
        start = self.i
        while self.at(self.i) and self.at(self.i) not in _SPACE + "=>":
            self.i += 1
        name = self.src[start:self.i]
        if not name:
            raise self.fail(f'Empty attribute name in the tag "{tag}" at byte offset '
                            f"{self.byte_offset(begin)}")
        self.skip_spaces()
        if self.at(self.i) != "=":
            if tag == "blockquote" and name == "expandable":
                return name, ""
            raise self.fail(f'Expected equal sign in declaration of an attribute of the tag "{tag}"'
                            f" at byte offset {self.byte_offset(begin)}")
        self.i += 1
        self.skip_spaces()
        if not self.at(self.i):
            raise self.fail(f'Unclosed start tag "{tag}" at byte offset {self.byte_offset(begin)}')
        value = self.attribute_value()
        if not self.at(self.i):
            raise self.fail(f"Unclosed start tag at byte offset {self.byte_offset(begin)}")
        return name, value

    def attribute_value(self) -> str:
        quote = self.at(self.i)
        if quote not in ("'", '"'):
            # an unquoted value may only be a name token (letters, digits, '.', '-')
            start = self.i
            while self.at(self.i) and (self.at(self.i).isalnum() or self.at(self.i) in ".-"):
                self.i += 1
            if self.at(self.i) and self.at(self.i) not in _SPACE + ">":
                raise self.fail(f"Unexpected end of name token at byte offset "
                                f"{self.byte_offset(start)}")
            return self.src[start:self.i].lower()
        self.i += 1
        chars: list[str] = []
        while self.at(self.i) and self.at(self.i) != quote:
            decoded = self.decode_entity(self.i) if self.at(self.i) == "&" else None
            if decoded is None:
                chars.append(self.src[self.i])
                self.i += 1
            else:
                chars.append(decoded[0])
                self.i = decoded[1]
        if self.at(self.i) == quote:
            self.i += 1
        return "".join(chars)

    def end_tag(self, begin: int) -> None:
        if not self.stack:
            raise self.fail(f"Unexpected end tag at byte offset {self.byte_offset(begin)}")
        while self.at(self.i) and self.at(self.i) not in _SPACE + ">":
            self.i += 1
        end_name = self.src[begin + 2:self.i].lower()
        self.skip_spaces()
        if self.at(self.i) != ">":
            raise self.fail(f"Unclosed end tag at byte offset {self.byte_offset(begin)}")
        self.i += 1
        name, argument, start, out_index = self.stack.pop()
        if end_name and end_name != name:
            raise self.fail(f"Unmatched end tag at byte offset {self.byte_offset(begin)}, "
                            f'expected "</{name}>", found "</{end_name}>"')
        if self.utf16 == start:
            return  # empty entities are dropped, as Telegram does
        if name == "tg-emoji" and not argument.isdigit():
            raise self.fail("Invalid custom emoji identifier specified")
        url = None
        if name == "a":
            url = argument or "".join(self.out[out_index:])
            if not _valid_url(url):
                return  # Telegram silently drops links with an invalid URL
        self.entities.append(Entity(_ENTITY_TYPES[name], start, self.utf16 - start, url))


def _tag_argument(tag: str, name: str, value: str) -> str:
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[9:]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    return ""


def _valid_url(url: str) -> bool:
    parts = urlsplit(url if "://" in url else "http://" + url)
    if parts.scheme in ("tg", "ton"):
        return True
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in url


def _entity_order(entity: Entity) -> tuple[int, int]:
    return entity.offset, -entity.length


def parse_html(text: str, *, strict_ampersand: bool = True) -> ParsedText:
    """Parse Bot API HTML like Telegram; raises ApiError(400, "Bad Request: can't parse ...")."""
    return _HtmlParser(text, strict_ampersand).run()


def check_message_text(
    text: object, parse_mode: str | None = "HTML", *, strict_ampersand: bool = True
) -> ParsedText:
    """Validate a message text as sendMessage does; returns the text after entity parsing."""
    if not isinstance(text, str) or not text.strip():
        raise ApiError(400, "Bad Request: message text is empty")
    parsed = _parse_text(text, parse_mode, strict_ampersand)
    stripped = parsed.text.strip()
    if not stripped:
        raise ApiError(400, "Bad Request: message text is empty")
    if utf16_len(stripped) > MAX_MESSAGE_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return parsed


def check_caption(
    caption: object, parse_mode: str | None = None, *, strict_ampersand: bool = True
) -> ParsedText:
    """Validate a media caption as sendPhoto does: optional, at most 1024 characters after
    entity parsing."""
    if caption is None or caption == "":
        return ParsedText("", ())
    parsed = _parse_text(str(caption), parse_mode, strict_ampersand)
    if utf16_len(parsed.text.strip()) > MAX_CAPTION_LENGTH:
        raise ApiError(400, "Bad Request: message caption is too long")
    return parsed


def _parse_text(text: str, parse_mode: str | None, strict_ampersand: bool) -> ParsedText:
    mode = (parse_mode or "").lower()
    if mode == "html":
        return parse_html(text, strict_ampersand=strict_ampersand)
    if mode in ("", "markdown", "markdownv2"):
        return ParsedText(text, ())  # Markdown is not validated by this fake
    raise ApiError(400, "Bad Request: unsupported parse_mode")


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG or JPEG, None if it is neither (Telegram cannot process it)."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if not data.startswith(b"\xff\xd8"):
        return None
    i = 2
    while i + 9 < len(data) and data[i] == 0xFF:
        marker, length = data[i + 1], struct.unpack(">H", data[i + 2:i + 4])[0]
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # start of frame
            height, width = struct.unpack(">HH", data[i + 5:i + 9])
            return width, height
        i += 2 + length
    return None


@dataclass(frozen=True)
class SentMessage:
    """A message the fake accepted from the bot (its current state, after edits)."""

    chat_id: int | str
    message_id: int
    text: str  # as sent, with markup
    parse_mode: str | None
    plain_text: str  # as Telegram shows it
    entities: tuple[Entity, ...]
    reply_to_message_id: int | None = None
    reply_markup: dict | None = None
    link_preview_options: dict | None = None
    disable_web_page_preview: bool | None = None
    disable_notification: bool | None = None
    edits: int = 0
    photo: bytes | None = None  # sendPhoto: the image; text/plain_text are then the caption


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart/form-data request."""

    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ApiCall:
    """One request as the fake saw it, with the status it answered."""

    method: str
    params: dict
    status: int
    description: str | None = None


@dataclass
class _Fault:
    status: int
    retry_after: int | None
    description: str | None
    method: str | None
    remaining: int


@dataclass
class _State:
    sent: list[SentMessage] = field(default_factory=list)
    calls: list[ApiCall] = field(default_factory=list)
    known: dict[int | str, dict[int, dict]] = field(default_factory=dict)  # chat -> id -> msg
    next_id: dict[int | str, int] = field(default_factory=dict)
    updates: list[dict] = field(default_factory=list)
    next_update_id: int = 1
    callbacks: dict[str, dict] = field(default_factory=dict)
    answers: list[dict] = field(default_factory=list)
    commands: dict[str, list[dict]] = field(default_factory=dict)
    faults: list[_Fault] = field(default_factory=list)
    forbidden: dict[int | str, str] = field(default_factory=dict)
    chat_types: dict[int | str, str] = field(default_factory=dict)
    outage: str | None = None  # None, "502" or "drop"
    poll_generation: int = 0
    waiting_pollers: int = 0
    photos: dict[str, bytes] = field(default_factory=dict)  # file_id -> image we were sent


FORBIDDEN_BLOCKED = "Forbidden: bot was blocked by the user"
FORBIDDEN_KICKED = "Forbidden: bot was kicked from the channel chat"
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)
_PHRASES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            409: "Conflict", 429: "Too Many Requests", 500: "Internal Server Error",
            502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
_COMMAND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def _chat_key(value: object) -> int | str:
    if value is None or value == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if text.startswith("@") and len(text) > 1:
        return text
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, "Bad Request: chat not found") from None


def _int(params: dict, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise ApiError(400, f'Bad Request: field "{name}" must be a valid Number') from None


def _obj(params: dict, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: can't parse {name} JSON object") from None
    return value


def _bool(params: dict, name: str) -> bool | None:
    value = params.get(name)
    if value is None or isinstance(value, bool):
        return value
    return str(value).lower() in ("true", "1")


def _check_markup(markup: Any) -> dict | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                            "InlineKeyboardButton must be an Object")
    for button in (button for row in rows for button in row):
        if not isinstance(button, dict) or not button.get("text"):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: "
                                "Text must be non-empty")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
            raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
        if button.get("url") is not None and not _valid_url(str(button["url"])):
            raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
    return markup if any(rows) else None


def _check_commands(commands: Any) -> list[dict]:
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    for item in commands:
        name = str(item.get("command", "")) if isinstance(item, dict) else ""
        if not 1 <= len(name) <= 32 or not set(name) <= _COMMAND_CHARS:
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description", ""))) <= 256:
            raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
    return [{"command": c["command"], "description": c["description"]} for c in commands]


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


def _parse_params(content_type: str, body: bytes, query: str) -> dict:
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params
    if content_type.startswith("application/json"):
        try:
            data = json.loads(body)
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON encoded request body") from None
        if isinstance(data, dict):
            params.update(data)
    elif content_type.startswith("multipart/form-data"):
        params.update(_parse_multipart(content_type, body))
    else:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    return params


def _parse_multipart(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields as strings, file parts as Upload (byte-exact: no email-parser rewriting)."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if found is None:
        raise ApiError(400, "Bad Request: can't parse multipart/form-data request")
    params: dict[str, Any] = {}
    for chunk in body.split(b"--" + found.group(1).encode("latin-1"))[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, data = chunk.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        data = data.removesuffix(b"\r\n")
        headers = head.decode("utf-8", "replace")
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', headers, flags=re.MULTILINE)
        if name is None:
            continue
        filename = re.search(r'filename="([^"]*)"', headers)
        if filename is None:
            params[name.group(1)] = data.decode("utf-8")
            continue
        kind = re.search(r"^content-type:\s*(\S+)", headers, flags=re.MULTILINE | re.IGNORECASE)
        params[name.group(1)] = Upload(filename.group(1),
                                       kind.group(1) if kind else "application/octet-stream",
                                       data)
    return params


class FakeTelegram:
    """The fake Bot API server; thread-safe, started in a background thread."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        poll_cap: float = 1.0,
        strict_ampersand: bool = True,
        bot_username: str = "tanfwatch_test_bot",
    ) -> None:
        self.token = token
        self.poll_cap = poll_cap  # long polls never hold a test longer than this
        self.strict_ampersand = strict_ampersand
        self.bot_username = bot_username
        self._cond = threading.Condition(threading.RLock())
        self._state = _State()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()
        self._stopping = False

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeTelegram:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.fake = self
        self._server, self._stopping = server, False
        self._thread = threading.Thread(target=server.serve_forever, name="fake-telegram",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._server.shutdown()
        self._server.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # wake handler threads blocked on keep-alive reads
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> FakeTelegram:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTelegram is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def bot_id(self) -> int:
        head = self.token.split(":", 1)[0]
        return int(head) if head.isdigit() else 1

    # -- what tests read ---------------------------------------------------------------------
    def messages(self, chat_id: int | str | None = None) -> list[SentMessage]:
        key = None if chat_id is None else _chat_key(chat_id)
        with self._cond:
            return [m for m in self._state.sent if key is None or m.chat_id == key]

    def calls(self, method: str | None = None) -> list[ApiCall]:
        with self._cond:
            return [c for c in self._state.calls
                    if method is None or c.method.lower() == method.lower()]

    def callback_answers(self) -> list[dict]:
        with self._cond:
            return list(self._state.answers)

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        with self._cond:
            return list(self._state.commands.get(_scope_key(scope, language_code), []))

    def pending_updates(self) -> list[dict]:
        with self._cond:
            return list(self._state.updates)

    @property
    def waiting_pollers(self) -> int:
        with self._cond:
            return self._state.waiting_pollers

    def wait_for(self, predicate: Callable[[FakeTelegram], bool], timeout: float = 10.0) -> bool:
        """Block until predicate(self) holds (re-checked on every request); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: predicate(self), timeout)

    async def wait_for_async(
        self, predicate: Callable[[FakeTelegram], bool], timeout: float = 10.0
    ) -> bool:
        """wait_for without blocking the event loop the bot under test runs on."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(None, self.wait_for, predicate, timeout)

    # -- what tests control ------------------------------------------------------------------
    def fail_next(
        self,
        status: int,
        retry_after: int | None = None,
        count: int = 1,
        *,
        method: str | None = None,
        description: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls (of ``method``, or any) with an error ``status``."""
        with self._cond:
            self._state.faults.append(_Fault(status, retry_after, description,
                                             method.lower() if method else None, count))

    def outage(self, on: bool, *, drop: bool = False) -> None:
        """Until switched off, every call gets a 502 (or its connection dropped)."""
        with self._cond:
            self._state.outage = ("drop" if drop else "502") if on else None

    def forbid(self, chat_id: int | str, description: str = FORBIDDEN_BLOCKED) -> None:
        with self._cond:
            self._state.forbidden[_chat_key(chat_id)] = description

    def allow(self, chat_id: int | str) -> None:
        with self._cond:
            self._state.forbidden.pop(_chat_key(chat_id), None)

    def set_chat_type(self, chat_id: int | str, chat_type: str) -> None:
        with self._cond:
            self._state.chat_types[_chat_key(chat_id)] = chat_type

    def push_update(self, update: dict) -> dict:
        """Queue a raw update for getUpdates; its update_id is assigned here."""
        with self._cond:
            stored = {**update, "update_id": self._state.next_update_id}
            self._state.next_update_id += 1
            self._state.updates.append(stored)
            self._cond.notify_all()
            return stored

    def push_message(
        self, text: str, *, chat_id: int | str = 1001, user_id: int = 1001,
        username: str = "tester", reply_to_message_id: int | None = None,
    ) -> dict:
        """Queue a user's message (a command like "/start" gets its bot_command entity)."""
        with self._cond:
            key = _chat_key(chat_id)
            message: dict[str, Any] = {
                "message_id": self._new_id(key), "date": int(time.time()),
                "chat": self._chat(key), "text": text,
                "from": {"id": user_id, "is_bot": False, "first_name": "Test",
                         "username": username, "language_code": "en"},
            }
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            if reply_to_message_id is not None:
                message["reply_to_message"] = self._state.known[key][reply_to_message_id]
            self._state.known.setdefault(key, {})[message["message_id"]] = message
            return self.push_update({"message": message})

    def push_callback_query(
        self, data: str, *, chat_id: int | str, message_id: int, user_id: int = 1001
    ) -> dict:
        """Queue a press on an inline button of a message the bot sent."""
        with self._cond:
            key = _chat_key(chat_id)
            message = self._state.known.get(key, {}).get(message_id)
            if message is None:
                raise ValueError(f"no message {message_id} in chat {chat_id}")
            query_id = f"{user_id}{len(self._state.callbacks) + 1:08d}"
            query = {
                "id": query_id, "chat_instance": f"ci{key}", "data": data, "message": message,
                "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
            }
            self._state.callbacks[query_id] = query
            return self.push_update({"callback_query": query})

    # -- request handling (server threads) ---------------------------------------------------
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._cond:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)

    def _handle(self, path: str, content_type: str, body: bytes) -> tuple[int, dict] | None:
        parts = urlsplit(path)
        token, _, method = parts.path.removeprefix("/bot").partition("/")
        if not parts.path.startswith("/bot") or not method or "/" in method:
            return 404, _error_payload(ApiError(404, "Not Found"))
        if token != self.token:
            return 401, _error_payload(ApiError(401, "Unauthorized"))
        try:
            params = _parse_params(content_type, body, parts.query)
        except ApiError as error:
            return error.status, _error_payload(error)
        with self._cond:
            reply = self._dispatch(method, params)
            status = 0 if reply is None else reply[0]
            description = None if reply is None else reply[1].get("description")
            self._state.calls.append(ApiCall(method, params, status, description))
            self._cond.notify_all()
            return reply

    def _dispatch(self, method: str, params: dict) -> tuple[int, dict] | None:
        handler = getattr(self, "_api_" + method.lower(), None)
        if handler is None:
            return 404, _error_payload(ApiError(404, "Not Found"))
        if self._state.outage == "drop":
            return None
        try:
            if self._state.outage == "502":
                raise ApiError(502, "Bad Gateway")
            fault = self._take_fault(method.lower())
            if fault is not None:
                raise _fault_error(fault)
            return 200, {"ok": True, "result": handler(params)}
        except ApiError as error:
            return error.status, _error_payload(error)

    def _take_fault(self, method: str) -> _Fault | None:
        for fault in self._state.faults:
            if fault.method in (None, method):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    def _new_id(self, key: int | str) -> int:
        next_id = self._state.next_id.get(key, 1)
        self._state.next_id[key] = next_id + 1
        return next_id

    def _chat(self, key: int | str) -> dict:
        kind = self._state.chat_types.get(key)
        if kind is None:
            if isinstance(key, int) and key > 0:
                kind = "private"
            else:
                kind = "channel" if str(key).startswith(("@", "-100")) else "group"
        chat: dict[str, Any] = {"id": key if isinstance(key, int) else -1009000000001,
                                "type": kind}
        if kind == "private":
            chat["first_name"] = "Test"
        else:
            chat["title"] = f"Test {kind} {key}"
        if isinstance(key, str):
            chat["username"] = key[1:]
        return chat

    def _bot_user(self) -> dict:
        return {"id": self.bot_id, "is_bot": True, "first_name": "tanfwatch test",
                "username": self.bot_username}

    def _target(self, params: dict) -> int | str:
        key = _chat_key(params.get("chat_id"))
        if key in self._state.forbidden:
            raise ApiError(403, self._state.forbidden[key])
        return key

    def _message_dict(self, msg: SentMessage) -> dict:
        chat = self._chat(msg.chat_id)
        data: dict[str, Any] = {"message_id": msg.message_id, "date": int(time.time()),
                                "chat": chat}
        if chat["type"] == "channel":
            data["sender_chat"] = chat
        else:
            data["from"] = self._bot_user()
        if msg.photo is not None:
            data["photo"] = [_photo_size(msg.photo)]
            if msg.plain_text:
                data["caption"] = msg.plain_text
            if msg.entities:
                data["caption_entities"] = [entity.to_dict() for entity in msg.entities]
        else:
            data["text"] = msg.plain_text
            if msg.entities:
                data["entities"] = [entity.to_dict() for entity in msg.entities]
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if msg.reply_to_message_id is not None:
            data["reply_to_message"] = self._state.known[msg.chat_id][msg.reply_to_message_id]
        if msg.link_preview_options:
            data["link_preview_options"] = msg.link_preview_options
        if msg.edits:
            data["edit_date"] = int(time.time())
        return data

    def _reply_target(self, key: int | str, params: dict) -> int | None:
        reply = _obj(params, "reply_parameters") or {}
        message_id = _int(reply, "message_id") if reply else _int(params, "reply_to_message_id")
        if message_id is None:
            return None
        chat = _chat_key(reply["chat_id"]) if reply.get("chat_id") is not None else key
        if message_id in self._state.known.get(chat, {}):
            return message_id
        if _bool(reply, "allow_sending_without_reply") or _bool(
                params, "allow_sending_without_reply"):
            return None
        raise ApiError(400, "Bad Request: message to be replied not found")

    def _find_sent(self, key: int | str, message_id: int | None) -> int:
        for index, msg in enumerate(self._state.sent):
            if msg.chat_id == key and msg.message_id == message_id:
                return index
        raise ApiError(400, "Bad Request: message to edit not found")

    # -- Bot API methods (called with the lock held) -----------------------------------------
    def _api_getme(self, params: dict) -> dict:
        return {**self._bot_user(), "can_join_groups": True,
                "can_read_all_group_messages": False, "supports_inline_queries": False}

    def _api_sendmessage(self, params: dict) -> dict:
        key = self._target(params)
        parsed = check_message_text(params.get("text"), params.get("parse_mode"),
                                    strict_ampersand=self.strict_ampersand)
        markup = _check_markup(_obj(params, "reply_markup"))
        reply_to = self._reply_target(key, params)
        msg = SentMessage(
            chat_id=key, message_id=self._new_id(key), text=params["text"],
            parse_mode=params.get("parse_mode"), plain_text=parsed.text,
            entities=parsed.entities, reply_to_message_id=reply_to, reply_markup=markup,
            link_preview_options=_obj(params, "link_preview_options"),
            disable_web_page_preview=_bool(params, "disable_web_page_preview"),
            disable_notification=_bool(params, "disable_notification"),
        )
        self._state.sent.append(msg)
        data = self._message_dict(msg)
        self._state.known.setdefault(key, {})[msg.message_id] = data
        return data

    def _api_sendphoto(self, params: dict) -> dict:
        key = self._target(params)
        photo = self._photo(params)
        caption = params.get("caption")
        parsed = check_caption(caption, params.get("parse_mode"),
                               strict_ampersand=self.strict_ampersand)
        markup = _check_markup(_obj(params, "reply_markup"))
        reply_to = self._reply_target(key, params)
        msg = SentMessage(
            chat_id=key, message_id=self._new_id(key), text=str(caption or ""),
            parse_mode=params.get("parse_mode"), plain_text=parsed.text,
            entities=parsed.entities, reply_to_message_id=reply_to, reply_markup=markup,
            disable_notification=_bool(params, "disable_notification"), photo=photo,
        )
        self._state.sent.append(msg)
        self._state.photos[_photo_size(photo)["file_id"]] = photo
        data = self._message_dict(msg)
        self._state.known.setdefault(key, {})[msg.message_id] = data
        return data

    def _photo(self, params: dict) -> bytes:
        """The image of a sendPhoto: an upload (also via attach://name) or a known file_id."""
        value = params.get("photo")
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if value is None or value == "":
            raise ApiError(400, "Bad Request: there is no photo in the request")
        if isinstance(value, str):
            if value in self._state.photos:
                return self._state.photos[value]
            raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")
        data = value.data if isinstance(value, Upload) else bytes(value)
        if not data:
            raise ApiError(400, "Bad Request: file must be non-empty")
        if len(data) > MAX_PHOTO_BYTES:
            raise ApiError(400, "Bad Request: file is too big")
        size = image_size(data)
        if size is None:
            raise ApiError(400, "Bad Request: IMAGE_PROCESS_FAILED")
        width, height = size
        if not width or not height or width + height > 10000 or max(
                width / height, height / width) > 20:
            raise ApiError(400, "Bad Request: PHOTO_INVALID_DIMENSIONS")
        return data

    def _api_editmessagetext(self, params: dict) -> dict:
        key = self._target(params)
        index = self._find_sent(key, _int(params, "message_id"))
        parsed = check_message_text(params.get("text"), params.get("parse_mode"),
                                    strict_ampersand=self.strict_ampersand)
        markup = _check_markup(_obj(params, "reply_markup"))
        old = self._state.sent[index]
        if old.photo is not None:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        if (parsed.text, parsed.entities, markup) == (old.plain_text, old.entities,
                                                      old.reply_markup):
            raise ApiError(400, _NOT_MODIFIED)
        return self._store_edit(index, replace(
            old, text=params["text"], parse_mode=params.get("parse_mode"),
            plain_text=parsed.text, entities=parsed.entities, reply_markup=markup,
            link_preview_options=_obj(params, "link_preview_options"), edits=old.edits + 1))

    def _api_editmessagereplymarkup(self, params: dict) -> dict:
        key = self._target(params)
        index = self._find_sent(key, _int(params, "message_id"))
        markup = _check_markup(_obj(params, "reply_markup"))
        old = self._state.sent[index]
        if markup == old.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        return self._store_edit(index, replace(old, reply_markup=markup, edits=old.edits + 1))

    def _store_edit(self, index: int, msg: SentMessage) -> dict:
        self._state.sent[index] = msg
        data = self._message_dict(msg)
        self._state.known[msg.chat_id][msg.message_id] = data
        return data

    def _api_answercallbackquery(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        if self._state.callbacks.pop(query_id, None) is None:
            raise ApiError(400, "Bad Request: query is too old and response timeout expired "
                                "or query ID is invalid")
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._state.answers.append(dict(params))
        return True

    def _api_sendchataction(self, params: dict) -> bool:
        self._target(params)
        return True

    def _api_setmycommands(self, params: dict) -> bool:
        commands = _check_commands(_obj(params, "commands"))
        key = _scope_key(_obj(params, "scope"), str(params.get("language_code", "")))
        self._state.commands[key] = commands
        return True

    def _api_getmycommands(self, params: dict) -> list[dict]:
        key = _scope_key(_obj(params, "scope"), str(params.get("language_code", "")))
        return list(self._state.commands.get(key, []))

    def _api_deletemycommands(self, params: dict) -> bool:
        key = _scope_key(_obj(params, "scope"), str(params.get("language_code", "")))
        self._state.commands.pop(key, None)
        return True

    def _api_deletewebhook(self, params: dict) -> bool:
        if _bool(params, "drop_pending_updates"):
            self._state.updates.clear()
        return True

    def _api_getwebhookinfo(self, params: dict) -> dict:
        return {"url": "", "has_custom_certificate": False,
                "pending_update_count": len(self._state.updates)}

    def _api_getupdates(self, params: dict) -> list[dict]:
        offset = _int(params, "offset")
        limit = min(max(_int(params, "limit", 100) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        state = self._state
        state.poll_generation += 1
        generation = state.poll_generation
        self._cond.notify_all()  # a newer poll ends any older one with 409, as Telegram does
        if offset is not None:  # confirms everything before it; negative = keep the last -n
            kept = state.updates[offset:] if offset < 0 else [
                u for u in state.updates if u["update_id"] >= offset]
            state.updates[:] = kept
        deadline = time.monotonic() + min(timeout, self.poll_cap)
        while not state.updates and not self._stopping and time.monotonic() < deadline:
            state.waiting_pollers += 1
            try:
                self._cond.wait(deadline - time.monotonic())
            finally:
                state.waiting_pollers -= 1
            if state.poll_generation != generation:
                raise ApiError(409, _CONFLICT)
        return state.updates[:limit]


def _photo_size(data: bytes) -> dict:
    """The PhotoSize Telegram answers for an image (one size; the real API adds thumbnails)."""
    digest = hashlib.sha256(data).hexdigest()
    width, height = image_size(data) or (0, 0)
    return {"file_id": "AgACAgQAAx0Fake" + digest[:40], "file_unique_id": "AQAD" + digest[:12],
            "width": width, "height": height, "file_size": len(data)}


def _scope_key(scope: dict | None, language_code: str) -> str:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + language_code
