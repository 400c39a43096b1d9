"""Telegram's own rules for a bot's HTML text (tdlib's `parse_html`, telegram-bot-api): measure,
make safe and fit any HTML we send; pure functions.

What Telegram checks, in order: at most 32,768 UTF-8 bytes of raw text (tags and hrefs
included, before parsing), then at most 4,096 code points of the text after entity parsing.
A NUL inside a tag is "Unclosed start tag" (tdlib scans a C string); a lone surrogate cannot
be encoded at all (httpx raises before sending). `fit_html` cuts only between characters or
whole entities (`&amp;`), never inside a tag, and closes the tags left open, so a cut message
still parses. `visible_text` is the text Telegram shows: the real plain-text fallback.
"""

from __future__ import annotations

import re

__all__ = ["MAX_BYTES", "MAX_CHARS", "fit_html", "fits", "tg_safe", "utf8_len",
           "visible_length", "visible_text"]

MAX_BYTES = 32_768  # telegram-bot-api: "Text is too long", before parsing
MAX_CHARS = 4_096  # tdlib: code points after entity parsing ("Message is too long")

# A tag, one of the entities Telegram decodes (named ones only lt/gt/amp/quot), or a character.
# As tdlib's decode_html_entity: a whole letter run for names, and "&#" plus digits under 10
# characters in all; anything else is literal text.
_TOKEN = re.compile(r"<[^>]*>|&(?:(?:lt|gt|amp|quot)(?![A-Za-z])|#[0-9]{1,7}(?![0-9])"
                    r"|#x[0-9a-fA-F]{1,6}(?![0-9a-fA-F]));?|.", re.S)
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_UNSAFE = re.compile(r"[\x00\ud800-\udfff]")
_ELLIPSIS = "…"


def tg_safe(text: str) -> str:
    """No NUL (it ends a tag for tdlib) and no lone surrogate (not encodable): replaced."""
    return _UNSAFE.sub(lambda m: " " if m.group() == "\x00" else "\ufffd", text)


def utf8_len(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _decode(token: str) -> str:
    """The character one entity token stands for, as tdlib's decode_html_entity does."""
    body = token[1:].rstrip(";")
    if body in _NAMED:
        return _NAMED[body]
    code = int(body[2:], 16) if body.startswith("#x") else int(body[1:])
    return chr(code) if 0 < code < 0x10FFFF and not 0xD800 <= code <= 0xDFFF else token


def visible_text(html_text: str) -> str:
    """The text Telegram shows for our HTML: tags dropped, entities decoded."""
    out = []
    for token in _TOKEN.findall(html_text):
        if token.startswith("<") and len(token) > 1:
            continue
        out.append(_decode(token) if token.startswith("&") and len(token) > 1 else token)
    return "".join(out)


def visible_length(html_text: str) -> int:
    """Code points Telegram counts against its 4,096 (after entity parsing)."""
    return len(visible_text(html_text))


def fits(html_text: str, limit: int = MAX_CHARS) -> bool:
    """Both of Telegram's limits: raw UTF-8 bytes, then code points after parsing."""
    return utf8_len(html_text) <= MAX_BYTES and visible_length(html_text) <= limit


def _tag_name(tag: str) -> str:
    return re.split(r"[\s>/]", tag[1:].lstrip("/"), maxsplit=1)[0].lower()


def fit_html(html_text: str, limit: int = MAX_CHARS) -> str:
    """`html_text` unchanged if it fits, else its longest prefix that fits with "…" and the
    open tags closed; the cut falls between characters or whole entities, never in a tag."""
    html_text = tg_safe(html_text)
    if fits(html_text, limit):
        return html_text
    tail = _ELLIPSIS
    out: list[str] = []
    stack: list[str] = []
    chars, size = 0, 0
    for token in _TOKEN.findall(html_text):
        is_tag = token.startswith("<") and len(token) > 1
        closing = "".join(f"</{name}>" for name in reversed(stack))
        cost_chars = 0 if is_tag else 1
        if is_tag and not token.startswith("</"):
            closing += f"</{_tag_name(token)}>"  # opening it commits us to closing it
        if (chars + cost_chars + len(tail) > limit
                or size + utf8_len(token) + utf8_len(tail + closing) > MAX_BYTES):
            break
        out.append(token)
        chars += cost_chars
        size += utf8_len(token)
        if is_tag:
            if token.startswith("</"):
                if stack:
                    stack.pop()
            elif not token.endswith("/>"):
                stack.append(_tag_name(token))
    return "".join(out) + tail + "".join(f"</{name}>" for name in reversed(stack))
