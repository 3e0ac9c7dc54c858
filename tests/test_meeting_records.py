"""The record after a meeting (issue 16): in the console as a secretary would, the quarter's
党员大会 held with the January theme day is reminded, members answer in words, and after it
/records asks for what the bot cannot know and adds what it does (date, who came, who was on
leave and why); a vote says whether it passed (第十一条); what has no record yet is listed."""

from __future__ import annotations

from pathlib import Path

from tests.processes import run_branchbot

GROUP = "\n".join(
    [
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
