"""What the fake remembers: the messages it accepted, the calls it saw, updates, faults."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from .apitypes import Entity

__all__ = ["FORBIDDEN_BLOCKED", "FORBIDDEN_KICKED", "ApiCall", "SentMessage"]

FORBIDDEN_BLOCKED = "Forbidden: bot was blocked by the user"
FORBIDDEN_KICKED = "Forbidden: bot was kicked from the channel chat"


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
    lost_answers: dict[str, int] = field(default_factory=dict)  # method -> answers to drop
    holds: dict[str, threading.Event] = field(default_factory=dict)  # method -> answer gate
    forbidden: dict[int | str, str] = field(default_factory=dict)
    chat_types: dict[int | str, str] = field(default_factory=dict)
    outage: str | None = None  # None, "502" or "drop"
    poll_generation: int = 0
    waiting_pollers: int = 0
    photos: dict[str, bytes] = field(default_factory=dict)  # file_id -> image we were sent


def _scope_key(scope: dict | None, language_code: str) -> str:
    scope = scope or {"type": "default"}
    return json.dumps(scope, sort_keys=True) + "|" + language_code
