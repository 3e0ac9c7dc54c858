"""The five step flows and the self-check through the console core, on a real SQLite file:
each from the menu to its saved result, with a wrong answer at every step, and resumed after
a restart half-way."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from storage import plans
from storage.models import Event as EventRow
from tests.chat import Conversation, bot_services
from tests.flow_scripts import ACTIVITY, SCRIPTS, Script

# A wrong answer for every kind of question, and what the bot must say about it.
WRONG = {
    "text": ("😀😀", "请用文字回答"),
    "integer": ("好几个", "请输入一个整数"),
    "choice": ("随便吧", "请点击下面的按钮"),
    "multi": ("99", "请点击按钮选择"),
    "date": ("2月30日", "没有“2月30日”这一天"),
    "time": ("25点", "“25点”不是一个有效的时间"),
    "yesno": ("也许", "请回答“是”或“否”"),
}


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def open_flow(chat: Conversation, script: Script) -> str:
    await chat.say(script.command)
    return await chat.say(script.button)


async def saved_count(services, flow: str) -> int:  # type: ignore[no-untyped-def]
    async with services.db.session() as session:
        if flow.startswith("selfcheck_"):
            return len(await plans.selfcheck_history(session, None))
        return len(await plans.list_plans(session))


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.flow for s in SCRIPTS])
async def test_from_the_menu_to_the_saved_result(db_url: str, script: Script) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        intro = await open_flow(chat, script)
        assert "【" in intro
        *answers, last = script.answers
        for answer in answers:
            reply = await chat.say(answer)
            # Accepted: the next question (or the edited button message); never a complaint.
            assert reply.startswith(("【", "↻")), (answer, reply)
        card = await chat.say(last)
        for fragment in script.card:
            assert fragment in card, (fragment, card)
        assert await saved_count(services, script.flow) == 1
        async with services.db.session() as session:
            assert await services.engine.current(session, "1", "1") is None


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.flow for s in SCRIPTS])
async def test_a_wrong_answer_at_every_step_is_explained_and_nothing_is_lost(
    db_url: str, script: Script
) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await open_flow(chat, script)
        for answer in script.answers:
            async with services.db.session() as session:
                state = await services.engine.current(session, "1", "1")
            assert state is not None
            step = services.engine.flow_of(state).step(state.step_id)
            before = dict(state.answers)
            wrong, message = WRONG[step.kind]
            reply = await chat.say(wrong)
            assert message in reply, (step.id, reply)
            assert "Traceback" not in reply
            async with services.db.session() as session:
                again = await services.engine.current(session, "1", "1")
            assert again is not None and again.step_id == step.id and again.answers == before
            await chat.say(answer)
        for fragment in script.card[:1]:
            assert await saved_count(services, script.flow) == 1, fragment


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.flow for s in SCRIPTS])
async def test_a_restart_half_way_resumes_at_the_same_question(db_url: str, script: Script) -> None:
    half = len(script.answers) // 2
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await open_flow(chat, script)
        await chat.say(*script.answers[:half])
        async with services.db.session() as session:
            state = await services.engine.current(session, "1", "1")
        assert state is not None
        question = services.engine.ask(state)[0].text.splitlines()[-1]  # type: ignore[union-attr]
    async with bot_services(db_url) as services:  # a new process on the same database
        chat = Conversation(services)
        resumed = await chat.say("/start")
        assert "继续上次未完成的" in resumed and question in resumed
        *rest, last = script.answers[half:]
        await chat.say(*rest)
        card = await chat.say(last)
        for fragment in script.card:
            assert fragment in card, (fragment, card)


async def test_the_activity_check_flags_a_tea_party_and_the_saved_event_is_ready(
    db_url: str,
) -> None:
    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await open_flow(chat, ACTIVITY)
        await chat.say(*ACTIVITY.answers[:4], "迎新春茶话会", "党小组会、党费收缴", "/skip")
        report = await chat.say("线下集中", "党员活动室")
        assert "不能搞成茶话会" in report and "❌ 突出“主题”" in report
        assert "缺少政治学习内容" in report
        card = await chat.say("保存计划")  # saved anyway, with the warnings on the card
        assert "⚠️ 主题党日不能搞成茶话会" in card
        async with services.db.session() as session:
            (event,) = (await session.execute(EventRow.__table__.select())).all()
        assert event.theme == "迎新春茶话会" and event.place == "党员活动室"
        assert event.starts_at.strftime("%H:%M") == "01:30"  # 09:30 in Asia/Shanghai


async def test_a_double_tap_on_save_saves_once(db_url: str) -> None:
    from bot.contract import Chat, Event, User
    from bot.router import handle_event

    async with bot_services(db_url) as services:
        chat = Conversation(services)
        await open_flow(chat, ACTIVITY)
        await chat.say(*ACTIVITY.answers[:9])
        async with services.db.session() as session:
            state = await services.engine.current(session, "1", "1")
        assert state is not None and state.step_id == "check"
        tap = Event(
            Chat("1", "private"),
            User("1", "书记"),
            button_data=f"d:{state.id}:{state.seq}:0",
            callback_id="t",
            message_id=1,
        )
        first = await handle_event(tap, services)
        second = await handle_event(tap, services)
        assert any("【主题党日计划 #1】" in getattr(a, "text", "") for a in first)
        assert [getattr(a, "text", "") for a in second] == ["这个按钮已过期。"]
        async with services.db.session() as session:
            assert len(await plans.list_plans(session)) == 1
            assert len((await session.execute(EventRow.__table__.select())).all()) == 1


async def test_the_branch_fixed_day_is_offered_as_a_button(db_url: str) -> None:
    from scheduler.rules import next_date
    from storage import branches
    from storage.models import Branch

    rule = {"kind": "day", "day": 15, "time": "09:00"}
    async with bot_services(db_url) as services:
        async with services.db.session() as session:
            branch = await branches.create_branch(
                session, "第一党支部", 1, "书记", None, "Asia/Shanghai"
            )
            branch.theme_day_rule = rule
            await branches.create_branch(session, "别人的支部", 2, "别人", None, "Asia/Shanghai")
        chat = Conversation(services)
        asked = await open_flow(chat, ACTIVITY)
        assert "#1 第一党支部" in asked and "别人的支部" not in asked
        offered = await chat.say("#1 第一党支部")
        local_today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
        first = next_date(rule, local_today).isoformat()
        assert "本支部固定主题党日：每月15日 09:00" in offered and f"[1] {first}" in offered
        assert "【抓活动 3/" in await chat.say(first)  # the button is pressed
        async with services.db.session() as session:
            state = await services.engine.current(session, "1", "1")
            assert state is not None and state.answers["date"] == first
            assert (await session.get(Branch, 2)) is not None


async def test_a_branch_named_in_a_flow_lives_in_the_configured_time_zone(db_url: str) -> None:
    """BOT_TIMEZONE, not a zone written in the code, places a new branch and its theme day."""
    from sqlalchemy import select

    from storage.models import Branch
    from tests.flow_scripts import SOON

    async with bot_services(db_url, timezone="Asia/Urumqi") as services:
        chat = Conversation(services)
        await open_flow(chat, ACTIVITY)
        for answer in ACTIVITY.answers:
            await chat.say(answer)
        async with services.db.session() as session:
            branch = (await session.execute(select(Branch))).scalar_one()
            event = (await session.execute(select(EventRow))).scalar_one()
        assert branch.timezone == "Asia/Urumqi"
        local = event.starts_at.astimezone(ZoneInfo("Asia/Urumqi"))
        assert (local.date().isoformat(), local.strftime("%H:%M")) == (SOON, "09:30")
