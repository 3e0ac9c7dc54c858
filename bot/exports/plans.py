"""Saved step outcomes as .xlsx: one sheet per kind, plus every milestone with its date, so
工委 staff can follow 一企一策 progress and the reminders' dates can be checked by hand."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.exports.workbook import add_table, new_workbook, to_bytes, write_atomically
from knowledge.content import Content
from storage import plans
from storage.db import Database
from storage.models import Plan


def _when(plan: Plan, local: ZoneInfo) -> str:
    return plan.created_at.astimezone(local).strftime("%Y-%m-%d %H:%M")


def _joined(values: Any) -> str:
    return "、".join(str(v) for v in values or [])


def _formation(plan: Plan, content: Content, local: ZoneInfo) -> list[Any]:
    data = plan.content
    forms = content.flows["organize"]["card"]["forms"]
    targets = content.flows["survey"]["summary"]["targets"]
    partners = [p["name"] for p in data.get("partners", [])] + data.get("partner_names", [])
    return [
        plan.id,
        data["org_name"],
        data["policy"],
        data["facts"]["employees"],
        data["facts"]["formal_members"],
        data["facts"]["probationary_members"],
        forms.get(data["form"], data["form"]),
        _joined(data.get("posts")),
        data.get("way"),
        _joined(partners),
        "；".join(
            f"{targets[t['code']]}：{'已达到' if t['met'] else '未达到'}" for t in data["targets"]
        ),
        data["measures"],
        plan.responsible,
        _when(plan, local),
    ]


def _standards(plan: Plan, content: Content, local: ZoneInfo) -> list[Any]:
    data = plan.content
    sections = content.flows["standardize"]["sections"]
    return [
        plan.id,
        data["branch_name"],
        data["phase"],
        *(data["percents"].get(section) for section in sections),
        "；".join(f"{item}（{status}）" for item, status in data.get("todo", [])),
        _when(plan, local),
    ]


def _activity(plan: Plan, content: Content, local: ZoneInfo) -> list[Any]:
    data = plan.content
    return [
        plan.id,
        data["branch_name"],
        f"{data['date']} {data['time']}",
        data["theme"],
        _joined(data["contents"]),
        data.get("arrangements"),
        data["mode"],
        data.get("place"),
        "；".join(f["reason"] for f in data.get("findings", [])) or "未发现问题",
        "、".join(e["name"] for e in data.get("emphases", []) if not e["met"]) or "均已突出",
        _when(plan, local),
    ]


def _innovation(plan: Plan, content: Content) -> list[list[Any]]:
    data = plan.content
    return [
        [plan.id, data["branch_name"], i["idea"], i["reflection"], i["what"], i["count"], i["due"]]
        for i in data["items"]
    ]


def _brand(plan: Plan, content: Content, local: ZoneInfo) -> list[Any]:
    data = plan.content
    marks = content.flows["brand"]["marks"]
    return [
        plan.id,
        data["branch_name"],
        data["brand_name"],
        data["slogan"],
        f"{data['feature_kind']}：{data['feature']}",
        data["practices"],
        data["results"],
        data["copyable"],
        _joined(data.get("influence")),
        "；".join(f"{marks[k]}：{v}" for k, v in data.get("follow_ups", {}).items()),
        "、".join(marks[k] for k, met in data["marks"].items() if met),
        "、".join(marks[k] for k, met in data["marks"].items() if not met),
        _when(plan, local),
    ]


def plans_workbook(all_plans: Sequence[Plan], content: Content, zone: str) -> bytes:
    """Every sheet is present even when empty, so the workbook always has the same shape.
    Times are shown in `zone`, the configured one."""
    local = ZoneInfo(zone)
    by_kind: dict[str, list[Plan]] = {}
    for plan in all_plans:
        by_kind.setdefault(plan.kind, []).append(plan)
    sections = content.flows["standardize"]["sections"]
    workbook = new_workbook()
    add_table(
        workbook,
        "组建方案",
        (
            "编号",
            "组织",
            "方案",
            "职工",
            "正式党员",
            "预备党员",
            "组建方式",
            "职务设置",
            "联建方式",
            "联建单位",
            "覆盖目标",
            "任务措施",
            "责任人",
            "保存时间",
        ),
        [_formation(p, content, local) for p in by_kind.get("formation", [])],
    )
    add_table(
        workbook,
        "进度节点",
        ("方案编号", "类型", "名称", "节点", "完成日期", "责任人"),
        [
            [
                p.id,
                content.messages["plan_kinds"].get(p.kind, p.kind),
                p.content.get("org_name") or p.content.get("branch_name"),
                m.title,
                m.due_date.isoformat(),
                p.responsible,
            ]
            for p in all_plans
            for m in sorted(p.milestones, key=lambda m: (m.due_date, m.id))
        ],
    )
    add_table(
        workbook,
        "规范化自查",
        ("编号", "支部", "阶段", *sections, "待办清单", "保存时间"),
        [_standards(p, content, local) for p in by_kind.get("standards", [])],
    )
    add_table(
        workbook,
        "主题党日计划",
        (
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
        [_activity(p, content, local) for p in by_kind.get("activity", [])],
    )
    add_table(
        workbook,
        "创新清单",
        ("编号", "支部", "理念", "思考", "指标", "数量", "完成日期"),
        [row for p in by_kind.get("innovation", []) for row in _innovation(p, content)],
    )
    add_table(
        workbook,
        "品牌案例",
        (
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
        [_brand(p, content, local) for p in by_kind.get("brand", [])],
    )
    return to_bytes(workbook)


async def export_plans(db: Database, content: Content, out: Path, zone: str) -> int:
    async with db.session() as session:
        found = list(await plans.list_plans(session))
    write_atomically(out, plans_workbook(found, content, zone))
    return len(found)
