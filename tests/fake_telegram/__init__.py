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

The package: apitypes (ApiError, entities), htmlparse (tdlib's HTML parser), validation
(lengths, captions, markup), uploads (multipart, images), state (what the fake remembers),
httpserver (HTTP handler), botapi (the Bot API methods) and server (FakeTelegram).
"""

from __future__ import annotations

from .apitypes import ApiError, Entity, ParsedText, utf16_len
from .htmlparse import parse_html
from .server import DEFAULT_TOKEN, FakeTelegram
from .state import FORBIDDEN_BLOCKED, FORBIDDEN_KICKED, ApiCall, SentMessage
from .uploads import MAX_PHOTO_BYTES, Upload, image_size
from .validation import MAX_CAPTION_LENGTH, MAX_MESSAGE_LENGTH, check_caption, check_message_text

__all__ = [
    "DEFAULT_TOKEN",
    "FORBIDDEN_BLOCKED",
    "FORBIDDEN_KICKED",
    "MAX_PHOTO_BYTES",
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
