"""Drives the console transport in-process: what a user types in, what the bot printed out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from bot.app import build_services
from bot.config import Settings
from bot.console import GROUP_CHAT_ID, ConsoleDirectory, ConsoleSession
from bot.contract import Chat, User
from bot.services import Services


class Conversation:
    def __init__(
        self, services: Services, user_id: int = 1, name: str = "书记", group: bool = False
    ):
        self.out = io.StringIO()
        chat = Chat(GROUP_CHAT_ID, "group", "测试群") if group else Chat(user_id, "private")
        self.session = ConsoleSession(services, chat, User(user_id, name), out=self.out)

    def _take(self) -> str:
        text = self.out.getvalue()
        self.out.seek(0)
        self.out.truncate()
        return text

    async def say(self, *lines: str) -> str:
        """Types each line; returns everything the bot printed in reply."""
        for line in lines:
            await self.session.say(line)
        return self._take()

    async def resume(self) -> str:
        await self.session.resume_notice()
        return self._take()


@asynccontextmanager
async def bot_services(
    database_url: str, admins: frozenset[int] = frozenset(), timezone: str | None = None
) -> AsyncIterator[Services]:
    settings = Settings(database_url=database_url, admin_user_ids=admins)
    if timezone is not None:
        settings = replace(settings, timezone=timezone)
    services = build_services(settings)
    services.directory = ConsoleDirectory()
    await services.db.migrate()
    try:
        yield services
    finally:
        await services.db.close()
