"""The Bot API methods FakeTelegram answers (`_api_<method>`, called with its lock held)
and the message bookkeeping they share."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import Any

from .apitypes import ApiError
from .state import SentMessage, _scope_key, _State
from .uploads import MAX_PHOTO_BYTES, Upload, _photo_size, image_size
from .validation import (
    _bool,
    _chat_key,
    _check_commands,
    _check_markup,
    _int,
    _obj,
    check_caption,
    check_message_text,
)

__all__: list[str] = []

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance "
    "is running"
)


class _BotApi:
    """FakeTelegram's Bot API half; the state and settings are FakeTelegram's."""

    token: str
    strict_ampersand: bool
    bot_username: str
    poll_cap: float
    _cond: threading.Condition
    _state: _State
    _stopping: bool

    @property
    def bot_id(self) -> int:
        head = self.token.split(":", 1)[0]
        return int(head) if head.isdigit() else 1

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

