"""What every handler may use. Built in two immutable layers by bot/app.py, in the order the
parts come to exist: the `Core` before any messenger (content, knowledge, the dialog engine,
the database), then `Services` once a messenger is connected (it can send, and it knows the
chats). Nothing is attached later, so a handler never has to ask which messenger it runs in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.dialog.engine import DialogEngine
from knowledge.content import Content
from knowledge.retrieval import KnowledgeBase
from storage.db import Database
from storage.replies import ReplyWriter


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Core:
    settings: Settings
    db: Database
    content: Content
    engine: DialogEngine
    knowledge: KnowledgeBase
    # "Now" for everything time-bound (has the event begun?); tests pass a clock they move.
    clock: Callable[[], datetime] = field(default=utc_now)

    def is_admin(self, user_id: str) -> bool:
        return user_id in self.settings.admin_user_ids


class CountEdits(Protocol):
    """Edits of a reminder's counts, coalesced (bot.attendance.LiveCounts)."""

    def touch(self, chat_id: str, message_id: int, event_id: int) -> None: ...

    async def flush(self) -> None: ...


@dataclass(frozen=True, slots=True)
class Services:
    """The core connected to one messenger."""

    core: Core
    messenger: Messenger  # sends outside a request: reminders, nudges, count edits
    directory: ChatDirectory  # member status and links into a private chat
    reply_writer: ReplyWriter  # presses and replies, as the press rule decides
    # Where the messenger rate-limits edits (Telegram), count edits are coalesced here;
    # None: the edit goes out with the reply itself (the console, and handler tests).
    live_counts: CountEdits | None = None

    @property
    def settings(self) -> Settings:
        return self.core.settings

    @property
    def db(self) -> Database:
        return self.core.db

    @property
    def content(self) -> Content:
        return self.core.content

    @property
    def engine(self) -> DialogEngine:
        return self.core.engine

    @property
    def knowledge(self) -> KnowledgeBase:
        return self.core.knowledge

    def clock(self) -> datetime:
        return self.core.clock()

    def is_admin(self, user_id: str) -> bool:
        return self.core.is_admin(user_id)
