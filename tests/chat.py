"""Drives the console transport in-process: what a user types in, what the bot printed out."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime
from itertools import count
from pathlib import Path

from bot.app import build_core, connect
from bot.config import Settings
from bot.console import GROUP_CHAT_ID, ConsoleDirectory, ConsoleScreen, ConsoleSession, console_chat
from bot.contract import Action, Messenger, SendText, User
from bot.services import Services
from tests.databases import migrated_sqlite_file


class Clock:
    """The services' "now", moved by the test instead of sleeping; the real time until set."""

    def __init__(self) -> None:
        self.at: datetime | None = None

    def __call__(self) -> datetime:
        return self.at or datetime.now(UTC)


def set_clock(services: Services, moment: datetime) -> None:
    clock = services.core.clock
    assert isinstance(clock, Clock), "services from bot_services() have a movable clock"
    clock.at = moment


class Sent:
    """The messenger of handler tests: keeps what is sent outside a request (reminders,
    nudges), in order, each with the message id it was given."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Action]] = []
        self.message_ids: list[int] = []
        self.ids = count(1000)

    async def send(self, chat_id: str, action: Action) -> int | None:
        self.sent.append((chat_id, action))
        self.message_ids.append(next(self.ids))
        return self.message_ids[-1]

    def texts(self, chat_id: str = GROUP_CHAT_ID) -> list[str]:
        return [a.text for c, a in self.sent if isinstance(a, SendText) and c == chat_id]


class Conversation:
    def __init__(
        self, services: Services, user_id: int | str = 1, name: str = "书记", group: bool = False
    ):
        self.out = io.StringIO()
        chat = console_chat(str(user_id), group)
        screen = ConsoleScreen(chat.id, self.out)
        self.session = ConsoleSession(services, screen, chat, User(str(user_id), name))

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


def handler_services(
    settings: Settings,
    messenger: Messenger | None = None,
    coalesce_edits: bool = False,
    clock: Clock | None = None,
) -> Services:
    """Services for calling handlers directly, as the console has them unless told otherwise."""
    core = build_core(settings) if clock is None else build_core(settings, clock=clock)
    return connect(core, messenger or Sent(), ConsoleDirectory(), coalesce_edits)


@asynccontextmanager
async def bot_services(
    database_url: str,
    admins: frozenset[str] = frozenset(),
    timezone: str | None = None,
    messenger: Messenger | None = None,
) -> AsyncIterator[Services]:
    """Services as the console has them (count edits come back in the reply), with a clock
    the test can move (`set_clock`) and a messenger that keeps what is sent (`Sent`)."""
    prefix = "sqlite+aiosqlite:///"
    if database_url.startswith(prefix) and not Path(database_url[len(prefix) :]).exists():
        await migrated_sqlite_file(Path(database_url[len(prefix) :]))  # a copy, not 7 migrations
    settings = Settings(database_url=database_url, admin_user_ids=admins)
    if timezone is not None:
        settings = replace(settings, timezone=timezone)
    services = handler_services(settings, messenger, clock=Clock())
    await services.db.migrate()
    try:
        yield services
    finally:
        await services.db.close()
