"""Bot API HTML (parse_mode=HTML) parsed as Telegram parses it: a port of tdlib's parser."""

from __future__ import annotations

from urllib.parse import urlsplit

from .apitypes import ApiError, Entity, ParsedText, utf16_len

__all__ = ["parse_html"]

_TAGS = frozenset({
    "a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "tg-emoji", "tg-time", "code", "pre", "blockquote",
})
_ENTITY_TYPES = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "tg-emoji": "custom_emoji",
    "tg-time": "date_time", "code": "code",
    "pre": "pre", "blockquote": "blockquote", "a": "text_link",
}
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
# tdlib's is_space: ' ' \t \r \n \v and \0 (not \f). tdlib scans a C string, so a NUL ends the
# text inside a tag: `at` reads a NUL as the end ("").
_SPACE = " \t\r\n\v"
_CANT_PARSE = "Bad Request: can't parse entities: "


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
        ch = self.src[pos] if pos < len(self.src) else ""
        return "" if ch == "\0" else ch

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
        while self.at(self.i) and self.at(self.i) not in _SPACE + "=>/\"'":
            self.i += 1
        name = self.src[start:self.i]
        if not name:
            raise self.fail(f'Empty attribute name in the tag "{tag}" at byte offset '
                            f"{self.byte_offset(begin)}")
        self.skip_spaces()
        if self.at(self.i) != "=":
            if not self.at(self.i):
                raise self.fail(f'Unclosed start tag "{tag}" at byte offset '
                                f"{self.byte_offset(begin)}")
            return name, ""  # a valueless attribute is ignored (it only marks expandable)
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
