"""Theme-day attendance as .xlsx: every reply (and, once confirmed, who came), and the rate per
branch and month, the figures a 工委 reports upwards."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from bot.rules.percent import half_up
from storage.attendance import monthly_rates
from storage.db import Database
from storage.models import Attendance, Branch, Event, Member

RESPONSES = {"attend": "参加", "leave": "请假", None: "未回复"}
ATTENDED = {True: "到会", False: "未到", None: "未确认"}
EVENT_STATUS = {"planned": "按期", "moved": "已改期", "cancelled": "已取消"}


async def export_attendance(db: Database, out: Path, default_zone: str) -> int:
    """Times and months on each branch's own clock; `default_zone` for a branch without one."""
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
                event.theme or "支部主题党日",
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
    write_atomically(out, to_bytes(workbook))
    return len(rows)
