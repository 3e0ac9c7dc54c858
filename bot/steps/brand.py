"""抓品牌: the brand case card, checked against the four marks, saved and exportable."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.contract import Action, Event, SendText
from bot.dialog.machine import Snapshot
from bot.rules.brand_check import CRITERIA, brand_marks, weak_marks
from bot.steps import branch_pick, records
from bot.steps.cards import card_buttons
from bot.steps.records import PlanRecord
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
)


@dataclass(frozen=True, kw_only=True)
class BrandCase(PlanRecord):
    brand_name: str
    slogan: str
    feature_kind: str
    feature: str
    practices: str
    results: str
    copyable: str
    influence: tuple[str, ...] = ()
    follow_ups: dict[str, str] = field(default_factory=dict)  # mark -> the follow-up answer
    marks: dict[str, bool]  # mark -> shown by the answers

    @property
    def title(self) -> str:
        return self.brand_name


def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
    return {**branch_pick.derive(answers, context), **weak_marks(answers)}


def make_completion(content: Content, zone: str):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        branch = await branch_pick.resolve(session, event, answers, state.context, zone)
        case = BrandCase(
            branch_name=branch.name,
            **{name: answers.get(name) for name in CARD_FIELDS},
            influence=tuple(answers.get("influence") or ()),
            follow_ups={
                name: answers[f"more_{name}"] for name in CRITERIA if answers.get(f"more_{name}")
            },
            marks=brand_marks(answers),
        )
        plan = await plans.add_plan(
            session, PLAN_KIND, event.user.id, records.dump(case), branch_id=branch.id
        )
        return [brand_card(plan, content)]

    return complete


def brand_card(plan: Plan, content: Content) -> SendText:
    flow = content.flows["brand"]
    card, marks = flow["card"], flow["marks"]
    case = records.load(BrandCase, plan.content)
    lines = [
        card["title"].format(id=plan.id, brand_name=case.brand_name, branch=case.branch_name),
        card["slogan"].format(slogan=case.slogan),
        card["feature"].format(feature_kind=case.feature_kind, feature=case.feature),
        card["practices"].format(practices=case.practices),
        card["results"].format(results=case.results),
        card["copyable"].format(copyable=case.copyable),
        card["influence"].format(influence="、".join(case.influence)),
    ]
    for name, text in case.follow_ups.items():
        lines.append(card["more"].format(mark=marks[name], text=text))
    lines.append(card["marks"])
    for name in CRITERIA:
        met = case.marks.get(name)
        lines.append(card["mark_met" if met else "mark_unmet"].format(mark=marks[name]))
    return SendText("\n".join(lines), card_buttons(card["buttons"], "brand-what"))


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    case = records.load(BrandCase, plan.content)
    marks = content.flows["brand"]["marks"]
    return [
        [
            plan.id,
            case.branch_name,
            case.brand_name,
            case.slogan,
            f"{case.feature_kind}：{case.feature}",
            case.practices,
            case.results,
            case.copyable,
            joined(case.influence),
            "；".join(f"{marks[k]}：{v.rstrip('。')}" for k, v in case.follow_ups.items()),
            "、".join(marks[k] for k, met in case.marks.items() if met),
            "、".join(marks[k] for k, met in case.marks.items() if not met),
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
    record=BrandCase,
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
