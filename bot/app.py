"""Builds the application's parts in order and hands each what it needs: content, the
knowledge base, the dialog engine with every step's hooks and the database (the `Core`);
then, once a messenger can send, the `Services` the handlers and the scheduler share. The
only module that imports every feature, so that no feature module has to import the place
that wires it (which made a cycle of six files)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot import attendance, meeting_records, selfcheck
from bot.config import Settings
from bot.contract import ChatDirectory, Messenger
from bot.dialog.engine import DialogEngine
from bot.services import Core, Services, utc_now
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
            "meeting_record": meeting_records.make_completion(content),
        },
        derivers={"branches": branch_pick.derive, "survey": survey.make_derive(content)},
        preparers={
            "branches": branch_pick.prepare,
            "survey": survey.make_prepare(content, lambda user: user in settings.admin_user_ids),
        },
        option_sources={**survey.option_sources(content), "my_branches": branch_pick.options},
        checks={
            "ledger": survey.make_check(content),
            "record": meeting_records.make_check(content),
        },
    )
    every = [shared, *(step.hooks(content, settings) for step in STEPS)]
    return DialogEngine(
        content,
        today=today,
        option_sources=_merged([h.option_sources for h in every]),
        completions=_merged([h.completions for h in every]),
        derivers=_merged([h.derivers for h in every]),
        preparers=_merged([h.preparers for h in every]),
        checks=_merged([h.checks for h in every]),
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


def build_core(settings: Settings, clock: Callable[[], datetime] = utc_now) -> Core:
    """What exists before any messenger: content, knowledge, the engine and the database."""
    content = load_content()
    knowledge = load_knowledge_base(settings.cache_dir)
    engine = build_engine(content, settings, knowledge)
    return Core(settings, Database(settings.database_url), content, engine, knowledge, clock)


def connect(
    core: Core, messenger: Messenger, directory: ChatDirectory, coalesce_edits: bool
) -> Services:
    """The core joined to a messenger, once that messenger can send. `coalesce_edits` where
    it rate-limits edits of one message (Telegram): count edits are then batched."""
    live = attendance.LiveCounts(core, messenger) if coalesce_edits else None
    return Services(core, messenger, directory, attendance.reply_writer(core.db), live)


def settle_memory() -> None:
    """After start-up: jieba's dictionary and the knowledge index are large and live as long as
    the process, so they are moved out of the garbage collector's way (`gc.freeze`); full
    collections then stop pausing the bot for tens of milliseconds under load."""
    import gc

    gc.collect()
    gc.freeze()
