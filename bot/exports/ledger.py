"""The 摸底 ledger as an .xlsx workbook: the form 工委 staff file and pass upwards.

One sheet per county (in the official order, empty ones included, so every workbook has the
same shape), each split into 非公企业 by park and 社会组织 by supervising body, the same
grouping the ledger uses in the chat.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from bot.exports.workbook import (
    BOLD,
    MAX_WIDTH,
    WRAP,
    add_table,
    display_width,
    fit_row_heights,
    new_workbook,
    set_printing,
    to_bytes,
    write_atomically,
)
from bot.organisations import COVERAGE_STATUS, facts_of, place_of, suspected_duplicates
from bot.rules.coverage import (
    ENTERPRISE,
    SOCIAL_GROUP,
    SOCIAL_ORGANISATION,
    coverage_met,
    coverage_targets,
    next_step,
)
from bot.rules.ledger_consistency import contradictions
from knowledge.content import Content
from storage import ledger
from storage.db import Database
from storage.models import Organisation

HEADERS = (
    "序号",
    "台账编号",
    "组织名称",
    "类别",
    "细分类型",
    "园区/主管单位",
    "经营运行情况",
    "职工（从业人员）数",
    "正式党员",
    "预备党员",
    "出资人（负责人）",
    "负责人是否党员",
    "是否已建党组织",
    "未建党组织原因",
    "覆盖目标",
    "覆盖情况",
    "下一步建议",
    "登记人",
    "登记时间",
    "待核实",
)
OTHER_SHEET = "其他"
NO_TARGETS = "无硬性要求"
GROUP_FILL = PatternFill("solid", fgColor="DDEBF7")
CHECK_FILL = PatternFill("solid", fgColor="FCE4D6")  # a 待核实 note stands out, printed too


def ledger_workbook(organisations: Sequence[Organisation], content: Content, zone: str) -> bytes:
    """The whole ledger as .xlsx bytes; counties outside `content.counties` go to 其他. Times
    are shown in `zone` (the configured one): the ledger is read locally, not in UTC."""
    local = ZoneInfo(zone)
    counties = content.counties
    by_county: dict[str, list[Organisation]] = {county: [] for county in counties}
    strays = [org for org in organisations if org.county not in by_county]
    for org in organisations:
        by_county.get(org.county, []).append(org)
    notes = review_notes(organisations, content)
    workbook = new_workbook()
    _add_summary(workbook, by_county, strays, notes)
    for county in counties:
        if by_county[county]:  # a county without records is a row of the summary, not a sheet
            sheet = workbook.create_sheet(county)
            _fill_sheet(sheet, by_county[county], content, county, local, notes)
    if strays:
        _fill_sheet(workbook.create_sheet(OTHER_SHEET), strays, content, None, local, notes)
    for sheet in workbook.worksheets[1:]:  # the summary is an add_table sheet: done there
        set_printing(sheet)
        fit_row_heights(sheet)
    return to_bytes(workbook)


async def export_ledger(
    db: Database, content: Content, out: Path, zone: str, registered_by: str | None = None
) -> int:
    """Writes the workbook to `out` and returns how many organisations it holds."""
    async with db.session() as session:
        organisations = list(await ledger.list_organisations(session, registered_by))
    write_atomically(out, ledger_workbook(organisations, content, zone))
    return len(organisations)


def review_notes(organisations: Sequence[Organisation], content: Content) -> dict[int, str]:
    """What a 工委 clerk should check in each record (the 待核实 column): the contradictions it
    holds (bot/rules/ledger_consistency.py) and the records it seems to repeat."""
    flags = content.flows["survey"]["flags"]
    repeated = suspected_duplicates(organisations, content)
    notes: dict[int, str] = {}
    for org in organisations:
        fields = {name: getattr(org, name) for name in ledger.LEDGER_FIELDS}
        found = [flags[c.value].format_map(fields) for c in contradictions(fields)]
        found += [flags["duplicate"].format(other=other) for other in repeated.get(org.id, [])]
        if found:
            notes[org.id] = "；".join(found)
    return notes


def _group_label(org: Organisation, county: str | None) -> str:
    where = "园区" if org.kind == ENTERPRISE else "主管单位"
    label = f"{org.kind}｜{where}：{place_of(org)}"
    return label if county else f"{org.county}｜{label}"  # 其他 mixes counties: name each


def _sort_key(org: Organisation, content: Content) -> tuple[Any, ...]:
    """Enterprises before social organisations; known parks in official order, 不在园区 last."""
    kind_rank = {ENTERPRISE: 0, SOCIAL_ORGANISATION: 1}.get(org.kind, 2)
    if org.kind == ENTERPRISE:
        parks = {park: i for i, park in enumerate(content.parks(org.county))}
        rank = parks.get(org.park, len(parks)) if org.park else len(parks) + 1
    else:
        rank = 1 if not org.supervisor else 0
    return (org.county, kind_rank, org.kind, rank, place_of(org), org.id)


SUMMARY_SHEET = "汇总"
SUMMARY_HEADERS = (
    "县（市）",
    "园区/主管单位",
    "组织数",
    "已建党组织",
    "党组织覆盖率",
    "有党员的组织",
    "覆盖目标未达到",
    "待核实",
)


def _add_summary(
    workbook: Workbook,
    by_county: dict[str, list[Organisation]],
    strays: list[Organisation],
    notes: dict[int, str],
) -> None:
    """Coverage per county and per park or supervising body, then the whole 州: what a 工委
    reports upwards. Rates are numbers formatted as percent, so they sum and sort."""
    groups = [*by_county.items(), *([(OTHER_SHEET, strays)] if strays else [])]
    rows: list[list[Any]] = []
    totals: list[int] = []  # the rows (0-based, headers aside) of the 合计 lines
    every: list[Organisation] = []
    for county, orgs in groups:
        every += orgs
        for place in sorted({place_of(org) or "—" for org in orgs}):
            rows.append(
                _summary_row(
                    county, place, [o for o in orgs if (place_of(o) or "—") == place], notes
                )
            )
        totals.append(len(rows))
        rows.append(_summary_row(county, "合计", orgs, notes))
    totals.append(len(rows))
    rows.append(_summary_row("全州", "合计", every, notes))
    sheet = add_table(workbook, SUMMARY_SHEET, SUMMARY_HEADERS, rows)
    for index in range(len(rows)):
        sheet.cell(index + 2, 5).number_format = "0%"
    for index in totals:
        for cell in sheet[index + 2]:
            cell.font = BOLD


def _summary_row(
    county: str, place: str, orgs: list[Organisation], notes: dict[int, str]
) -> list[Any]:
    built = sum(1 for org in orgs if org.has_party_org)
    with_members = sum(1 for org in orgs if org.formal_members + org.probationary_members > 0)
    unmet = sum(1 for org in orgs if coverage_met(coverage_targets(facts_of(org))) is False)
    rate: float | str = built / len(orgs) if orgs else "—"
    checks = sum(1 for org in orgs if org.id in notes)
    return [county, place, len(orgs), built, rate, with_members, unmet, checks]


def _fill_sheet(
    sheet: Worksheet,
    orgs: list[Organisation],
    content: Content,
    county: str | None,
    local: ZoneInfo,
    notes: dict[int, str],
) -> None:
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = BOLD
    sheet.freeze_panes = "A2"
    widths = [display_width(header) for header in HEADERS]
    orgs = sorted(orgs, key=lambda org: _sort_key(org, content))
    number = 0
    for label, members in groupby(orgs, key=lambda org: _group_label(org, county)):
        sheet.append([label])
        sheet.cell(sheet.max_row, 1).font = BOLD
        for column in range(1, len(HEADERS) + 1):
            sheet.cell(sheet.max_row, column).fill = GROUP_FILL
        for org in members:
            number += 1
            row = _row(number, org, content, local, notes.get(org.id))
            sheet.append(row)
            for cell in sheet[sheet.max_row]:
                cell.alignment = WRAP
            if row[-1]:
                sheet.cell(sheet.max_row, len(HEADERS)).fill = CHECK_FILL
            widths = [max(w, display_width(v)) for w, v in zip(widths, row, strict=True)]
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(column)].width = min(width + 2, MAX_WIDTH)


def _row(
    number: int, org: Organisation, content: Content, local: ZoneInfo, note: str | None
) -> list[Any]:
    summary = content.flows["survey"]["summary"]
    facts = facts_of(org)
    targets = coverage_targets(facts)
    target_text = "；".join(summary["targets"][t.code.value] for t in targets) or NO_TARGETS
    advice = summary["next"][next_step(facts).value].format(formal_members=org.formal_members)
    subtype = org.subtype
    if subtype == SOCIAL_GROUP and org.prefecture_level:
        subtype = f"{subtype}（州级以上）"
    reason = None
    if not org.has_party_org:
        reason = "；".join(part for part in (org.no_org_reason, org.no_org_note) if part) or None
    registered_at = org.registered_at.astimezone(local).strftime("%Y-%m-%d %H:%M")
    return [
        number,
        org.id,
        org.name,
        org.kind,
        subtype,
        place_of(org),
        org.operating_status,
        org.employees,
        org.formal_members,
        org.probationary_members,
        org.leader_name,
        _yes_no(org.leader_is_member),
        _yes_no(org.has_party_org),
        reason,
        target_text,
        COVERAGE_STATUS[coverage_met(targets)],
        advice,
        org.registered_by_name or str(org.registered_by),
        registered_at,
        note,
    ]


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("是" if value else "否")
