"""What every handler may use, built once per process."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config import Settings
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

    def is_admin(self, user_id: int) -> bool:
        return user_id in self.settings.admin_user_ids


def build_services(settings: Settings) -> Services:
    content = load_content()
    engine = DialogEngine(
        content,
        option_sources=survey.option_sources(content),
        completions={"survey": survey.make_completion(content)},
    )
    knowledge = load_knowledge_base(settings.cache_dir)
    return Services(settings, Database(settings.database_url), content, engine, knowledge)
