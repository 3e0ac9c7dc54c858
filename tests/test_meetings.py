"""/meetings (issue 16): a branch's calendar of organisational life with the 条例's defaults,
confirmed or changed by its secretary in one line each; nobody else may change it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot.meetings import apply_change, kinds_by_word
from bot.rules.meetings import LifeSettings, MeetingKind, MeetingPlan, read_settings
from knowledge.content import load_content
from storage.models import Branch
from tests.chat import Conversation, bot_services

K = MeetingKind
TODAY = date(2026, 12, 2)
OWN = {"kind": "nth_weekday", "n": 1, "weekday": 0, "time": "19:00"}
BASE = LifeSettings()


@pytest.mark.parametrize(
    ("typed", "after"),
    [
        ("支委会 5人", replace(BASE, committee_members=5)),
        ("支委会 五名", replace(BASE, committee_members=5)),
        ("支委会 无", BASE),
        ("支委会 9人", "committee_size"),
        ("党小组 有", replace(BASE, has_groups=True)),
        ("党小组 没有", BASE),
        ("换届 2024-06-15", replace(BASE, elected_on=date(2024, 6, 15))),
        ("换届 2024年6月15日", replace(BASE, elected_on=date(2024, 6, 15))),
        ("换届 6月15日", "bad_date"),  # no year: which election?
        ("换届 2027-06-15", "future_date"),
        ("换届 2024-02-30", "bad_date"),
        ("换届提前 3个月", replace(BASE, election_months_ahead=3)),
        ("谈心 2周", replace(BASE, talks_weeks=2)),
        (
            "支委会 每月第一个星期一 19:00",
            replace(BASE, plans=(MeetingPlan(K.COMMITTEE, day_rule=OWN),)),
        ),
        (
            "支部委员会会议 每月第一个星期一 19:00",
            replace(BASE, plans=(MeetingPlan(K.COMMITTEE, day_rule=OWN),)),
        ),
        ("党课 停用", replace(BASE, plans=(MeetingPlan(K.LECTURE, active=False),))),
        ("党课 随主题党日", replace(BASE, plans=(MeetingPlan(K.LECTURE),))),
        ("党课 每月35日", "not_understood"),
        ("茶话会 停用", "not_understood"),
        ("确认", replace(BASE, confirmed=True)),
        ("", "not_understood"),
    ],
)
def test_one_change_typed_by_a_secretary(typed: str, after: LifeSettings | str) -> None:
    words = kinds_by_word(load_content())
    assert apply_change(BASE, typed, words, TODAY) == after


async def test_the_calendar_is_shown_changed_and_kept_by_its_secretary_only(
    tmp_path: Path,
) -> None:
    async with bot_services(f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}") as services:
        chat = Conversation(services, group=True)
        await chat.say("/bind", "/themeday 每月15日 9:00")
        shown = await chat.say("/meetings")
        assert "支部党员大会｜每季度1次，随主题党日召开" in shown
        assert "每季度1次是通行做法" in shown  # 党课: local practice, said so
        assert "支部委员会会议" not in shown and "支委会：未设" in shown
        assert "确认以上安排" in shown
        changed = await chat.say("/meetings 支委会 5人")
        assert "已更新" in changed and "支部委员会会议｜每月1次，随主题党日召开" in changed
        assert "已确认" in await chat.say("1")  # the confirm button
        assert "确认以上安排" not in await chat.say("/meetings")
        await chat.say("/as 5 李四")
        refused = await chat.say("/meetings 党课 停用")
        assert "只有本支部书记或群管理员" in refused
        async with services.db.session() as session:
            branch = await session.get(Branch, 1)
            assert branch is not None
            settings = read_settings(branch.organisational_life)
        assert settings.committee_members == 5 and settings.confirmed
        assert settings.plan(K.LECTURE).active  # the member's change was not made
