"""What every handler may use, built once per process by bot/app.py."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.dialog.engine import DialogEngine
from knowledge.content import Content
from knowledge.retrieval import KnowledgeBase
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    content: Content
    engine: DialogEngine
    knowledge: KnowledgeBase
    # Set by the transport once it knows the bot (Telegram) or stands in for it (console).
    directory: ChatDirectory = field(default_factory=lambda: NoDirectory())
    outbound: Messenger | None = None
    live_counts: Any = None  # bot.attendance.LiveCounts, made on first use
    reply_writer: Any = None  # storage.replies.ReplyWriter, made on first use
    # "Now" for everything time-bound (has the event begun?); tests move it instead of sleeping.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    # Set once the transport can send: the scheduler waits on it instead of polling.
    sending: asyncio.Event = field(default_factory=asyncio.Event)

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_user_ids

    def start_sending(self, messenger: Messenger) -> None:
        """The transport (or the console) can deliver now: reminders may go out."""
        self.outbound = messenger
        self.sending.set()


class NoDirectory:
    """Before a transport starts: nobody is a group admin, and there is no bot to link to."""

    bot_username = ""

    async def member_status(self, chat_id: int, user_id: int) -> str:
        return "member"

    def deep_link(self, payload: str) -> str | None:
        return None
