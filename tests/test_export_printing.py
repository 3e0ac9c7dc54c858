"""Exports print as 工委 staff hand them on, and the export command says what it can write."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.config import Settings
from tests.chat import handler_services
from tests.ledger_records import ENTERPRISE
from tests.processes import BRANCHBOT, subprocess_env


@pytest.mark.parametrize("what", ["ledger", "plans", "selfcheck", "attendance"])
async def test_every_sheet_prints_landscape_fit_to_width_with_its_header_repeated(
    tmp_path: Path, what: str
) -> None:
    services = handler_services(Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'b.db'}"))
    await services.db.migrate()
    out = tmp_path / f"{what}.xlsx"
    try:
        if what == "ledger":
            from bot.exports.ledger import export_ledger
            from storage import ledger

            async with services.db.session() as session:  # its advice wraps onto lines
                await ledger.add_organisation(session, ENTERPRISE, "1", "李书记")

            await export_ledger(services.db, services.content, out, "Asia/Shanghai")
        elif what == "plans":
            from bot.exports.plans import export_plans

            await export_plans(services.db, services.content, out, "Asia/Shanghai")
        elif what == "selfcheck":
            from bot.exports.selfcheck import export_selfcheck

            await export_selfcheck(services.db, services.content, out, "Asia/Shanghai")
        else:
            from bot.exports.attendance import export_attendance

            await export_attendance(services.db, out, "Asia/Shanghai", services.content)
    finally:
        await services.db.close()
    book = load_workbook(out)
    assert book.worksheets
    for sheet in book.worksheets:
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", sheet.PAPERSIZE_A4)
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
    if what == "ledger":  # a wrapped row is as tall as its lines: printed, nothing overlaps
        county = book["楚雄市"]
        row = next(r[0].row for r in county.iter_rows() if r[2].value == ENTERPRISE["name"])
        assert (county.row_dimensions[row].height or 0) >= 30


def test_export_refuses_a_name_that_is_not_xlsx_and_speaks_chinese(tmp_path: Path) -> None:
    env = subprocess_env(tmp_path)
    refused = subprocess.run(
        [*BRANCHBOT, "export", "ledger", "--out", "x.csv"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert refused.returncode == 2 and "只能导出 Excel 文件" in refused.stderr
    assert not (tmp_path / "x.csv").exists()
    helped = subprocess.run(
        [*BRANCHBOT, "export", "--help"], capture_output=True, text=True, env=env, timeout=60
    )
    assert "用法：" in helped.stdout and "显示本帮助并退出" in helped.stdout
    missing = subprocess.run(
        [*BRANCHBOT, "export", "ledger"], capture_output=True, text=True, env=env, timeout=60
    )
    assert missing.returncode == 2 and "缺少参数：--out" in missing.stderr


async def test_the_selfcheck_sheet_names_the_person_their_branch_and_county(
    tmp_path: Path,
) -> None:
    from bot.exports.selfcheck import export_selfcheck
    from storage import ledger
    from tests.chat import Conversation, bot_services

    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}") as services:
        await Conversation(services, group=True).say("/bind")  # 书记 runs 测试群
        async with services.db.session() as session:
            await ledger.add_organisation(session, ENTERPRISE, "1", "书记")
        chat = Conversation(services)
        await chat.say("/selfcheck", "1")
        await chat.say(*["1"] * 10)
        await Conversation(services, user_id=9, name="路人").say("/selfcheck", "1")
        await export_selfcheck(services.db, services.content, tmp_path / "s.xlsx", "Asia/Shanghai")
    sheet = load_workbook(tmp_path / "s.xlsx")["五个基本方面快速自查"]
    header, row = (list(r) for r in sheet.iter_rows(max_row=2, values_only=True))
    assert header[:5] == ["编号", "姓名", "支部", "县（市）", "用户ID"]
    assert row[1:5] == ["书记", "测试群", "楚雄市", "1"]
