"""What every handler may use, built once per process."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.dialog.engine import DialogEngine
from bot.steps import activity, branch_pick, brand, innovate, organize, standardize, survey
from knowledge.content import Content, load_content
from knowledge.retrieval import KnowledgeBase, load_knowledge_base
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

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_user_ids


class NoDirectory:
    """Before a transport starts: nobody is a group admin, and there is no bot to link to."""

    bot_username = ""

    async def member_status(self, chat_id: int, user_id: int) -> str:
        return "member"


def build_engine(content: Content, settings: Settings, knowledge: KnowledgeBase) -> DialogEngine:
    """Wires each flow's named option lists, derived values, preparation and completion."""
    from bot import selfcheck

    def is_admin(user_id: int) -> bool:
        return user_id in settings.admin_user_ids

    check_rules = activity.load_rules()
    organize_derive = organize.make_derive(content)
    titles = {entry_id: entry.title for entry_id, entry in knowledge.by_id.items()}
    zone = ZoneInfo(settings.timezone)

    def today() -> date:
        """ "Not in the past" means the users' calendar day, wherever the server runs."""
        return datetime.now(zone).date()

    return DialogEngine(
        content,
        today=today,
        option_sources={
            **survey.option_sources(content),
            **organize.option_sources(content),
            "my_branches": branch_pick.options,
            "suggested_dates": activity.suggested_dates,
        },
        completions={
            "survey": survey.make_completion(content),
            "organize": organize.make_completion(content, organize_derive),
            "standardize": standardize.make_completion(content, settings.timezone),
            "activity": activity.make_completion(content, check_rules, settings.timezone),
            "innovate": innovate.make_completion(content, settings.timezone),
            "brand": brand.make_completion(content, settings.timezone),
            "selfcheck": selfcheck.make_completion(content, titles),
        },
        derivers={
            "organize": organize_derive,
            "branches": branch_pick.derive,
            "activity": activity.make_derive(content, check_rules),
            "brand": brand.derive,
        },
        preparers={
            "organize": organize.make_prepare(is_admin),
            "branches": branch_pick.prepare,
        },
    )


def build_services(settings: Settings) -> Services:
    content = load_content()
    knowledge = load_knowledge_base(settings.cache_dir)
    engine = build_engine(content, settings, knowledge)
    return Services(settings, Database(settings.database_url), content, engine, knowledge)


def settle_memory() -> None:
    """After start-up: jieba's dictionary and the knowledge index are large and live as long as
    the process, so they are moved out of the garbage collector's way (`gc.freeze`); full
    collections then stop pausing the bot for tens of milliseconds under load."""
    import gc

    gc.collect()
    gc.freeze()
