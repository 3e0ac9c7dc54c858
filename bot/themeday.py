"""/themeday: a branch's fixed monthly theme day, its reminder offsets, and moving or
cancelling one date. Secretaries of the branch (or the group's Telegram admins) only."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.ext.asyncio import AsyncSession

from bot import schedule_changes
from bot.attendance import local_when
from bot.branch_choice import branch_for, picker
from bot.contract import Action, Event, SendText
from bot.dialog.when import IMPOSSIBLE, Unreadable, read_date, read_time
from bot.services import Services
from knowledge.textnorm import normalise
from scheduler.rules import describe_rule, local_start, parse_rule, validate_rule
from storage import schedule
from storage.models import Branch
from storage.models import Event as EventRow

MAX_OFFSETS = 5
MAX_OFFSET_MINUTES = 30 * 24 * 60
UNITS = {"天": 24 * 60, "日": 24 * 60, "小时": 60, "个小时": 60, "分钟": 1, "分": 1}


def parse_offsets(text: str) -> list[int] | None:
    """ "3天 1天 2小时" -> minutes, largest first; None if any part is not understood."""
    parts = [p for p in re.split(r"[\s,，、]+", normalise(text)) if p]
    found = []
    for part in parts:
        match = re.fullmatch(r"(\d{1,3})(天|日|小时|个小时|分钟|分)", part)
        if not match:
            return None
        minutes = int(match.group(1)) * UNITS[match.group(2)]
        if not 0 < minutes <= MAX_OFFSET_MINUTES:
            return None
        found.append(minutes)
    if not found or len(found) > MAX_OFFSETS:
        return None
    return sorted(set(found), reverse=True)


def describe_offsets(minutes: tuple[int, ...] | list[int]) -> str:
    def one(m: int) -> str:
        if m % (24 * 60) == 0:
            return f"{m // (24 * 60)}天"
        if m % 60 == 0:
            return f"{m // 60}小时"
        return f"{m}分钟"

    return "、".join(one(m) for m in minutes)


async def themeday(
    session: AsyncSession, event: Event, services: Services, args: str
) -> list[Action]:
    content = services.content
    target = await branch_for(session, event, services, " ".join(args.split())[:100])
    if target.choices:
        return picker(services, target.choices, "themeday")
    branch, args = target.branch, target.args
    if branch is None:
        return [SendText(content.text(target.refusal or "themeday_need_group"))]
    now = services.clock()
    if not args:
        return [SendText(await _current(session, services, branch, now))]
    words = args.split(maxsplit=1)
    rest = words[1] if len(words) > 1 else ""
    if words[0] == "提醒":
        return [SendText(await _set_offsets(session, services, branch, rest))]
    if words[0] == "时区":
        return await _set_timezone(session, services, branch, rest.strip(), now)
    if words[0] in ("改期", "取消"):
        return await _one_date(session, services, branch, words[0], rest, now)
    rule = parse_rule(args)
    if rule is None:
        return [
            SendText(
                content.text("themeday_not_understood") + "\n" + content.text("themeday_usage")
            )
        ]
    branch.theme_day_rule = rule
    notices, kept = await schedule_changes.reapply(session, services.content, branch, now)
    notices += await schedule_changes.reapply_meetings(session, services.content, branch, now)
    text = content.text("themeday_set", branch=branch.name, rule=describe_rule(rule))
    text += "\n" + await _next_dates(session, services, branch, now)
    return [SendText(text + _kept_lines(services, branch, kept)), *notices]


def _kept_lines(services: Services, branch: Branch, kept: list[tuple[EventRow, int]]) -> str:
    """The events a rule change did not drop, for the secretary to decide on."""
    if not kept:
        return ""
    content = services.content
    lines = [content.text("themeday_kept")]
    for event, replies in kept:
        local = event.starts_at.astimezone(schedule.zone_of(branch))
        lines.append(
            content.text(
                "themeday_kept_line",
                when=local_when(event, branch.timezone, content),
                replies=replies,
                day=local.date().isoformat(),
            )
        )
    return "\n" + "\n".join(lines)


async def _current(session: AsyncSession, services: Services, branch: Branch, now: datetime) -> str:
    content = services.content
    rule = validate_rule(branch.theme_day_rule)
    if rule is None:
        return (
            content.text("themeday_none", branch=branch.name)
            + "\n"
            + content.text("themeday_usage")
        )
    head = content.text(
        "themeday_current",
        branch=branch.name,
        rule=describe_rule(rule),
        offsets=describe_offsets(schedule.offsets_of(branch)),
    )
    return head + "\n" + await _next_dates(session, services, branch, now)


async def _next_dates(
    session: AsyncSession, services: Services, branch: Branch, now: datetime
) -> str:
    events = await schedule.upcoming_events(session, branch.id, now, limit=3)
    tz = branch.timezone
    shown = "；".join(local_when(e, tz, services.content) for e in events) or services.content.text(
        "attendance_none"
    )
    return services.content.text("themeday_next", dates=shown)


async def _set_offsets(session: AsyncSession, services: Services, branch: Branch, text: str) -> str:
    minutes = parse_offsets(text)
    if minutes is None:
        return services.content.text("themeday_offsets_bad")
    branch.reminder_offsets_minutes = minutes
    now = services.clock()
    for event in await schedule.upcoming_events(session, branch.id, now, limit=12):
        await schedule.ensure_reminders(session, event, branch, now)
        await schedule.skip_offsets_not_in(session, event.id, minutes)
    return services.content.text("themeday_offsets_set", offsets=describe_offsets(minutes))


async def _set_timezone(
    session: AsyncSession, services: Services, branch: Branch, name: str, now: datetime
) -> list[Action]:
    """A branch outside China's time zone: the rule's events are generated again in it (at
    the same local time, which members see as no change)."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [SendText(services.content.text("themeday_timezone_bad"))]
    old_zone, branch.timezone = branch.timezone, name
    notices, kept = await schedule_changes.reapply(session, services.content, branch, now, old_zone)
    notices += await schedule_changes.reapply_meetings(
        session, services.content, branch, now, old_zone
    )
    text = services.content.text("themeday_timezone_set", timezone=name)
    return [SendText(text + _kept_lines(services, branch, kept)), *notices]


