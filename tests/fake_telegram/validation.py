"""What sendMessage and friends check: text and caption lengths after entity parsing,
parse modes, chat ids, typed fields, inline keyboards and command lists."""

from __future__ import annotations

import json
from typing import Any

from .apitypes import ApiError, ParsedText, utf16_len
from .htmlparse import _valid_url, parse_html

__all__ = ["MAX_CAPTION_LENGTH", "MAX_MESSAGE_LENGTH", "MAX_TEXT_BYTES", "check_caption",
           "check_message_text", "clean_text"]

MAX_MESSAGE_LENGTH = 4096  # code points after entity parsing and cleaning (tdlib)
MAX_CAPTION_LENGTH = 1024
MAX_TEXT_BYTES = 32768  # raw UTF-8 bytes, checked before parsing (telegram-bot-api)
# tdlib's clean_input_string: these are removed; other control characters become spaces
_REMOVED = frozenset("\r\u2028\u2029\u202a\u202b\u202c\u202d\u202e\u0333\u033f\u030a")
_COMMAND_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


def check_message_text(
    text: object, parse_mode: str | None = "HTML", *, strict_ampersand: bool = True
) -> ParsedText:
    """Validate a message text as sendMessage does; returns the text after entity parsing.

    In Telegram's order: empty, more than 32,768 raw UTF-8 bytes, invalid UTF-8 (a lone
    surrogate), the HTML, then more than 4,096 code points of the cleaned, trimmed text."""
    if not isinstance(text, str) or not text:
        raise ApiError(400, "Bad Request: message text is empty")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_TEXT_BYTES:
        raise ApiError(400, "Bad Request: text is too long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ApiError(400, "Bad Request: strings must be encoded in UTF-8") from None
    parsed = _parse_text(text, parse_mode, strict_ampersand)
    if any("\ud800" <= ch <= "\udfff" for ch in parsed.text):  # from &#xD83D; and the like
        raise ApiError(400, "Bad Request: text contains invalid Unicode characters")
    cleaned = clean_text(parsed.text).strip(" \n")
    if not cleaned:  # tdlib's "Text must be non-empty", as the Bot API words it
        raise ApiError(400, "Bad Request: message text is empty")
    if len(cleaned) > MAX_MESSAGE_LENGTH:
        raise ApiError(400, "Bad Request: message is too long")
    return parsed


def clean_text(text: str) -> str:
    """tdlib's cleaning after parsing: control characters -> spaces (but \n), some removed."""
    return "".join(" " if (ord(ch) < 32 and ch != "\n") else ch
                   for ch in text if ch not in _REMOVED)


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

