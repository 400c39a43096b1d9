"""FakeTelegram: start/stop on 127.0.0.1, what tests read and control, and the request
path from the HTTP handler to the Bot API methods."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from .apitypes import ApiError, utf16_len
from .botapi import _BotApi
from .httpserver import _error_payload, _fault_error, _Handler, _Server
from .state import FORBIDDEN_BLOCKED, ApiCall, SentMessage, _Fault, _scope_key, _State
from .uploads import _parse_params
from .validation import _chat_key

__all__ = ["DEFAULT_TOKEN", "FakeTelegram"]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTanfwatchTests_0123456789"
HOLD_LIMIT = 60.0  # a held answer is sent after this even if no test releases it


class FakeTelegram(_BotApi):
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

    def lose_answers(self, count: int = 1, *, method: str = "sendMessage") -> None:
        """Carry out the next ``count`` calls of ``method`` (a message is accepted) but drop the
        connection instead of answering: the answer is lost after Telegram accepted."""
        with self._cond:
            key = method.lower()
            self._state.lost_answers[key] = self._state.lost_answers.get(key, 0) + count

    def hold_answer(self, *, method: str = "sendMessage") -> threading.Event:
        """Carry out the next call of ``method`` (a message is accepted and shows in
        ``messages()``) but hold its answer until the returned event is set (or HOLD_LIMIT)."""
        gate = threading.Event()
        with self._cond:
            self._state.holds[method.lower()] = gate
        return gate

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

    def push_channel_post(self, text: str, *, chat_id: int | str = -1001234567890) -> dict:
        """Queue a post in a channel (no sender user: the channel itself speaks)."""
        with self._cond:
            key = _chat_key(chat_id)
            chat = self._chat(key)
            post: dict[str, Any] = {"message_id": self._new_id(key), "date": int(time.time()),
                                    "chat": chat, "sender_chat": chat, "text": text}
            if text.startswith("/"):
                command = text.split(maxsplit=1)[0]
                post["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
            self._state.known.setdefault(key, {})[post["message_id"]] = post
            return self.push_update({"channel_post": post})

    def push_my_chat_member(self, chat_id: int | str, status: str, *, old: str = "left",
                            user_id: int = 1001) -> dict:
        """Queue the bot's own membership change in a chat ("member", "administrator",
        "left", "kicked"), as Telegram sends when the bot is added, removed or blocked."""
        with self._cond:
            key = _chat_key(chat_id)
            return self.push_update({"my_chat_member": {
                "chat": self._chat(key), "date": int(time.time()),
                "from": {"id": user_id, "is_bot": False, "first_name": "Test"},
                "old_chat_member": self._member(old), "new_chat_member": self._member(status),
            }})

    def _member(self, status: str) -> dict:
        member: dict[str, Any] = {"status": status, "user": self._bot_user()}
        if status == "administrator":
            member.update(dict.fromkeys((
                "can_be_edited", "is_anonymous", "can_manage_chat", "can_delete_messages",
                "can_manage_video_chats", "can_restrict_members", "can_promote_members",
                "can_change_info", "can_invite_users", "can_post_stories", "can_edit_stories",
                "can_delete_stories"), False), can_post_messages=True)
        elif status == "kicked":
            member["until_date"] = 0
        return member

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
            gate = self._state.holds.pop(method.lower(), None) if status == 200 else None
        if gate is not None:  # accepted and seen by tests; the answer waits for the gate
            gate.wait(HOLD_LIMIT)
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
            result = handler(params)
            if self._state.lost_answers.get(method.lower(), 0) > 0:
                self._state.lost_answers[method.lower()] -= 1
                return None  # done, but the answer never reaches the bot
            return 200, {"ok": True, "result": result}
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

