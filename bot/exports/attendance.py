"""Attendance as .xlsx: every reply to a theme day or meeting (and, once confirmed, who came),
the rate per branch and month, and per branch the required meetings of the year held and
recorded: the figures a 工委 reports upwards."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.attendance import event_name
from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from bot.meeting_records import period_name, year_so_far
from bot.rules.meetings import BY_KIND, gaps, read_settings
from bot.rules.percent import half_up
from knowledge.content import Content
from storage.attendance import monthly_rates
from storage.db import Database
from storage.models import Attendance, Branch, Event, Member

RESPONSES = {"attend": "参加", "leave": "请假", None: "未回复"}
ATTENDED = {True: "到会", False: "未到", None: "未确认"}
EVENT_STATUS = {"planned": "按期", "moved": "已改期", "cancelled": "已取消"}


async def export_attendance(
    db: Database, out: Path, default_zone: str, content: Content, now: datetime | None = None
) -> int:
    """Times and months on each branch's own clock; `default_zone` for a branch without one.
    The 组织生活 sheet counts this year's required meetings held and recorded, up to `now`."""
    now = now or datetime.now(UTC)
    async with db.session() as session:
        branches = list((await session.execute(select(Branch))).scalars())
        names = {b.id: b.name for b in branches}
        zones = {b.id: ZoneInfo(b.timezone or default_zone) for b in branches}
        query = (
            select(Event, Attendance, Member)
            .join(Attendance, Attendance.event_id == Event.id)
            .join(Member, Member.id == Attendance.member_id)
            .order_by(Event.branch_id, Event.starts_at, Member.display_name)
        )
        rows = [
            [
                names.get(event.branch_id, ""),
                event.starts_at.astimezone(zones[event.branch_id]).strftime("%Y-%m-%d %H:%M"),
                event.theme or event_name(event.kind, content),
                EVENT_STATUS.get(event.status, event.status),
                member.display_name,
                RESPONSES.get(answer.response, answer.response),
                answer.reason,
                ATTENDED[answer.attended],
            ]
            for event, answer, member in (await session.execute(query)).all()
        ]
        rates = [
            [
                names.get(branch_id, ""),
                month,
                events,
                present,
                counted,
                f"{half_up(100 * present / counted)}%" if counted else "—",
            ]
            for branch_id, month, events, present, counted in await monthly_rates(
                session, default_zone
            )
        ]
        life = await _organisational_life(session, branches, now, content)
    workbook = new_workbook()
    add_table(
        workbook,
        "出勤明细",
        ("支部", "时间", "主题", "活动状态", "党员", "回复", "请假原因", "实到"),
        rows,
    )
    add_table(
        workbook,
        "月度出勤率",
        ("支部", "月份", "已确认次数", "实到人次", "应到人次", "出勤率"),
        rates,
    )
    add_table(
        workbook,
        "组织生活",
        ("支部", "会议", "应开（期）", "已开（期）", "已记录（期）", "未记录的期"),
        life,
    )
    write_atomically(out, to_bytes(workbook))
    return len(rows)


async def _organisational_life(
    session: AsyncSession, branches: list[Branch], now: datetime, content: Content
) -> list[list[Any]]:
    """Per branch that keeps a calendar and per meeting it must hold: this year's periods so
    far (since it kept the calendar), those with the meeting held and those with its record."""
    rows: list[list[Any]] = []
    for branch in sorted(branches, key=lambda b: (b.name, b.id)):
        settings = read_settings(branch.organisational_life)
        if not settings.confirmed:
            continue
        year = await year_so_far(session, branch, now)
        since, today = settings.confirmed_on, year.today
        for plan in settings.held():
            kind, every = plan.kind.value, BY_KIND[plan.kind].every_months
            due = len(gaps(every, [], today.year, today, since))
            held = gaps(every, year.held.get(kind, []), today.year, today, since)
            unrecorded = gaps(every, year.recorded.get(kind, []), today.year, today, since)
            rows.append(
                [
                    branch.name,
                    event_name(kind, content),
                    due,
                    due - len(held),
                    due - len(unrecorded),
                    "、".join(period_name(g.period.start, every) for g in unrecorded) or "—",
                ]
            )
    return rows
