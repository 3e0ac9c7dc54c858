"""What one step of the method declares about itself: the kind of plan it saves and its typed
record, its card, its sheet in the plans export and the hooks the dialog engine calls. /plans,
the export and the wiring (bot/app.py) loop over the registry (bot/steps/registry.py) instead
of naming steps, so a new step is its flow YAML, its module with a `STEP`, and one line in
the registry."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.contract import SendText
from bot.dialog.engine import Completion, Preparer
from bot.dialog.machine import Check, Deriver, OptionSource
from bot.steps.records import PlanRecord
from knowledge.content import Content
from storage.models import Plan


@dataclass(frozen=True)
class Hooks:
    """The engine's hooks of one flow, under the names its YAML uses (on_complete, derive,
    prepare, options_from, check)."""

    completions: Mapping[str, Completion] = field(default_factory=dict)
    derivers: Mapping[str, Deriver] = field(default_factory=dict)
    preparers: Mapping[str, Preparer] = field(default_factory=dict)
    option_sources: Mapping[str, OptionSource] = field(default_factory=dict)
    checks: Mapping[str, Check] = field(default_factory=dict)


@dataclass(frozen=True)
class PlanSheet:
    """A sheet of the plans export: its title, its header (content may add columns), and the
    rows of one saved plan (most give one; a checklist gives one per item)."""

    title: str
    headers: Callable[[Content], Sequence[str]]
    rows: Callable[[Plan, Content, ZoneInfo], list[list[Any]]]


@dataclass(frozen=True)
class StepSpec:
    plan_kind: str  # Plan.kind of what the step saves
    record: type[PlanRecord]  # what it saves, typed (Plan.content holds it as JSON)
    card: Callable[[Plan, Content], SendText]  # shown when saved and again from /plans
    sheet: PlanSheet
    hooks: Callable[[Content, Settings], Hooks]


def saved_at(plan: Plan, local: ZoneInfo) -> str:
    return plan.created_at.astimezone(local).strftime("%Y-%m-%d %H:%M")


def joined(values: Any) -> str:
    return "、".join(str(v) for v in values or [])
