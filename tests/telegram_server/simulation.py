"""Users, chats and what people do in them: type, send a sticker, press a button, block the bot."""

from __future__ import annotations

import copy
import time

from tests.telegram_server.state import ChatState, PendingCallback
from tests.telegram_server.wire import BOT_ID, STATUSES, Json, _now, member_object, text_entities


class Simulation:
    # -- simulation

    def _bot_user(self) -> Json:
        return {key: self.bot[key] for key in ("id", "is_bot", "first_name", "username")}

    def _user_of(self, user: Json | int) -> Json:
        user_id = user if isinstance(user, int) else int(user["id"])
        return self._users.setdefault(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"}
        )

    def _chat_of(self, chat: Json | int) -> ChatState:
        chat_id = chat if isinstance(chat, int) else int(chat["id"])
        if chat_id not in self._chats:
            raise KeyError(f"chat {chat_id} unknown: create it with private_chat() or group()")
        return self._chats[chat_id]

    async def user(self, id: int, first_name: str, username: str | None = None) -> Json:
        user: Json = {"id": id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        user["language_code"] = "zh-hans"
        self._users[id] = user
        return dict(user)

    async def private_chat(self, user: Json | int) -> Json:
        known = self._user_of(user)
        info = {"id": known["id"], "type": "private", "first_name": known["first_name"]}
        if "username" in known:
            info["username"] = known["username"]
        self._chats[known["id"]] = ChatState(info, {known["id"]: "member", BOT_ID: "member"})
        return dict(info)

    async def group(
        self,
        chat_id: int,
        title: str,
        members: dict[int, str] | None = None,
        type: str | None = None,
    ) -> Json:
        """The bot is a plain member unless `members` says otherwise; ids below -10**12 (the
        "-100..." form) make a supergroup."""
        kind = type or ("supergroup" if chat_id < -(10**12) else "group")
        statuses = {BOT_ID: "member"} | dict(members or {})
        for user_id, status in statuses.items():
            if status not in STATUSES:
                raise ValueError(f"unknown member status {status!r}")
            self._user_of(user_id)
        info = {"id": chat_id, "type": kind, "title": title}
        self._chats[chat_id] = ChatState(info, statuses)
        return dict(info)

    async def send_text(
        self,
        user: Json | int,
        chat: Json | int,
        text: str,
        reply_to_message_id: int | None = None,
    ) -> Json:
        sender, state = self._user_of(user), self._chat_of(chat)
        if state.members.get(BOT_ID) in ("left", "kicked"):
            raise ValueError(f"the bot is not in chat {state.id}; it would not get this message")
        message: Json = self._new_message(state, sender, {"text": text})
        if entities := text_entities(text):
            message["entities"] = entities
        if reply_to_message_id is not None:
            message["reply_to_message"] = self._reply_copy(state, reply_to_message_id)
        self._enqueue("message", message)
        return copy.deepcopy(message)

    async def send_media(self, user: Json | int, chat: Json | int, kind: str = "sticker") -> Json:
        """A message without text, as a user sends it: a sticker, a photo, a voice note."""
        sender, state = self._user_of(user), self._chat_of(chat)
        file = {"file_id": f"CAACAgIAAxkBAAI{next(self._ids)}", "file_unique_id": "AgADx"}
        shapes: Json = {
            "sticker": file
            | {"type": "regular", "width": 512, "height": 512, "is_animated": False}
            | {"is_video": False},
            "photo": [file | {"width": 90, "height": 90}],
            "voice": file | {"duration": 3},
            "document": file | {"file_name": "a.pdf"},
            "location": {"latitude": 25.04, "longitude": 102.71},
        }
        message = self._new_message(state, sender, {kind: shapes[kind]})
        self._enqueue("message", message)
        return copy.deepcopy(message)

    async def press_button(
        self, user: Json | int, chat: Json | int, message_id: int, data: str
    ) -> str:
        presser, state = self._user_of(user), self._chat_of(chat)
        if message_id not in state.messages:
            raise KeyError(f"no message {message_id} in chat {state.id}")
        query_id = str(next(self._ids))
        self._callbacks[query_id] = PendingCallback(state.id, message_id, time.monotonic())
        query = {
            "id": query_id,
            "from": presser,
            "message": state.messages[message_id],
            "chat_instance": state.chat_instance,
            "data": data,
        }
        self._enqueue("callback_query", query)
        return query_id

    async def set_member_status(
        self, chat_id: int, user_id: int, status: str, by: Json | int | None = None
    ) -> None:
        """Also sends the my_chat_member (the bot) or chat_member update Telegram would."""
        if status not in STATUSES:
            raise ValueError(f"unknown member status {status!r}")
        state, user = self._chat_of(chat_id), self._user_of(user_id)
        old = state.members.get(user_id, "left")
        state.members[user_id] = status
        if by is None:  # the user in a private chat, else the owner, else the member
            owners = [uid for uid, s in state.members.items() if s == "creator"]
            by = state.id if state.type == "private" else (owners or [user_id])[0]
        change = {
            "chat": state.info,
            "from": self._user_of(by),
            "date": _now(),
            "old_chat_member": member_object(user, old),
            "new_chat_member": member_object(user, status),
        }
        self._enqueue("my_chat_member" if user_id == BOT_ID else "chat_member", change)

    async def remove_bot(self, chat_id: int) -> None:
        await self.set_member_status(chat_id, BOT_ID, "kicked")

    async def block_bot(self, user_id: int) -> None:
        await self.set_member_status(user_id, BOT_ID, "kicked")
