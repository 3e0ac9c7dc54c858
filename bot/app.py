"""Builds the application's parts in order and hands each what it needs: content and the
knowledge base, the dialog engine with every step's hooks, then the services the handlers and
the scheduler share. The only module that imports every feature, so that no feature module
has to import the place that wires it (which made a cycle of six files)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot import selfcheck
from bot.config import Settings
from bot.dialog.engine import DialogEngine
from bot.services import Services
from bot.steps import activity, branch_pick, brand, innovate, organize, standardize, survey
from knowledge.content import Content, load_content
from knowledge.retrieval import KnowledgeBase, load_knowledge_base
from storage.db import Database


def build_engine(content: Content, settings: Settings, knowledge: KnowledgeBase) -> DialogEngine:
    """Wires each flow's named option lists, derived values, preparation and completion."""

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
