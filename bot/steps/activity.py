"""抓活动: plans one 支部主题党日, checks it (bot/rules/activity_check.py), saves the event.

The event row is what the theme-day reminders announce; the plan row keeps what the check
found, so a secretary can later see why a plan was flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot import schedule_changes
from bot.config import Settings
from bot.contract import Action, Event, SendText
from bot.dialog.machine import Snapshot
from bot.rules.activity_check import Emphasis, Finding, check_emphases, check_plan
from bot.steps import branch_pick, records
from bot.steps.cards import card_buttons
from bot.steps.records import PlanRecord
from bot.steps.spec import Hooks, PlanSheet, StepSpec, joined, saved_at
from knowledge.content import KNOWLEDGE_DIR, Content, read_yaml
from scheduler.rules import describe_rule, local_start, occurrences, validate_rule
from storage import plans, schedule
from storage.models import Event as EventRow
from storage.models import Plan, utcnow

PLAN_KIND = "activity"


@dataclass(frozen=True, kw_only=True)
class EmphasisShown:
    name: str
    met: bool


@dataclass(frozen=True, kw_only=True)
class ThemeDayPlan(PlanRecord):
    event_id: int | None = None  # the theme day it fills in (reminders, attendance)
    date: str  # as answered: YYYY-MM-DD
    time: str  # HH:MM
    theme: str
    contents: tuple[str, ...]
    arrangements: str | None = None
    mode: str
    place: str | None = None
    findings: tuple[Finding, ...] = ()
    emphases: tuple[EmphasisShown, ...] = ()


OFFLINE_MODES = frozenset({"线下集中", "线上线下结合"})


def load_rules() -> dict[str, Any]:
    return read_yaml(KNOWLEDGE_DIR / "activity_check.yaml")


def branch_rule(answers: dict[str, Any], context: dict[str, Any]) -> tuple[dict | None, str | None]:
    """The picked branch's valid theme-day rule and its time zone; (None, None) for none."""
    picked = branch_pick.chosen(answers, context)
    if picked is None or not picked.get("tz"):
        return None, None
    return validate_rule(picked.get("rule")), picked["tz"]


def suggested_dates(answers: dict[str, Any], context: dict[str, Any]) -> list[str]:
    """The next two dates of the branch's fixed theme day, as buttons."""
    rule, tz = branch_rule(answers, context)
    if rule is None or tz is None:
        return []
    today = datetime.now(ZoneInfo(tz)).date()
    return [day.isoformat() for day in occurrences(rule, today, 2)]


def plan_findings(
    answers: dict[str, Any], rules: dict[str, Any]
) -> tuple[list[Finding], list[Emphasis]]:
    contents = list(answers.get("contents") or [])
    extra = [answers[key] for key in ("arrangements", "place") if answers.get(key)]
    findings = check_plan(answers.get("theme") or "", contents + extra, rules)
    return findings, check_emphases(findings, contents, rules)


def make_derive(content: Content, rules: dict[str, Any]):  # type: ignore[no-untyped-def]
    flow = content.flows["activity"]

    def derive(answers: dict[str, Any], context: dict[str, Any]) -> dict[str, Any]:
        rule, _ = branch_rule(answers, context)
        hint = (
            flow["hints"]["with_rule"].format(rule=describe_rule(rule))
            if rule
            else flow["hints"]["without_rule"]
        )
        report = ""
        if answers.get("theme") and answers.get("contents"):
            report = check_report(answers, rules, flow["report"])
        day = answers.get("date")
        return {
            **branch_pick.derive(answers, context),
            "date_hint": hint,
            "check_report": report,
            "has_rule": rule is not None,
            "day_of_month": int(day[8:10]) if day else "",
        }

    return derive


def check_report(answers: dict[str, Any], rules: dict[str, Any], texts: dict[str, str]) -> str:
    findings, emphases = plan_findings(answers, rules)
    lines = [texts["title"].format(theme=answers.get("theme", ""))]
    lines += [texts["finding"].format(reason=f.reason) for f in findings] or [texts["passed"]]
    lines += [
        texts["emphasis_met" if e.met else "emphasis_unmet"].format(name=e.name, note=e.note)
        for e in emphases
    ]
    lines.append(texts["ask"])
    return "\n".join(lines)


