"""Builds the application's parts in order and hands each what it needs: content and the
knowledge base, the dialog engine with every step's hooks, then the services the handlers and
the scheduler share. The only module that imports every feature, so that no feature module
has to import the place that wires it (which made a cycle of six files)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import selfcheck
from bot.config import Settings
from bot.dialog.engine import DialogEngine
from bot.services import Services
from bot.steps import branch_pick, survey
from bot.steps.registry import STEPS
from bot.steps.spec import Hooks
from knowledge.content import Content, load_content
from knowledge.retrieval import KnowledgeBase, load_knowledge_base
from storage.db import Database


def build_engine(content: Content, settings: Settings, knowledge: KnowledgeBase) -> DialogEngine:
    """Wires each flow's named option lists, derived values, preparation and completion: the
    ledger survey, the branch question the branch flows share, the self-checks, and every step
    of the registry."""
    titles = {entry_id: entry.title for entry_id, entry in knowledge.by_id.items()}
    zone = ZoneInfo(settings.timezone)

    def today() -> date:
        """ "Not in the past" means the users' calendar day, wherever the server runs."""
        return datetime.now(zone).date()

    shared = Hooks(
        completions={
            "survey": survey.make_completion(content),
            "selfcheck": selfcheck.make_completion(content, titles),
        },
        derivers={"branches": branch_pick.derive},
        preparers={"branches": branch_pick.prepare},
        option_sources={**survey.option_sources(content), "my_branches": branch_pick.options},
    )
    every = [shared, *(step.hooks(content, settings) for step in STEPS)]
    return DialogEngine(
        content,
        today=today,
        option_sources=_merged([h.option_sources for h in every]),
        completions=_merged([h.completions for h in every]),
        derivers=_merged([h.derivers for h in every]),
        preparers=_merged([h.preparers for h in every]),
    )


def _merged(parts: list[Mapping[str, Any]]) -> dict[str, Any]:
    """One table from the steps' tables; a name given twice is a wiring mistake."""
    merged: dict[str, Any] = {}
    for part in parts:
        for name, hook in part.items():
            if name in merged:
                raise ValueError(f"two steps name the hook {name!r}")
            merged[name] = hook
    return merged


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
