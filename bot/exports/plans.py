"""Saved step outcomes as .xlsx: one sheet per kind, plus every milestone with its date, so
工委 staff can follow 一企一策 progress and the reminders' dates can be checked by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from bot.steps.registry import STEPS, record_of
from knowledge.content import Content
from storage import plans
from storage.db import Database
from storage.models import Plan

# The sheet of every milestone comes right after the first plan sheet (组建方案), whose
# 一企一策 plans have most of them.
MILESTONES_AFTER = 1


def plans_workbook(all_plans: Sequence[Plan], content: Content, zone: str) -> bytes:
    """A sheet per step of the registry, in its order, and the milestones. Every sheet is
    present even when empty, so the workbook always has the same shape. Times are shown in
    `zone`, the configured one."""
    local = ZoneInfo(zone)
    by_kind: dict[str, list[Plan]] = {}
    for plan in all_plans:
        by_kind.setdefault(plan.kind, []).append(plan)
    workbook = new_workbook()
    for number, step in enumerate(STEPS):
        if number == MILESTONES_AFTER:
            _milestones(workbook, all_plans, content)
        sheet = step.sheet
        rows = [
            row for p in by_kind.get(step.plan_kind, []) for row in sheet.rows(p, content, local)
        ]
        add_table(workbook, sheet.title, tuple(sheet.headers(content)), rows)
    return to_bytes(workbook)


def _milestones(workbook: Any, all_plans: Sequence[Plan], content: Content) -> None:
    add_table(
        workbook,
        "进度节点",
        ("方案编号", "类型", "名称", "节点", "完成日期", "责任人"),
        [
            [
                p.id,
                content.messages["plan_kinds"].get(p.kind, p.kind),
                record_of(p).subject,
                m.title,
                m.due_date.isoformat(),
                p.responsible,
            ]
            for p in all_plans
            for m in sorted(p.milestones, key=lambda m: (m.due_date, m.id))
        ],
    )


async def export_plans(db: Database, content: Content, out: Path, zone: str) -> int:
    async with db.session() as session:
        found = list(await plans.list_plans(session))
    write_atomically(out, plans_workbook(found, content, zone))
    return len(found)
