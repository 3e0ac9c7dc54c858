"""/meetings: a branch's calendar of organisational life (三会一课, 组织生活会, 民主评议, 换届)
with the 条例's defaults, which the secretary confirms or changes. In the branch's group, or in
private for a secretary; like /themeday, only the branch's secretaries or the group's admins.

The settings are JSON on the branch (bot/rules/meetings.py reads them); a change is one line
("/meetings 支委会 5人", "/meetings 党课 停用", "/meetings 支委会 每月第一个星期一 19:00").
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from bot import schedule_changes
from bot.branch_choice import branch_for, picker
from bot.buttons import MeetingsConfirm
from bot.contract import Action, AnswerButton, Button, Event, SendText
from bot.dialog.numerals import chinese_integer
from bot.dialog.when import Unreadable, read_date
from bot.rules.meetings import (
    BY_KIND,
    LifeSettings,
    MeetingKind,
    occurrences,
    read_settings,
    settings_data,
    term_end,
)
from bot.services import Services
from knowledge.content import Content
from knowledge.textnorm import normalise
from scheduler.rules import describe_rule, parse_rule, validate_rule
from storage import branches, schedule
from storage.models import Branch

WITH_THEME_DAY, OFF, ON = "随主题党日", "停用", "恢复"
NONE_WORDS = frozenset({"无", "没有", "不设", "0"})
YES_WORDS = frozenset({"有", "设", "已设", "是"})
REFUSALS = {"themeday_need_group": "need_group", "themeday_only_secretary": "only_secretary"}


def kinds_by_word(content: Content) -> dict[str, MeetingKind]:
    """Each kind by its name and its short name (支部党员大会, 党员大会, 支委会 …)."""
    found: dict[str, MeetingKind] = {}
    for kind, words in content.organisational_life["kinds"].items():
        found[words["name"]] = found[words["short"]] = MeetingKind(kind)
    return found


def _count(text: str) -> int | None:
    cleaned = normalise(text).removesuffix("人").removesuffix("名")
    return int(cleaned) if cleaned.isdigit() else chinese_integer(cleaned)


def apply_change(
    settings: LifeSettings, text: str, words: dict[str, MeetingKind], today: date
) -> LifeSettings | str:
    """The settings after one change typed by a secretary, or the message key saying why not."""
    head, _, rest = normalise(text).partition(" ")
    rest = rest.strip()
    if head == "支委会" and rest in NONE_WORDS:
        return replace(settings, committee_members=0)
    if head == "支委会" and (size := _count(rest)) is not None:
        return replace(settings, committee_members=size) if 1 <= size <= 7 else "committee_size"
    if head == "党小组" and rest in NONE_WORDS | YES_WORDS:
        return replace(settings, has_groups=rest in YES_WORDS)
    if head == "换届":
        elected = read_date(rest, today) if rest else Unreadable("format")
        if isinstance(elected, Unreadable) or not re.search(r"\d{4}|年", rest):
            return "bad_date"  # a year must be given: an election is in the past
        return replace(settings, elected_on=elected) if elected <= today else "future_date"
    if head == "换届提前" and (months := _count(rest.removesuffix("个月").removesuffix("月"))):
        return replace(settings, election_months_ahead=min(months, 24))
    if head == "谈心" and (weeks := _count(rest.removesuffix("周"))):
        return replace(settings, talks_weeks=min(weeks, 12))
    if head in ("确认", "确定"):
        return settings.kept(today)
    kind = words.get(head)
    if kind is None or not rest:
        return "not_understood"
    plan = settings.plan(kind)
    if rest == OFF:
        plan = replace(plan, active=False)
    elif rest == ON:
        plan = replace(plan, active=True)
    elif rest == WITH_THEME_DAY:
        plan = replace(plan, active=True, day_rule=None)
    elif (rule := parse_rule(rest)) is not None:
        plan = replace(plan, active=True, day_rule=rule)
    else:
        return "not_understood"
    others = tuple(p for p in settings.plans if p.kind != kind)
    return replace(settings, plans=(*others, plan))


def calendar_text(branch: Branch, settings: LifeSettings, today: date, content: Content) -> str:
    """The branch's calendar as the secretary reads it on a phone: each meeting held, how
    often and when, where the rule comes from, and what is not set yet."""
    texts = content.organisational_life["messages"]
    kinds = content.organisational_life["kinds"]
    theme_rule = validate_rule(branch.theme_day_rule)
    lines = [texts["title"].format(branch=branch.name)]
    if theme_rule:
        lines.append(texts["theme_day"].format(rule=describe_rule(theme_rule)))
    else:
        lines.append(texts["no_theme_day"])
    coming = occurrences(settings, theme_rule, today, today + timedelta(days=400))
    held = {plan.kind for plan in settings.held()}
    for requirement in BY_KIND.values():
        kind, words = requirement.kind, kinds[requirement.kind.value]
        if requirement.needs and kind not in held and settings.plan(kind).active:
            continue  # no committee or groups: said below
        plan = settings.plan(kind)
        if not plan.active:
            lines.append(texts["stopped"].format(name=words["name"], short=words["short"]))
            continue
        when = (
            texts["own_day"].format(rule=describe_rule(plan.day_rule))
            if plan.day_rule
            else texts["with_theme_day"]
        )
        if requirement.every_months == 12:
            when = texts["in_month"].format(month=plan.month_in_period) + when
        following = next((o.day for o in coming if o.kind == kind), None)
        shown = texts["next"].format(date=_day(following, today)) if following else ""
        cadence = texts["cadence"][str(requirement.every_months)]
        lines.append(
            texts["line"].format(name=words["name"], cadence=cadence, when=when, next=shown)
        )
        lines.append(texts["basis"].format(basis=words["basis"]))
        if kind is MeetingKind.LIFE_MEETING:
            lines.append(texts["talks"].format(weeks=settings.talks_weeks))
    if settings.committee_members:
        lines.append(texts["committee"].format(members=settings.committee_members))
    else:
        lines.append(texts["no_committee"])
    lines.append(texts["groups" if settings.has_groups else "no_groups"])
    if settings.elected_on:
        lines.append(
            texts["election"].format(
                elected=settings.elected_on.isoformat(),
                ends=term_end(settings.elected_on).isoformat(),
                months=settings.election_months_ahead,
            )
        )
    else:
        lines.append(texts["no_election"])
    lines.append(texts["usage"])
    if not settings.confirmed:
        lines.append(texts["unconfirmed"])
    return "\n".join(lines)


def _day(day: date, today: date) -> str:
    return f"{day.month}月{day.day}日" if day.year == today.year else day.isoformat()


async def meetings(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    """`/meetings` shows the calendar; `/meetings 支委会 5人` and the like change it."""
    content = services.content
    texts = content.organisational_life["messages"]
    target = await branch_for(session, event, services, " ".join(args.split())[:100])
    if target.choices:
        return picker(services, target.choices, "meetings")
    branch = target.branch
    if branch is None:
        refusal = target.refusal or "themeday_need_group"
        key = REFUSALS.get(refusal)
        return [SendText(texts[key] if key else content.text(refusal))]
    today = services.clock().astimezone(schedule.zone_of(branch)).date()
    settings = read_settings(branch.organisational_life)
    notice = ""
    announcements: list[Action] = []
    if target.args:
        changed = apply_change(settings, target.args, kinds_by_word(content), today)
        if isinstance(changed, str):
            return [SendText(texts[changed] + "\n" + texts["usage"])]
        settings = changed.kept(today)  # a change adopts the calendar too
        branch.organisational_life = settings_data(settings)
        notice = texts["changed"] + "\n"
        announcements = await schedule_changes.reapply_meetings(
            session, content, branch, services.clock()
        )
    text = notice + calendar_text(branch, settings, today, content)
    buttons = (
        ()
        if settings.confirmed
        else ((Button(texts["confirm"], MeetingsConfirm(branch.id).pack()),),)
    )
    return [SendText(text, buttons), *announcements]


async def on_confirm(
    session: AsyncSession, event: Event, services: Services, button: MeetingsConfirm
) -> list[Action]:
    """The defaults kept as they are: checked again at the press (a forwarded button)."""
    texts = services.content.organisational_life["messages"]
    callback = event.callback_id or ""
    target = await branch_for(session, event, services, "")
    mine = target.branch is not None and target.branch.id == button.branch_id
    if not mine and event.chat.kind == "private":
        mine = await branches.is_secretary(session, button.branch_id, event.user.id)
    branch = await session.get(Branch, button.branch_id) if mine else None
    if branch is None:
        return [AnswerButton(callback, texts["only_secretary"], alert=True)]
    settings = read_settings(branch.organisational_life)
    today = services.clock().astimezone(schedule.zone_of(branch)).date()
    branch.organisational_life = settings_data(settings.kept(today))
    content = services.content
    notices = await schedule_changes.reapply_meetings(session, content, branch, services.clock())
    return [AnswerButton(callback), SendText(texts["confirmed"]), *notices]
