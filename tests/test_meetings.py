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
        ("确认", replace(BASE, confirmed=True, confirmed_on=TODAY)),
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
        assert "已确认" in await chat.say("1")  # the confirm button
        assert "确认以上安排" not in await chat.say("/meetings")
        changed = await chat.say("/meetings 支委会 5人")
        assert "已更新" in changed and "支部委员会会议｜每月1次，随主题党日召开" in changed
        await chat.say("/as 5 李四")
        refused = await chat.say("/meetings 党课 停用")
        assert "只有本支部书记或群管理员" in refused
        async with services.db.session() as session:
            branch = await session.get(Branch, 1)
            assert branch is not None
            settings = read_settings(branch.organisational_life)
        assert settings.committee_members == 5 and settings.confirmed
        assert settings.plan(K.LECTURE).active  # the member's change was not made


async def test_meetings_are_reminded_once_the_calendar_is_kept(database_url: str) -> None:
    """A 支委会 of its own day gets its own reminder; the theme day says which meetings it
    holds; nothing is reminded before the secretary has confirmed or changed the calendar."""
    from datetime import UTC, datetime

    from sqlalchemy import select

    from storage.models import Event as EventRow
    from tests.chat import Sent, set_clock
    from tests.theme_day_helpers import bound_group_with_rule, dispatcher_at

    telegram = Sent()
    async with bot_services(database_url, messenger=telegram) as services:
        await bound_group_with_rule(services)  # on 2026-12-01, 每月15日 9:00
        chat = Conversation(services, group=True)
        await chat.say("/meetings")  # seen, not kept: no meeting yet
        async with services.db.session() as session:
            rows = (await session.execute(select(EventRow))).scalars().all()
        assert {e.kind for e in rows} == {"theme_day"} and not any(e.meetings for e in rows)

        await chat.say("/meetings 支委会 5人", "/meetings 支委会 每月第一个星期一 19:00")
        async with services.db.session() as session:
            rows = (await session.execute(select(EventRow))).scalars().all()
        committee = sorted(e.meeting_date.isoformat() for e in rows if e.kind == "committee")
        assert committee[:3] == ["2026-12-07", "2027-01-04", "2027-02-01"]
        held = {e.occurrence_date.isoformat(): e.meetings for e in rows if e.kind == "theme_day"}
        assert held["2026-12-15"] == ["life_meeting", "review"]
        assert held["2027-01-15"] == ["party_meeting", "lecture"]
        assert held["2027-02-15"] is None

        moment = [datetime(2026, 12, 6, 11, 0, tzinfo=UTC)]  # 19:00 the day before, local
        set_clock(services, moment[0])
        await dispatcher_at(services, telegram, moment).tick()
        assert any("【支部委员会会议提醒】" in t for t in telegram.texts())
        moment[0] = datetime(2026, 12, 12, 1, 0, tzinfo=UTC)
        await dispatcher_at(services, telegram, moment).tick()
        theme_day = next(t for t in telegram.texts() if "【支部主题党日提醒】" in t)
        assert "本次同时召开：组织生活会、民主评议党员" in theme_day

        # Switched back to the theme day, the 支委会s of their own are cancelled (none had
        # replies) and the group that heard of the next one is told.
        set_clock(services, datetime(2026, 12, 6, 12, 0, tzinfo=UTC))
        changed = await chat.say("/meetings 支委会 随主题党日")
        assert "【取消通知】" in changed and "支部委员会会议取消" in changed


async def test_the_monthly_message_names_what_organisational_life_needs(
    tmp_path: Path,
) -> None:
    """The day before the theme day the secretary reads which required meetings have no
    record yet, that 谈心谈话 is due before the 组织生活会, and that the 换届 is near."""
    from datetime import UTC, datetime

    from tests.chat import Sent, set_clock
    from tests.theme_day_helpers import bound_group_with_rule, dispatcher_at

    telegram = Sent()
    async with bot_services(
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", messenger=telegram
    ) as services:
        await bound_group_with_rule(services)  # 2026-12-01; the secretary is user 1
        await Conversation(services, group=True).say("/meetings 换届 2024-05-15")
        moment = [datetime(2026, 12, 14, 1, 0, tzinfo=UTC)]  # the day before, 09:00 local
        set_clock(services, moment[0])
        await dispatcher_at(services, telegram, moment).tick()
        digest = next(t for t in telegram.texts("1") if "【明天的支部主题党日】" in t)
        assert "还没有会议记录：支部党员大会（第四季度）、党课（第四季度）" in digest
        assert "组织生活会（2026年）" in digest and "民主评议党员（2026年）" in digest
        assert "组织生活会（12月15日）前请开展谈心谈话" in digest
        assert "换届：本届任期至 2027-05-15" in digest
