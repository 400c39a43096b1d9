"""The Bot API's error answer and its text types: entities, parsed text, UTF-16 lengths."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["ApiError", "Entity", "ParsedText", "utf16_len"]


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
