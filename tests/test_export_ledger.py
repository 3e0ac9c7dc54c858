"""The ledger workbook on both backends, read back the way 工委 staff would open it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from bot.exports.ledger import HEADERS, export_ledger
from knowledge.content import load_content
from storage import ledger
from storage.db import Database

COUNTIES = [
    "楚雄市",
    "禄丰市",
    "双柏县",
    "牟定县",
    "南华县",
    "姚安县",
    "大姚县",
    "永仁县",
    "元谋县",
    "武定县",
]
EXPECTED_HEADERS = [
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
]
REGISTERED_AT = datetime(2025, 1, 1, 0, 30, tzinfo=UTC)
BASE: dict[str, Any] = {
    "kind": "非公企业",
    "county": "楚雄市",
    "park": None,
    "operating_status": "正常经营（运行）",
    "employees": 10,
    "formal_members": 0,
    "probationary_members": 0,
    "leader_name": "张三",
    "leader_is_member": False,
    "has_party_org": False,
    "no_org_reason": "没有党员",
}
BIG_ENTERPRISE = {
    **BASE,
    "name": "楚雄某某科技有限公司",
    "employees": 120,
    "formal_members": 2,
    "probationary_members": 1,
    "no_org_reason": "正式党员不足3名",
}
PARK_ENTERPRISE = {**BASE, "name": "园区某某制造有限公司", "park": "某工业园区", "employees": 60}
LAW_FIRM = {
    **BASE,
    "name": "禄丰某某律师事务所",
    "kind": "社会组织",
    "subtype": "律师事务所",
    "county": "禄丰市",
    "supervisor_kind": "行业主管部门",
    "supervisor": "司法行政部门",
    "employees": 35,
    "leader_is_member": True,
    "has_party_org": True,
    "no_org_reason": None,
}
STRAY = {**BASE, "name": "外地某某商贸有限公司", "county": "外地县"}


def summary_row(workbook: Any, county: str) -> int:
    sheet = workbook["汇总"]
    return next(i for i, row in enumerate(rows(sheet), start=1) if row[0] == county)


def rows(sheet: Worksheet) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def by_name(sheet: Worksheet) -> dict[str, dict[str, Any]]:
    return {
        row[2]: dict(zip(EXPECTED_HEADERS, row, strict=True))
        for row in rows(sheet)[1:]
        if row[2] is not None
    }


async def export(
    database: Database, tmp_path: Path, zone: str = "Asia/Shanghai"
) -> tuple[int, Any]:
    async with database.session() as session:
        for fields in (BIG_ENTERPRISE, PARK_ENTERPRISE, LAW_FIRM, STRAY):
            org = await ledger.add_organisation(session, fields, "42", "李书记")
            org.registered_at = REGISTERED_AT
    out = tmp_path / "exports" / "ledger.xlsx"
    count = await export_ledger(database, load_content(), out, zone)
    return count, openpyxl.load_workbook(out)


async def test_workbook_has_a_sheet_per_county_and_one_for_the_rest(
    database: Database, tmp_path: Path
) -> None:
    count, workbook = await export(database, tmp_path)
    assert count == 4
    assert load_content().counties == COUNTIES
    # A summary first; then a sheet per county that has records, and one for the rest.
    with_records = [c for c in COUNTIES if c in ("楚雄市", "禄丰市")]
    assert workbook.sheetnames == ["汇总", *with_records, "其他"]
    assert list(HEADERS) == EXPECTED_HEADERS
    for sheet in workbook.worksheets[1:]:
        assert rows(sheet)[0] == EXPECTED_HEADERS
        assert sheet.freeze_panes == "A2"
        assert sheet["A1"].font.b
    summary = {(r[0], r[1]): r[2:] for r in rows(workbook["汇总"])[1:]}
    assert summary[("双柏县", "合计")] == [0, 0, "—", 0, 0, 0]  # an empty county is a row
    assert summary[("全州", "合计")][0] == 4
    assert workbook["汇总"].cell(summary_row(workbook, "全州"), 5).number_format == "0%"


async def test_enterprises_are_grouped_by_park_with_not_in_park_last(
    database: Database, tmp_path: Path
) -> None:
    _, workbook = await export(database, tmp_path)
    sheet = workbook["楚雄市"]
    firsts = [row[0] for row in rows(sheet)[1:]]
    assert firsts == ["非公企业｜园区：某工业园区", 1, "非公企业｜园区：不在园区", 2]
    assert sheet["A2"].font.b and sheet["A4"].font.b
    assert [row[2] for row in rows(sheet)[1:]] == [
        None,
        "园区某某制造有限公司",
        None,
        "楚雄某某科技有限公司",
    ]


async def test_organisation_row_carries_facts_coverage_and_advice(
    database: Database, tmp_path: Path
) -> None:
    _, workbook = await export(database, tmp_path)
    big = by_name(workbook["楚雄市"])["楚雄某某科技有限公司"]
    assert big["类别"] == "非公企业"
    assert big["园区/主管单位"] == "不在园区"
    for header, value in (("职工（从业人员）数", 120), ("正式党员", 2), ("预备党员", 1)):
        assert big[header] == value
        assert type(big[header]) is int
    assert type(big["序号"]) is int
    assert big["负责人是否党员"] == "否"
    assert big["是否已建党组织"] == "否"
    assert big["未建党组织原因"] == "正式党员不足3名"
    assert big["覆盖目标"] == "职工50人以上的非公企业要有党员；职工100人以上的非公企业要有党组织"
    assert big["覆盖情况"] == "未达标"
    assert "联合党组织" in big["下一步建议"]
    assert big["登记人"] == "李书记"
    assert big["登记时间"] == "2025-01-01 08:30"  # Asia/Shanghai, not UTC
    small = by_name(workbook["其他"])["外地某某商贸有限公司"]
    assert small["覆盖目标"] == "无硬性要求"
    assert small["覆盖情况"] == "不适用"
    assert "党建工作指导员" in small["下一步建议"]


async def test_social_organisations_are_grouped_by_supervising_body(
    database: Database, tmp_path: Path
) -> None:
    _, workbook = await export(database, tmp_path)
    table = rows(workbook["禄丰市"])
    assert table[1][0] == "社会组织｜主管单位：行业主管部门｜司法行政部门"
    firm = dict(zip(EXPECTED_HEADERS, table[2], strict=True))
    assert firm["组织名称"] == "禄丰某某律师事务所"
    assert firm["序号"] == 1
    assert firm["细分类型"] == "律师事务所"
    assert firm["是否已建党组织"] == "是"
    assert firm["未建党组织原因"] is None
    assert firm["覆盖情况"] == "已达标"
    assert "抓规范" in firm["下一步建议"]
    assert rows(workbook["其他"])[1][0] == "外地县｜非公企业｜园区：不在园区"


async def test_columns_are_wide_enough_for_chinese_names(
    database: Database, tmp_path: Path
) -> None:
    _, workbook = await export(database, tmp_path)
    widths = workbook["楚雄市"].column_dimensions
    assert widths["C"].width >= 2 * len("楚雄某某科技有限公司")
    assert widths["C"].width > 13
    assert widths["Q"].width <= 50


async def test_export_of_one_users_records_and_of_an_empty_ledger(
    database: Database, tmp_path: Path
) -> None:
    out = tmp_path / "empty.xlsx"
    assert await export_ledger(database, load_content(), out, "Asia/Shanghai") == 0
    assert openpyxl.load_workbook(out).sheetnames == ["汇总"]
    async with database.session() as session:
        await ledger.add_organisation(session, BIG_ENTERPRISE, "1", "甲")
        await ledger.add_organisation(session, LAW_FIRM, "2", "乙")
    assert (
        await export_ledger(database, load_content(), out, "Asia/Shanghai", registered_by="2") == 1
    )
    assert list(by_name(openpyxl.load_workbook(out)["禄丰市"])) == ["禄丰某某律师事务所"]
    assert "楚雄市" not in openpyxl.load_workbook(out).sheetnames  # not theirs: no sheet


async def test_times_are_shown_in_the_configured_zone(database: Database, tmp_path: Path) -> None:
    _, workbook = await export(database, tmp_path, "Asia/Urumqi")
    assert by_name(workbook["楚雄市"])["楚雄某某科技有限公司"]["登记时间"] == "2025-01-01 06:30"
