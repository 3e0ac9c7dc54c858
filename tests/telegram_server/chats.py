"""getMe, chats and their members, and the bot's command list."""

from __future__ import annotations

import json

from tests.telegram_server.wire import (
    _BOT_COMMAND_NAME,
    Files,
    Json,
    _words,
    bad_request,
    member_object,
)


class Chats:
    async def _true(self, params: Json, files: Files) -> bool:
        return True

    async def _get_me(self, params: Json, files: Files) -> Json:
        return dict(self.bot)

    async def _send_chat_action(self, params: Json, files: Files) -> bool:
        self._writable_chat(params)
        return True

    async def _get_chat(self, params: Json, files: Files) -> Json:
        state = self._target_chat(params)
        gifts = dict.fromkeys(
            _words(
                "unlimited_gifts limited_gifts unique_gifts premium_subscription "
                "gifts_from_channels"
            ),
            False,
        )
        return state.info | {
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    async def _get_chat_member(self, params: Json, files: Files) -> Json:
        state = self._target_chat(params)
        user_id = params.get("user_id")
        if user_id not in self._users:
            raise bad_request("user not found")
        return member_object(self._users[user_id], state.members.get(user_id, "left"))

    async def _get_chat_administrators(self, params: Json, files: Files) -> list[Json]:
        state = self._target_chat(params)
        if state.type == "private":
            raise bad_request("there are no administrators in the private chat")
        return [
            member_object(self._users[user_id], status)
            for user_id, status in state.members.items()
            if status in ("creator", "administrator")
        ]

    @staticmethod
    def _commands_key(params: Json) -> str:
        scope = params.get("scope") or {"type": "default"}
        return f"{json.dumps(scope, sort_keys=True)}|{params.get('language_code') or ''}"

    async def _set_my_commands(self, params: Json, files: Files) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            if not _BOT_COMMAND_NAME.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")
            if not str(command.get("description", "")).strip():
                raise bad_request("command description is empty")
        self._commands[self._commands_key(params)] = commands
        self._record("setMyCommands", commands=commands, scope=params.get("scope"))
        return True

    async def _get_my_commands(self, params: Json, files: Files) -> list[Json]:
        return list(self._commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: Json, files: Files) -> bool:
        self._commands.pop(self._commands_key(params), None)
        self._record("deleteMyCommands", scope=params.get("scope"))
        return True
