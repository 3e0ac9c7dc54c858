"""/bind links a group to the branch it belongs to: a secretary who already runs branches picks
one (or a new one), `/bind 名称` names a new one, and /rename fixes a name."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.console import GROUP_CHAT_ID
from bot.contract import Chat, Event, User
from bot.router import handle_event
from bot.services import Services
from storage import branches
from storage.models import Branch, GroupBinding, Reminder
from tests.chat import Conversation, bot_services, set_clock
from tests.theme_day_helpers import SET_ON

GROUP = Chat(GROUP_CHAT_ID, "group", "云岭新材料党员群")


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}"


async def in_group(services: Services, user: str, text: str = "", data: str = "") -> list:
    event = Event(
        GROUP,
        User(user, "书记" if user == "1" else f"党员{user}"),
        text=text or None,
        button_data=data or None,
        callback_id="cb" if data else None,
        message_id=9 if data else None,
    )
    return await handle_event(event, services)


async def secretary_with_a_branch(services: Services) -> int:
    """User 1 runs 第一党支部 (as after 抓组建) with its fixed day set in private."""
    set_clock(services, SET_ON)
    async with services.db.session() as session:
        branch = await branches.create_branch(
            session, "第一党支部", "1", "书记", None, "Asia/Shanghai"
        )
        branch_id = branch.id
    assert "每月15日" in await Conversation(services, user_id=1).say("/themeday 每月15日 9:00")
    return branch_id


async def binding(services: Services) -> GroupBinding | None:
    async with services.db.session() as session:
        query = select(GroupBinding).where(GroupBinding.chat_id == GROUP_CHAT_ID)
        return (await session.execute(query)).scalar_one_or_none()


async def test_a_secretary_with_a_branch_picks_it_and_its_day_reaches_the_group(
    db_url: str,
) -> None:
    async with bot_services(db_url) as services:
        branch_id = await secretary_with_a_branch(services)
        (choice,) = await in_group(services, "1", "/bind")
        labels = [b.label for row in choice.buttons for b in row]
        assert labels == ["第一党支部", "新建支部“云岭新材料党员群”"]
        assert await binding(services) is None  # nothing bound until a choice is made
        first = choice.buttons[0][0].data

        (refused,) = await in_group(services, "5", data=first)  # a member's tap
        assert "不是您的按钮" in refused.text
        forged = await in_group(services, "1", data=f"b:{branch_id + 7}:1")  # not theirs
        assert "没有" in forged[0].text and await binding(services) is None

        actions = await in_group(services, "1", data=first)
        assert "已将本群绑定为“第一党支部”支部群" in actions[-1].text
        bound = await binding(services)
        assert bound is not None and bound.branch_id == branch_id
        async with services.db.session() as session:
            groups_reminded = (
                await session.execute(select(Reminder.id).where(Reminder.chat_id == GROUP_CHAT_ID))
            ).all()
            count = len((await session.execute(select(Branch))).all())
        assert groups_reminded  # the fixed day's reminders now go to this group too
        assert count == 1  # no second branch named after the group
        again = await in_group(services, "1", data=first)  # a double tap
        assert "已绑定" in again[0].text


async def test_bind_with_a_name_makes_that_branch_and_rename_fixes_one(db_url: str) -> None:
    async with bot_services(db_url) as services:
        await secretary_with_a_branch(services)
        (done,) = await in_group(services, "1", "/bind 第二党支部")
        assert "已将本群绑定为“第二党支部”支部群" in done.text
        (refused,) = await in_group(services, "5", "/rename 乱改")
        assert "只有" in refused.text
        (renamed,) = await in_group(services, "1", "/rename 第二党支部（新材料）")
        assert "改名为“第二党支部（新材料）”" in renamed.text
        private = Conversation(services, user_id=1)
        assert "用法" in await private.say("/rename 新名")  # two branches: which one?
        assert "改名为“一支部”" in await private.say("/rename 第一党支部 一支部")


async def test_a_first_bind_names_the_branch_after_the_group_and_says_how_to_rename(
    db_url: str,
) -> None:
    async with bot_services(db_url) as services:
        (done,) = await in_group(services, "1", "/bind")
        assert "“云岭新材料党员群”支部群" in done.text and "/rename" in done.text
        (member,) = await in_group(services, "5", "/bind")
        assert "本群已绑定" in member.text or "只有群主" in member.text


async def test_a_secretary_of_several_branches_picks_one_in_private(db_url: str) -> None:
    async with bot_services(db_url) as services:
        first = await secretary_with_a_branch(services)
        await in_group(services, "1", "/bind 第二党支部")
        private = Chat("1", "private")

        async def say(text: str = "", data: str = "", user: str = "1") -> list:
            event = Event(
                private if user == "1" else Chat(user, "private"),
                User(user, "书记"),
                text=text or None,
                button_data=data or None,
                callback_id="cb" if data else None,
            )
            return await handle_event(event, services)

        (picked,) = await say("/themeday")
        assert "负责多个支部" in picked.text and "/themeday 第一党支部" in picked.text
        assert [b.label for row in picked.buttons for b in row] == ["第一党支部", "第二党支部"]
        shown = await say(data=picked.buttons[0][0].data)
        assert any("“第一党支部”" in a.text and "每月15日" in a.text for a in shown[1:])
        (done,) = await say("/themeday 第二党支部 每月20日 9:00")
        assert "已设定“第二党支部”固定主题党日：每月20日 09:00" in done.text
        (roster,) = await say("/roster")
        listed = await say(data=roster.buttons[1][0].data)
        assert any("第二党支部" in a.text for a in listed[1:])
        (added,) = await say("/roster 第一党支部 添加 张三")
        assert "张三" in added.text
        forged = await say(data=f"bp:{first}:roster", user="5")  # not their branch
        assert "没有" in forged[0].text


async def test_an_id_too_long_for_a_button_is_asked_for_the_name(db_url: str) -> None:
    from dataclasses import replace

    class EveryoneAdmin:
        bot_username = ""

        async def member_status(self, chat_id: str, user_id: str) -> str:
            return "creator"

        def deep_link(self, payload: str) -> str | None:
            return None

    long_id = "wx:" + "x" * 60
    async with bot_services(db_url) as plain:
        services = replace(plain, directory=EveryoneAdmin())
        async with services.db.session() as session:
            await branches.create_branch(
                session, "第一党支部", long_id, "书记", None, "Asia/Shanghai"
            )
        (asked,) = await in_group(services, long_id, "/bind")
        assert "/bind 支部名称" in asked.text and not asked.buttons
        (done,) = await in_group(services, long_id, "/bind 第一党支部")
        assert "已将本群绑定为“第一党支部”支部群" in done.text