async def _one_date(
    session: AsyncSession, services: Services, branch: Branch, verb: str, text: str, now: datetime
) -> list[Action]:
    """`改期 旧日期 新日期 [时间]` or `取消 日期`: one event, the rule unchanged; a group that
    had a reminder of it is told."""
    content = services.content
    parts = text.split()
    today = now.astimezone(schedule.zone_of(branch)).date()
    day = read_date(parts[0], today) if parts else None
    if not isinstance(day, date):
        return [SendText(_date_problem(services, day, parts[0] if parts else ""))]
    event = await schedule.event_on(session, branch, day, now)
    if event is None:
        return [SendText(content.text("themeday_no_such_date", day=day.isoformat()))]
    if verb == "取消":
        notices = await schedule_changes.cancel(session, services.content, event, branch)
        return [SendText(content.text("themeday_cancelled", day=day.isoformat())), *notices]
    new_day = read_date(parts[1], today) if len(parts) > 1 else None
    if not isinstance(new_day, date):
        return [SendText(_date_problem(services, new_day, parts[1] if len(parts) > 1 else ""))]
    local = event.starts_at.astimezone(schedule.zone_of(branch))
    at = read_time("".join(parts[2:])) if len(parts) > 2 else local.time()
    if isinstance(at, Unreadable):
        key = "validation.time_impossible" if at.reason == IMPOSSIBLE else "validation.time"
        return [SendText(content.text(key, text=parts[2]) + "\n" + content.text("themeday_usage"))]
    starts = local_start(new_day, at.strftime("%H:%M"), branch.timezone)
    if starts <= now:
        return [SendText(content.text("themeday_past"))]
    notices = await schedule_changes.move(session, services.content, event, branch, starts, now)
    when = local_when(event, branch.timezone, services.content)
    return [SendText(content.text("themeday_moved", day=day.isoformat(), when=when)), *notices]


def _date_problem(services: Services, problem: Unreadable | None, text: str) -> str:
    """A date that cannot be says so; anything else gets the usage."""
    content = services.content
    if isinstance(problem, Unreadable) and problem.reason == IMPOSSIBLE:
        return content.text("validation.date_impossible", text=text)
    return content.text("themeday_usage")
