"""抓规范: saves a branch's standardisation check and shows it against the previous one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.contract import Action, Event, SendText
from bot.dialog.machine import Snapshot
from bot.rules.standards import compare, score_check
from bot.steps import branch_pick, records
from bot.steps.cards import card_buttons
from bot.steps.records import PlanRecord
from bot.steps.spec import Hooks, PlanSheet, StepSpec, saved_at
from knowledge.content import Content
from storage import plans
from storage.models import Plan

PLAN_KIND = "standards"
MAX_TODO_SHOWN = 12


@dataclass(frozen=True, kw_only=True)
class StandardsCheck(PlanRecord):
    phase: str
    answers: dict[str, Any]  # check item -> 有 / 部分 / 无
    percents: dict[str, int]  # section -> completion in %
    todo: tuple[tuple[str, str], ...]  # (item, 无 | 部分), missing first
    previous_id: int | None = None  # the branch's check before this one
    previous_percents: dict[str, int] | None = None
    previous_date: date | None = None
    number: int | None = None  # 第N次 of the branch (checks saved before this was counted)


def make_completion(content: Content, zone: str):  # type: ignore[no-untyped-def]
    flow = content.flows["standardize"]

    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        """Scores the check, compares it with the branch's last one, saves it, shows the card."""
        branch = await branch_pick.resolve(session, event, answers, state.context, zone)
        result = score_check(flow["check_items"], answers)
        previous = await plans.latest_plan(session, PLAN_KIND, branch.id)
        before = records.load(StandardsCheck, previous.content) if previous else None
        check = StandardsCheck(
            branch_name=branch.name,
            phase=answers["phase"],
            answers={i["id"]: answers.get(i["id"]) for i in flow["check_items"]},
            percents=result.percents,
            todo=tuple(result.todo),
            previous_id=previous.id if previous else None,
            previous_percents=before.percents if before else None,
            previous_date=previous.created_at.date() if previous else None,
            number=await plans.count_plans(session, PLAN_KIND, branch.id) + 1,
        )
        plan = await plans.add_plan(
            session, PLAN_KIND, event.user.id, records.dump(check), branch_id=branch.id
        )
        return [standards_card(plan, content)]

    return complete


def standards_card(plan: Plan, content: Content) -> SendText:
    flow = content.flows["standardize"]
    card = flow["card"]
    check = records.load(StandardsCheck, plan.content)
    lines = [
        # The branch's 第N次, not the plan's id: a first check numbered "#2" (another step's
        # plan was #1) read as a second one. Checks saved before this was counted keep the id.
        card["title" if check.number else "title_by_id"].format(
            id=plan.id, number=check.number, branch=check.branch_name
        ),
        card["phase"].format(phase=flow["phases"].get(check.phase, check.phase)),
        card["sections"],
    ]
    previous = check.previous_percents
    changes = compare(previous, check.percents) if previous else {}
    for section in flow["sections"]:
        if section not in check.percents:
            continue
        lines.append(
            card["section"].format(
                section=section,
                percent=check.percents[section],
                change=_change(changes, section, card),
            )
        )
    lines.append(
        card["previous"].format(date=check.previous_date) if previous else card["first_time"]
    )
    todo = check.todo
    if todo:
        lines.append(card["todo_title"])
        lines += [card["todo_line"].format(item=i, status=s) for i, s in todo[:MAX_TODO_SHOWN]]
        if len(todo) > MAX_TODO_SHOWN:
            lines.append(card["todo_more"].format(count=len(todo) - MAX_TODO_SHOWN))
    else:
        lines.append(card["all_done"])
    return SendText("\n".join(lines), card_buttons(card["buttons"], "room-six-haves", "activity"))


def _change(changes: dict[str, int | None], section: str, card: dict[str, str]) -> str:
    delta = changes.get(section)
    if delta is None:
        return ""
    if delta > 0:
        return card["change_up"].format(delta=delta)
    if delta < 0:
        return card["change_down"].format(delta=delta)
    return card["change_same"]


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    check = records.load(StandardsCheck, plan.content)
    sections = content.flows["standardize"]["sections"]
    return [
        [
            plan.id,
            check.branch_name,
            check.phase,
            *(check.percents.get(section) for section in sections),
            "；".join(f"{item}（{status}）" for item, status in check.todo),
            saved_at(plan, local),
        ]
    ]


def hooks(content: Content, settings: Settings) -> Hooks:
    return Hooks(completions={"standardize": make_completion(content, settings.timezone)})


STEP = StepSpec(
    plan_kind=PLAN_KIND,
    record=StandardsCheck,
    card=standards_card,
    sheet=PlanSheet(
        "规范化自查",
        lambda content: (
            "编号",
            "支部",
            "阶段",
            *content.flows["standardize"]["sections"],
            "待办清单",
            "保存时间",
        ),
        sheet_rows,
    ),
    hooks=hooks,
)