def make_completion(content: Content, rules: dict[str, Any], zone: str):  # type: ignore[no-untyped-def]
    async def complete(
        session: AsyncSession, event: Event, state: Snapshot, answers: dict[str, Any]
    ) -> list[Action]:
        """Saves the event for the reminders and the plan with its check, then shows the card."""
        branch = await branch_pick.resolve(session, event, answers, state.context, zone)
        findings, emphases = plan_findings(answers, rules)
        online = answers["mode"] if answers["mode"] != "线下集中" else None
        tz = branch.timezone
        starts = local_start(date.fromisoformat(answers["date"]), answers["time"], tz)
        # The planned day is the branch's theme day that month: fill in that event rather
        # than announce two; otherwise a one-off event joins the same schedule.
        row = await schedule.event_on(
            session, branch, date.fromisoformat(answers["date"]), utcnow()
        )
        if row is None:
            row = EventRow(branch_id=branch.id, source="plan", starts_at=starts)
            session.add(row)
        row.theme, row.place, row.online_link = answers["theme"], answers.get("place"), online
        row.agenda = list(answers["contents"])
        await session.flush()
        notices: list[Action] = []
        if row.starts_at != starts:
            notices = await schedule_changes.move(session, content, row, branch, starts, utcnow())
        else:
            await schedule.ensure_reminders(session, row, branch, utcnow())
        planned = ThemeDayPlan(
            branch_name=branch.name,
            event_id=row.id,
            date=answers["date"],
            time=answers["time"],
            theme=answers["theme"],
            contents=tuple(answers["contents"]),
            arrangements=answers.get("arrangements"),
            mode=answers["mode"],
            place=answers.get("place"),
            findings=tuple(findings),
            emphases=tuple(EmphasisShown(name=e.name, met=e.met) for e in emphases),
        )
        plan = await plans.add_plan(
            session, PLAN_KIND, event.user.id, records.dump(planned), branch_id=branch.id
        )
        actions: list[Action] = [activity_card(plan, content), *notices]
        if answers.get("make_fixed") and validate_rule(branch.theme_day_rule) is None:
            rule = fixed_day_rule(answers["date"], answers["time"])
            branch.theme_day_rule = rule
            text = content.flows["activity"]["card"]["fixed"].format(rule=describe_rule(rule))
            actions.append(SendText(text))
        return actions

    return complete


def fixed_day_rule(day: str, at: str) -> dict[str, Any]:
    """ "每月N日" from the date of the first planned theme day (the simplest rule to remember)."""
    return {"kind": "day", "day": date.fromisoformat(day).day, "time": at}


def activity_card(plan: Plan, content: Content) -> SendText:
    card = content.flows["activity"]["card"]
    planned = records.load(ThemeDayPlan, plan.content)
    lines = [
        card["title"].format(id=plan.id, branch=planned.branch_name),
        card["when"].format(date=planned.date, time=planned.time),
        card["theme"].format(theme=planned.theme),
        card["contents"].format(contents="、".join(planned.contents)),
    ]
    if planned.arrangements:
        lines.append(card["arrangements"].format(arrangements=planned.arrangements))
    place = f"（{planned.place}）" if planned.place else ""
    lines.append(card["where"].format(mode=planned.mode, place=place))
    if planned.findings:
        lines.append(card["warnings"])
        lines += [f"  ⚠️ {f.reason}" for f in planned.findings]
    lines += [("✅ " if e.met else "❌ ") + e.name for e in planned.emphases]
    lines.append(card["saved"])
    return SendText("\n".join(lines), card_buttons(card["buttons"], "theme-day-method", "innovate"))


def sheet_rows(plan: Plan, content: Content, local: ZoneInfo) -> list[list[Any]]:
    planned = records.load(ThemeDayPlan, plan.content)
    return [
        [
            plan.id,
            planned.branch_name,
            f"{planned.date} {planned.time}",
            planned.theme,
            joined(planned.contents),
            planned.arrangements,
            planned.mode,
            planned.place,
            "；".join(f.reason.rstrip("。") for f in planned.findings) or "未发现问题",
            "、".join(e.name for e in planned.emphases if not e.met) or "均已突出",
            saved_at(plan, local),
        ]
    ]


def hooks(content: Content, settings: Settings) -> Hooks:
    rules = load_rules()
    return Hooks(
        completions={"activity": make_completion(content, rules, settings.timezone)},
        derivers={"activity": make_derive(content, rules)},
        option_sources={"suggested_dates": suggested_dates},
    )


STEP = StepSpec(
    plan_kind=PLAN_KIND,
    record=ThemeDayPlan,
    card=activity_card,
    sheet=PlanSheet(
        "主题党日计划",
        lambda _: (
            "编号",
            "支部",
            "时间",
            "主题",
            "内容",
            "安排",
            "方式",
            "地点",
            "检查提示",
            "未突出",
            "保存时间",
        ),
        sheet_rows,
    ),
    hooks=hooks,
)
