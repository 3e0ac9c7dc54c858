"""The record after a meeting (issue 16): in the console as a secretary would, the quarter's
党员大会 held with the January theme day is reminded, members answer in words, and after it
/records asks for what the bot cannot know and adds what it does (date, who came, who was on
leave and why); a vote says whether it passed (第十一条); what has no record yet is listed."""

from __future__ import annotations

from pathlib import Path

from tests.processes import run_branchbot

GROUP = "\n".join(
    [
        "/time 2026-12-02 09:00",  # the calendar is kept on this day, whenever the test runs
        "/bind",
        "/themeday 每月15日 9:00",
        "/meetings 确认",
        *["/as 5 李四", "/join", "1", "1"],  # a formal member
        *["/as 6 王五", "/join", "1", "1"],
        *["/as 7 赵六", "/join", "1", "2"],  # probationary: attends, does not vote
        *["/as 8 孙七", "/join", "1", "1"],
        "/time 2027-01-12 09:00",
        *["/as 5 李四", "/reply 参加"],
        *["/as 6 王五", "/reply 请假，出差在昆明"],
        *["/as 7 赵六", "/reply 参加"],
        *["/as 8 孙七", "/reply 准时到"],
    ]
)
RECORD = ["张书记", "李四", "传达上级会议精神，讨论发展党员工作。", "/skip", "是"]


def test_a_party_meeting_is_recorded_with_its_turnout_and_its_vote(tmp_path: Path) -> None:
    group = run_branchbot(tmp_path, "console", "--group", stdin=GROUP + "\n")
    assert group.returncode == 0, group.stderr
    assert "本次同时召开：支部党员大会、党课" in group.stdout
    lines = [
        "/time 2027-01-15 12:00",
        "/records",
        "1",  # 填写 1月15日 支部党员大会
        *RECORD,
        "同意接收某某为预备党员",
        "2",
        "3",  # 5 votes, 4 present: asked again
        "0",
        "0",
        "/records",
    ]
    secretary = run_branchbot(tmp_path, "console", stdin="\n".join(lines) + "\n")
    assert secretary.returncode == 0, secretary.stderr
    out = secretary.stdout
    assert "· 1月15日 支部党员大会｜📝 待填写" in out
    assert "票数合计 5 票，多于到会的 4 人" in out
    record = out.split("【支部党员大会记录】")[1]
    assert "主持人：张书记　记录人：李四" in record
    assert "实到 4 人" in record and "请假：王五（出差在昆明）" in record
    # 3 formal members entitled to vote (书记's membership is not on the roster), 2 of them
    # present, 2 in favour: more than half of the 3, passed.
    assert "表决：同意接收某某为预备党员｜赞成 2，反对 0，弃权 0" in record
    assert "赞成票超过应到会有表决权的正式党员（3 名）的半数，通过。" in record
    listed = out.rsplit("【会议记录】", 1)[1]
    assert "· 1月15日 支部党员大会｜✅ 已记录" in listed
    assert "· 1月15日 党课｜📝 待填写" in listed
    assert "党课：第一季度" in listed and "（已过期）" not in listed


def test_records_stay_with_the_branchs_secretary(tmp_path: Path) -> None:
    group = run_branchbot(tmp_path, "console", "--group", stdin=GROUP + "\n")
    assert group.returncode == 0, group.stderr
    member = run_branchbot(
        tmp_path, "console", "--user-id", "5", stdin="/time 2027-01-15 12:00\n/records\n"
    )
    assert "只有本支部书记可以填写会议记录" in member.stdout
    in_group = run_branchbot(tmp_path, "console", "--group", stdin="/records\n")
    assert "请在与我的私聊中" in in_group.stdout


def test_the_years_records_export_as_word_files_and_read_back(tmp_path: Path) -> None:
    """`branchbot export records`: a .docx per meeting and an index, read back with
    python-docx: the attendance and the decisions are in it."""
    from docx import Document

    group = run_branchbot(tmp_path, "console", "--group", stdin=GROUP + "\n")
    assert group.returncode == 0, group.stderr
    lines = ["/time 2027-01-15 12:00", "/records", "1", *RECORD, "同意接收某某为预备党员"]
    lines += ["2", "0", "0"]
    run_branchbot(tmp_path, "console", stdin="\n".join(lines) + "\n")
    refused = run_branchbot(tmp_path, "export", "records", "--out", "x.docx", "--branch", "测试群")
    assert refused.returncode == 2 and "文件夹" in refused.stderr
    unknown = run_branchbot(tmp_path, "export", "records", "--out", "box", "--branch", "无此支部")
    assert unknown.returncode == 2 and "没有名为“无此支部”的支部" in unknown.stderr
    done = run_branchbot(
        tmp_path, "export", "records", "--out", "box", "--branch", "测试群", "--year", "2027"
    )
    assert done.returncode == 0, done.stderr
    assert "已导出 测试群 2027年的 1 份会议记录和目录" in done.stdout
    files = sorted(p.name for p in (tmp_path / "box").iterdir())
    assert files == ["00_2027年会议记录目录.docx", "01_2027-01-15_支部党员大会.docx"]
    record = Document(str(tmp_path / "box" / files[1]))
    cells = {row.cells[0].text: row.cells[1].text for row in record.tables[0].rows}
    assert cells["会议名称"] == "支部党员大会" and cells["主持人"] == "张书记"
    assert cells["实到人数"] == "4" and cells["请假人员"] == "王五（出差在昆明）"
    text = "\n".join(p.text for p in record.paragraphs)
    assert "测试群支部党员大会记录" in text and "讨论发展党员工作" in text
    assert "赞成票超过应到会有表决权的正式党员（3 名）的半数，通过。" in text
    index = Document(str(tmp_path / "box" / files[0]))
    assert [c.text for c in index.tables[0].rows[1].cells][1:3] == ["2027-01-15", "支部党员大会"]


def test_the_attendance_export_counts_required_meetings_held_and_recorded(tmp_path: Path) -> None:
    """The 工委's sheet of branches × required meetings: held and recorded this year."""
    import asyncio
    from datetime import UTC, datetime

    import openpyxl

    from bot.exports.attendance import export_attendance
    from knowledge.content import load_content
    from storage.db import Database

    run_branchbot(tmp_path, "console", "--group", stdin=GROUP + "\n")
    lines = ["/time 2027-01-15 12:00", "/records", "1", *RECORD[:-1], "否"]  # no vote
    assert (
        "【支部党员大会记录】"
        in run_branchbot(tmp_path, "console", stdin="\n".join(lines) + "\n").stdout
    )

    async def export() -> None:
        db = Database(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}")
        try:
            now = datetime(2027, 4, 2, 1, tzinfo=UTC)  # the second quarter has begun
            await export_attendance(db, tmp_path / "a.xlsx", "Asia/Shanghai", load_content(), now)
        finally:
            await db.close()

    asyncio.run(export())
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx")["组织生活"]
    rows = {r[1]: r[2:] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert rows["支部党员大会"] == (2, 1, 1, "第二季度")
    assert rows["党课"] == (2, 1, 0, "第一季度、第二季度")  # held with the theme day, no record
