"""抓创新: the branch's innovation checklist (清单化), one indicator per chosen idea."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.contract import Action, Event, SendText
from bot.dialog.machine import Snapshot
from bot.steps import branch_pick, records
from bot.steps.cards import card_buttons
from bot.steps.records import PlanRecord
from bot.steps.spec import Hooks, PlanSheet, StepSpec
from knowledge.content import Content
from storage import plans
from storage.models import Plan

PLAN_KIND = "innovation"


@dataclass(frozen=True, kw_only=True)
class Indicator:
    idea: str
    reflection: str
    what: str
    count: int
    due: date


@dataclass(frozen=True, kw_only=True)
class InnovationChecklist(PlanRecord):
    items: tuple[Indicator, ...]


def checklist(ideas: list[dict[str, Any]], answers: dict[str, Any]) -> list[Indicator]:
    """The indicators in the five ideas' order, only for the ideas the branch chose."""
    chosen = set(answers.get("ideas") or [])
    return [
        Indicator(
            idea=idea["name"],
            reflection=answers[f"{idea['key']}_reflect"],
            what=answers[f"{idea['key']}_what"],
            count=int(answers[f"{idea['key']}_count"]),
            due=date.fromisoformat(answers[f"{idea['key']}_due"]),
        )
        for idea in ideas
        if idea["name"] in chosen
    ]


def make_completion(content: Content, zone: str):  # type: ignore[no-untyped-def]
    ideas = content.flows["innovate"]["ideas"]

    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        """Saves the checklist; each indicator's date becomes a milestone for the reminders."""
        branch = await branch_pick.resolve(session, event, answers, state.context, zone)
        items = checklist(ideas, answers)
        plan = await plans.add_plan(
            session,
            PLAN_KIND,
            event.user.id,
            records.dump(InnovationChecklist(branch_name=branch.name, items=tuple(items))),
            branch_id=branch.id,
            milestones=[(f"{i.idea}：{i.what}（{i.count}）"[:200], i.due) for i in items],
        )
        return [innovation_card(plan, content)]

    return complete


def innovation_card(plan: Plan, content: Content) -> SendText:
    card = content.flows["innovate"]["card"]
    record = records.load(InnovationChecklist, plan.content)
    lines = [card["title"].format(id=plan.id, branch=record.branch_name)]
    for n, item in enumerate(record.items, 1):
        shown = {"idea": item.idea, "what": item.what, "count": item.count, "due": item.due}
        lines.append(card["item"].format(n=n, **shown))
        lines.append(card["reflection"].format(reflection=item.reflection))
    lines.append(card["footer"])
    return SendText("\n".join(lines), card_buttons(card["buttons"], "five-ideas", "brand"))


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    record = records.load(InnovationChecklist, plan.content)
    return [
        [plan.id, record.branch_name, i.idea, i.reflection, i.what, i.count, i.due.isoformat()]
        for i in record.items
    ]


def hooks(content: Content, settings: Settings) -> Hooks:
    return Hooks(completions={"innovate": make_completion(content, settings.timezone)})


STEP = StepSpec(
    plan_kind=PLAN_KIND,
    record=InnovationChecklist,
    card=innovation_card,
    sheet=PlanSheet(
        "创新清单",
        lambda _: ("编号", "支部", "理念", "思考", "指标", "数量", "完成日期"),
        sheet_rows,
    ),
    hooks=hooks,
)
