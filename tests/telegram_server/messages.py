"""sendMessage and its kin, edits, deletions and answers to button presses."""

from __future__ import annotations

import copy
import mimetypes
import time

from tests.telegram_server.state import ChatState
from tests.telegram_server.wire import (
    BOT_ID,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiError,
    Files,
    Json,
    Upload,
    _now,
    bad_request,
    check_caption,
    check_text,
    image_size,
    inline_markup,
    too_many_requests,
)


class Messages:
    # -- messages

    def _new_message(self, state: ChatState, sender: Json, content: Json) -> Json:
        state.last_message_id += 1
        message = {
            "message_id": state.last_message_id,
            "from": sender,
            "chat": state.info,
            "date": _now(),
            **content,
        }
        state.messages[state.last_message_id] = message
        return message

    def _reply_copy(self, state: ChatState, message_id: int) -> Json:
        if message_id not in state.messages:
            raise bad_request("message to be replied not found")
        target = state.messages[message_id]
        return copy.deepcopy(
            {key: value for key, value in target.items() if key != "reply_to_message"}
        )

    def _target_chat(self, params: Json) -> ChatState:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            named = [s for s in self._chats.values() if f"@{s.info.get('username')}" == chat_id]
            if not named:
                raise bad_request("chat not found")
            return named[0]
        if chat_id not in self._chats:
            raise bad_request("chat not found")
        return self._chats[chat_id]

    def _writable_chat(self, params: Json) -> ChatState:
        state = self._target_chat(params)
        status = state.members.get(BOT_ID, "member")
        if status in ("left", "kicked"):
            if state.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            kind = f"{state.type} chat"
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return state

    def _throttle(self, method: str, state: ChatState | None) -> None:
        chat_id = state.id if state else None
        verdict = self.limits.admit(chat_id, state.type if state else None, time.monotonic())
        if verdict is None:
            return
        scope, retry_after = verdict
        self.rejected.append(
            {"method": method, "chat_id": chat_id, "scope": scope, "retry_after": retry_after}
            | {"at": time.monotonic()}
        )
        raise too_many_requests(retry_after)

    async def _send(self, method: str, params: Json, content: Json, record: Json) -> Json:
        """The part every send method shares, in Telegram's order: chat, markup, reply, flood."""
        state = self._writable_chat(params)
        markup = inline_markup(params.get("reply_markup"))
        reply = params.get("reply_parameters")
        reply_id = reply.get("message_id") if isinstance(reply, dict) else None
        reply_id = params.get("reply_to_message_id") if reply_id is None else reply_id
        lenient = params.get("allow_sending_without_reply") or (
            isinstance(reply, dict) and reply.get("allow_sending_without_reply")
        )
        reply_to = None
        if reply_id is not None and (int(reply_id) in state.messages or not lenient):
            reply_to = self._reply_copy(state, int(reply_id))
        self._throttle(method, state)
        message = self._new_message(state, self._bot_user(), content)
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        if markup is not None:
            message["reply_markup"] = markup
        self._record(
            method,
            chat_id=state.id,
            message_id=message["message_id"],
            reply_markup=params.get("reply_markup"),
            reply_to_message_id=reply_to["message_id"] if reply_to else None,
            parse_mode=params.get("parse_mode"),
            disable_notification=bool(params.get("disable_notification")),
            **record,
        )
        return copy.deepcopy(message)

    def _upload(self, params: Json, files: Files, name: str) -> tuple[str, Upload]:
        """PTB names the file part after the parameter; aiogram sends `attach://<part>`."""
        value = params.get(name)
        if name in files:
            upload = files[name]
        elif isinstance(value, str) and value.startswith("attach://") and value[9:] in files:
            upload = files[value[9:]]
        elif isinstance(value, str) and value in self._files:
            return value, self._files[value]
        elif value:
            raise bad_request("wrong file identifier/HTTP URL specified")
        else:
            raise bad_request(f"there is no {name} in the request")
        if not upload.data:
            raise bad_request("file must be non-empty")
        file_id = f"BQACAgIAAxkBAAI{next(self._ids)}"
        self._files[file_id] = upload
        return file_id, upload

    async def _send_message(self, params: Json, files: Files) -> Json:
        text = check_text(params.get("text"))
        content: Json = {"text": text}
        if isinstance(params.get("entities"), list) and params["entities"]:
            content["entities"] = params["entities"]
        return await self._send("sendMessage", params, content, {"text": text})

    async def _send_document(self, params: Json, files: Files) -> Json:
        caption = check_caption(params.get("caption"))
        file_id, upload = self._upload(params, files, "document")
        guessed = mimetypes.guess_type(upload.filename)[0]
        document = {
            "file_id": file_id,
            "file_unique_id": f"AgAD{file_id[-10:]}",
            "file_name": upload.filename,
            "mime_type": guessed or upload.content_type or "application/octet-stream",
            "file_size": len(upload.data),
        }
        content: Json = {"document": document} | ({"caption": caption} if caption else {})
        record = {
            "document": (upload.filename, upload.data),
            "caption": caption,
            "file_id": file_id,
        }
        return await self._send("sendDocument", params, content, record)

    async def _send_photo(self, params: Json, files: Files) -> Json:
        caption = check_caption(params.get("caption"))
        file_id, upload = self._upload(params, files, "photo")
        width, height = image_size(upload.data)
        size = {"file_id": file_id, "file_unique_id": f"AQAD{file_id[-10:]}"}
        size |= {"width": width, "height": height, "file_size": len(upload.data)}
        content: Json = {"photo": [size]} | ({"caption": caption} if caption else {})
        record = {"photo": (upload.filename, upload.data), "caption": caption, "file_id": file_id}
        return await self._send("sendPhoto", params, content, record)

    def _own_message(self, params: Json, action: str) -> tuple[ChatState, Json]:
        if params.get("inline_message_id"):
            raise bad_request("MESSAGE_ID_INVALID")
        state = self._writable_chat(params)
        message = state.messages.get(int(params.get("message_id") or 0))
        if message is None:
            raise bad_request(f"message to {action} not found")
        if message["from"]["id"] != BOT_ID and action == "edit":
            raise bad_request("message can't be edited")
        return state, message

    async def _edit_message_text(self, params: Json, files: Files) -> Json:
        text = check_text(params.get("text"))
        state, message = self._own_message(params, "edit")
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        return self._edit(state, message, "editMessageText", params, text)

    async def _edit_message_reply_markup(self, params: Json, files: Files) -> Json:
        state, message = self._own_message(params, "edit")
        return self._edit(state, message, "editMessageReplyMarkup", params, None)

    def _edit(
        self, state: ChatState, message: Json, method: str, params: Json, text: str | None
    ) -> Json:
        """Telegram drops the keyboard when an edit omits reply_markup, and refuses no-op edits."""
        markup = inline_markup(params.get("reply_markup"))
        if (text is None or message.get("text") == text) and message.get("reply_markup") == markup:
            raise bad_request(NOT_MODIFIED)
        self._throttle(method, state)
        if text is not None:
            message["text"] = text
        message.pop("reply_markup", None)
        if markup is not None:
            message["reply_markup"] = markup
        message["edit_date"] = _now()
        self._record(
            method,
            chat_id=state.id,
            message_id=message["message_id"],
            text=text,
            reply_markup=params.get("reply_markup"),
            parse_mode=params.get("parse_mode"),
        )
        return copy.deepcopy(message)

    async def _delete_message(self, params: Json, files: Files) -> bool:
        state, message = self._own_message(params, "delete")
        del state.messages[message["message_id"]]
        self._record("deleteMessage", chat_id=state.id, message_id=message["message_id"])
        return True

    async def _answer_callback_query(self, params: Json, files: Files) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        pending = self._callbacks.get(query_id)
        too_late = pending is not None and (
            time.monotonic() - pending.at > self.callback_answer_timeout
        )
        if pending is None or pending.answered or too_late:
            raise bad_request(QUERY_TOO_OLD)
        pending.answered = True
        self._record(
            "answerCallbackQuery",
            chat_id=pending.chat_id,
            message_id=pending.message_id,
            callback_query_id=query_id,
            text=params.get("text"),
            show_alert=bool(params.get("show_alert")),
            url=params.get("url"),
        )
        return True
