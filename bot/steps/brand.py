"""抓品牌: the brand case card, checked against the four marks, saved and exportable."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.contract import Action, Event, SendText
from bot.dialog.machine import Snapshot
from bot.rules.brand_check import CRITERIA, brand_marks, weak_marks
from bot.steps import branch_pick
from bot.steps.cards import card_buttons
from bot.steps.spec import Hooks, PlanSheet, StepSpec, joined, saved_at
from knowledge.content import Content
from storage import plans
from storage.models import Plan

PLAN_KIND = "brand"
CARD_FIELDS = (
    "brand_name",
    "slogan",
    "feature_kind",
    "feature",
    "practices",
    "results",
    "copyable",
    "influence",
)


def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    return {**branch_pick.derive(answers, context), **weak_marks(answers)}


def make_completion(content: Content, zone: str):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        branch = await branch_pick.resolve(session, event, answers, state.context, zone)
        plan = await plans.add_plan(
            session,
            PLAN_KIND,
            event.user.id,
            {
                "branch_name": branch.name,
                **{name: answers.get(name) for name in CARD_FIELDS},
                "follow_ups": {
                    name: answers[f"more_{name}"]
                    for name in CRITERIA
                    if answers.get(f"more_{name}")
                },
                "marks": brand_marks(answers),
            },
            branch_id=branch.id,
        )
        return [brand_card(plan, content)]

    return complete


def brand_card(plan: Plan, content: Content) -> SendText:
    flow = content.flows["brand"]
    card, marks = flow["card"], flow["marks"]
    data = plan.content
    lines = [
        card["title"].format(id=plan.id, brand_name=data["brand_name"], branch=data["branch_name"]),
        card["slogan"].format(slogan=data["slogan"]),
        card["feature"].format(feature_kind=data["feature_kind"], feature=data["feature"]),
        card["practices"].format(practices=data["practices"]),
        card["results"].format(results=data["results"]),
        card["copyable"].format(copyable=data["copyable"]),
        card["influence"].format(influence="、".join(data.get("influence") or [])),
    ]
    for name, text in data.get("follow_ups", {}).items():
        lines.append(card["more"].format(mark=marks[name], text=text))
    lines.append(card["marks"])
    for name in CRITERIA:
        met = data["marks"].get(name)
        lines.append(card["mark_met" if met else "mark_unmet"].format(mark=marks[name]))
    return SendText("\n".join(lines), card_buttons(card["buttons"], "brand-what"))


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    data = plan.content
    marks = content.flows["brand"]["marks"]
    return [
        [
            plan.id,
            data["branch_name"],
            data["brand_name"],
            data["slogan"],
            f"{data['feature_kind']}：{data['feature']}",
            data["practices"],
            data["results"],
            data["copyable"],
            joined(data.get("influence")),
            "；".join(f"{marks[k]}：{v}" for k, v in data.get("follow_ups", {}).items()),
            "、".join(marks[k] for k, met in data["marks"].items() if met),
            "、".join(marks[k] for k, met in data["marks"].items() if not met),
            saved_at(plan, local),
        ]
    ]


def hooks(content: Content, settings: Settings) -> Hooks:
    return Hooks(
        completions={"brand": make_completion(content, settings.timezone)},
        derivers={"brand": derive},
    )


STEP = StepSpec(
    plan_kind=PLAN_KIND,
    card=brand_card,
    sheet=PlanSheet(
        "品牌案例",
        lambda _: (
            "编号",
            "支部",
            "品牌名称",
            "口号",
            "特色",
            "做法",
            "成效",
            "可复制经验",
            "认可",
            "补充",
            "已体现",
            "待加强",
            "保存时间",
        ),
        sheet_rows,
    ),
    hooks=hooks,
)
