"""What every handler may use, built once per process."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.dialog.engine import DialogEngine
from bot.steps import survey
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

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_user_ids


class NoDirectory:
    """Before a transport starts: nobody is a group admin, and there is no bot to link to."""

    bot_username = ""

    async def member_status(self, chat_id: int, user_id: int) -> str:
        return "member"


def build_services(settings: Settings) -> Services:
    content = load_content()
    engine = DialogEngine(
        content,
        option_sources=survey.option_sources(content),
        completions={"survey": survey.make_completion(content)},
    )
    knowledge = load_knowledge_base(settings.cache_dir)
    return Services(settings, Database(settings.database_url), content, engine, knowledge)
